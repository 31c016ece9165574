"""Finishing: close the capture, finalize the files, and say how the recording ended (`Outcome`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from recorder.capture.capture import CallCapture, CaptureSummary
from recorder.capture.finalize import FinalizeError, finalize
from recorder.connection.model import MEDIA_LOST, SessionEnd
from recorder.errors import Cancelled, NoAudio, RecorderError
from recorder.model import Speaker
from recorder.ports import Outcome
from recorder.session.options import GOODBYES, SHUTDOWN
from recorder.transcribe.live import LiveResult, LiveTranscript
from recorder.video.session_video import SessionVideo
from recorder.workdir import WorkDir
from recorder.workers import run_in

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Ending:
    """Why the call part ended: Meet's last word (or lost media), a failure, who stopped it."""

    end: SessionEnd | None = None
    failure: RecorderError | None = None
    stopped_by: str | None = None

    @property
    def partial(self) -> bool:
        return (
            self.failure is not None
            or self.stopped_by == SHUTDOWN
            or (self.end is not None and self.end.reason not in GOODBYES)
        )

    @property
    def cause(self) -> str:
        return _cause(self.end, self.failure, self.stopped_by)


@dataclass(frozen=True, slots=True)
class Leftovers:
    """What the call left to finish: the capture, the video, the live transcript, the folder."""

    capture: CallCapture
    video: SessionVideo | None
    live: LiveTranscript
    work: WorkDir
    executor: Executor


async def finish(
    ending: Ending, left: Leftovers, *, finalizing: Callable[[str], Awaitable[None]]
) -> Outcome:
    """Close what the call left and write the files; ``finalizing`` reports the state first."""
    summary = left.capture.close()
    video_dir = left.video.close() if left.video is not None else None
    if not left.capture.started or not summary.voiced:
        await left.live.close(duration=summary.duration)
        return _nothing_recorded(ending, summary, started=left.capture.started)
    await finalizing(ending.cause)
    live = await left.live.close(duration=summary.duration)
    try:
        result = await run_in(
            left.executor,
            finalize,
            work_dir=left.work.capture,
            out_dir=left.work.out,
            duration=summary.duration,
            premixed=live.mixed,
        )
    except (FinalizeError, OSError) as exc:
        logger.exception("finalizing failed")
        return _unwritten(exc, ending, summary, live, video_dir)
    return Outcome(
        ok=result.voiced,
        partial=ending.partial,
        cause=ending.cause,
        error=ending.failure,
        result=result,
        duration=result.duration,
        speakers=_speakers(summary),
        stopped_by=ending.stopped_by,
        segments=live.segments,
        transcript_error=live.error,
        video_dir=video_dir,
    )


def _nothing_recorded(ending: Ending, summary: CaptureSummary, *, started: bool) -> Outcome:
    failure, stopped_by = ending.failure, ending.stopped_by
    if failure is None and not started and stopped_by is not None:
        failure = Cancelled(stopped_by)  # stopped while Meet held us for consent
    error = failure or NoAudio("no audio was captured: nobody spoke while we were in")
    return Outcome(
        ok=False,
        partial=False,
        cause=_cause(None, error, None),
        error=error,
        duration=summary.duration,
        speakers=_speakers(summary),
        stopped_by=stopped_by,
    )


def _unwritten(
    exc: Exception,
    ending: Ending,
    summary: CaptureSummary,
    live: LiveResult,
    video_dir: Path | None,
) -> Outcome:
    error = RecorderError(f"the files could not be written: {exc}")
    return Outcome(
        ok=False,
        partial=ending.partial,
        cause=str(error),
        error=error,
        duration=summary.duration,
        speakers=_speakers(summary),
        segments=live.segments,
        transcript_error=live.error,
        video_dir=video_dir,
    )


def _speakers(summary: CaptureSummary) -> tuple[Speaker, ...]:
    return tuple(t.speaker for t in summary.tracks)


def _cause(end: SessionEnd | None, failure: RecorderError | None, stopped_by: str | None) -> str:
    if failure is not None:
        return str(failure)
    if stopped_by == SHUTDOWN:
        return "the bot was shut down during the call"
    if stopped_by is not None:
        return f"stopped by {stopped_by}"
    reason = end.reason if end is not None else "REASON_CLIENT_LEFT"
    return {
        "REASON_CONFERENCE_ENDED": "the call ended",
        "REASON_USER_STOPPED": "someone in the call stopped the recording",
        "REASON_CLIENT_LEFT": "the recorder left the call",
        "REASON_SESSION_UNHEALTHY": "Meet ended the session as unhealthy",
        MEDIA_LOST: "the connection to Meet was lost",
    }.get(reason, f"Meet ended the session ({reason})")
