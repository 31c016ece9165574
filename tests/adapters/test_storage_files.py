"""The database, its companions, key files and data directories are owner-only on disk."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app.sandbox_mode import sandbox_settings
from bot.settings import Settings
from sandbox.app import SandboxConfig, build_sandbox
from storage.blobs import LocalBlobStore
from storage.db import create_engine, run_migrations
from storage.files import write_private


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o002, 0o000], ids=lambda umask: f"umask {umask:03o}")
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """The process umask for the test (a permissive one must not matter)."""
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("umask")
async def test_a_new_sqlite_database_and_its_wal_files_are_private(tmp_path: Path) -> None:
    database = tmp_path / "var" / "data" / "meetbot.db"
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        await run_migrations(engine)
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO processed_events VALUES ('k', '2025')"))
        files = sorted(database.parent.iterdir())
        modes = {path.name: _mode(path) for path in files}
    finally:
        await engine.dispose()

    assert {"meetbot.db", "meetbot.db-wal", "meetbot.db-shm"} <= set(modes)
    assert modes == dict.fromkeys(modes, 0o600)
    assert (_mode(tmp_path / "var"), _mode(database.parent)) == (0o700, 0o700)


@pytest.mark.usefixtures("umask")
async def test_an_older_world_readable_database_is_made_private(tmp_path: Path) -> None:
    database = tmp_path / "meetbot.db"
    legacy = sqlite3.connect(database)  # an older meetbot, its WAL files still there
    try:
        legacy.execute("PRAGMA journal_mode=WAL")
        legacy.execute("CREATE TABLE t (x)")
        legacy.commit()
        companions = [tmp_path / "meetbot.db-wal", tmp_path / "meetbot.db-shm"]
        for path in (database, *companions):
            path.chmod(0o644)

        engine = create_engine(f"sqlite+aiosqlite:///{database}")
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT count(*) FROM t"))
        finally:
            await engine.dispose()

        assert [_mode(path) for path in (database, *companions)] == [0o600] * 3
    finally:
        legacy.close()


@pytest.mark.usefixtures("umask")
async def test_the_blob_store_creates_its_root_private(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("transcript")
    store = LocalBlobStore(root=tmp_path / "data" / "blobs")

    await store.put_file(key="rec/1/transcript.txt", source=source, content_type="text/plain")

    assert _mode(tmp_path / "data") == 0o700
    assert _mode(tmp_path / "data" / "blobs") == 0o700


@pytest.mark.usefixtures("umask")
def test_a_key_file_is_private_from_its_first_byte(tmp_path: Path) -> None:
    path = tmp_path / "new" / "token.key"

    write_private(path, "secret")

    assert path.read_text() == "secret"
    assert (_mode(path), _mode(path.parent)) == (0o600, 0o700)


@pytest.mark.usefixtures("umask")
def test_the_sandbox_token_key_and_data_dir_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox-data"
    groups = build_sandbox(SandboxConfig()).bot_settings(base_url="http://127.0.0.1:9")

    settings = sandbox_settings(Settings(_env_file=None), groups=groups, data_dir=data_dir)  # type: ignore[call-arg]

    key_file = data_dir / "sandbox-token.key"
    assert settings.storage.token_key is not None
    assert key_file.read_text() == settings.storage.token_key.get_secret_value()
    assert (_mode(key_file), _mode(data_dir)) == (0o600, 0o700)
