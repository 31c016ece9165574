"""A Slack sandbox for authorization tables: a #project channel, its people, fresh meetings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.model import Meeting, MeetingId, Recording
from bot.core.ports.storage import NewRecordingRow
from recorder.model import RecordingState, Speaker
from recorder.transcribe.model import Segment
from sandbox.slack.state import BOT_USER_ID, SlackChannel
from tests.fixtures_bot import SandboxBot, eventually

PROJECT = "C0PROJECT"
GENERAL = "C0GENERAL"
CREATOR, ADMIN, MEMBER, OUTSIDER = "U0BOB", "U0ALICE", "U0CAROL", "U0DAVE"
PEOPLE = (CREATOR, ADMIN, MEMBER, OUTSIDER)
ANN = Speaker(key="participants/1", display_name="Ann")
SEGMENTS = (Segment(speaker=ANN, start=0.5, end=2.0, text="Let's review the secret roadmap."),)
SECRETS = ("Ann", "Ben", "secret roadmap")
"""What a refused person must never see: names in the call, words of the transcript."""


@dataclass(frozen=True)
class Fresh:
    """One meeting in #project, created by Bob, with its card."""

    meeting: Meeting
    card_ts: str

    @property
    def code(self) -> str:
        assert self.meeting.meeting_code is not None
        return self.meeting.meeting_code

    @property
    def space(self) -> str:
        assert self.meeting.space_name is not None
        return self.meeting.space_name


async def build_world(bot: SandboxBot) -> None:
    """#project (Bob, Alice the admin, Carol, the bot); Dave is in the workspace, not in it.

    Everyone links Google, so what refuses a command is never a missing link."""
    slack = bot.sandbox.slack
    slack.ensure_user(OUTSIDER)
    members = {CREATOR, ADMIN, MEMBER, BOT_USER_ID}
    slack.channels[PROJECT] = SlackChannel(PROJECT, "project", members, int(slack.clock()))
    for user in PEOPLE:
        assert (await bot.consent(user))["status"] == 200

        async def told(user: str = user) -> bool:
            seen = (await seen_by(bot, user)).values()
            return any("connected to Google" in text for text in seen)

        await eventually(told, what=f"{user} told they are connected")


async def fresh_meeting(bot: SandboxBot) -> Fresh:
    await bot.command("new plan", user=CREATOR, channel=PROJECT)
    card = (await bot.cards(PROJECT))[-1]
    block = next(b for b in card["blocks"] if b.get("block_id", "").startswith("meeting:"))
    meeting_id = MeetingId(block["block_id"].split(":", 1)[1])
    meeting = await bot.runtime.repos.meetings.get(meeting_id=meeting_id)
    assert meeting is not None
    return Fresh(meeting=meeting, card_ts=card["ts"])


async def ready_recording(bot: SandboxBot, fresh: Fresh) -> Recording:
    """A finished recording of Bob's with a transcript, stored as the recorder would."""
    recordings = bot.runtime.repos.recordings
    row = NewRecordingRow(
        meeting_id=fresh.meeting.id,
        space_name=fresh.space,
        platform="slack",
        team_id=fresh.meeting.team_id,
        channel_id=PROJECT,
        started_by=CREATOR,
        work_dir="",
        thread_channel=PROJECT,
        thread_message_id=fresh.card_ts,
    )
    recording = await recordings.create(row=row, cause="test")
    assert recording is not None
    for new in (RecordingState.RECORDING, RecordingState.FINALIZING, RecordingState.READY):
        moved = await recordings.transition(
            recording_id=recording.id, expected={recording.state}, new_state=new, cause="test"
        )
        assert moved is not None
        recording = moved
    await bot.runtime.repos.transcripts.add_segments(recording_id=recording.id, segments=SEGMENTS)
    return recording


