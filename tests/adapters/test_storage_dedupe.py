"""SqlEventDedupe against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.errors import StorageUnavailable
from storage.db import make_sessionmaker
from storage.repos import Repos, SqlEventDedupe


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_first_time_only_once(repos: Repos) -> None:
    assert await repos.dedupe.first_time(key="slack:Ev1") is True
    assert await repos.dedupe.first_time(key="slack:Ev1") is False
    assert await repos.dedupe.first_time(key="slack:Ev2") is True


async def test_concurrent_deliveries_have_one_first(repos: Repos) -> None:
    results = await asyncio.gather(*(repos.dedupe.first_time(key="slack:Ev9") for _ in range(8)))

    assert sorted(results) == [False] * 7 + [True]


async def test_long_keys_are_remembered(repos: Repos) -> None:
    key = "gchat:" + "x" * 400

    assert await repos.dedupe.first_time(key=key) is True
    assert await repos.dedupe.first_time(key=key) is False
    assert await repos.dedupe.first_time(key=key + "y") is True


async def test_keys_older_than_retention_are_forgotten(engine: AsyncEngine) -> None:
    clock = Clock()
    dedupe = SqlEventDedupe(sessions=make_sessionmaker(engine), clock=clock)
    await dedupe.first_time(key="old")

    clock.now += timedelta(minutes=30)
    assert await dedupe.first_time(key="old") is False
    clock.now += timedelta(days=1)
    assert await dedupe.first_time(key="other") is True  # prunes "old"
    assert await dedupe.first_time(key="old") is True


async def test_unreachable_database_raises_storage_unavailable(
    unreachable_engine: AsyncEngine,
) -> None:
    dedupe = SqlEventDedupe(sessions=make_sessionmaker(unreachable_engine))
    with pytest.raises(StorageUnavailable):
        await dedupe.first_time(key="k")
