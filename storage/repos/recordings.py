"""RecordingRepo on SQLAlchemy: recordings, their lifecycle events, speakers and files."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import Select, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.model import FileKind, Recording, RecordingFile
from bot.core.ports.storage import NewRecordingRow, RecordingEvent
from recorder.model import RecordingId, RecordingState, Speaker
from storage.db import Clock, insert_or_conflict, transaction, utcnow
from storage.tables import RecordingEventRow, RecordingFileRow, RecordingRow

logger = logging.getLogger(__name__)

FINAL_STATES = frozenset({RecordingState.READY, RecordingState.FAILED})
_UNFINISHED = [state.value for state in RecordingState if state not in FINAL_STATES]


class SqlRecordingRepo:
    """`bot.core.ports.storage.RecordingRepo` on SQLite or PostgreSQL; one transaction per call.

    Args:
        sessions: the session factory from `storage.db.make_sessionmaker`.
        clock: returns the current aware UTC time (tests pass a fixed one).
    """

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def create(self, *, row: NewRecordingRow, cause: str) -> Recording | None:
        """Insert a STARTING recording and its first event; None if the space has a live one.

        The unique ``active_key`` (the space name until final) makes the insert do nothing.
        """
        now = self._clock()
        recording_id = str(uuid4())
        values = asdict(row) | {
            "id": recording_id,
            "state": RecordingState.STARTING.value,
            "partial": False,
            "active_key": row.space_name,
            "started_at": now,
            "speakers": "[]",
        }
        async with transaction(self._sessions) as session:
            query = (
                insert_or_conflict(session, RecordingRow)
                .values(**values)
                .on_conflict_do_nothing(index_elements=[RecordingRow.active_key])
                .returning(RecordingRow)
            )
            created = (await session.scalars(query)).one_or_none()
            if created is None:
                logger.info("recording of %s refused: one is already live", row.space_name)
                return None
            session.add(
                _event(recording_id, None, RecordingState.STARTING, cause, row.started_by, now)
            )
        logger.info("recording %s of %s starting", recording_id, row.space_name)
        return _to_recording(created)

    async def get(self, *, recording_id: RecordingId) -> Recording | None:
        return await self._first(select(RecordingRow).where(RecordingRow.id == recording_id))

    async def active_for_space(self, *, space_name: str) -> Recording | None:
        return await self._first(select(RecordingRow).where(RecordingRow.active_key == space_name))

    async def unfinished(self) -> Sequence[Recording]:
        """Recordings neither READY nor FAILED, oldest first."""
        return await self._all(
            select(RecordingRow)
            .where(RecordingRow.state.in_(_UNFINISHED))
            .order_by(RecordingRow.started_at, RecordingRow.id)
        )

    async def latest_for_meeting(self, *, meeting_id: str) -> Recording | None:
        return await self._first(
            select(RecordingRow)
            .where(RecordingRow.meeting_id == meeting_id)
            .order_by(RecordingRow.started_at.desc(), RecordingRow.id.desc())
        )

    async def transition(
        self,
        *,
        recording_id: RecordingId,
        expected: Collection[RecordingState],
        new_state: RecordingState,
        cause: str,
        actor: str | None = None,
        partial: bool | None = None,
        reason: str | None = None,
        conference_record: str | None = None,
        joined_at: datetime | None = None,
        ended_at: datetime | None = None,
        duration: float | None = None,
    ) -> Recording | None:
        """Compare-and-set from one of ``expected`` to ``new_state`` and write the event.

        Each expected state is tried as its own conditional UPDATE, so the event knows the
        old state without a read-then-write race. Final states clear ``active_key``.
        """
        optional: dict[str, Any] = {
            "partial": partial,
            "reason": reason,
            "conference_record": conference_record,
            "joined_at": joined_at,
            "ended_at": ended_at,
            "duration": duration,
        }
        values = {k: v for k, v in optional.items() if v is not None}
        values["state"] = new_state.value
        if new_state in FINAL_STATES:
            values["active_key"] = None
        now = self._clock()
        async with transaction(self._sessions) as session:
            for old in dict.fromkeys(expected):
                query = (
                    update(RecordingRow)
                    .where(RecordingRow.id == recording_id, RecordingRow.state == old.value)
                    .values(**values)
                    .returning(RecordingRow)
                )
                row = (await session.scalars(query)).one_or_none()
                if row is not None:
                    session.add(_event(recording_id, old, new_state, cause, actor, now))
                    break
            else:
                return None
        logger.info("recording %s: %s -> %s (%s)", recording_id, old, new_state, cause)
        return _to_recording(row)

    async def set_speakers(self, *, recording_id: RecordingId, speakers: Sequence[Speaker]) -> None:
        """Replace the participant list; LookupError if no recording has this id."""
        encoded = json.dumps([asdict(speaker) for speaker in speakers])  # key, display_name
        await self._update(recording_id, speakers=encoded)

    async def set_notice(self, *, recording_id: RecordingId, message_id: str) -> None:
        """Remember the thread's status message; LookupError if no recording has this id."""
        await self._update(recording_id, notice_message_id=message_id)

    async def notice(self, *, recording_id: RecordingId) -> str | None:
        query = select(RecordingRow.notice_message_id).where(RecordingRow.id == recording_id)
        async with transaction(self._sessions) as session:
            return (await session.scalars(query)).first()

    async def thread(self, *, recording_id: RecordingId) -> tuple[str, str] | None:
        query = select(RecordingRow.thread_channel, RecordingRow.thread_message_id).where(
            RecordingRow.id == recording_id
        )
        async with transaction(self._sessions) as session:
            found = (await session.execute(query)).first()
        channel, message = found if found is not None else (None, None)
        return (channel, message) if channel is not None and message is not None else None

    async def add_files(self, *, recording_id: RecordingId, files: Sequence[RecordingFile]) -> None:
        """Append files after those already stored; LookupError if no recording has this id."""
        exists = select(RecordingRow.id).where(RecordingRow.id == recording_id)
        last = select(func.max(RecordingFileRow.position)).where(
            RecordingFileRow.recording_id == recording_id
        )
        async with transaction(self._sessions) as session:
            if (await session.scalars(exists)).first() is None:
                raise LookupError(f"no recording {recording_id}")
            start = ((await session.scalars(last)).first() or 0) + 1
            session.add_all(
                _file_row(recording_id, file, start + index) for index, file in enumerate(files)
            )

    async def files(self, *, recording_id: RecordingId) -> Sequence[RecordingFile]:
        """Mixed first, then speakers in the order they were added."""
        async with transaction(self._sessions) as session:
            rows = (await session.scalars(_files_query(recording_id))).all()
        return [_to_file(row) for row in rows]

    async def events(self, *, recording_id: RecordingId) -> Sequence[RecordingEvent]:
        """Oldest first."""
        query = (
            select(RecordingEventRow)
            .where(RecordingEventRow.recording_id == recording_id)
            .order_by(RecordingEventRow.at, RecordingEventRow.id)
        )
        async with transaction(self._sessions) as session:
            rows = (await session.scalars(query)).all()
        return [_to_event(row) for row in rows]

    async def delete_files(self, *, recording_id: RecordingId) -> Sequence[RecordingFile]:
        """Remove the file rows and return them in `files` order (empty when there are none)."""
        async with transaction(self._sessions) as session:
            rows = (await session.scalars(_files_query(recording_id))).all()
            await session.execute(
                delete(RecordingFileRow).where(RecordingFileRow.recording_id == recording_id)
            )
        return [_to_file(row) for row in rows]

    async def mark_deleted(self, *, recording_id: RecordingId, by: str, at: datetime) -> bool:
        """Set ``deleted_at`` once, with an event keeping the state (cause ``deleted by <by>``)."""
        query = (
            update(RecordingRow)
            .where(RecordingRow.id == recording_id, RecordingRow.deleted_at.is_(None))
            .values(deleted_at=at)
            .returning(RecordingRow.state)
        )
        async with transaction(self._sessions) as session:
            state = (await session.scalars(query)).one_or_none()
            if state is None:
                return False
            current = RecordingState(state)
            session.add(_event(recording_id, current, current, f"deleted by {by}", by, at))
        logger.info("recording %s marked deleted by %s", recording_id, by)
        return True

    async def deleted_at(self, *, recording_id: RecordingId) -> datetime | None:
        query = select(RecordingRow.deleted_at).where(RecordingRow.id == recording_id)
        async with transaction(self._sessions) as session:
            return (await session.scalars(query)).first()

    async def ended_before(self, *, cutoff: datetime, limit: int = 100) -> Sequence[Recording]:
        """Final, undeleted recordings that ended (or, never having ended, started) before
        ``cutoff``, oldest first."""
        ended = func.coalesce(RecordingRow.ended_at, RecordingRow.started_at)
        return await self._all(
            select(RecordingRow)
            .where(
                RecordingRow.state.in_([state.value for state in FINAL_STATES]),
                RecordingRow.deleted_at.is_(None),
                ended < cutoff,
            )
            .order_by(ended, RecordingRow.id)
            .limit(limit)
        )

    async def _first(self, query: Select[RecordingRow]) -> Recording | None:
        found = await self._all(query.limit(1))
        return found[0] if found else None

    async def _all(self, query: Select[RecordingRow]) -> list[Recording]:
        async with transaction(self._sessions) as session:
            rows = (await session.scalars(query)).all()
        return [_to_recording(row) for row in rows]

    async def _update(self, recording_id: RecordingId, **values: str) -> None:
        query = (
            update(RecordingRow)
            .where(RecordingRow.id == recording_id)
            .values(**values)
            .returning(RecordingRow.id)
        )
        async with transaction(self._sessions) as session:
            found = (await session.scalars(query)).one_or_none()
        if found is None:
            raise LookupError(f"no recording {recording_id}")


