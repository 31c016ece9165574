"""The live transcript message: posted in the thread at the first words, edited in place."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.errors import ChatPlatformError
from bot.core.model import CardRef
from bot.core.ports.chat import ChatThreads, ThreadTarget
from bot.core.replies import Reply
from bot.core.texts.recording import clock
from bot.core.texts.transcripts import escape
from recorder import RecordingId, Segment

logger = logging.getLogger(__name__)

SHOWN_LINES = 12


@dataclass(slots=True)
class _Live:
    target: ThreadTarget
    segments: list[Segment] = field(default_factory=list)
    dirty: asyncio.Event = field(default_factory=asyncio.Event)
    finishing: asyncio.Event = field(default_factory=asyncio.Event)
    note: str | None = None
    ref: CardRef | None = None
    task: asyncio.Task[None] | None = None


class LiveTranscripts:
    """Keeps one message per watched recording showing its latest transcript lines.

    Edits are at most one per ``interval`` seconds per recording (Slack's ``chat.update`` is
    rate limited per workspace); the last edit, on `finish`, says the call is over.

    Args:
        threads: chat platforms by name (``slack``, ``gchat``).
        interval: seconds between edits of one message.
    """

    def __init__(self, *, threads: dict[str, ChatThreads], interval: float) -> None:
        self._threads = threads
        self._interval = interval
        self._live: dict[RecordingId, _Live] = {}

    def watch(self, recording_id: RecordingId, target: ThreadTarget) -> None:
        """Show ``recording_id``'s transcript live in ``target`` (posted at the first words)."""
        self._live.setdefault(recording_id, _Live(target=target))

    def watching(self, recording_id: RecordingId) -> bool:
        return recording_id in self._live

    def add(self, recording_id: RecordingId, segments: Sequence[Segment]) -> None:
        """New segments of a watched recording (others are ignored)."""
        live = self._live.get(recording_id)
        if live is None or not segments or live.finishing.is_set():
            return
        live.segments.extend(segments)
        live.dirty.set()
        if live.task is None:
            # owner: LiveTranscripts; `finish` awaits it, `aclose` cancels and awaits it
            live.task = asyncio.create_task(
                self._follow(live), name=f"live-transcript-{recording_id}"
            )

    async def finish(self, recording_id: RecordingId, *, note: str) -> None:
        """Last edit with ``note``, then forget the recording (no message: nothing to do)."""
        live = self._live.pop(recording_id, None)
        if live is None or live.task is None:
            return
        live.note = note
        live.finishing.set()
        live.dirty.set()
        await live.task

    async def aclose(self) -> None:
        """Stop following every recording (shutdown); messages keep their last text."""
        lives = list(self._live.values())
        self._live.clear()
        for live in lives:
            if live.task is not None:
                live.task.cancel()
        for live in lives:
            if live.task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await live.task

    async def _follow(self, live: _Live) -> None:
        while True:
            await live.dirty.wait()
            live.dirty.clear()
            await self._show(live)
            if live.finishing.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(live.finishing.wait(), self._interval)

    async def _show(self, live: _Live) -> None:
        threads = self._threads.get(live.target.platform)
        if threads is None:
            return
        reply = live_reply(live.segments, note=live.note)
        try:
            if live.ref is None:
                live.ref = await threads.post(
                    team_id=live.target.team_id,
                    channel_id=live.target.channel_id,
                    thread_id=live.target.thread_id,
                    reply=reply,
                )
            else:
                await threads.update(team_id=live.target.team_id, ref=live.ref, reply=reply)
        except ChatPlatformError as exc:
            logger.warning("live transcript not shown: %s", exc.reason)


def live_reply(segments: Sequence[Segment], *, note: str | None) -> Reply:
    """The message: the latest lines, oldest first, and what is going on."""
    head = ":speech_balloon: *Live transcript*"
    status = note or "updated every few seconds while the call runs"
    shown = sorted(segments, key=lambda s: s.start)[-SHOWN_LINES:]
    lines = [f"{head} ({status})"]
    if len(segments) > len(shown):
        lines.append("…")
    lines.extend(
        f"`{clock(s.start)}` *{escape(s.speaker.display_name)}*: {escape(s.text)}" for s in shown
    )
    return Reply(text="\n".join(lines))
