"""Alembic environment: runs on the caller's connection, or opens its own from the URL."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.slack_stores import SLACK_TABLES
from storage.tables import Base

NameType = Literal[
    "schema",
    "table",
    "column",
    "index",
    "unique_constraint",
    "foreign_key_constraint",
    "check_constraint",
]
ParentNames = MutableMapping[
    Literal["schema_name", "table_name", "schema_qualified_table_name"], str | None
]


def include_name(name: str | None, type_: NameType, parent_names: ParentNames) -> bool:
    """Keep autogenerate away from Slack's tables (created by 0001, schema owned by slack_sdk)."""
    return not (type_ == "table" and name in SLACK_TABLES)


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=Base.metadata,
        include_name=include_name,
        render_as_batch=True,  # SQLite ALTER TABLE support for later revisions
        compare_type=True,
        **kwargs,
    )


def _run_on(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run_on)
    finally:
        await engine.dispose()


def _url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("use storage.db.run_migrations, or alembic_config(url=...)")
    return url


def main() -> None:
    """Entry point Alembic runs."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
    elif context.is_offline_mode():
        _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(_run_with_own_engine(_url()))


main()
