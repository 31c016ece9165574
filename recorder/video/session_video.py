"""A recording session's video capture, guarded: its first error switches video off for good."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from recorder.model import Speaker
from recorder.video.capture import VideoCapture
from recorder.video.model import EncodedFrame
from recorder.video.store import VideoSegment
from recorder.video.tiles import TileInfo

logger = logging.getLogger(__name__)


class SessionVideo:
    """The session's video capture; its first error switches video off for good.

    Every step catches and logs its own errors: video never breaks audio.
    """

    def __init__(self, video_dir: Path, *, on_failure: Callable[[], None]) -> None:
        self.video_dir = video_dir
        self._capture: VideoCapture | None = VideoCapture(video_dir)
        self._on_failure = on_failure
        self._segments: list[VideoSegment] = []
        self.failed = False

    @property
    def on(self) -> bool:
        """Whether video is still being captured (no error so far, not closed)."""
        return self._capture is not None

    def start(self, t0: float) -> None:
        self._step("start", lambda capture: capture.start(t0))

    def frame(self, key: str, tile: TileInfo, frame: EncodedFrame, arrival: float) -> bool:
        stored = False

        def write(capture: VideoCapture) -> None:
            nonlocal stored
            stored = capture.frame(key, tile, frame, arrival)

        self._step("frame", write)
        return stored

    def rename(self, speaker: Speaker) -> None:
        self._step("rename", lambda capture: capture.rename(speaker))

    def end(self, key: str) -> None:
        self._step("end", lambda capture: capture.end(key))

    def end_all(self) -> None:
        self._step("end", lambda capture: capture.end_all())

    def close(self) -> Path | None:
        """Close the capture; its directory when a segment holds at least one frame."""
        self._step("close", self._close)
        self._capture = None
        return self.video_dir if any(s.frames for s in self._segments) else None

    def stop(self, why: str) -> None:
        """Switch video off for the rest of the recording (what was stored is kept)."""
        capture, self._capture = self._capture, None
        if capture is None:
            return
        logger.warning("video off: %s; recording audio only", why)
        self.failed = True
        with contextlib.suppress(Exception):
            self._segments = capture.close()
        self._on_failure()

    def _close(self, capture: VideoCapture) -> None:
        self._segments = capture.close()

    def _step(self, what: str, step: Callable[[VideoCapture], None]) -> None:
        capture = self._capture
        if capture is None:
            return
        try:
            step(capture)
        except Exception:
            logger.exception("video capture: %s failed", what)
            self.stop(f"the video capture failed ({what})")
