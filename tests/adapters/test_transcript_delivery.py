"""TranscriptDelivery against the Slack emulator: files upload v2, the summary, links, deletion."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.model import FileKind
from bot.core.transcripts.delivery import thread_target
from bot.web.files import GONE_FILE_TEXT
from recorder.transcribe import formats
from tests.fixtures_transcripts import CHANNEL, SEGMENTS, TEAM, Stack, delivery_stack

_FILE_LINK = re.compile(r"<(http://[^|>]+/files/[^|>]+)\|([A-Za-z]+)>")
EXPECTED = {
    "transcript.txt": formats.to_txt(SEGMENTS).encode(),
    "transcript.vtt": formats.to_vtt(SEGMENTS).encode(),
    "transcript.srt": formats.to_srt(SEGMENTS).encode(),
    "transcript.json": formats.to_json(SEGMENTS, duration=10.0).encode(),
}


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with delivery_stack(tmp_path) as running:
        yield running


def _summary(thread: list[dict[str, Any]]) -> dict[str, Any]:
    [message] = [m for m in thread if "Transcript ready" in m["text"]]
    return message


def _links(message: dict[str, Any]) -> dict[str, str]:
    return {label: url for url, label in _FILE_LINK.findall(message["text"])}


async def _uploaded(stack: Stack, thread: list[dict[str, Any]]) -> dict[str, bytes]:
    [shared] = [m for m in thread if m["files"]]
    assert "Transcript of the call" in shared["text"]
    out = {}
    for file in shared["files"]:
        status, body = await stack.get(file["url"])
        assert status == 200
        out[file["name"]] = body
    return out


async def test_deliver_uploads_stores_and_summarises(stack: Stack) -> None:
    parent = await stack.parent()
    recording = await stack.recording(parent=parent)
    target = await thread_target(stack.recordings, recording)
    assert (target.platform, target.team_id, target.channel_id) == ("slack", TEAM, CHANNEL)
    assert target.thread_id == parent

    await stack.delivery.deliver(recording, segments=SEGMENTS, duration=10.0, target=target)

    thread = await stack.thread(parent)
    assert await _uploaded(stack, thread) == EXPECTED
    summary = _summary(thread)
    text = summary["text"]
    assert "0:10 call, 2 speakers" in text
    assert "> Ann: Good morning, shall we start?\n> Ben: Yes, the budget first." in text
    assert "*Talk time*: Ann 0:05 (53 %) · Ben 0:02 (20 %)" in text  # 5.25 s and 2 s of 10
    links = _links(summary)
    assert sorted(links) == ["JSON", "SRT", "TXT", "WebVTT"]
    for label, name in [("TXT", "txt"), ("WebVTT", "vtt"), ("SRT", "srt"), ("JSON", "json")]:
        assert await stack.get(links[label]) == (200, EXPECTED[f"transcript.{name}"])
    assert f"/meetings/{recording.id}?t=signed" in json.dumps(summary["blocks"])
    assert "Meeting page" in json.dumps(summary["blocks"])
    stored = await stack.recordings.files(recording_id=recording.id)
    assert [(f.kind, f.filename, f.size) for f in stored] == [
        (FileKind.TRANSCRIPT, name, len(data)) for name, data in EXPECTED.items()
    ]


async def test_no_speech_says_so_and_makes_no_files(stack: Stack) -> None:
    parent = await stack.parent()
    recording = await stack.recording(parent=parent, segments=())
    target = await thread_target(stack.recordings, recording)

    await stack.delivery.deliver(recording, segments=(), duration=10.0, target=target)

    thread = await stack.thread(parent)
    assert [m["text"] for m in thread] == [
        ":mute: Nobody was heard speaking during the recording, so there is no transcript "
        "(and no empty transcript files)."
    ]
    assert await stack.recordings.files(recording_id=recording.id) == []
    assert stack.live.sandbox.slack.files == {}


async def test_a_transcription_failure_is_told_with_its_reason(stack: Stack) -> None:
    parent = await stack.parent()
    recording = await stack.recording(parent=parent, segments=())
    target = await thread_target(stack.recordings, recording)

    await stack.delivery.deliver(
        recording,
        segments=(),
        duration=10.0,
        target=target,
        error="the speech model at /models/nope does not exist",
    )

    [message] = await stack.thread(parent)
    assert "The transcript could not be made*: the speech model at /models/nope" in message["text"]
    assert "The audio recording is kept" in message["text"]
    assert await stack.recordings.files(recording_id=recording.id) == []


async def test_a_failure_part_way_posts_what_was_transcribed(stack: Stack) -> None:
    parent = await stack.parent()
    recording = await stack.recording(parent=parent)
    target = await thread_target(stack.recordings, recording)

    await stack.delivery.deliver(
        recording, segments=SEGMENTS, duration=10.0, target=target, error="the engine crashed"
    )

    thread = await stack.thread(parent)
    assert await _uploaded(stack, thread) == EXPECTED
    text = _summary(thread)["text"]
    assert "Transcription stopped part-way (the engine crashed)" in text
    assert "The audio recording is kept." in text


async def test_upload_refused_still_posts_the_links(tmp_path: Path) -> None:
    async with delivery_stack(tmp_path, scopes=("chat:write",), pages=False) as stack:
        parent = await stack.parent()
        recording = await stack.recording(parent=parent)
        target = await thread_target(stack.recordings, recording)

        await stack.delivery.deliver(recording, segments=SEGMENTS, duration=10.0, target=target)

        thread = await stack.thread(parent)
        assert not any(m["files"] for m in thread)
        summary = _summary(thread)
        assert "I couldn't attach the transcript files here (missing_scope)" in summary["text"]
        assert "download links above work" in summary["text"]
        assert await stack.get(_links(summary)["TXT"]) == (200, EXPECTED["transcript.txt"])
        assert "Meeting page" not in json.dumps(summary["blocks"])


async def test_repost_reuses_the_stored_files(stack: Stack) -> None:
    parent = await stack.parent()
    recording = await stack.recording(parent=parent)
    target = await thread_target(stack.recordings, recording)
    await stack.delivery.deliver(recording, segments=SEGMENTS, duration=10.0, target=target)
    first = await stack.recordings.files(recording_id=recording.id)

    assert await stack.delivery.repost(recording, target=target)

    thread = await stack.thread(parent)
    assert len([m for m in thread if "Transcript ready" in m["text"]]) == 2
    assert len([m for m in thread if m["files"]]) == 2
    assert await stack.recordings.files(recording_id=recording.id) == first


async def test_repost_stores_files_a_failed_delivery_never_made(stack: Stack) -> None:
    recording = await stack.recording(parent=None)  # no card: the thread is the channel
    target = await thread_target(stack.recordings, recording)
    assert target.thread_id is None

    assert await stack.delivery.repost(recording, target=target)

    assert len(await stack.recordings.files(recording_id=recording.id)) == 4
    summaries = [m for m in await stack.live.messages(CHANNEL) if "Transcript ready" in m["text"]]
    assert len(summaries) == 1


async def test_delete_removes_files_transcript_and_links(stack: Stack) -> None:
    parent = await stack.parent()
    recording = await stack.recording(parent=parent)
    target = await thread_target(stack.recordings, recording)
    await stack.delivery.deliver(recording, segments=SEGMENTS, duration=10.0, target=target)
    links = _links(_summary(await stack.thread(parent)))

    assert await stack.delivery.delete(recording, by="U0ALICE")

    for url in links.values():
        status, body = await stack.get(url)
        assert (status, body.decode()) == (404, GONE_FILE_TEXT)
    assert await stack.recordings.files(recording_id=recording.id) == []
    assert await stack.transcripts.segments(recording_id=recording.id) == []
    assert await stack.recordings.deleted_at(recording_id=recording.id) == stack.clock.now
    assert not (stack.store.local_path(key=f"recordings/{recording.id}/transcript.txt"))
    notes = [m["text"] for m in await stack.thread(parent) if ":wastebasket:" in m["text"]]
    assert notes == [
        ":wastebasket: <@U0ALICE> deleted the recording, transcript and download links."
    ]

    assert not await stack.delivery.delete(recording, by="U0ALICE")  # said once only
    assert len([m for m in await stack.thread(parent) if ":wastebasket:" in m["text"]]) == 1
    assert not await stack.delivery.repost(recording, target=target)