async def live_recording(
    bot: SandboxBot, fresh: Fresh, *, state: RecordingState = RecordingState.STARTING
) -> Recording:
    """Bob records; by default there is no call, so the recorder waits for one (``STARTING``)."""
    await bot.command(f"record {fresh.code}", user=CREATOR, channel=PROJECT)

    async def reached() -> Recording | None:
        found = await bot.runtime.repos.recordings.active_for_space(space_name=fresh.space)
        return found if found is not None and found.state is state else None

    recording = await eventually(reached, within=15, what=f"the recording {state}")
    await eventually(lambda: _card_has(bot, fresh, "meet_stop"), what="Stop on the card")
    return recording


async def call_in_progress(bot: SandboxBot, fresh: Fresh) -> None:
    people = [{"name": "Ann"}, {"name": "Ben"}]
    await bot.api("POST", "meet/conferences", {"space": fresh.code, "participants": people})


async def stop_everything(bot: SandboxBot, fresh: Fresh) -> None:
    """Bob stops what a row left recording, and the recorder lets go of it."""
    recordings = bot.runtime.repos.recordings
    if await recordings.active_for_space(space_name=fresh.space) is None:
        return
    await bot.command(f"stop {fresh.code}", user=CREATOR, channel=PROJECT)

    async def gone() -> bool:
        return await recordings.active_for_space(space_name=fresh.space) is None

    await eventually(gone, within=10, what="the recording to stop")
    await bot.settle()


async def _card_has(bot: SandboxBot, fresh: Fresh, action_id: str) -> bool:
    card = next(m for m in await bot.messages(PROJECT) if m["ts"] == fresh.card_ts)
    return action_id in str(card["blocks"])


async def copy_card_to(bot: SandboxBot, fresh: Fresh, channel: str) -> str:
    """The card, as if shared into ``channel``: same blocks and buttons; returns its ts."""
    slack = bot.sandbox.slack
    original = slack.find_message(PROJECT, fresh.card_ts)
    assert original is not None
    copy = slack.bot_message(channel=channel, text=original.text, blocks=original.blocks)
    return slack.add_message(copy).ts


async def seen_by(bot: SandboxBot, user: str) -> dict[tuple[str, str], str]:
    """Everything the bot has shown ``user`` privately, anywhere, and in their DM, by
    (channel, ts)."""
    await bot.settle()
    seen: dict[tuple[str, str], str] = {}
    for channel in (PROJECT, GENERAL, "C0RANDOM", user):  # a user id opens their DM
        for m in await bot.messages(channel):
            if m.get("ephemeral_to") == user or channel == user:
                seen[(channel, m["ts"])] = m["text"]
    return seen


async def shown_since(bot: SandboxBot, user: str, before: dict[tuple[str, str], str]) -> list[str]:
    """What ``user`` was shown since ``before`` (a `seen_by`)."""
    return [text for key, text in (await seen_by(bot, user)).items() if key not in before]


async def public_in_project(bot: SandboxBot) -> list[tuple[Any, ...]]:
    """What the channel sees: each message (threads included), its text, blocks and edits."""
    return [
        (m["ts"], m.get("thread_ts"), m["text"], str(m["blocks"]), m.get("updated"))
        for m in await bot.messages(PROJECT)
        if not m.get("ephemeral_to")
    ]


async def state_of(bot: SandboxBot, fresh: Fresh) -> tuple[Any, ...]:
    """The meeting's state, its latest recording (state, deletion) and the live one."""
    repos = bot.runtime.repos
    meeting = await repos.meetings.get(meeting_id=fresh.meeting.id)
    latest = await repos.recordings.latest_for_meeting(meeting_id=fresh.meeting.id)
    live = await repos.recordings.active_for_space(space_name=fresh.space)
    deleted = await repos.recordings.deleted_at(recording_id=latest.id) if latest else None
    return (
        meeting.state if meeting else None,
        (latest.id, latest.state) if latest else None,
        deleted,
        (live.id, live.state, live.started_by) if live else None,
    )
