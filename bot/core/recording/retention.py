"""The retention sweep: recordings older than the retention period are deleted, periodically."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.core.errors import StorageUnavailable
from bot.core.model import Recording
from bot.core.ports.storage import RecordingRepo
from bot.core.texts.transcripts import RETENTION
from bot.core.transcripts.delivery import TranscriptDelivery
from bot.logs import log_context
from recorder import RecordingId

logger = logging.getLogger(__name__)

BATCH = 100


class RetentionSweeper:
    """Deletes recordings (files, transcript, links) that ended more than ``retention_days``
    ago, saying so in their threads.

    Args:
        recordings: finds the recordings due.
        delivery: deletes them.
        retention_days: how long recordings are kept; None keeps them (the sweep does nothing).
        interval: seconds between sweeps in `run`.
        clock: the current aware UTC time.
    """

    def __init__(
        self,
        *,
        recordings: RecordingRepo,
        delivery: TranscriptDelivery,
        retention_days: float | None,
        interval: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._recordings = recordings
        self._delivery = delivery
        self._retention = timedelta(days=retention_days) if retention_days else None
        self._interval = interval
        self._clock = clock

    async def sweep_once(self) -> int:
        """Delete every recording that is due; returns how many were deleted.

        A recording whose deletion fails is logged and skipped until the next sweep.

        Raises:
            StorageUnavailable: the database cannot be reached.
        """
        if self._retention is None:
            return 0
        cutoff = self._clock() - self._retention
        tried: set[RecordingId] = set()
        deleted = 0
        while True:
            due = [
                r
                for r in await self._recordings.ended_before(cutoff=cutoff, limit=BATCH)
                if r.id not in tried
            ]
            if not due:
                break
            for recording in due:
                tried.add(recording.id)
                deleted += await self._delete(recording)
        if deleted:
            logger.info("retention sweep deleted %d recordings ended before %s", deleted, cutoff)
        return deleted

    async def run(self) -> None:
        """Sweep every ``interval`` seconds until cancelled (returns at once when retention is
        off)."""
        if self._retention is None:
            return
        while True:
            try:
                await self.sweep_once()
            except StorageUnavailable:
                logger.warning("retention sweep skipped: database unavailable")
            except Exception:  # task boundary: the next sweep tries again
                logger.exception("retention sweep failed")
            await asyncio.sleep(self._interval)

    async def _delete(self, recording: Recording) -> bool:
        with log_context(recording_id=recording.id):
            try:
                return await self._delivery.delete(recording, by=RETENTION)
            except StorageUnavailable:
                raise
            except Exception:  # one bad recording must not stop the sweep
                logger.exception("retention: recording not deleted")
                return False
