"""The storage port for transcripts: segments stored as they are produced during the call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from recorder import RecordingId, Segment


class TranscriptRepo(Protocol):
    """Transcript segments of recordings.

    Every method raises `bot.core.errors.StorageUnavailable` when the database cannot be
    reached.
    """

    async def add_segments(self, *, recording_id: RecordingId, segments: Sequence[Segment]) -> None:
        """Append segments (one transaction); duplicates of (speaker, start) are ignored."""
        ...

    async def segments(self, *, recording_id: RecordingId) -> Sequence[Segment]:
        """The recording's transcript ordered by start time, then speaker."""
        ...

    async def delete(self, *, recording_id: RecordingId) -> int:
        """Remove every segment of the recording; returns how many there were."""
        ...
