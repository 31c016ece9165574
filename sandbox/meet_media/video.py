"""Participants' cameras and screenshares, encoded once as short loops and replayed.

A loop is `LOOP_SECONDS` of `pictures` at a frame rate, encoded with the codec a virtual
stream sends (libvpx, libvpx-vp9, SVT-AV1 in realtime settings), a keyframe every second, so
a loop restart, a switch to another participant and a keyframe request are all served from
a keyframe within a second. Loops are cached hub-wide; encoding runs in one worker thread,
never on the event loop, most urgent first.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

import av

from recorder.video.model import VideoCodec
from sandbox.meet_media import pictures

logger = logging.getLogger(__name__)

# SVT-AV1 prints its whole configuration on stderr at every encoder start and takes its log
# level only from the environment (no SVT-AV1 or FFmpeg option exists), so the sandbox
# writes os.environ here and nowhere else: once, at import, before any encoder thread can
# read it; a level the operator set wins.
os.environ.setdefault("SVT_LOG", "1")

FPS = 15
LOOP_SECONDS = 4
KEYFRAME_SECONDS = 1
MAX_SIZE = (640, 360)
MIN_SIZE = (128, 72)  # SVT-AV1 needs 64 rows; Meet's own minimum is 128
BITS_PER_PIXEL = 0.1  # per frame: about 350 kbit/s at 640x360, 15 fps

_REALTIME = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0", "threads": "1"}
ENCODERS: dict[VideoCodec, tuple[str, dict[str, str]]] = {
    VideoCodec.VP8: ("libvpx", _REALTIME),
    VideoCodec.VP9: ("libvpx-vp9", {**_REALTIME, "row-mt": "0"}),
    VideoCodec.AV1: ("libsvtav1", {"preset": "10", "svtav1-params": "pred-struct=1:rc=2:lp=1"}),
}
"""One thread each: the worker is a background job (``lp=1``: SVT-AV1's own minimum)."""


class Feed(StrEnum):
    """What a media entry shows."""

    CAMERA = "camera"
    SCREEN = "screen"


@dataclass(frozen=True, slots=True)
class LoopKey:
    """Everything an encoded loop depends on."""

    name: str
    feed: Feed
    codec: VideoCodec
    width: int
    height: int
    fps: int = FPS


@dataclass(frozen=True, slots=True)
class EncodedLoop:
    """A loop's frames as the encoder emitted them; frame 0 is a keyframe.

    Attributes:
        frames: one encoded picture (VP8/VP9 frame, AV1 temporal unit) per frame.
        keyframes: whether each frame is a keyframe.
    """

    key: LoopKey
    frames: tuple[bytes, ...]
    keyframes: tuple[bool, ...]

    def __len__(self) -> int:
        return len(self.frames)

    def nearest_keyframe(self, index: int) -> int:
        """The keyframe closest to frame ``index`` (the later one on a tie)."""
        keys = [i for i, key in enumerate(self.keyframes) if key]
        wrapped = [*keys, len(self)]  # the loop restarts on frame 0, a keyframe
        best = min(wrapped, key=lambda i: (abs(i - index), -i))
        return best % len(self)


def fit_size(width: int, height: int) -> tuple[int, int]:
    """The largest 16:9 size with even sides, at most ``width`` x ``height`` and `MAX_SIZE`.

    Sizes step by 32x18 (so there are few to encode), from `MIN_SIZE` up: a canvas smaller
    than that still gets `MIN_SIZE`.
    """
    width, height = min(width, MAX_SIZE[0]), min(height, MAX_SIZE[1])
    steps = max(MIN_SIZE[0] // 32, min(width // 32, height // 18))
    return 32 * steps, 18 * steps


def encode_loop(key: LoopKey) -> EncodedLoop:
    """Draw and encode one loop. Blocking and CPU-bound: run it in a worker thread.

    Raises:
        ValueError: the encoder refused the size or produced no frame for every picture.
    """
    count = LOOP_SECONDS * key.fps
    gop = KEYFRAME_SECONDS * key.fps
    draw = pictures.camera_pictures if key.feed is Feed.CAMERA else pictures.screen_pictures
    context = _encoder(key, gop)
    packets = []
    for index, picture in enumerate(
        draw(key.name, width=key.width, height=key.height, count=count)
    ):
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts = index
        if index % gop == 0:
            frame.pict_type = av.video.frame.PictureType.I
        packets += context.encode(frame)
    packets += context.encode(None)
    if len(packets) != count or not packets[0].is_keyframe:
        raise ValueError(f"{key.codec} encoder gave {len(packets)} frames for {count}")
    return EncodedLoop(
        key=key,
        frames=tuple(bytes(packet) for packet in packets),
        keyframes=tuple(bool(packet.is_keyframe) for packet in packets),
    )


def _encoder(key: LoopKey, gop: int) -> Any:
    bit_rate = max(100_000, int(key.width * key.height * key.fps * BITS_PER_PIXEL))
    return open_encoder(
        key.codec, width=key.width, height=key.height, fps=key.fps, gop=gop, bit_rate=bit_rate
    )


def open_encoder(
    codec: VideoCodec, *, width: int, height: int, fps: int, gop: int, bit_rate: int
) -> Any:
    """An open PyAV encoder for ``codec`` with the `ENCODERS` settings (yuv420p, pts in
    frames). The tests and benchmarks encode their streams with it too.

    Raises:
        ValueError: the encoder refused the size or settings.
    """
    name, options = ENCODERS[codec]
    try:
        context: Any = av.CodecContext.create(name, "w")
        context.width, context.height = width, height
        context.pix_fmt = "yuv420p"
        context.time_base = Fraction(1, fps)
        context.framerate = Fraction(fps, 1)
        context.gop_size = gop
        context.bit_rate = bit_rate
        context.options = dict(options)
        context.open()
    except av.FFmpegError as exc:
        raise ValueError(f"{name} cannot encode {width}x{height}: {exc}") from exc
    return context


class VideoLibrary:
    """Encoded loops, cached by `LoopKey` for the hub's lifetime.

    `request` never waits: the ticker asks for what it needs and sends once `get` has it.
    """

    def __init__(self) -> None:
        self._done: dict[LoopKey, EncodedLoop | None] = {}
        self._pending: dict[LoopKey, asyncio.Future[EncodedLoop | None]] = {}
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="meet-video"
        )

    def get(self, key: LoopKey) -> EncodedLoop | None:
        """The loop if it is encoded (None while encoding, or if it cannot be encoded)."""
        return self._done.get(key)

    def request(self, key: LoopKey) -> None:
        """Start encoding ``key`` unless it is encoded or queued (queued first, done first)."""
        if key in self._done or key in self._pending:
            return
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(loop.run_in_executor(self._executor, self._encode, key))
        self._pending[key] = task
        task.add_done_callback(lambda done: self._settle(key, done))

    async def load(self, key: LoopKey) -> EncodedLoop | None:
        """The loop, encoding it first if needed (None if it cannot be encoded)."""
        self.request(key)
        task = self._pending.get(key)
        if task is not None:
            return await asyncio.shield(task)
        return self._done[key]

    async def close(self) -> None:
        """Cancel queued encodings, await the one running, stop the worker."""
        pending = list(self._pending.values())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)

    def _settle(self, key: LoopKey, task: asyncio.Future[EncodedLoop | None]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled():
            self._done[key] = task.result()

    @staticmethod
    def _encode(key: LoopKey) -> EncodedLoop | None:
        try:
            loop = encode_loop(key)
        except Exception:  # a loop that cannot be encoded leaves its streams without video
            logger.warning("sandbox Meet media: cannot encode %s", key, exc_info=True)
            return None
        logger.info(
            "sandbox Meet media: %s %s %s %dx%d encoded, %d bytes",
            key.name,
            key.feed,
            key.codec,
            key.width,
            key.height,
            sum(map(len, loop.frames)),
        )
        return loop
