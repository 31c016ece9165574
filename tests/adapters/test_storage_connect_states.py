"""SqlConnectStateRepo against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.errors import StorageUnavailable
from bot.core.model import ChatUser, PendingConnect
from storage.db import make_sessionmaker
from storage.repos import Repos, SqlConnectStateRepo

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
PENDING = PendingConnect(
    state="s-1",
    user=ChatUser(platform="gchat", team_id="customers/1", user_id="users/42"),
    channel_id="spaces/AAA",
    expires_at=NOW + timedelta(minutes=10),
)


async def test_consume_returns_pending_once(repos: Repos) -> None:
    await repos.connect_states.issue(pending=PENDING)

    first = await repos.connect_states.consume(state="s-1", now=NOW)
    second = await repos.connect_states.consume(state="s-1", now=NOW)

    assert first == PENDING
    assert second is None


async def test_unknown_state_is_none(repos: Repos) -> None:
    assert await repos.connect_states.consume(state="nope", now=NOW) is None


async def test_expired_state_is_none(repos: Repos) -> None:
    await repos.connect_states.issue(pending=PENDING)

    assert await repos.connect_states.consume(state="s-1", now=PENDING.expires_at) is None
    later = PENDING.expires_at + timedelta(seconds=1)
    assert await repos.connect_states.consume(state="s-1", now=later) is None


async def test_concurrent_consumers_get_it_once(repos: Repos) -> None:
    await repos.connect_states.issue(pending=PENDING)

    results = await asyncio.gather(
        *(repos.connect_states.consume(state="s-1", now=NOW) for _ in range(10))
    )

    assert [r for r in results if r is not None] == [PENDING]


async def test_issue_prunes_states_expired_over_a_day(engine: AsyncEngine) -> None:
    states = SqlConnectStateRepo(
        sessions=make_sessionmaker(engine), clock=lambda: NOW + timedelta(days=2)
    )
    await states.issue(pending=PENDING)
    fresh = PendingConnect(
        state="s-2",
        user=PENDING.user,
        channel_id="spaces/AAA",
        expires_at=NOW + timedelta(days=2, minutes=10),
    )

    await states.issue(pending=fresh)

    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT state FROM connect_states"))).all()
    assert [row[0] for row in rows] == ["s-2"]


async def test_unreachable_database_raises_storage_unavailable(
    unreachable_engine: AsyncEngine,
) -> None:
    states = SqlConnectStateRepo(sessions=make_sessionmaker(unreachable_engine))
    with pytest.raises(StorageUnavailable):
        await states.issue(pending=PENDING)
    with pytest.raises(StorageUnavailable):
        await states.consume(state="s-1", now=NOW)
