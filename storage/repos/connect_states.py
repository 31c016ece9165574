"""ConnectStateRepo on SQLAlchemy: single-use, expiring OAuth states for Google linking."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.model import ChatUser, PendingConnect, Platform
from storage.db import Clock, transaction, utcnow
from storage.tables import ConnectStateRow

logger = logging.getLogger(__name__)

# Expired states are kept this long (for debugging), then deleted when new ones are issued.
KEEP_EXPIRED = timedelta(days=1)


class SqlConnectStateRepo:
    """`bot.core.ports.storage.ConnectStateRepo` on SQLite or PostgreSQL.

    Args:
        sessions: the session factory from `storage.db.make_sessionmaker`.
        clock: returns the current aware UTC time (used only to prune old states).
    """

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def issue(self, *, pending: PendingConnect) -> None:
        """Store a new state; also deletes states that expired over a day ago."""
        row = ConnectStateRow(
            state=pending.state,
            platform=pending.user.platform,
            team_id=pending.user.team_id,
            user_id=pending.user.user_id,
            channel_id=pending.channel_id,
            expires_at=pending.expires_at,
        )
        cutoff = self._clock() - KEEP_EXPIRED
        async with transaction(self._sessions) as session:
            await session.execute(
                delete(ConnectStateRow).where(ConnectStateRow.expires_at < cutoff)
            )
            session.add(row)

    async def consume(self, *, state: str, now: datetime) -> PendingConnect | None:
        """Return and invalidate the state; None if unknown, used or expired.

        A single conditional UPDATE marks it consumed, so of two concurrent callers
        exactly one gets it.
        """
        query = (
            update(ConnectStateRow)
            .where(
                ConnectStateRow.state == state,
                ConnectStateRow.consumed_at.is_(None),
                ConnectStateRow.expires_at > now,
            )
            .values(consumed_at=now)
            .returning(ConnectStateRow)
        )
        async with transaction(self._sessions) as session:
            row = (await session.scalars(query)).one_or_none()
        if row is None:
            logger.info("OAuth state refused: unknown, used or expired")
            return None
        return _to_pending(row)


def _to_pending(row: ConnectStateRow) -> PendingConnect:
    user = ChatUser(platform=cast(Platform, row.platform), team_id=row.team_id, user_id=row.user_id)
    return PendingConnect(
        state=row.state, user=user, channel_id=row.channel_id, expires_at=row.expires_at
    )
