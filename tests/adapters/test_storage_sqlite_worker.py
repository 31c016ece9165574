"""aiosqlite's worker threads: daemons while open, and gone when an open fails."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import create_engine


def _workers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}


async def test_an_open_connection_runs_on_a_daemon_thread(tmp_path: Path) -> None:
    before = _workers()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'meetbot.db'}")
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar() == 1
            started = _workers() - before
            assert started
            assert all(worker.daemon for worker in started)
    finally:
        await engine.dispose()


async def test_a_failed_open_leaves_no_worker_behind(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db' / 'meetbot.db'}")
    (tmp_path / "db").rmdir()
    (tmp_path / "db").write_text("not a directory")
    before = _workers()
    try:
        with pytest.raises(Exception, match="unable to open database file"):
            async with engine.connect():
                pass
        assert _workers() - before == set()
    finally:
        await engine.dispose()
