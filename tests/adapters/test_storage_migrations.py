"""Alembic migrations against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Connection, MetaData, Table, Text, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.errors import StorageUnavailable
from storage.db import alembic_config, create_engine, run_migrations, translate_errors
from storage.slack_stores import SLACK_TABLES
from storage.slack_tokens import TOKEN_COLUMNS
from storage.tables import Base

OUR_TABLES = {
    "google_accounts",
    "connect_states",
    "meetings",
    "meeting_events",
    "processed_events",
    "recordings",
    "recording_files",
    "recording_events",
    "transcript_segments",
}
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    return not (type_ == "table" and name in SLACK_TABLES)


def _slack_reference() -> list[Table]:
    metadata = MetaData()
    return [
        SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations"),
        SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots"),
        SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states"),
    ]


async def _version(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    return [row[0] for row in rows]


async def _table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_creates_every_table(engine: AsyncEngine) -> None:
    assert await _table_names(engine) == OUR_TABLES | SLACK_TABLES | {"alembic_version"}
    assert await _version(engine) == [HEAD]


async def test_running_again_is_a_no_op(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO processed_events (key, seen_at) VALUES ('k', CURRENT_TIMESTAMP)")
        )

    await run_migrations(engine)

    assert await _version(engine) == [HEAD]
    async with engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM processed_events"))).scalar()
    assert count == 1


async def test_schema_matches_table_definitions(engine: AsyncEngine) -> None:
    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"include_name": include_name, "compare_type": True}
        )
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []


@pytest.mark.parametrize("reference", _slack_reference(), ids=lambda table: table.name)
async def test_slack_tables_match_slack_sdk(engine: AsyncEngine, reference: Table) -> None:
    # as slack_sdk builds them, but token columns are text (0004): they hold ciphertext
    def shapes(connection: Connection) -> tuple[set[Any], set[Any], set[str]]:
        dialect = connection.dialect
        migrated = {
            (c["name"], c["type"].compile(dialect=dialect), c["nullable"])
            for c in inspect(connection).get_columns(reference.name)
        }
        expected = {
            (
                c.name,
                (Text() if c.name in TOKEN_COLUMNS else c.type).compile(dialect=dialect),
                c.nullable,
            )
            for c in reference.c
        }
        indexes = {index["name"] or "" for index in inspect(connection).get_indexes(reference.name)}
        return migrated, expected, indexes

    async with engine.connect() as connection:
        migrated, expected, indexes = await connection.run_sync(shapes)

    assert migrated == expected
    assert indexes == {index.name for index in reference.indexes}


async def test_downgrade_to_base_and_back(engine: AsyncEngine) -> None:
    def downgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    async with engine.begin() as connection:
        await connection.run_sync(downgrade)
    assert await _table_names(engine) == {"alembic_version"}

    await run_migrations(engine)
    assert await _table_names(engine) == OUR_TABLES | SLACK_TABLES | {"alembic_version"}


async def test_unreachable_database_raises_storage_unavailable(
    unreachable_engine: AsyncEngine,
) -> None:
    with pytest.raises(StorageUnavailable):
        await run_migrations(unreachable_engine)


@pytest.mark.postgres
async def test_missing_postgres_database_raises_storage_unavailable() -> None:
    from tests.fixtures_db import POSTGRES_SERVER_URL

    url = make_url(POSTGRES_SERVER_URL).set(database="meetbot_does_not_exist")
    engine = create_engine(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(StorageUnavailable):
            await run_migrations(engine)
    finally:
        await engine.dispose()


def test_sqlite_directory_that_cannot_be_made_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")

    with pytest.raises(StorageUnavailable):
        create_engine(f"sqlite+aiosqlite:///{blocker / 'sub' / 'meetbot.db'}")


async def test_concurrent_starts_migrate_once(database_url: str) -> None:
    engines = [create_engine(database_url) for _ in range(3)]
    try:
        results = await asyncio.gather(
            *(run_migrations(engine) for engine in engines), return_exceptions=True
        )
        assert results == [None, None, None]
        assert await _version(engines[0]) == [HEAD]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_foreign_keys_are_enforced(engine: AsyncEngine) -> None:
    insert = text(
        "INSERT INTO meeting_events (meeting_id, new_state, cause, at)"
        " VALUES ('missing', 'requested', 'x', CURRENT_TIMESTAMP)"
    )

    with pytest.raises(IntegrityError):
        async with translate_errors(), engine.begin() as connection:
            await connection.execute(insert)


async def test_sqlite_connections_use_wal(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'new' / 'meetbot.db'}")
    try:
        async with engine.connect() as connection:
            mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
            busy = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    finally:
        await engine.dispose()

    assert (mode, busy) == ("wal", 5000)
