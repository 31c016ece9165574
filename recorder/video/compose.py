"""Compose the call's MP4 from the stored video streams and the mixed call audio.

After the call, every stored stream (`store`) is decoded once, lazily, as the composer walks
the call at a constant frame rate (`sources`); each frame shows the active speaker large, or
a screenshare while one has a picture, and everyone else as thumbnails with their names
(`scene`, `layout`, `labels`). Frames are painted on yuv420p planes in numpy (`canvas`):
only what changed since the previous frame is painted again. The result is H.264 with the
mixed AAC copied as it is (`mux`), both from call t=0 to the call's end.

`compose_mp4` blocks (the service runs it in a worker thread). It writes to a temporary
file next to ``dest`` and renames it at the end, so ``dest`` is never a partial file.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import av

from recorder.video.canvas import BLACK, Canvas
from recorder.video.labels import label, placeholder
from recorder.video.layout import Layout, Rect, TileBox, even, fit
from recorder.video.mux import Mp4Writer
from recorder.video.scene import Frame, Scene, Shown
from recorder.video.sources import StreamSource
from recorder.video.store import list_segments
from recorder.video.tiles import read_tiles
from recorder.video.timeline import SpeakerTimeline

logger = logging.getLogger(__name__)


class ComposeError(Exception):
    """Nothing to compose (no readable video, no duration), or unreadable audio."""


class ComposeStopped(Exception):
    """Composing was asked to stop (the bot is shutting down); nothing was written."""


@dataclass(frozen=True, slots=True)
class ComposeOptions:
    """How the MP4 is made.

    Attributes:
        width: Frame width (made even).
        height: Frame height (made even).
        frame_rate: Frames per second.
        crf: x264 constant rate factor (lower is better and bigger).
        preset: x264 preset (speed against size).
        threads: x264 threads; 0 lets x264 choose.
    """

    width: int = 1280
    height: int = 720
    frame_rate: int = 15
    crf: int = 23
    preset: str = "veryfast"
    threads: int = 0


@dataclass(frozen=True, slots=True)
class ComposeResult:
    """The MP4 written.

    Attributes:
        path: The file (``dest``).
        duration: Seconds of video (frames / frame rate).
        frames: Video frames written.
        width: Frame width.
        height: Frame height.
        seconds: Wall time spent composing.
    """

    path: Path
    duration: float
    frames: int
    width: int
    height: int
    seconds: float


DEFAULT_OPTIONS = ComposeOptions()
_NO_NAMES: Mapping[str, str] = MappingProxyType({})


def compose_mp4(
    *,
    video_dir: Path,
    audio: Path | None,
    activity: Mapping[str, Sequence[tuple[float, float]]],
    duration: float,
    dest: Path,
    options: ComposeOptions = DEFAULT_OPTIONS,
    speakers: Mapping[str, str] = _NO_NAMES,
    stop: threading.Event | None = None,
) -> ComposeResult:
    """Compose the call's MP4 (blocking).

    Args:
        video_dir: The stored streams (IVF segments and ``tiles.json``).
        audio: The mixed call audio (AAC M4A from t=0); None for a silent track.
        activity: Speaker key to speech intervals (start, end) in seconds.
        duration: The call's length in seconds: the length of both tracks.
        dest: The MP4 to write (replaced only once complete).
        options: Size, frame rate and encoder settings.
        speakers: Speaker key to display name, for people without a picture.
        stop: When set (from another thread), composing ends at the next frame.

    Returns:
        What was written.

    Raises:
        ComposeError: No stored video, no picture could be decoded, a duration that is not
            positive, or an unreadable ``audio``.
        ComposeStopped: ``stop`` was set before the last frame; ``dest`` is left as it was.
    """
    started = time.monotonic()
    width, height, rate = even(options.width), even(options.height), options.frame_rate
    if duration <= 0 or width <= 0 or height <= 0 or rate <= 0:
        raise ComposeError(f"cannot compose {duration:.2f} s at {width}x{height}, {rate} fps")
    sources = _sources(video_dir)
    scene = Scene(
        sources,
        tiles=read_tiles(video_dir),
        timeline=SpeakerTimeline(activity),
        names=speakers,
        width=width,
        height=height,
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        frames = _encode(scene, partial, audio=audio, duration=duration, options=options, stop=stop)
        if not any(s.decoded for s in sources):
            raise ComposeError(f"no video frame in {video_dir} could be decoded")
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
        for source in sources:
            source.close()
    seconds = time.monotonic() - started
    logger.info(
        "compose: %d frames (%.1f s of call) from %d streams in %.1f s, %d decoder errors",
        frames,
        frames / rate,
        len(sources),
        seconds,
        sum(s.errors for s in sources),
    )
    return ComposeResult(dest, frames / rate, frames, width, height, seconds)


def _sources(video_dir: Path) -> list[StreamSource]:
    """A source per stream key that has frames."""
    if not video_dir.is_dir():
        raise ComposeError(f"no video dir {video_dir}")
    segments = [s for s in list_segments(video_dir) if s.frames and s.first_pts is not None]
    if not segments:
        raise ComposeError(f"no stored video in {video_dir}")
    keys = sorted({s.key for s in segments})
    return [StreamSource(key, [s for s in segments if s.key == key]) for key in keys]


def _encode(
    scene: Scene,
    path: Path,
    *,
    audio: Path | None,
    duration: float,
    options: ComposeOptions,
    stop: threading.Event | None,
) -> int:
    """Write every frame from t=0 to ``duration``; return how many."""
    rate = options.frame_rate
    try:
        writer = Mp4Writer(
            path,
            width=even(options.width),
            height=even(options.height),
            frame_rate=rate,
            duration=duration,
            audio=audio,
            crf=options.crf,
            preset=options.preset,
            threads=options.threads,
        )
    except ValueError as exc:
        raise ComposeError(str(exc)) from exc
    painter = Painter(Canvas(even(options.width), even(options.height)))
    try:
        for index in range(max(1, round(duration * rate))):
            _check(stop, at=index / rate, duration=duration)
            writer.write(painter.paint(scene.at(index / rate)))
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return writer.frames


def _check(stop: threading.Event | None, *, at: float, duration: float) -> None:
    if stop is not None and stop.is_set():
        raise ComposeStopped(f"stopped at {at:.1f} s of {duration:.1f} s")


class Painter:
    """Paint frames on one canvas, redrawing only what changed since the previous frame."""

    def __init__(self, canvas: Canvas) -> None:
        """Paint on ``canvas``."""
        self.canvas = canvas
        self._layout: Layout | None = None
        self._painted: dict[str, tuple[int, Rect]] = {}

    def paint(self, frame: Frame) -> av.VideoFrame:
        """Bring the canvas to ``frame`` and return a copy of it as a video frame."""
        if frame.layout != self._layout:
            self.canvas.fill(Rect(0, 0, self.canvas.width, self.canvas.height), BLACK)
            self._painted.clear()
            for box in frame.layout.tiles:
                bar, name = box.label, frame.tiles[box.key].name
                self.canvas.paste(label(name, bar.width, bar.height), bar.x, bar.y)
            self._layout = frame.layout
        for box in frame.layout.tiles:
            self._tile(box, frame.tiles[box.key])
        return self.canvas.frame()

    def _tile(self, box: TileBox, shown: Shown) -> None:
        picture, source = shown.picture, shown.source
        if picture is None or source is None:
            if box.key not in self._painted:
                area = box.picture
                self.canvas.paste(placeholder(shown.name, area.width, area.height), area.x, area.y)
                self._painted[box.key] = (-1, area)
            return
        rect = fit(picture.width, picture.height, box.picture)
        before = self._painted.get(box.key)
        if before == (picture.serial, rect):
            return
        if before is None or before[1] != rect:
            self.canvas.fill(box.picture, BLACK)
        self.canvas.paste(source.scaled(picture, rect.width, rect.height), rect.x, rect.y)
        self._painted[box.key] = (picture.serial, rect)
