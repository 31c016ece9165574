"""SqlMeetingRepo against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.errors import StorageUnavailable
from bot.core.model import (
    AccessType,
    CardRef,
    ConferenceRecordName,
    MeetingId,
    MeetingState,
    NewMeetingRow,
    Space,
    SpaceName,
)
from storage.crypto import TokenCipher
from storage.db import make_sessionmaker
from storage.repos import Repos, SqlMeetingRepo, build_repos

ROW = NewMeetingRow(
    platform="slack", team_id="T1", channel_id="C1", created_by="U1", title="Standup"
)
SPACE = Space(
    name=SpaceName("spaces/jQCFfuBOdN5z"),
    meeting_uri="https://meet.google.com/abc-mnop-xyz",
    meeting_code="abc-mnop-xyz",
    access_type=AccessType.TRUSTED,
    active_conference=ConferenceRecordName("conferenceRecords/r1"),
)


class Ticking:
    """A clock that moves one second per reading."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def meetings(repos: Repos) -> SqlMeetingRepo:
    assert isinstance(repos.meetings, SqlMeetingRepo)
    return repos.meetings


@pytest.fixture
def ticking(engine: AsyncEngine) -> SqlMeetingRepo:
    return SqlMeetingRepo(sessions=make_sessionmaker(engine), clock=Ticking())


async def test_create_stores_requested_meeting_and_first_event(meetings: SqlMeetingRepo) -> None:
    meeting = await meetings.create(row=ROW, cause="command")

    assert meeting.state is MeetingState.REQUESTED
    assert (meeting.platform, meeting.team_id, meeting.channel_id) == ("slack", "T1", "C1")
    assert meeting.created_at.tzinfo is not None
    assert meeting.space_name is None
    assert meeting.card is None
    assert await meetings.get(meeting_id=meeting.id) == meeting
    [event] = await meetings.events(meeting_id=meeting.id)
    assert (event.old_state, event.new_state, event.cause, event.actor) == (
        None,
        MeetingState.REQUESTED,
        "command",
        "U1",
    )


async def test_get_unknown_is_none(meetings: SqlMeetingRepo) -> None:
    assert await meetings.get(meeting_id=MeetingId("nope")) is None


async def test_set_space_and_card(meetings: SqlMeetingRepo) -> None:
    meeting = await meetings.create(row=ROW, cause="command")

    with_space = await meetings.set_space(meeting_id=meeting.id, space=SPACE)
    with_card = await meetings.set_card(
        meeting_id=meeting.id, card=CardRef(channel_id="C1", message_id="1712.0001")
    )

    assert with_space.space_name == "spaces/jQCFfuBOdN5z"
    assert with_space.meeting_code == "abc-mnop-xyz"
    assert with_space.access_type is AccessType.TRUSTED
    assert with_card.card == CardRef(channel_id="C1", message_id="1712.0001")
    assert with_card.meeting_uri == SPACE.meeting_uri
    assert await meetings.get(meeting_id=meeting.id) == with_card


async def test_set_space_on_unknown_meeting_raises(meetings: SqlMeetingRepo) -> None:
    with pytest.raises(LookupError):
        await meetings.set_space(meeting_id=MeetingId("nope"), space=SPACE)


@pytest.mark.parametrize(
    "ref",
    [
        "spaces/jQCFfuBOdN5z",
        "spaces/abc-mnop-xyz",
        "abc-mnop-xyz",
        "ABCMNOPXYZ",
        "https://meet.google.com/abc-mnop-xyz",
        "https://meet.google.com/abc-mnop-xyz?authuser=1",
        "<https://meet.google.com/abc-mnop-xyz|Join>",
        "  meet.google.com/abc-mnop-xyz ",
    ],
)
async def test_find_by_any_reference(meetings: SqlMeetingRepo, ref: str) -> None:
    meeting = await meetings.create(row=ROW, cause="command")
    meeting = await meetings.set_space(meeting_id=meeting.id, space=SPACE)

    assert await meetings.find(platform="slack", team_id="T1", ref=ref) == meeting


async def test_find_by_our_id_and_misses(meetings: SqlMeetingRepo) -> None:
    meeting = await meetings.create(row=ROW, cause="command")
    await meetings.set_space(meeting_id=meeting.id, space=SPACE)

    assert await meetings.find(platform="slack", team_id="T1", ref=meeting.id) is not None
    assert await meetings.find(platform="slack", team_id="T2", ref=meeting.id) is None
    assert await meetings.find(platform="gchat", team_id="T1", ref="abc-mnop-xyz") is None
    assert await meetings.find(platform="slack", team_id="T1", ref="zzz-zzzz-zzz") is None
    assert await meetings.find(platform="slack", team_id="T1", ref="  ") is None


