"""Who may act on a meeting in Google Chat: a space is the channel, a DM with the app is private.

Alice created a meeting in the space "project" (Bob is a member, Carol is not); a call is in
progress and a recording with its transcript is stored. Each row is one command (or a press on
a copy of the card) from one place, and either runs or is answered like an unknown meeting
with nothing revealed and nothing changed. test_authorization.py has the full Slack table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.core.model import Meeting, MeetingId
from bot.core.ports.storage import NewRecordingRow
from bot.core.texts import meetings as messages
from bot.core.texts import recording as rtexts
from recorder.model import RecordingState
from sandbox.gchat.state import APP_USER, ChatSpace
from tests.authz_world import SECRETS, SEGMENTS
from tests.fixtures_bot import eventually
from tests.fixtures_gchat import GENERAL, ChatDriver

PROJECT = "spaces/PROJECT"
RAN, HIDDEN = "ran", "refused as unknown"
ROWS = [  # (who, user, where, command, expected)
    ("creator", "alice", PROJECT, "status", RAN),
    ("member", "bob", PROJECT, "status", RAN),
    ("creator in a DM", "alice", "spaces/DMalice", "status", RAN),
    ("member in their DM", "bob", "spaces/DMbob", "status", HIDDEN),
    ("outsider in their DM", "carol", "spaces/DMcarol", "transcript", HIDDEN),
    *[("other space", "carol", GENERAL, verb, HIDDEN) for verb in ("status", "transcript")],
    *[("other space", "carol", GENERAL, verb, HIDDEN) for verb in ("stop", "end", "delete")],
    ("other space", "carol", GENERAL, "record", HIDDEN),
]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: who may act does not depend on the database."""
    return f"sqlite+aiosqlite:///{tmp_path / 'meetbot.db'}"


async def test_a_space_is_the_channel(chat: ChatDriver) -> None:
    meeting = await _meeting_in_project(chat)
    failures = []
    for who, user, where, verb, expected in ROWS:
        before = await _state(chat, meeting)
        seen = _shown_to(chat, user)
        await chat.command(f"/meet {verb} {meeting.meeting_code}", user=user, space=where)
        await chat.bot.settle()
        shown = [text for key, text in _shown_to(chat, user).items() if key not in seen]
        try:
            if expected == RAN:
                assert len(shown) == 1, shown
                assert "In the call:" in shown[0], shown
            else:
                ref = meeting.meeting_code
                refusal = rtexts.not_recording() if verb == "stop" else messages.no_meeting(ref)
                assert shown == [refusal.text], shown
                assert not any(secret in text for text in shown for secret in SECRETS)
                assert await _state(chat, meeting) == before, "something changed"
        except AssertionError as exc:
            failures.append(f"{verb} by {who}: expected {expected}: {exc}")
    assert not failures, "\n".join(failures)


async def test_a_card_pressed_in_another_space_acts_on_nothing(chat: ChatDriver) -> None:
    meeting = await _meeting_in_project(chat)
    state = chat.bot.sandbox.chat
    assert meeting.card is not None
    card = state.message(meeting.card.message_id)
    assert card is not None
    copy = state.new_message(space=state.spaces[GENERAL], sender=APP_USER, body=dict(card.body))
    before = await _state(chat, meeting)
    seen = _shown_to(chat, "carol")

    await chat.click(copy.name, "meet_status", user="carol", space=GENERAL)
    await chat.bot.settle()

    shown = [text for key, text in _shown_to(chat, "carol").items() if key not in seen]
    assert shown == [messages.no_meeting(meeting.id).text]
    assert await _state(chat, meeting) == before


async def _meeting_in_project(chat: ChatDriver) -> Meeting:
    """Alice's meeting in "project", a call with Ann and Ben, and a recording of it."""
    state = chat.bot.sandbox.chat
    members = {"users/alice", "users/bob", APP_USER}
    state.spaces[PROJECT] = ChatSpace(PROJECT, "project", "SPACE", members, {"users/alice"})
    await chat.connect("alice")
    await chat.command("/meet new plan", space=PROJECT)
    [card] = await eventually(lambda: chat.cards(PROJECT), what="the meeting card")
    meeting_id = MeetingId(card["cardsV2"][0]["cardId"].removeprefix("meeting-"))
    meeting = await chat.bot.runtime.repos.meetings.get(meeting_id=meeting_id)
    assert meeting is not None
    people = [{"name": "Ann"}, {"name": "Ben"}]
    await chat.bot.api(
        "POST", "meet/conferences", {"space": meeting.meeting_code, "participants": people}
    )
    await _ready_recording(chat, meeting)
    return meeting


async def _ready_recording(chat: ChatDriver, meeting: Meeting) -> None:
    assert meeting.space_name is not None
    assert meeting.card is not None
    repos = chat.bot.runtime.repos
    row = NewRecordingRow(
        meeting_id=meeting.id,
        space_name=meeting.space_name,
        platform="gchat",
        team_id=meeting.team_id,
        channel_id=meeting.channel_id,
        started_by="users/alice",
        work_dir="",
        thread_channel=meeting.card.channel_id,
        thread_message_id=meeting.card.message_id,
    )
    recording = await repos.recordings.create(row=row, cause="test")
    assert recording is not None
    for new in (RecordingState.RECORDING, RecordingState.FINALIZING, RecordingState.READY):
        moved = await repos.recordings.transition(
            recording_id=recording.id, expected={recording.state}, new_state=new, cause="test"
        )
        assert moved is not None
        recording = moved
    await repos.transcripts.add_segments(recording_id=recording.id, segments=SEGMENTS)


def _shown_to(chat: ChatDriver, user: str) -> dict[str, str]:
    """The app's messages only ``user`` can see: private ones anywhere, and their DM."""
    name, dm = f"users/{user}", f"spaces/DM{user}"
    return {
        m.name: str(m.body.get("text", ""))
        for m in chat.bot.sandbox.chat.messages
        if m.by_app and (m.private_to == name or m.space == dm)
    }


async def _state(chat: ChatDriver, meeting: Meeting) -> tuple[Any, ...]:
    """The meeting, its recording, and what all of "project" sees (threads included)."""
    repos = chat.bot.runtime.repos
    found = await repos.meetings.get(meeting_id=meeting.id)
    latest = await repos.recordings.latest_for_meeting(meeting_id=meeting.id)
    assert found is not None
    assert latest is not None
    deleted = await repos.recordings.deleted_at(recording_id=latest.id)
    project = [
        (m.name, str(m.body), m.last_update_time)
        for m in chat.bot.sandbox.chat.messages
        if m.space == PROJECT and m.private_to is None
    ]
    return found.state, latest.state, deleted, project
