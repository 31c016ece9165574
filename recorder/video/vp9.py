"""VP9 over RTP (RFC 9628): payload descriptor, scalability structure, picture reassembly.

A picture (one RTP timestamp) holds one *layer frame* per spatial layer sent, each marked
with B (begins) and E (ends) bits; the RTP marker closes the picture. Every layer frame that
arrived is kept and the picture is stored as one VP9 superframe: higher spatial layers may be
predicted from lower ones (always on keyframes), so dropping the lower layers would make the
picture undecodable, and libvpx outputs only the last (highest) layer of a superframe.
"""

from __future__ import annotations

from dataclasses import dataclass

from recorder.video.bits import BitReader
from recorder.video.model import EncodedFrame, PayloadError, VideoCodec

_SYNC_CODE = 0x498342
_MAX_SUPERFRAME = 8
_MAX_P_DIFFS = 3


@dataclass(frozen=True, slots=True)
class PictureGroupEntry:
    """One picture of the scalability structure's picture group (non-flexible mode)."""

    tid: int
    switching_up: bool
    p_diffs: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ScalabilityStructure:
    """SS data (RFC 9628 §4.2.1): spatial layer count and sizes, picture group."""

    spatial_layers: int
    sizes: tuple[tuple[int, int], ...] = ()
    """(width, height) of every spatial layer, when Y=1."""
    group: tuple[PictureGroupEntry, ...] | None = None
    """The picture group, when G=1."""


@dataclass(frozen=True, slots=True)
class Vp9Descriptor:
    """The VP9 payload descriptor at the front of every RTP payload (RFC 9628 §4.2)."""

    inter_picture: bool
    """P: the layer frame uses inter-picture prediction."""
    flexible: bool
    """F: flexible mode (references as P_DIFFs) rather than a picture group."""
    begins: bool
    """B: first packet of a layer frame."""
    ends: bool
    """E: last packet of a layer frame."""
    not_reference_for_upper: bool = False
    """Z: not used for inter-layer prediction by higher spatial layers."""
    picture_id: int | None = None
    long_picture_id: bool = False
    tid: int | None = None
    """Temporal layer (present when L=1)."""
    switching_up: bool = False
    """U: switching up point."""
    sid: int = 0
    """Spatial layer (0 when L=0)."""
    inter_layer: bool = False
    """D: depends on the spatial layer below."""
    tl0picidx: int | None = None
    """Non-flexible mode: index of the temporal layer 0 picture."""
    p_diffs: tuple[int, ...] = ()
    """Flexible mode: reference pictures as picture-id differences."""
    ss: ScalabilityStructure | None = None
    size: int = 1
    """Length of the descriptor in bytes; the VP9 data follows."""


@dataclass(frozen=True, slots=True)
class Vp9FrameHeader:
    """The start of a VP9 uncompressed frame header."""

    keyframe: bool
    show_existing: bool
    width: int | None
    height: int | None


class _Cursor:
    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.at = 0

    def byte(self) -> int:
        if self.at >= len(self.payload):
            raise PayloadError("VP9 descriptor ends early")
        self.at += 1
        return self.payload[self.at - 1]


def parse_descriptor(payload: bytes) -> Vp9Descriptor:
    """Parse the descriptor of one RTP payload.

    Raises:
        PayloadError: The payload is truncated or carries no VP9 data.
    """
    cur = _Cursor(payload)
    first = cur.byte()
    inter_picture, flexible = bool(first & 0x40), bool(first & 0x10)
    picture_id, long_id = _picture_id(cur) if first & 0x80 else (None, False)
    tid = tl0picidx = None
    sid, up, inter_layer = 0, False, False
    if first & 0x20:  # L
        layer = cur.byte()
        tid, up = layer >> 5, bool(layer & 0x10)
        sid, inter_layer = (layer >> 1) & 7, bool(layer & 1)
        if not flexible:
            tl0picidx = cur.byte()
    p_diffs = _p_diffs(cur) if flexible and inter_picture else ()
    ss = _scalability_structure(cur) if first & 0x02 else None
    if cur.at >= len(payload):
        raise PayloadError("VP9 payload has a descriptor but no data")
    return Vp9Descriptor(
        inter_picture=inter_picture,
        flexible=flexible,
        begins=bool(first & 0x08),
        ends=bool(first & 0x04),
        not_reference_for_upper=bool(first & 0x01),
        picture_id=picture_id,
        long_picture_id=long_id,
        tid=tid,
        switching_up=up,
        sid=sid,
        inter_layer=inter_layer,
        tl0picidx=tl0picidx,
        p_diffs=p_diffs,
        ss=ss,
        size=cur.at,
    )


def _picture_id(cur: _Cursor) -> tuple[int, bool]:
    value = cur.byte()
    if value & 0x80:
        return ((value & 0x7F) << 8) | cur.byte(), True
    return value, False


def _p_diffs(cur: _Cursor) -> tuple[int, ...]:
    diffs = []
    while True:
        value = cur.byte()
        diffs.append(value >> 1)
        if not value & 1:
            return tuple(diffs)
        if len(diffs) == _MAX_P_DIFFS:
            raise PayloadError("more than 3 P_DIFF references")


def _scalability_structure(cur: _Cursor) -> ScalabilityStructure:
    head = cur.byte()
    layers = (head >> 5) + 1
    sizes: list[tuple[int, int]] = []
    if head & 0x10:  # Y
        for _ in range(layers):
            width = (cur.byte() << 8) | cur.byte()
            height = (cur.byte() << 8) | cur.byte()
            sizes.append((width, height))
    group: list[PictureGroupEntry] | None = None
    if head & 0x08:  # G
        group = []
        for _ in range(cur.byte()):
            entry = cur.byte()
            refs = tuple(cur.byte() for _ in range((entry >> 2) & 3))
            group.append(PictureGroupEntry(entry >> 5, bool(entry & 0x10), refs))
    return ScalabilityStructure(
        spatial_layers=layers,
        sizes=tuple(sizes),
        group=tuple(group) if group is not None else None,
    )