async def test_channel_listing_is_newest_first(ticking: SqlMeetingRepo) -> None:
    first = await ticking.create(row=ROW, cause="command")
    second = await ticking.create(row=ROW, cause="command")
    other = NewMeetingRow(
        platform="slack", team_id="T1", channel_id="C2", created_by="U1", title="x"
    )
    await ticking.create(row=other, cause="command")

    listed = await ticking.list_in_channel(platform="slack", team_id="T1", channel_id="C1", limit=5)
    latest = await ticking.latest_in_channel(platform="slack", team_id="T1", channel_id="C1")

    assert [m.id for m in listed] == [second.id, first.id]
    assert latest == second
    assert await ticking.latest_in_channel(platform="slack", team_id="T9", channel_id="C1") is None
    limited = await ticking.list_in_channel(
        platform="slack", team_id="T1", channel_id="C1", limit=1
    )
    assert [m.id for m in limited] == [second.id]


async def test_transition_writes_event_and_ended_at(ticking: SqlMeetingRepo) -> None:
    meeting = await ticking.create(row=ROW, cause="command")

    created = await ticking.transition(
        meeting_id=meeting.id,
        expected=MeetingState.REQUESTED,
        new_state=MeetingState.SPACE_CREATED,
        cause="space created",
        actor=None,
    )
    ended = await ticking.transition(
        meeting_id=meeting.id,
        expected=MeetingState.SPACE_CREATED,
        new_state=MeetingState.ENDED,
        cause="end command",
        actor="U2",
    )

    assert created is not None
    assert created.state is MeetingState.SPACE_CREATED
    assert created.ended_at is None
    assert ended is not None
    assert ended.state is MeetingState.ENDED
    assert ended.ended_at is not None
    assert ended.ended_at > meeting.created_at
    events = await ticking.events(meeting_id=meeting.id)
    assert [(e.old_state, e.new_state, e.actor) for e in events] == [
        (None, MeetingState.REQUESTED, "U1"),
        (MeetingState.REQUESTED, MeetingState.SPACE_CREATED, None),
        (MeetingState.SPACE_CREATED, MeetingState.ENDED, "U2"),
    ]
    assert events[2].at == ended.ended_at


async def test_transition_from_wrong_state_loses_cleanly(meetings: SqlMeetingRepo) -> None:
    meeting = await meetings.create(row=ROW, cause="command")

    lost = await meetings.transition(
        meeting_id=meeting.id,
        expected=MeetingState.SPACE_CREATED,
        new_state=MeetingState.ENDED,
        cause="end",
        actor="U1",
    )

    assert lost is None
    assert await meetings.get(meeting_id=meeting.id) == meeting
    assert len(await meetings.events(meeting_id=meeting.id)) == 1


async def test_transition_unknown_meeting_is_none(meetings: SqlMeetingRepo) -> None:
    moved = await meetings.transition(
        meeting_id=MeetingId("nope"),
        expected=MeetingState.REQUESTED,
        new_state=MeetingState.FAILED,
        cause="x",
        actor=None,
    )
    assert moved is None


async def test_concurrent_transitions_have_one_winner(meetings: SqlMeetingRepo) -> None:
    meeting = await meetings.create(row=ROW, cause="command")
    targets = [MeetingState.SPACE_CREATED, MeetingState.FAILED] * 4

    results = await asyncio.gather(
        *(
            meetings.transition(
                meeting_id=meeting.id,
                expected=MeetingState.REQUESTED,
                new_state=target,
                cause="race",
                actor=None,
            )
            for target in targets
        )
    )

    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    stored = await meetings.get(meeting_id=meeting.id)
    assert stored is not None
    assert stored.state is winners[0].state
    assert len(await meetings.events(meeting_id=meeting.id)) == 2


async def test_unreachable_database_raises_storage_unavailable(
    unreachable_engine: AsyncEngine, cipher: TokenCipher
) -> None:
    meetings = build_repos(engine=unreachable_engine, cipher=cipher).meetings
    with pytest.raises(StorageUnavailable) as caught:
        await meetings.create(row=ROW, cause="command")
    assert caught.value.__cause__ is not None
    with pytest.raises(StorageUnavailable):
        await meetings.get(meeting_id=MeetingId("x"))
