"""Ports for recordings: the recorder itself, finished files, and chat threads outside requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.core.model import CardRef, FileKind, RecordingFile
from bot.core.replies import MeetingCard, Reply
from recorder import FinalizeResult, Outcome, OutputFile, RecordingId, RecordingJob


class RecorderPort(Protocol):
    """`recorder.Recorder` as the core sees it."""

    def start(self, job: RecordingJob) -> object:
        """Start in the background; raises `recorder.RecorderBusy` when full."""
        ...

    def stop(self, recording_id: RecordingId, *, by: str) -> bool:
        """Ask it to leave and finish; False when not running in this process."""
        ...

    async def recover(self, work_dir: Path) -> Outcome:
        """Finish, as partial, what a process that died mid-call left in ``work_dir``."""
        ...


class FilePublisher(Protocol):
    """Keeps finished files (blob store) and makes signed, expiring download links."""

    async def store(
        self, *, recording_id: RecordingId, result: FinalizeResult
    ) -> tuple[RecordingFile, ...]:
        """Move the outputs into the blob store; mixed first, then one per speaker."""
        ...

    async def store_output(self, *, recording_id: RecordingId, output: OutputFile) -> RecordingFile:
        """Move one more output (the composed MP4) into the blob store."""
        ...

    def link(self, *, file: RecordingFile) -> str:
        """A signed ``/files/...`` URL for ``file``."""
        ...

    async def store_bytes(
        self,
        *,
        recording_id: RecordingId,
        kind: FileKind,
        filename: str,
        content_type: str,
        data: bytes,
        duration: float = 0.0,
    ) -> RecordingFile:
        """Keep ``data`` as the recording's file ``filename`` (replacing one of that name).

        Raises:
            ValueError: ``data`` is empty (there are no 0-byte files) or the name is not a
                plain file name.
        """
        ...

    async def delete(self, *, files: Sequence[RecordingFile]) -> int:
        """Delete the files' blobs; returns how many existed. Their links then answer that
        the file is no longer available."""
        ...


class VideoComposer(Protocol):
    """Turns a finished call's stored video and mixed audio into one MP4."""

    async def compose(self, *, work_dir: Path, duration: float) -> OutputFile:
        """Compose the recording in ``work_dir`` (its ``video`` and ``capture`` parts).

        Raises:
            recorder.ComposeError: nothing to compose, or unreadable input;
                the message says why in plain words.
            recorder.ComposeStopped: `aclose` was called while composing.
        """
        ...

    async def aclose(self) -> None:
        """Stop what is being composed, leaving its inputs, and release the workers."""
        ...


class MeetingPageLinks(Protocol):
    """Signed links to a recording's meeting page (``/meetings/<recording id>``)."""

    def link(self, *, recording_id: RecordingId) -> str:
        """An absolute, signed, expiring URL of the page."""
        ...


@dataclass(frozen=True, slots=True)
class ThreadTarget:
    """Where a recording's messages go: a channel (space) and, usually, a thread in it."""

    platform: str
    team_id: str
    channel_id: str
    thread_id: str | None


@dataclass(frozen=True, slots=True)
class Upload:
    """One file to share in a thread (Slack files upload v2)."""

    filename: str
    title: str
    data: bytes


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

    async def upload(
        self,
        *,
        team_id: str,
        channel_id: str,
        thread_id: str | None,
        files: tuple[Upload, ...],
        comment: str,
    ) -> bool:
        """Share ``files`` in the thread with ``comment``; False when the platform cannot
        (Google Chat apps post links instead). Raises `ChatPlatformError` on failure."""
        ...
