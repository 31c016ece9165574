"""Recorder ports: the recorder itself and the composer of a finished call's MP4."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from recorder import Outcome, OutputFile, RecordingId, RecordingJob


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
