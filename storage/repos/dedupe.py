"""EventDedupe on SQLAlchemy: remembers delivered event ids for a day."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import Clock, insert_or_conflict, transaction, utcnow
from storage.tables import ProcessedEventRow

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255


class SqlEventDedupe:
    """`bot.core.ports.storage.EventDedupe` on SQLite or PostgreSQL.

    Keys older than ``retention`` are deleted, at most once per ``prune_every``.

    Args:
        sessions: the session factory from `storage.db.make_sessionmaker`.
        clock: returns the current aware UTC time.
        retention: how long a key is remembered (Slack retries within minutes).
        prune_every: minimum time between two prunes.
    """

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock = utcnow,
        retention: timedelta = timedelta(days=1),
        prune_every: timedelta = timedelta(hours=1),
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._retention = retention
        self._prune_every = prune_every
        self._last_prune: datetime | None = None

    async def first_time(self, *, key: str) -> bool:
        """Record ``key``; True the first time it is seen, False after."""
        now = self._clock()
        prune = self._last_prune is None or now - self._last_prune >= self._prune_every
        async with transaction(self._sessions) as session:
            if prune:
                cutoff = now - self._retention
                await session.execute(
                    delete(ProcessedEventRow).where(ProcessedEventRow.seen_at < cutoff)
                )
            query = (
                insert_or_conflict(session, ProcessedEventRow)
                .values(key=_fit(key), seen_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(ProcessedEventRow.key)
            )
            inserted = (await session.execute(query)).first() is not None
        if prune:
            self._last_prune = now
        if not inserted:
            logger.debug("duplicate delivery %s dropped", key)
        return inserted


def _fit(key: str) -> str:
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
