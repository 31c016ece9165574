"""A recording's work directory: its layout, and recovering what a crash left in one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from recorder.capture.finalize import FinalizeError, finalize
from recorder.ports import Outcome

logger = logging.getLogger(__name__)

CAPTURE_DIR = "capture"
"""Crash-safe Ogg per speaker and the manifest, written during the call."""
OUT_DIR = "out"
"""The finished files (one Ogg per speaker, the mixed M4A), written when the call ends."""
LIVE_DIR = "live"
"""The mix encoded during the call."""
VIDEO_DIR = "video"
"""IVF per participant, the audio kept for composing, and the pending-MP4 mark."""
VIDEO_OUT_DIR = "video-out"
"""The composed MP4."""

RESTARTED = "the bot restarted during the call"
NOTHING_RECORDED = "the bot restarted before anything was recorded"


@dataclass(frozen=True, slots=True)
class WorkDir:
    """The folders of one recording's work directory (``root``); nothing is created here."""

    root: Path

    @property
    def capture(self) -> Path:
        return self.root / CAPTURE_DIR

    @property
    def out(self) -> Path:
        return self.root / OUT_DIR

    @property
    def live(self) -> Path:
        return self.root / LIVE_DIR

    @property
    def video(self) -> Path:
        return self.root / VIDEO_DIR

    @property
    def video_out(self) -> Path:
        return self.root / VIDEO_OUT_DIR


def recover(work_dir: Path) -> Outcome:
    """Finish, as partial, the capture an earlier process left in ``work_dir`` (blocking).

    The outcome is ok when the capture holds audio; it is a failure, with nothing to
    deliver, when nothing was captured before the crash.
    """
    work = WorkDir(work_dir)
    try:
        result = finalize(work_dir=work.capture, out_dir=work.out, duration=None)
    except (FinalizeError, OSError) as exc:
        logger.info("nothing to recover: %s", exc)
        return Outcome(ok=False, partial=False, cause=NOTHING_RECORDED)
    return Outcome(
        ok=result.voiced,
        partial=True,
        cause=RESTARTED,
        result=result,
        duration=result.duration,
        video_dir=work.video if work.video.is_dir() else None,
    )
