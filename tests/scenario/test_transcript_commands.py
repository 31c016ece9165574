"""/meet transcript and /meet delete on the whole bot (Slack, and Chat): reposting, refusals,
deleting.

Recordings are seeded straight through the repositories (READY with transcript segments), as
if a call had just been recorded; the commands then go through the chat emulators.
"""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp

from bot.core.model import FileKind, Recording
from bot.core.ports.storage import NewRecordingRow
from recorder.model import RecordingState, Speaker
from recorder.transcribe.model import Segment
from tests.fixtures_bot import SandboxBot, eventually
from tests.fixtures_gchat import ChatDriver

_FILE_URL = re.compile(r"https?://[^\s|>\"\\]+/files/[^\s|>\"\\]+")
ANN = Speaker(key="participants/1", display_name="Ann")
BEN = Speaker(key="participants/2", display_name="Ben")
SEGMENTS = (
    Segment(speaker=ANN, start=0.5, end=2.0, text="Let's review the roadmap."),
    Segment(speaker=BEN, start=2.5, end=4.0, text="Sure, starting with search."),
)


async def _meeting(bot: SandboxBot) -> tuple[str, str]:
    """A meeting with its card: ``(meeting id, card ts)``."""
    before = len(await bot.cards())
    await bot.command("new roadmap")
    cards = await bot.cards()
    assert len(cards) == before + 1
    card = cards[-1]
    return card["blocks"][0]["block_id"].split(":", 1)[1], card["ts"]


async def _recording(
    bot: SandboxBot,
    meeting_id: str,
    *,
    started_by: str = "U0ALICE",
    state: RecordingState = RecordingState.READY,
    segments: tuple[Segment, ...] = SEGMENTS,
) -> Recording:
    recordings = bot.runtime.repos.recordings
    meeting = await bot.runtime.repos.meetings.get(meeting_id=meeting_id)  # type: ignore[arg-type]
    assert meeting is not None
    assert meeting.space_name is not None
    assert meeting.card is not None
    row = NewRecordingRow(
        meeting_id=meeting_id,
        space_name=meeting.space_name,
        platform=meeting.platform,
        team_id=meeting.team_id,
        channel_id=meeting.channel_id,
        started_by=started_by,
        work_dir="",
        thread_channel=meeting.card.channel_id,
        thread_message_id=meeting.card.message_id,
    )
    recording = await recordings.create(row=row, cause="test")
    assert recording is not None
    steps = [RecordingState.RECORDING, RecordingState.FINALIZING, RecordingState.READY]
    for new in steps[: steps.index(state) + 1]:
        moved = await recordings.transition(
            recording_id=recording.id,
            expected={recording.state},
            new_state=new,
            cause="test",
            duration=4.5 if new is RecordingState.READY else None,
        )
        assert moved is not None
        recording = moved
    await bot.runtime.repos.transcripts.add_segments(recording_id=recording.id, segments=segments)
    return recording


async def _thread(bot: SandboxBot, card_ts: str) -> list[dict[str, Any]]:
    return [m for m in await bot.messages() if m.get("thread_ts") == card_ts]


async def _last_ephemeral(bot: SandboxBot, user: str = "U0ALICE") -> str:
    return (await bot.ephemerals(user=user))[-1]


async def test_transcript_is_posted_again_in_the_thread(connected_bot: SandboxBot) -> None:
    bot = connected_bot
    meeting_id, card_ts = await _meeting(bot)
    recording = await _recording(bot, meeting_id)

    await bot.command("transcript", user="U0BOB")

    assert "posted the transcript again" in await _last_ephemeral(bot, "U0BOB")
    thread = await _thread(bot, card_ts)
    [summary] = [m for m in thread if "Transcript ready" in m["text"]]
    assert "> Ann: Let's review the roadmap.\n> Ben: Sure, starting with search." in summary["text"]
    [shared] = [m for m in thread if m["files"]]
    assert sorted(f["name"] for f in shared["files"]) == [
        "transcript.json",
        "transcript.srt",
        "transcript.txt",
        "transcript.vtt",
    ]
    links = sorted(set(_FILE_URL.findall(json.dumps(summary))))
    assert len(links) == 4
    async with aiohttp.ClientSession() as http, http.get(links[0]) as response:
        assert response.status == 200
    files = await bot.runtime.repos.recordings.files(recording_id=recording.id)
    assert [f.kind for f in files] == [FileKind.TRANSCRIPT] * 4


