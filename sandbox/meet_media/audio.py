"""Participants' audio files, decoded once and pre-encoded to 20 ms Opus frames with levels."""

from __future__ import annotations

import asyncio
import logging
import math
import operator
import os
from array import array
from dataclasses import dataclass
from typing import Any

import av

from sandbox.meet_media import samples

logger = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms at 48 kHz
FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE
SILENT_DBOV = 127
TALK_DBOV = 50  # louder than -50 dBov counts as talking
HANGOVER_FRAMES = 15  # ~300 ms
# An Opus frame that decodes to 20 ms of silence (CELT, fullband, 20 ms, code 0).
OPUS_SILENCE = b"\xf8\xff\xfe"


@dataclass(frozen=True, slots=True)
class EncodedAudio:
    """One file as Opus payloads, one per 20 ms frame, with each frame's level.

    Attributes:
        payloads: Opus packets, frame ``i`` covering ``[i * 20 ms, (i + 1) * 20 ms)``.
        levels: each frame's level in -dBov (0 loudest, 127 silence), as RFC 6464.
        talking: whether the participant is talking in each frame (level + hangover).
    """

    payloads: tuple[bytes, ...]
    levels: tuple[int, ...]
    talking: tuple[bool, ...]

    def __len__(self) -> int:
        return len(self.payloads)


def dbov(samples: array[int]) -> int:
    """RFC 6464 level of 16-bit samples: 0 for full scale, 127 for silence."""
    if not samples:
        return SILENT_DBOV
    rms = math.sqrt(sum(map(operator.mul, samples, samples)) / len(samples)) / 32768
    if rms <= 0:
        return SILENT_DBOV
    return max(0, min(SILENT_DBOV, round(-20 * math.log10(rms))))


def talking(levels: list[int]) -> tuple[bool, ...]:
    """Frames above the talking threshold, each extended by the hangover."""
    flags = []
    left = 0
    for level in levels:
        left = HANGOVER_FRAMES if level < TALK_DBOV else max(0, left - 1)
        flags.append(left > 0)
    return tuple(flags)


def encode_file(path: str) -> EncodedAudio:
    """Decode any file PyAV reads, resample to 48 kHz mono, encode 20 ms Opus frames.

    Blocking: run it in a thread.
    """
    encoder: Any = av.CodecContext.create("libopus", "w")
    encoder.sample_rate = SAMPLE_RATE
    encoder.layout = "mono"
    encoder.format = "s16"
    encoder.bit_rate = 32_000
    encoder.open()
    resampler: Any = av.AudioResampler(
        format="s16", layout="mono", rate=SAMPLE_RATE, frame_size=FRAME_SAMPLES
    )
    payloads: list[bytes] = []
    levels: list[int] = []

    def encode(frame: Any) -> None:
        levels.append(dbov(array("h", bytes(frame.planes[0])[: frame.samples * 2])))
        payloads.extend(bytes(packet) for packet in encoder.encode(frame))

    with av.open(path) as container:
        for decoded in container.decode(audio=0):
            decoded.pts = None
            for frame in resampler.resample(decoded):
                encode(frame)
    for frame in resampler.resample(None):
        encode(frame)
    payloads.extend(bytes(packet) for packet in encoder.encode(None))
    count = min(len(payloads), len(levels))
    return EncodedAudio(tuple(payloads[:count]), tuple(levels[:count]), talking(levels[:count]))


class AudioLibrary:
    """Pre-encoded files, cached by path, modification time and size."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, int, int], EncodedAudio | None] = {}
        self._pending: dict[tuple[str, int, int], asyncio.Task[EncodedAudio | None]] = {}

    async def load(self, path: str) -> EncodedAudio | None:
        """The encoded file, encoding it in a thread the first time; None if unreadable."""
        if samples.is_sample(path):
            path = await asyncio.to_thread(samples.sample_path, path)
        try:
            stat = os.stat(path)
        except OSError as exc:
            logger.warning("sandbox Meet media: participant audio %s unreadable: %s", path, exc)
            return None
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key in self._done:
            return self._done[key]
        task = self._pending.get(key)
        if task is None:
            task = asyncio.ensure_future(asyncio.to_thread(self._encode, path))
            self._pending[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        return await asyncio.shield(task)

    async def close(self) -> None:
        """Cancel and await the encodings in progress."""
        pending = list(self._pending.values())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _settle(self, key: tuple[str, int, int], task: asyncio.Task[EncodedAudio | None]) -> None:
        self._pending.pop(key, None)
        if not task.cancelled():
            self._done[key] = task.result()

    @staticmethod
    def _encode(path: str) -> EncodedAudio | None:
        try:
            encoded = encode_file(path)
        except Exception:  # any file PyAV cannot read leaves the participant silent
            logger.warning("sandbox Meet media: cannot decode %s", path, exc_info=True)
            return None
        logger.info("sandbox Meet media: %s pre-encoded, %d frames", path, len(encoded))
        return encoded
