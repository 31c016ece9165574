"""TranscriptRepo on SQLAlchemy: transcript segments, stored as the call produces them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recorder.model import RecordingId, Speaker
from recorder.transcribe.model import Segment
from storage.db import Clock, insert_or_conflict, transaction, utcnow
from storage.tables import RecordingRow, TranscriptSegmentRow

logger = logging.getLogger(__name__)

_UNIQUE = ["recording_id", "speaker_key", "start"]
# Rows per INSERT: 7 bound parameters each stays far below SQLite's 32766-variable limit.
_BATCH = 500


class SqlTranscriptRepo:
    """`bot.core.ports.storage.TranscriptRepo` on SQLite or PostgreSQL; one transaction per
    call.

    Args:
        sessions: the session factory from `storage.db.make_sessionmaker`.
        clock: returns the current aware UTC time (stamps ``created_at``).
    """

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def add_segments(self, *, recording_id: RecordingId, segments: Sequence[Segment]) -> None:
        """Insert the segments; those already stored (same speaker and start) are skipped.

        Raises:
            LookupError: no recording has this id.
        """
        if not segments:
            return
        now = self._clock()
        values = [_values(recording_id, segment, now) for segment in segments]
        exists = select(RecordingRow.id).where(RecordingRow.id == recording_id)
        async with transaction(self._sessions) as session:
            if (await session.scalars(exists)).first() is None:
                raise LookupError(f"no recording {recording_id}")
            for first in range(0, len(values), _BATCH):
                query = (
                    insert_or_conflict(session, TranscriptSegmentRow)
                    .values(values[first : first + _BATCH])
                    .on_conflict_do_nothing(index_elements=_UNIQUE)
                )
                await session.execute(query)
        logger.debug("recording %s: %d transcript segments stored", recording_id, len(values))

    async def segments(self, *, recording_id: RecordingId) -> Sequence[Segment]:
        """Ordered by start, then speaker key."""
        query = (
            select(TranscriptSegmentRow)
            .where(TranscriptSegmentRow.recording_id == recording_id)
            .order_by(
                TranscriptSegmentRow.start,
                TranscriptSegmentRow.speaker_key,
                TranscriptSegmentRow.id,
            )
        )
        async with transaction(self._sessions) as session:
            rows = (await session.scalars(query)).all()
        return [_to_segment(row) for row in rows]

    async def delete(self, *, recording_id: RecordingId) -> int:
        query = (
            delete(TranscriptSegmentRow)
            .where(TranscriptSegmentRow.recording_id == recording_id)
            .returning(TranscriptSegmentRow.id)
        )
        async with transaction(self._sessions) as session:
            count = len((await session.scalars(query)).all())
        logger.info("recording %s: %d transcript segments deleted", recording_id, count)
        return count


def _values(recording_id: str, segment: Segment, now: datetime) -> dict[str, object]:
    return {
        "recording_id": recording_id,
        "speaker_key": segment.speaker.key,
        "speaker_name": segment.speaker.display_name,
        "start": segment.start,
        "end": segment.end,
        "text": segment.text,
        "created_at": now,
    }


def _to_segment(row: TranscriptSegmentRow) -> Segment:
    return Segment(
        speaker=Speaker(key=row.speaker_key, display_name=row.speaker_name),
        start=row.start,
        end=row.end,
        text=row.text,
    )
