"""Real encoder output for the video tests: a moving test pattern, encoded and decoded by PyAV.

Encodes are cached per (codec, size, count, gop): the suite encodes each stream once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import av
import numpy as np

from recorder.video.frames import FrameAssembler, depacketizer_for
from recorder.video.model import EncodedFrame, RtpVideoPacket, VideoCodec
from sandbox.meet_media.video import open_encoder

TICKS = 3000  # RTP ticks per frame at 30 fps
MIN_PSNR = 30.0


@dataclass(frozen=True)
class Encoded:
    """An encoded test stream: frames as the encoder emitted them, and the source pictures."""

    codec: VideoCodec
    width: int
    height: int
    frames: tuple[bytes, ...]
    keyframes: tuple[bool, ...]
    sources: tuple[np.ndarray, ...]
    """Luma planes of the encoder input, one per frame."""


def pattern(width: int, height: int, index: int) -> av.VideoFrame:
    """A moving gradient with a sliding block: every frame differs, nothing is flat."""
    xs = np.arange(width)[None, :]
    ys = np.arange(height)[:, None]
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = (xs * 2 + index * 7) % 256
    rgb[..., 1] = (ys * 3 + index * 5) % 256
    rgb[..., 2] = ((xs + ys) // 4 * 40 + index * 9) % 256
    left = (index * 9) % max(1, width - 24)
    rgb[height // 3 : height // 3 + 24, left : left + 24] = 255
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


def encode(
    codec: VideoCodec, width: int = 322, height: int = 178, count: int = 12, gop: int = 6
) -> Encoded:
    """Encode ``count`` frames of the pattern; a keyframe every ``gop`` frames (cached)."""
    return _encode(codec, width, height, count, gop)


@functools.cache
def _encode(codec: VideoCodec, width: int, height: int, count: int, gop: int) -> Encoded:
    context = open_encoder(codec, width=width, height=height, fps=30, gop=gop, bit_rate=1_500_000)
    packets, sources = [], []
    for i in range(count):
        frame = pattern(width, height, i)
        frame.pts = i
        sources.append(frame.to_ndarray(format="gray").copy())
        packets += context.encode(frame)
    packets += context.encode(None)
    assert len(packets) == count
    return Encoded(
        codec=codec,
        width=width,
        height=height,
        frames=tuple(bytes(p) for p in packets),
        keyframes=tuple(bool(p.is_keyframe) for p in packets),
        sources=tuple(sources),
    )


def decode(codec: VideoCodec, frames: list[bytes]) -> list[av.VideoFrame]:
    """Decode with the decoder the composer uses (libvpx, libvpx-vp9, libdav1d)."""
    context = av.CodecContext.create(codec.decoder, "r")
    out: list[av.VideoFrame] = []
    for data in frames:
        out += context.decode(av.Packet(data))
    out += context.decode(None)
    return out


def psnr(decoded: av.VideoFrame, source: np.ndarray) -> float:
    """Luma PSNR of a decoded picture against the encoder input."""
    luma = decoded.to_ndarray(format="gray").astype(np.float64)
    error = float(np.mean((luma - source.astype(np.float64)) ** 2))
    return 99.0 if error == 0 else 10 * float(np.log10(255**2 / error))


def assert_pictures_match(
    codec: VideoCodec, frames: list[bytes], sources: list[np.ndarray], size: tuple[int, int]
) -> None:
    """Decode ``frames``: one picture each, of ``size``, within `MIN_PSNR` of its source."""
    pictures = decode(codec, frames)
    assert len(pictures) == len(frames) == len(sources)
    for picture, source in zip(pictures, sources, strict=True):
        assert (picture.width, picture.height) == size
        assert psnr(picture, source) > MIN_PSNR


def run(
    codec: VideoCodec, packets: list[RtpVideoPacket], *, step_ms: int = 1, **options: int
) -> tuple[list[EncodedFrame], list[int], FrameAssembler]:
    """Push ``packets`` in order through a fresh assembler (arrival ``step_ms`` apart).

    Returns the frames, the indexes of the pushes that asked for a keyframe, and the
    assembler.
    """
    assembler = FrameAssembler(depacketizer_for(codec), **options)
    frames: list[EncodedFrame] = []
    requests: list[int] = []
    for i, packet in enumerate(packets):
        result = assembler.push(packet, i * step_ms)
        frames += result.frames
        if result.request_keyframe:
            requests.append(i)
    frames += assembler.flush()
    return frames, requests, assembler
