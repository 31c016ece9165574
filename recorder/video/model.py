"""Types shared by the video modules: codecs, RTP packets in, encoded frames out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

CLOCK_RATE = 90_000
"""RTP clock rate of every video codec (Hz)."""


class PayloadError(ValueError):
    """An RTP payload or an encoded frame does not follow its format."""


class VideoCodec(StrEnum):
    """The video codecs Meet sends (reference §2.2)."""

    VP8 = "VP8"
    VP9 = "VP9"
    AV1 = "AV1"

    @property
    def mime_type(self) -> str:
        """The SDP/RTP MIME type, e.g. ``video/VP9``."""
        return f"video/{self.value}"

    @property
    def fourcc(self) -> bytes:
        """The IVF FourCC."""
        return {"VP8": b"VP80", "VP9": b"VP90", "AV1": b"AV01"}[self.value]

    @property
    def decoder(self) -> str:
        """The PyAV (FFmpeg) decoder to use after the call."""
        return {"VP8": "libvpx", "VP9": "libvpx-vp9", "AV1": "libdav1d"}[self.value]

    @classmethod
    def from_mime_type(cls, mime_type: str) -> VideoCodec | None:
        """The codec for ``video/vp9`` and the like (any case); None if not one of ours."""
        kind, _, name = mime_type.partition("/")
        if kind.lower() != "video":
            return None
        return next((c for c in cls if c.value.lower() == name.lower()), None)


@dataclass(frozen=True, slots=True)
class RtpVideoPacket:
    """The parts of one RTP packet the assembler needs (padding already removed)."""

    sequence: int
    """16-bit RTP sequence number."""
    timestamp: int
    """32-bit RTP timestamp (90 kHz)."""
    marker: bool
    """RTP marker bit: the last packet of a picture / temporal unit."""
    payload: bytes
    """The RTP payload; empty for a padding-only packet."""


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One picture (VP8, VP9) or temporal unit (AV1), ready for a decoder."""

    codec: VideoCodec
    data: bytes
    """VP8 frame; VP9 frame or superframe (every spatial layer received); AV1 temporal unit
    in the low-overhead format (a temporal delimiter, then OBUs with size fields)."""
    keyframe: bool
    """Decodable without earlier frames."""
    timestamp: int = 0
    """RTP timestamp, unwrapped past 32 bits by the assembler."""
    arrival_ms: int = 0
    """Arrival time of the packet that completed the frame (the caller's clock)."""
    width: int | None = None
    """Coded width, when the keyframe's headers say it (None on delta frames)."""
    height: int | None = None
    """Coded height, like ``width``."""


class Depacketizer(Protocol):
    """Codec-specific half of frame assembly (`frames.FrameAssembler` does the rest)."""

    codec: VideoCodec

    def starts_frame(self, payload: bytes) -> bool:
        """Whether this payload certainly begins a new picture (used after a loss)."""
        ...

    def assemble(self, payloads: list[bytes]) -> EncodedFrame:
        """Join the in-order payloads of one picture into a frame.

        Raises:
            PayloadError: The payloads are malformed or do not form a whole picture.
        """
        ...