def _files_query(recording_id: str) -> Select[RecordingFileRow]:
    mixed_first = case((RecordingFileRow.kind == FileKind.MIXED.value, 0), else_=1)
    return (
        select(RecordingFileRow)
        .where(RecordingFileRow.recording_id == recording_id)
        .order_by(mixed_first, RecordingFileRow.position, RecordingFileRow.id)
    )


def _event(
    recording_id: str,
    old: RecordingState | None,
    new: RecordingState,
    cause: str,
    actor: str | None,
    at: datetime,
) -> RecordingEventRow:
    return RecordingEventRow(
        recording_id=recording_id,
        old_state=old.value if old is not None else None,
        new_state=new.value,
        cause=cause,
        actor=actor,
        at=at,
    )


def _to_event(row: RecordingEventRow) -> RecordingEvent:
    old = RecordingState(row.old_state) if row.old_state is not None else None
    return (old, RecordingState(row.new_state), row.cause, row.at)


def _file_row(recording_id: str, file: RecordingFile, position: int) -> RecordingFileRow:
    return RecordingFileRow(
        recording_id=recording_id,
        kind=file.kind.value,
        blob_key=file.blob_key,
        filename=file.filename,
        content_type=file.content_type,
        size=file.size,
        duration=file.duration,
        speaker_key=file.speaker.key if file.speaker is not None else None,
        speaker_name=file.speaker.display_name if file.speaker is not None else None,
        position=position,
    )


def _to_file(row: RecordingFileRow) -> RecordingFile:
    speaker = None
    if row.speaker_key is not None:
        speaker = Speaker(key=row.speaker_key, display_name=row.speaker_name or "")
    return RecordingFile(
        kind=FileKind(row.kind),
        blob_key=row.blob_key,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        duration=row.duration,
        speaker=speaker,
    )


def _to_recording(row: RecordingRow) -> Recording:
    return Recording(
        id=RecordingId(row.id),
        meeting_id=row.meeting_id,
        space_name=row.space_name,
        conference_record=row.conference_record,
        platform=row.platform,
        team_id=row.team_id,
        channel_id=row.channel_id,
        started_by=row.started_by,
        state=RecordingState(row.state),
        partial=row.partial,
        reason=row.reason,
        started_at=row.started_at,
        joined_at=row.joined_at,
        ended_at=row.ended_at,
        duration=row.duration,
        work_dir=row.work_dir,
        speakers=tuple(Speaker(**item) for item in json.loads(row.speakers)),
    )
