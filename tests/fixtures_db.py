"""Pytest plugin: real databases (a SQLite file and a fresh PostgreSQL database) per test."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.crypto import TokenCipher, generate_key
from storage.db import create_engine, run_migrations
from storage.repos import Repos, build_repos

# Read at import: an autouse fixture may clear MEETBOT_* variables before tests run.
POSTGRES_SERVER_URL = os.environ.get(
    "MEETBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"

DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """URL of an empty database: a SQLite file, or a new PostgreSQL database dropped after."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'meetbot.db'}"
        return
    async for url in _fresh_postgres_database():
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated engine on ``database_url``, disposed after the test."""
    engine = create_engine(database_url)
    try:
        await run_migrations(engine)
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def cipher() -> TokenCipher:
    """A token cipher with a random key."""
    return TokenCipher(key=generate_key())


@pytest.fixture
def repos(engine: AsyncEngine, cipher: TokenCipher) -> Repos:
    """All repositories on the migrated ``engine``."""
    return build_repos(engine=engine, cipher=cipher)


@pytest.fixture(params=DATABASES)
def unreachable_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL nothing answers at: a closed loopback port, or an unopenable file."""
    if request.param == "postgres":
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/meetbot"
        return
    yield f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'meetbot.db'}"


@pytest.fixture
async def unreachable_engine(unreachable_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on `unreachable_url`; for SQLite its directory is made unusable after start."""
    engine = create_engine(unreachable_url)
    if unreachable_url.startswith("sqlite"):
        block_sqlite_dir(unreachable_url)
    try:
        yield engine
    finally:
        await engine.dispose()


def block_sqlite_dir(url: str) -> None:
    """Make the directory of a SQLite URL's file unusable (a regular file takes its place)."""
    directory = Path(make_url(url).database or "").parent
    if directory.is_dir():
        directory.rmdir()
    directory.write_text("not a directory")


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def _fresh_postgres_database() -> AsyncIterator[str]:
    server = make_url(POSTGRES_SERVER_URL)
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"meetbot_t_{secrets.token_hex(6)}"
    admin = await _connect_admin(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _connect_admin(dsn: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(dsn, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL test server unreachable at {make_url(dsn)!r}: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
