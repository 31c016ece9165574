"""What transcription produces and how it fails."""

from __future__ import annotations

from dataclasses import dataclass

from recorder.errors import RecorderError
from recorder.model import Speaker


@dataclass(frozen=True, slots=True)
class Segment:
    """One utterance of one speaker, placed on the call clock.

    Attributes:
        speaker: who said it (the Media API's participant, so never guessed).
        start: seconds since the recording's t=0.
        end: seconds since the recording's t=0 (> start).
        text: what was said, stripped; never empty.
    """

    speaker: Speaker
    start: float
    end: float
    text: str


class TranscriptionError(RecorderError):
    """Transcription failed for this call; the audio is kept regardless."""


class EngineError(TranscriptionError):
    """The speech engine cannot be loaded (missing model path, unknown name, bad settings)."""