async def test_transcript_and_delete_explain_why_not(connected_bot: SandboxBot) -> None:
    bot = connected_bot
    meeting_id, card_ts = await _meeting(bot)
    await bot.command("transcript")
    assert "hasn't been recorded" in await _last_ephemeral(bot)
    await bot.command("delete")
    assert "no recording to delete" in await _last_ephemeral(bot)
    await bot.command("transcript nope-nope-nop")
    assert "I don't know a meeting `nope-nope-nop`" in await _last_ephemeral(bot)

    await _recording(bot, meeting_id, segments=())
    await bot.command("transcript")
    assert "nobody was heard speaking" in await _last_ephemeral(bot)

    other_id, other_ts = await _meeting(bot)
    await _recording(bot, other_id, state=RecordingState.RECORDING, segments=())
    await bot.command("transcript")  # the channel's latest meeting: being recorded
    assert "still being recorded" in await _last_ephemeral(bot)
    await bot.command("delete")
    assert "Stop it first" in await _last_ephemeral(bot)


async def test_only_the_recorder_or_an_admin_may_delete(
    connected_bot: SandboxBot,
) -> None:
    bot = connected_bot
    meeting_id, card_ts = await _meeting(bot)
    recording = await _recording(bot, meeting_id, started_by="U0BOB")
    await bot.command("transcript", user="U0BOB")
    [summary] = [m for m in await _thread(bot, card_ts) if "Transcript ready" in m["text"]]
    links = sorted(set(_FILE_URL.findall(json.dumps(summary))))

    await bot.command("delete", user="U0CAROL")
    assert await _last_ephemeral(bot, "U0CAROL") == (
        "Only <@U0BOB>, who started the recording, or a workspace admin can delete it."
    )
    assert await bot.runtime.repos.recordings.deleted_at(recording_id=recording.id) is None

    await bot.command("delete", user="U0ALICE")  # a workspace admin, not the recorder
    assert "Deleted the recording, its transcript and download links" in await _last_ephemeral(bot)

    async def note() -> Any:
        return [m for m in await _thread(bot, card_ts) if ":wastebasket:" in m["text"]]

    [message] = await eventually(note, what="the deletion note in the thread")
    assert message["text"] == (
        ":wastebasket: <@U0ALICE> deleted the recording, transcript and download links."
    )
    async with aiohttp.ClientSession() as http:
        for link in links:
            async with http.get(link) as response:
                assert response.status == 404
                assert "no longer available" in await response.text()
    assert await bot.runtime.repos.transcripts.segments(recording_id=recording.id) == []

    await bot.command("transcript", user="U0BOB")
    assert "were deleted on" in await _last_ephemeral(bot, "U0BOB")
    await bot.command("delete", user="U0BOB")
    assert "were deleted on" in await _last_ephemeral(bot, "U0BOB")

    # the person who started a recording may delete it too
    other_id, other_ts = await _meeting(bot)
    own = await _recording(bot, other_id, started_by="U0CAROL")
    await bot.command("delete", user="U0CAROL")
    assert "Deleted the recording" in await _last_ephemeral(bot, "U0CAROL")
    assert await bot.runtime.repos.recordings.deleted_at(recording_id=own.id) is not None
    notes = [m["text"] for m in await _thread(bot, other_ts) if ":wastebasket:" in m["text"]]
    assert notes == [
        ":wastebasket: <@U0CAROL> deleted the recording, transcript and download links."
    ]


async def test_in_google_chat_the_summary_links_the_files(connected_chat: ChatDriver) -> None:
    chat = connected_chat
    await chat.command("/meet new roadmap")
    [card] = await eventually(chat.cards, what="the meeting card")
    meeting_id = card["cardsV2"][0]["cardId"].removeprefix("meeting-")
    await _recording(chat.bot, meeting_id, started_by="users/alice")

    await chat.command("/meet transcript")

    assert any("posted the transcript again" in t for t in await chat.private_texts())
    [summary] = [m for m in await chat.messages() if "Transcript ready" in m.get("text", "")]
    assert summary["thread"]["name"] == card["thread"]["name"]
    assert "couldn't attach" not in summary["text"]  # Chat apps link files, nothing failed
    links = sorted(set(_FILE_URL.findall(json.dumps(summary))))
    assert len(links) == 4
    async with aiohttp.ClientSession() as http, http.get(links[0]) as response:
        assert response.status == 200
