"""Ports for recordings: the recorder itself, finished files, and chat threads outside requests."""

from __future__ import annotations

from typing import Protocol

from bot.core.model import CardRef
from bot.core.replies import MeetingCard, Reply
from recorder.capture.finalize import FinalizeResult
from recorder.model import RecordingFile, RecordingId
from recorder.ports import RecordingJob


class RecorderPort(Protocol):
    """`recorder.service.Recorder` as the core sees it."""

    def start(self, job: RecordingJob) -> object:
        """Start in the background; raises `recorder.service.RecorderBusy` when full."""
        ...

    def stop(self, recording_id: RecordingId, *, by: str) -> bool:
        """Ask it to leave and finish; False when not running in this process."""
        ...


class FilePublisher(Protocol):
    """Keeps finished files (blob store) and makes signed, expiring download links."""

    async def store(
        self, *, recording_id: RecordingId, result: FinalizeResult
    ) -> tuple[RecordingFile, ...]:
        """Move the outputs into the blob store; mixed first, then one per speaker."""
        ...

    def link(self, *, file: RecordingFile) -> str:
        """A signed ``/files/...`` URL for ``file``."""
        ...


class ChatThreads(Protocol):
    """Posts and edits messages in a workspace outside any request (background work)."""

    async def post(
        self, *, team_id: str, channel_id: str, thread_id: str | None, reply: Reply
    ) -> CardRef:
        """Post ``reply`` (in ``thread_id``'s thread when given); return where it landed."""
        ...

    async def update(self, *, team_id: str, ref: CardRef, reply: Reply) -> None:
        """Edit a message posted by `post` in place."""
        ...

    async def update_card(self, *, team_id: str, ref: CardRef, card: MeetingCard) -> None:
        """Edit a meeting card in place."""
        ...
