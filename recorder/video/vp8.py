"""VP8 over RTP (RFC 7741): the payload descriptor and picture reassembly."""

from __future__ import annotations

from dataclasses import dataclass

from recorder.video.model import EncodedFrame, PayloadError, VideoCodec

_START_CODE = b"\x9d\x01\x2a"


@dataclass(frozen=True, slots=True)
class Vp8Descriptor:
    """The VP8 payload descriptor at the front of every RTP payload (RFC 7741 §4.2)."""

    non_reference: bool
    """N: the frame can be discarded without affecting any other frame."""
    start: bool
    """S: this packet starts a VP8 partition."""
    partition: int
    """PID: the partition index (0 is the first partition of a frame)."""
    picture_id: int | None = None
    """7- or 15-bit picture id (I)."""
    long_picture_id: bool = False
    """M: ``picture_id`` has 15 bits."""
    tl0picidx: int | None = None
    """Temporal layer 0 picture index (L)."""
    tid: int | None = None
    """Temporal layer index (T)."""
    layer_sync: bool = False
    """Y: the frame depends only on temporal base layer frames."""
    keyidx: int | None = None
    """Temporal key frame index (K)."""
    size: int = 1
    """Length of the descriptor in bytes; the VP8 payload follows."""

    @property
    def starts_frame(self) -> bool:
        """S=1 and PID=0: the first packet of a frame."""
        return self.start and self.partition == 0


def parse_descriptor(payload: bytes) -> Vp8Descriptor:
    """Parse the descriptor of one RTP payload.

    Raises:
        PayloadError: The payload is truncated or carries no VP8 data.
    """
    if not payload:
        raise PayloadError("empty VP8 payload")
    first = payload[0]
    descriptor = Vp8Descriptor(
        non_reference=bool(first & 0x20), start=bool(first & 0x10), partition=first & 0x07
    )
    if first & 0x80:  # X: extended control bits follow
        descriptor = _extended(payload, descriptor)
    if descriptor.size >= len(payload):
        raise PayloadError("VP8 payload has a descriptor but no data")
    return descriptor


def _extended(payload: bytes, base: Vp8Descriptor) -> Vp8Descriptor:
    ext = _byte(payload, 1)
    at = 2
    picture_id = tl0picidx = tid = keyidx = None
    long_id = sync = False
    if ext & 0x80:  # I
        picture_id = _byte(payload, at)
        at += 1
        if picture_id & 0x80:
            picture_id = ((picture_id & 0x7F) << 8) | _byte(payload, at)
            long_id = True
            at += 1
    if ext & 0x40:  # L
        tl0picidx = _byte(payload, at)
        at += 1
    if ext & 0x30:  # T or K
        tk = _byte(payload, at)
        at += 1
        if ext & 0x20:
            tid, sync = tk >> 6, bool(tk & 0x20)
        if ext & 0x10:
            keyidx = tk & 0x1F
    return Vp8Descriptor(
        non_reference=base.non_reference,
        start=base.start,
        partition=base.partition,
        picture_id=picture_id,
        long_picture_id=long_id,
        tl0picidx=tl0picidx,
        tid=tid,
        layer_sync=sync,
        keyidx=keyidx,
        size=at,
    )


def frame_size(frame: bytes) -> tuple[int, int] | None:
    """(width, height) from a VP8 keyframe's header; None for an interframe.

    Raises:
        PayloadError: A keyframe is too short or lacks the start code.
    """
    if len(frame) < 3:
        raise PayloadError("VP8 frame shorter than its frame tag")
    if frame[0] & 1:
        return None
    if len(frame) < 10 or frame[3:6] != _START_CODE:
        raise PayloadError("VP8 keyframe without its start code")
    width = int.from_bytes(frame[6:8], "little") & 0x3FFF
    height = int.from_bytes(frame[8:10], "little") & 0x3FFF
    return width, height


class Vp8Depacketizer:
    """Join the packets of a VP8 frame: strip each descriptor, concatenate the rest."""

    codec = VideoCodec.VP8

    def starts_frame(self, payload: bytes) -> bool:
        """True for the packet with S=1 and PID=0."""
        try:
            return parse_descriptor(payload).starts_frame
        except PayloadError:
            return False

    def assemble(self, payloads: list[bytes]) -> EncodedFrame:
        """Return the frame carried by ``payloads`` (in sequence order)."""
        if not payloads:
            raise PayloadError("no packets")
        parts = []
        for i, payload in enumerate(payloads):
            descriptor = parse_descriptor(payload)
            if i == 0 and not descriptor.starts_frame:
                raise PayloadError("VP8 frame does not start with S=1, PID=0")
            parts.append(payload[descriptor.size :])
        data = b"".join(parts)
        size = frame_size(data)
        return EncodedFrame(
            codec=self.codec,
            data=data,
            keyframe=size is not None,
            width=size[0] if size else None,
            height=size[1] if size else None,
        )


def _byte(payload: bytes, at: int) -> int:
    if at >= len(payload):
        raise PayloadError("VP8 descriptor ends early")
    return payload[at]
