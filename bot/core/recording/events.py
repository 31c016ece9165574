"""The recorder's events, forwarded to the recording flow; none of them ever raises."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from recorder import Outcome, RecordingId, RecordingState, Segment, Speaker

if TYPE_CHECKING:
    from bot.core.recording.flow import RecordingFlow

logger = logging.getLogger(__name__)


class RecordingEvents:
    """`recorder.RecordingEvents` that forwards to the flow; never raises."""

    def __init__(self, flow: RecordingFlow) -> None:
        self._flow = flow

    async def state_changed(
        self,
        *,
        recording_id: RecordingId,
        state: RecordingState,
        cause: str,
        conference_record: str | None = None,
    ) -> None:
        await _safely(self._flow.on_state(recording_id, state, cause, conference_record))

    async def speakers_changed(
        self, *, recording_id: RecordingId, present: tuple[Speaker, ...]
    ) -> None:
        await _safely(self._flow.on_speakers(recording_id, present))

    async def transcribed(
        self, *, recording_id: RecordingId, segments: tuple[Segment, ...]
    ) -> None:
        await _safely(self._flow.on_segments(recording_id, segments))

    async def finished(self, *, recording_id: RecordingId, outcome: Outcome) -> None:
        await _safely(self._flow.on_finished(recording_id, outcome))


async def _safely(work: object) -> None:
    try:
        await work  # type: ignore[misc]
    except Exception:  # event boundary: the recorder must never die of a chat or DB error
        logger.exception("recording event not handled")