def frame_header(frame: bytes) -> Vp9FrameHeader:
    """Read whether ``frame`` is a keyframe and, if so, its size (VP9 spec §6.2).

    Raises:
        PayloadError: Not a VP9 frame (bad frame marker or sync code).
    """
    r = BitReader(frame)
    if r.bits(2) != 2:
        raise PayloadError("VP9 frame marker missing")
    low = r.bit()
    profile = (r.bit() << 1) | low
    if profile == 3:
        r.bit()
    if r.flag():  # show_existing_frame
        return Vp9FrameHeader(keyframe=False, show_existing=True, width=None, height=None)
    keyframe = r.bit() == 0
    r.bits(2)  # show_frame, error_resilient_mode
    if not keyframe:
        return Vp9FrameHeader(keyframe=False, show_existing=False, width=None, height=None)
    if r.bits(24) != _SYNC_CODE:
        raise PayloadError("VP9 keyframe without its sync code")
    if profile >= 2:
        r.bit()  # ten_or_twelve_bit
    if r.bits(3) != 7:  # color_space other than RGB
        r.bit()  # color_range
        if profile in (1, 3):
            r.bits(3)  # subsampling_x, subsampling_y, reserved_zero
    elif profile in (1, 3):
        r.bit()  # reserved_zero
    width, height = r.bits(16) + 1, r.bits(16) + 1
    return Vp9FrameHeader(keyframe=True, show_existing=False, width=width, height=height)


def split_superframe(data: bytes) -> list[bytes]:
    """The frames of a VP9 superframe (Annex B), or ``[data]`` if it has no index.

    Raises:
        PayloadError: The index announces more bytes than there are.
    """
    if not data:
        raise PayloadError("empty VP9 frame")
    last = data[-1]
    if last & 0xE0 != 0xC0:
        return [data]
    count, width = (last & 7) + 1, ((last >> 3) & 3) + 1
    index = 2 + width * count
    if len(data) < index or data[-index] != last:
        return [data]
    at, frames = 0, []
    for i in range(count):
        start = len(data) - index + 1 + i * width
        size = int.from_bytes(data[start : start + width], "little")
        if at + size > len(data) - index:
            raise PayloadError("VP9 superframe index exceeds its data")
        if size:
            frames.append(data[at : at + size])
        at += size
    return frames


def build_superframe(frames: list[bytes]) -> bytes:
    """Join frames into one VP9 superframe with an index (one frame is returned as is)."""
    if len(frames) == 1:
        return frames[0]
    if not 1 < len(frames) <= _MAX_SUPERFRAME:
        raise PayloadError(f"a VP9 superframe holds 1 to 8 frames, not {len(frames)}")
    width = max(1, (max(len(f) for f in frames).bit_length() + 7) // 8)
    if width > 4:
        raise PayloadError("VP9 frame too large for a superframe")
    marker = bytes([0xC0 | ((width - 1) << 3) | (len(frames) - 1)])
    sizes = b"".join(len(f).to_bytes(width, "little") for f in frames)
    return b"".join(frames) + marker + sizes + marker


class Vp9Depacketizer:
    """Join a picture's layer frames (every spatial layer received) into one VP9 frame."""

    codec = VideoCodec.VP9

    def starts_frame(self, payload: bytes) -> bool:
        """True for the first packet of a spatial layer 0 frame."""
        try:
            descriptor = parse_descriptor(payload)
        except PayloadError:
            return False
        return descriptor.begins and descriptor.sid == 0

    def assemble(self, payloads: list[bytes]) -> EncodedFrame:
        """Return the picture carried by ``payloads`` (in sequence order)."""
        layers, ss = _layer_frames(payloads)
        frames = [f for _, data in layers for f in split_superframe(data)]
        header = frame_header(frames[0])
        size: tuple[int, int] | None = None
        if header.keyframe:
            top = layers[-1][0]
            if ss is not None and top < len(ss.sizes):
                size = ss.sizes[top]
            elif len(frames) == 1 and header.width and header.height:
                size = (header.width, header.height)
        return EncodedFrame(
            codec=self.codec,
            data=build_superframe(frames),
            keyframe=header.keyframe,
            width=size[0] if size else None,
            height=size[1] if size else None,
        )


def _layer_frames(
    payloads: list[bytes],
) -> tuple[list[tuple[int, bytes]], ScalabilityStructure | None]:
    """Group payloads into (spatial id, data) layer frames by their B and E bits."""
    layers: list[tuple[int, bytes]] = []
    current: list[bytes] | None = None
    sid = -1
    ss: ScalabilityStructure | None = None
    for payload in payloads:
        descriptor = parse_descriptor(payload)
        ss = ss or descriptor.ss
        if descriptor.begins:
            if current is not None:
                raise PayloadError("VP9 layer frame begins before the previous one ended")
            if layers and descriptor.sid <= layers[-1][0]:
                raise PayloadError("VP9 spatial layers out of order within a picture")
            current, sid = [], descriptor.sid
        elif current is None:
            raise PayloadError("VP9 packet continues a layer frame that never began")
        current.append(payload[descriptor.size :])
        if descriptor.ends:
            layers.append((sid, b"".join(current)))
            current = None
    if current is not None or not layers:
        raise PayloadError("VP9 picture ends inside a layer frame")
    return layers, ss
