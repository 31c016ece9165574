"""Database engine, migrations, transactions, and the translation of connection failures."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.core.errors import StorageUnavailable
from storage.crypto import TokenCipher
from storage.files import private_dir, private_sqlite_file
from storage.slack_tokens import encrypt_plaintext_tokens
from storage.tables import Base

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
# PostgreSQL SQLSTATE classes meaning "the server is not usable right now": connection
# exception, invalid authorization, invalid catalog (no such database), insufficient
# resources (too many connections), operator intervention (shutdown, cannot connect now).
_UNAVAILABLE_SQLSTATE_CLASSES = frozenset({"08", "28", "3D", "53", "57"})
# pg_advisory_xact_lock key: processes starting together migrate one after the other.
_MIGRATION_LOCK_KEY = 0x6D656574626F74  # "meetbot"
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the repositories' default clock)."""
    return datetime.now(UTC)


def create_engine(url: str) -> AsyncEngine:
    """Create the async engine for ``url`` (SQLite via aiosqlite or PostgreSQL via asyncpg).

    SQLite: the file's directory is created, and every connection gets WAL journaling, a
    busy timeout and foreign keys. PostgreSQL: a small pre-pinged pool.

    Raises:
        StorageUnavailable: the SQLite directory cannot be created.
    """
    parsed = _async_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_async_engine(
        parsed,
        pool_size=5,
        max_overflow=10,
        pool_pre_ping=True,
        pool_recycle=1800,
        pool_timeout=10,
        connect_args={"timeout": 10},
        hide_parameters=True,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory the repositories share; objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One session in one transaction, committed on success.

    Failures to reach the database, including at commit, become `StorageUnavailable`.
    """
    async with translate_errors(), sessions.begin() as session:
        yield session


def insert_or_conflict(
    session: AsyncSession, entity: type[Base]
) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for ``entity`` that supports ``ON CONFLICT`` on the session's database."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(entity)
    if dialect == "sqlite":
        return sqlite.insert(entity)
    raise NotImplementedError(f"unsupported database {dialect!r}: use SQLite or PostgreSQL")


@asynccontextmanager
async def translate_errors() -> AsyncIterator[None]:
    """Turn connection-level database failures into `StorageUnavailable` (chained).

    Errors that are our bugs (constraint violations, bad SQL) pass through unchanged.
    """
    try:
        yield
    except sa_exc.DBAPIError as exc:
        if not _is_unavailable(exc):
            raise
        logger.debug("database unavailable: %s", type(exc.orig).__name__)
        raise StorageUnavailable(f"database unavailable: {exc.orig}") from exc
    except (sa_exc.TimeoutError, OSError) as exc:
        logger.debug("database unavailable: %s", type(exc).__name__)
        raise StorageUnavailable(f"database unavailable: {exc}") from exc


def alembic_config(*, url: str | None = None) -> Config:
    """Alembic configuration built in code, pointing at ``storage/migrations``.

    Args:
        url: database URL, only needed when Alembic must open its own connection (e.g.
            ``command.revision(alembic_config(url=...), autogenerate=True)``).
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def run_migrations(engine: AsyncEngine, *, cipher: TokenCipher | None = None) -> None:
    """Upgrade the database to the newest migration; a no-op when already there.

    Runs in one transaction holding a lock (PostgreSQL advisory lock, SQLite write lock), so
    processes starting at the same time migrate one after the other.

    Args:
        engine: the database.
        cipher: the token cipher; given, Slack tokens still stored in plain text (written
            before they were encrypted) are encrypted in the same transaction. Alembic's
            migrations cannot: they run without the key.

    Raises:
        StorageUnavailable: the database cannot be reached.
    """
    async with translate_errors(), engine.begin() as connection:
        await connection.run_sync(_upgrade_head)
        if cipher is not None:
            await connection.run_sync(lambda sync: encrypt_plaintext_tokens(sync, cipher=cipher))


def _upgrade_head(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
    elif connection.dialect.name == "sqlite":
        # pysqlite runs DDL outside any transaction unless one is opened explicitly;
        # IMMEDIATE also takes the write lock first, so concurrent starts queue up.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _async_url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername == "postgres":
        parsed = parsed.set(drivername="postgresql")
    return parsed.set(drivername=_ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername))


def _sqlite_engine(url: URL) -> AsyncEngine:
    database = url.database or ""
    on_disk = bool(database) and database != ":memory:" and not database.startswith("file:")
    if on_disk:
        try:
            private_dir(Path(database).parent)
        except OSError as exc:
            raise StorageUnavailable(f"cannot create the database directory: {exc}") from exc
    if database and not url.query:
        engine = create_async_engine(
            url, async_creator=lambda: _open_sqlite(database), hide_parameters=True
        )
    else:
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True
        )
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    if on_disk and url.query:
        event.listen(engine.sync_engine, "do_connect", lambda *_: _private(database))
    return engine


def _private(database: str) -> None:
    """Before a connection opens the file: created 0600, so its -wal/-shm/-journal are too."""
    if database != ":memory:" and not database.startswith("file:"):
        private_sqlite_file(Path(database))


async def _open_sqlite(database: str) -> aiosqlite.Connection:
    await asyncio.to_thread(_private, database)
    connection = aiosqlite.connect(database, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    worker = _worker_thread(connection)
    worker.daemon = True  # as SQLAlchemy's default creator does: never block interpreter exit
    try:
        return await connection
    except BaseException:
        # On a failed open aiosqlite queues its worker's shutdown without awaiting it; wait,
        # or the worker may call back into this event loop after it has closed.
        await asyncio.to_thread(worker.join)
        raise


def _worker_thread(connection: aiosqlite.Connection) -> threading.Thread:
    """The thread aiosqlite will run ``connection`` on (not started until it is awaited).

    The one use of aiosqlite's private parts: 0.22 has no public handle on the thread, yet
    `_open_sqlite` needs it for the daemon flag and the join above (SQLAlchemy's own
    aiosqlite creator reads the same attribute). Per connection, no state is shared.
    """
    return connection._thread


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        _enable_wal(cursor)
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    cursor.execute("PRAGMA journal_mode")
    if cursor.fetchone()[0] == "wal":
        return
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        # Switching needs the file to itself, and SQLite answers "locked" without waiting.
        # WAL is a property of the file: this connection sees it once another one set it.
        logger.debug("journal_mode=WAL deferred: database busy")


def _is_unavailable(exc: sa_exc.DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return isinstance(sqlstate, str) and sqlstate[:2] in _UNAVAILABLE_SQLSTATE_CLASSES
