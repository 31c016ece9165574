"""What the recorder needs from its host (the bot) and what it reports back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from recorder.capture.finalize import FinalizeResult
from recorder.errors import RecorderError
from recorder.model import RecordingId, RecordingState, Speaker
from recorder.signaling import TokenSource
from recorder.transcribe.model import Segment

__all__ = [
    "ConferenceProbe",
    "Outcome",
    "RecordingEvents",
    "RecordingJob",
    "TokenSource",
    "VideoRequest",
]


class ConferenceProbe(Protocol):
    """Whether a call is running in a space (Meet REST ``spaces.get``)."""

    async def active_conference(self, *, space: str) -> str | None:
        """The active conference record's name, or None when no call is running."""
        ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a recording ended.

    Attributes:
        ok: files were produced and hold audio (a ``partial`` one is still ok).
        partial: the capture stopped before the call did (lost media, a crash, a restart).
        cause: in plain words, why it ended or failed.
        error: the failure, when there was one.
        result: the finished files, when there are any.
        speakers: everyone heard or seen in the call.
        segments: the whole transcript, in call order (empty when nobody said a word or
            transcription was off).
        transcript_error: why there is no transcript although there was audio, if so.
    """

    ok: bool
    partial: bool
    cause: str
    error: RecorderError | None = None
    result: FinalizeResult | None = None
    duration: float = 0.0
    speakers: tuple[Speaker, ...] = ()
    stopped_by: str | None = None
    segments: tuple[Segment, ...] = ()
    transcript_error: str | None = None
    video_dir: Path | None = None
    """Where the call's video segments are, when any video was captured (compose it)."""


class RecordingEvents(Protocol):
    """The recorder's progress, for the bot to store and show. Must not raise."""

    async def state_changed(
        self,
        *,
        recording_id: RecordingId,
        state: RecordingState,
        cause: str,
        conference_record: str | None = None,
    ) -> None: ...

    async def speakers_changed(
        self, *, recording_id: RecordingId, present: tuple[Speaker, ...]
    ) -> None: ...

    async def transcribed(
        self, *, recording_id: RecordingId, segments: tuple[Segment, ...]
    ) -> None:
        """New transcript segments, as they are produced during the call (store them)."""
        ...

    async def finished(self, *, recording_id: RecordingId, outcome: Outcome) -> None: ...


@dataclass(frozen=True, slots=True)
class VideoRequest:
    """Receive video: how many streams, and the canvas each asks Meet for (reference §3.5).

    Attributes:
        streams: video m-lines to offer, 1 to 3.
        canvas_width: the largest size a stream is shown at in the composed video...
        canvas_height: ...so Meet sends no more than that.
        frame_rate: frames per second asked for.
    """

    streams: int = 3
    canvas_width: int = 960
    canvas_height: int = 540
    frame_rate: int = 15


@dataclass(frozen=True, slots=True)
class RecordingJob:
    """One recording to run: which space, as whom, where its files go, who to tell."""

    recording_id: RecordingId
    space: str
    work_dir: Path
    tokens: TokenSource
    probe: ConferenceProbe
    events: RecordingEvents
    labels: dict[str, str] = field(default_factory=dict)
    transcribe: bool = True
    live_transcript: bool = False
    """Someone watches the transcript during the call: deliver segments within seconds rather
    than batching a speaker's speech for long (batches are cheaper and more accurate)."""
    video: VideoRequest | None = None
    """Receive and store video too; None records audio only."""
