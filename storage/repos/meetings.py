"""MeetingRepo on SQLAlchemy: meetings, their Meet spaces and cards, and lifecycle events."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from uuid import uuid4

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.model import (
    AccessType,
    CardRef,
    Meeting,
    MeetingEvent,
    MeetingId,
    MeetingState,
    NewMeetingRow,
    Platform,
    Space,
    SpaceName,
)
from storage.db import Clock, transaction, utcnow
from storage.repos.meeting_refs import normalize_code, ref_condition
from storage.tables import MeetingEventRow, MeetingRow

logger = logging.getLogger(__name__)


class SqlMeetingRepo:
    """`bot.core.ports.storage.MeetingRepo` on SQLite or PostgreSQL; one transaction per call.

    Args:
        sessions: the session factory from `storage.db.make_sessionmaker`.
        clock: returns the current aware UTC time (tests pass a fixed one).
    """

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def create(self, *, row: NewMeetingRow, cause: str) -> Meeting:
        """Insert a meeting in state REQUESTED and its first event (old_state None)."""
        now = self._clock()
        meeting = MeetingRow(
            id=str(uuid4()),
            platform=row.platform,
            team_id=row.team_id,
            channel_id=row.channel_id,
            created_by=row.created_by,
            title=row.title,
            state=MeetingState.REQUESTED.value,
            created_at=now,
        )
        async with transaction(self._sessions) as session:
            session.add(meeting)
            await session.flush()
            session.add(
                _event(meeting.id, None, MeetingState.REQUESTED, cause, row.created_by, now)
            )
        logger.info("meeting %s requested in %s/%s", meeting.id, row.platform, row.channel_id)
        return _to_meeting(meeting)

    async def get(self, *, meeting_id: MeetingId) -> Meeting | None:
        return await self._first(select(MeetingRow).where(MeetingRow.id == meeting_id))

    async def find(self, *, platform: str, team_id: str, ref: str) -> Meeting | None:
        """Find by our id, space name (``spaces/x``), meeting code or meeting URI."""
        condition = ref_condition(ref)
        if condition is None:
            return None
        return await self._first(
            _in_team(platform, team_id).where(condition).order_by(MeetingRow.created_at.desc())
        )

    async def latest_in_channel(
        self, *, platform: str, team_id: str, channel_id: str
    ) -> Meeting | None:
        found = await self.list_in_channel(
            platform=platform, team_id=team_id, channel_id=channel_id, limit=1
        )
        return found[0] if found else None

    async def list_in_channel(
        self, *, platform: str, team_id: str, channel_id: str, limit: int
    ) -> Sequence[Meeting]:
        """Newest first."""
        query = (
            _in_team(platform, team_id)
            .where(MeetingRow.channel_id == channel_id)
            .order_by(MeetingRow.created_at.desc(), MeetingRow.id.desc())
            .limit(limit)
        )
        async with transaction(self._sessions) as session:
            rows = (await session.scalars(query)).all()
        return [_to_meeting(row) for row in rows]

    async def set_space(self, *, meeting_id: MeetingId, space: Space) -> Meeting:
        """Record the Meet space created for the meeting.

        Raises:
            LookupError: no meeting has this id.
        """
        return await self._update(
            meeting_id,
            space_name=space.name,
            meeting_uri=space.meeting_uri,
            meeting_code=normalize_code(space.meeting_code),
            access_type=space.access_type.value,
        )

    async def set_card(self, *, meeting_id: MeetingId, card: CardRef) -> Meeting:
        """Record where the meeting's card was posted.

        Raises:
            LookupError: no meeting has this id.
        """
        return await self._update(
            meeting_id, card_channel=card.channel_id, card_message_id=card.message_id
        )

    async def transition(
        self,
        *,
        meeting_id: MeetingId,
        expected: MeetingState,
        new_state: MeetingState,
        cause: str,
        actor: str | None,
    ) -> Meeting | None:
        """Compare-and-set ``expected`` → ``new_state`` and write the event, atomically.

        Returns None when the meeting is not (or no longer) in ``expected``. Entering ENDED
        also stamps ``ended_at``.
        """
        now = self._clock()
        values: dict[str, Any] = {"state": new_state.value}
        if new_state is MeetingState.ENDED:
            values["ended_at"] = now
        query = (
            update(MeetingRow)
            .where(MeetingRow.id == meeting_id, MeetingRow.state == expected.value)
            .values(**values)
            .returning(MeetingRow)
        )
        async with transaction(self._sessions) as session:
            row = (await session.scalars(query)).one_or_none()
            if row is None:
                return None
            session.add(_event(meeting_id, expected, new_state, cause, actor, now))
        logger.info("meeting %s: %s -> %s (%s)", meeting_id, expected, new_state, cause)
        return _to_meeting(row)

    async def events(self, *, meeting_id: MeetingId) -> Sequence[MeetingEvent]:
        """Oldest first."""
        query = (
            select(MeetingEventRow)
            .where(MeetingEventRow.meeting_id == meeting_id)
            .order_by(MeetingEventRow.at, MeetingEventRow.id)
        )
        async with transaction(self._sessions) as session:
            rows = (await session.scalars(query)).all()
        return [_to_event(row) for row in rows]

    async def _first(self, query: Select[MeetingRow]) -> Meeting | None:
        async with transaction(self._sessions) as session:
            row = (await session.scalars(query.limit(1))).first()
        return _to_meeting(row) if row is not None else None

    async def _update(self, meeting_id: MeetingId, **values: str) -> Meeting:
        query = (
            update(MeetingRow)
            .where(MeetingRow.id == meeting_id)
            .values(**values)
            .returning(MeetingRow)
        )
        async with transaction(self._sessions) as session:
            row = (await session.scalars(query)).one_or_none()
        if row is None:
            raise LookupError(f"no meeting {meeting_id}")
        return _to_meeting(row)


def _in_team(platform: str, team_id: str) -> Select[MeetingRow]:
    return select(MeetingRow).where(MeetingRow.platform == platform, MeetingRow.team_id == team_id)


def _event(
    meeting_id: str,
    old: MeetingState | None,
    new: MeetingState,
    cause: str,
    actor: str | None,
    at: datetime,
) -> MeetingEventRow:
    return MeetingEventRow(
        meeting_id=meeting_id,
        old_state=old.value if old is not None else None,
        new_state=new.value,
        cause=cause,
        actor=actor,
        at=at,
    )


def _to_meeting(row: MeetingRow) -> Meeting:
    card = None
    if row.card_channel is not None and row.card_message_id is not None:
        card = CardRef(channel_id=row.card_channel, message_id=row.card_message_id)
    return Meeting(
        id=MeetingId(row.id),
        platform=cast(Platform, row.platform),
        team_id=row.team_id,
        channel_id=row.channel_id,
        created_by=row.created_by,
        title=row.title,
        state=MeetingState(row.state),
        space_name=SpaceName(row.space_name) if row.space_name is not None else None,
        meeting_code=row.meeting_code,
        meeting_uri=row.meeting_uri,
        access_type=AccessType(row.access_type) if row.access_type is not None else None,
        card=card,
        created_at=row.created_at,
        ended_at=row.ended_at,
    )


def _to_event(row: MeetingEventRow) -> MeetingEvent:
    return MeetingEvent(
        meeting_id=MeetingId(row.meeting_id),
        old_state=MeetingState(row.old_state) if row.old_state is not None else None,
        new_state=MeetingState(row.new_state),
        cause=row.cause,
        actor=row.actor,
        at=row.at,
    )
