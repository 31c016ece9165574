"""The live transcript message against the Slack emulator: posted once, edited in place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.transcripts.delivery import thread_target
from bot.core.transcripts.live import SHOWN_LINES, LiveTranscripts
from bot.slack.threads import SlackThreads
from recorder.model import RecordingId, Speaker
from recorder.transcribe.model import Segment
from tests.fixtures_bot import eventually
from tests.fixtures_transcripts import TEAM, Stack, delivery_stack

ANN = Speaker(key="participants/ann", display_name="Ann")


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with delivery_stack(tmp_path) as running:
        yield running


def _live(stack: Stack) -> LiveTranscripts:
    async def client_for(team_id: str) -> AsyncWebClient | None:
        return stack.client if team_id == TEAM else None

    return LiveTranscripts(threads={"slack": SlackThreads(client_for=client_for)}, interval=0.05)


def _line(n: int, text: str = "") -> Segment:
    return Segment(speaker=ANN, start=float(n), end=n + 0.8, text=text or f"line number {n}")


async def test_posted_at_the_first_words_then_edited_in_place(stack: Stack) -> None:
    parent = await stack.parent()
    recording = await stack.recording(parent=parent, segments=())
    live = _live(stack)
    live.watch(recording.id, await thread_target(stack.recordings, recording))
    assert await stack.thread(parent) == []  # nothing said yet: nothing posted

    live.add(recording.id, [_line(1, "Hello <@U0BOB> & <!channel>")])

    async def shown(text: str) -> list[str] | None:
        messages = [m["text"] for m in await stack.thread(parent)]
        return messages if any(text in m for m in messages) else None

    [first] = await eventually(lambda: shown("Hello"), what="the live message")
    assert "`0:01` *Ann*: Hello &lt;@U0BOB&gt; &amp; &lt;!channel&gt;" in first
    live.add(recording.id, [_line(n) for n in range(2, SHOWN_LINES + 5)])
    [edited] = await eventually(lambda: shown("line number 15"), what="the edit")
    assert "…" in edited  # the oldest lines make room for the newest
    assert "Hello" not in edited

    await live.finish(recording.id, note="the call is over")
    [final] = [m["text"] for m in await stack.thread(parent)]
    assert "(the call is over)" in final
    assert not live.watching(recording.id)


async def test_unwatched_recordings_and_silent_calls_post_nothing(stack: Stack) -> None:
    parent = await stack.parent()
    recording = await stack.recording(parent=parent, segments=())
    live = _live(stack)
    live.add(recording.id, [_line(1)])  # not watched
    live.watch(RecordingId("silent"), await thread_target(stack.recordings, recording))
    await live.finish(RecordingId("silent"), note="over")  # nobody spoke
    await live.aclose()
    assert await stack.thread(parent) == []
