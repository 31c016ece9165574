"""AV1 over RTP (AV1 RTP specification v1.0): aggregation header, OBU elements, reassembly.

An RTP payload is a one-byte aggregation header (Z Y W W N - - -) followed by OBU elements;
the first may continue an OBU fragment from the previous packet (Z), the last may continue
in the next (Y). OBUs travel without their size field. A temporal unit (one RTP timestamp)
is rebuilt in the low-overhead bitstream format decoders and IVF files expect: one temporal
delimiter, then every OBU with a size field. Temporal delimiters, tile lists and padding in
the payload are dropped, as the specification requires of receivers. OBUs of every spatial
layer are kept: dav1d (FFmpeg's default) outputs the highest layer of the operating point.
"""

from __future__ import annotations

from dataclasses import dataclass

from recorder.video.bits import BitReader, leb128, read_leb128
from recorder.video.model import EncodedFrame, PayloadError, VideoCodec

OBU_SEQUENCE_HEADER = 1
OBU_TEMPORAL_DELIMITER = 2
OBU_FRAME_HEADER = 3
OBU_TILE_GROUP = 4
OBU_METADATA = 5
OBU_FRAME = 6
OBU_REDUNDANT_FRAME_HEADER = 7
OBU_TILE_LIST = 8
OBU_PADDING = 15

DROPPED_OBUS = frozenset({OBU_TEMPORAL_DELIMITER, OBU_TILE_LIST, OBU_PADDING})
"""OBU types that never travel in RTP (the sender removes them, the receiver ignores them)."""

TEMPORAL_DELIMITER = bytes([OBU_TEMPORAL_DELIMITER << 3 | 0x02, 0])
"""A temporal delimiter OBU with a (zero) size field."""

_KEY_FRAME = 0


@dataclass(frozen=True, slots=True)
class Obu:
    """One OBU: its header fields and payload (without header or size field)."""

    type: int
    payload: bytes
    temporal_id: int | None = None
    """From the extension header, when there is one."""
    spatial_id: int | None = None

    def to_bytes(self, *, with_size: bool = True) -> bytes:
        """Serialize, with ``obu_has_size_field`` set or cleared."""
        extended = self.temporal_id is not None
        header = bytearray(
            [self.type << 3 | (0x04 if extended else 0) | (0x02 if with_size else 0)]
        )
        if extended:
            header.append((self.temporal_id or 0) << 5 | (self.spatial_id or 0) << 3)
        size = leb128(len(self.payload)) if with_size else b""
        return bytes(header) + size + self.payload


@dataclass(frozen=True, slots=True)
class AggregationHeader:
    """The first byte of every AV1 RTP payload."""

    continues_previous: bool
    """Z: the first OBU element is the rest of the previous packet's last one."""
    continues_next: bool
    """Y: the last OBU element continues in the next packet."""
    element_count: int
    """W: number of OBU elements (0: every element carries its length)."""
    new_sequence: bool
    """N: first packet of a coded video sequence (a keyframe with its sequence header)."""

    def to_byte(self) -> int:
        """Serialize."""
        return (
            (0x80 if self.continues_previous else 0)
            | (0x40 if self.continues_next else 0)
            | self.element_count << 4
            | (0x08 if self.new_sequence else 0)
        )


@dataclass(frozen=True, slots=True)
class SequenceHeader:
    """What we read from a sequence header OBU."""

    reduced_still_picture_header: bool
    max_width: int
    max_height: int


def parse_obu(data: bytes, offset: int = 0) -> tuple[Obu, int]:
    """Parse the OBU at ``offset``; return it and the offset just past it.

    Without a size field the OBU runs to the end of ``data`` (as in an RTP OBU element).

    Raises:
        PayloadError: The header is malformed or the size exceeds the data.
    """
    if offset >= len(data):
        raise PayloadError("empty OBU")
    head = data[offset]
    if head & 0x80:
        raise PayloadError("OBU forbidden bit is set")
    at = offset + 1
    temporal_id = spatial_id = None
    if head & 0x04:
        if at >= len(data):
            raise PayloadError("OBU extension header missing")
        temporal_id, spatial_id = data[at] >> 5, (data[at] >> 3) & 3
        at += 1
    if head & 0x02:
        size, used = read_leb128(data, at)
        at += used
        if at + size > len(data):
            raise PayloadError("OBU size exceeds its data")
        end = at + size
    else:
        end = len(data)
    obu = Obu(
        type=(head >> 3) & 0x0F,
        payload=data[at:end],
        temporal_id=temporal_id,
        spatial_id=spatial_id,
    )
    return obu, end


def parse_obus(data: bytes) -> list[Obu]:
    """Parse a low-overhead bitstream (a temporal unit, as FFmpeg's encoders emit it)."""
    obus, at = [], 0
    while at < len(data):
        obu, at = parse_obu(data, at)
        obus.append(obu)
    return obus


def parse_aggregation_header(byte: int) -> AggregationHeader:
    """Read the aggregation header byte."""
    header = AggregationHeader(
        continues_previous=bool(byte & 0x80),
        continues_next=bool(byte & 0x40),
        element_count=(byte >> 4) & 3,
        new_sequence=bool(byte & 0x08),
    )
    if header.new_sequence and header.continues_previous:
        raise PayloadError("AV1 packet starts a coded video sequence inside an OBU")
    return header


def parse_payload(payload: bytes) -> tuple[AggregationHeader, list[bytes]]:
    """Split one RTP payload into its aggregation header and OBU elements.

    Raises:
        PayloadError: The payload is empty or its element lengths exceed it.
    """
    if len(payload) < 2:
        raise PayloadError("AV1 payload shorter than 2 bytes")
    header = parse_aggregation_header(payload[0])
    elements: list[bytes] = []
    at = 1
    while at < len(payload):
        last = header.element_count and len(elements) == header.element_count - 1
        if last:
            size = len(payload) - at
        else:
            size, used = read_leb128(payload, at)
            at += used
            if at + size > len(payload):
                raise PayloadError("AV1 OBU element exceeds the payload")
        elements.append(payload[at : at + size])
        at += size
    if header.element_count and len(elements) != header.element_count:
        raise PayloadError("AV1 payload has fewer OBU elements than W says")
    return header, elements


def parse_sequence_header(payload: bytes) -> SequenceHeader:
    """Read a sequence header OBU's payload up to the maximum frame size (AV1 spec §5.5)."""
    r = BitReader(payload)
    r.bits(4)  # seq_profile, still_picture
    reduced = r.flag()
    if reduced:
        r.bits(5)  # seq_level_idx[0]
    else:
        _operating_points(r)
    width_bits, height_bits = r.bits(4) + 1, r.bits(4) + 1
    width, height = r.bits(width_bits) + 1, r.bits(height_bits) + 1
    return SequenceHeader(reduced_still_picture_header=reduced, max_width=width, max_height=height)


def _operating_points(r: BitReader) -> None:
    delay_bits = 0
    decoder_model = False
    if r.flag():  # timing_info_present_flag
        r.bits(64)  # num_units_in_display_tick, time_scale
        if r.flag():  # equal_picture_interval
            r.uvlc()
        decoder_model = r.flag()
        if decoder_model:
            delay_bits = r.bits(5) + 1
            r.bits(32 + 5 + 5)
    initial_delay = r.flag()
    for _ in range(r.bits(5) + 1):
        r.bits(12)  # operating_point_idc
        if r.bits(5) > 7:  # seq_level_idx
            r.bit()  # seq_tier
        if decoder_model and r.flag():
            r.bits(2 * delay_bits + 1)
        if initial_delay and r.flag():
            r.bits(4)


def is_key_frame_header(payload: bytes, sequence: SequenceHeader) -> bool:
    """Whether a frame (header) OBU's payload starts a KEY_FRAME that is not a re-show."""
    if sequence.reduced_still_picture_header:
        return True
    r = BitReader(payload)
    if r.flag():  # show_existing_frame
        return False
    return r.bits(2) == _KEY_FRAME


class Av1Depacketizer:
    """Rebuild AV1 temporal units from RTP payloads (stateful: remembers the sequence header)."""

    codec = VideoCodec.AV1

    def __init__(self) -> None:
        self._sequence: SequenceHeader | None = None

    def starts_frame(self, payload: bytes) -> bool:
        """True for N=1, or a first element that is whole and a sequence header or delimiter."""
        try:
            header, elements = parse_payload(payload)
            if header.new_sequence:
                return True
            if header.continues_previous or not elements:
                return False
            first, _ = parse_obu(elements[0])
        except PayloadError:
            return False
        return first.type in (OBU_SEQUENCE_HEADER, OBU_TEMPORAL_DELIMITER)

    def assemble(self, payloads: list[bytes]) -> EncodedFrame:
        """Return the temporal unit carried by ``payloads`` (in sequence order)."""
        obus = [o for o in map(_whole_obu, _elements(payloads)) if o.type not in DROPPED_OBUS]
        if not obus:
            raise PayloadError("AV1 temporal unit without OBUs")
        sequence = next((o for o in obus if o.type == OBU_SEQUENCE_HEADER), None)
        if sequence is not None:
            self._sequence = parse_sequence_header(sequence.payload)
        frame = next((o for o in obus if o.type in (OBU_FRAME, OBU_FRAME_HEADER)), None)
        keyframe = (
            sequence is not None
            and frame is not None
            and self._sequence is not None
            and is_key_frame_header(frame.payload, self._sequence)
        )
        info = self._sequence if keyframe else None
        return EncodedFrame(
            codec=self.codec,
            data=TEMPORAL_DELIMITER + b"".join(o.to_bytes() for o in obus),
            keyframe=keyframe,
            width=info.max_width if info else None,
            height=info.max_height if info else None,
        )


def _whole_obu(element: bytes) -> Obu:
    obu, _ = parse_obu(element)
    return obu


def _elements(payloads: list[bytes]) -> list[bytes]:
    """Whole OBU elements of a temporal unit, fragments joined across packets."""
    out: list[bytes] = []
    pending: bytearray | None = None
    for payload in payloads:
        header, elements = parse_payload(payload)
        if header.continues_previous and not elements:
            raise PayloadError("AV1 packet continues an OBU but carries no element")
        for i, element in enumerate(elements):
            if i == 0 and header.continues_previous:
                if pending is None:
                    raise PayloadError("AV1 packet continues an OBU that never began")
                pending += element
            elif pending is not None:
                raise PayloadError("AV1 OBU fragment is not continued")
            else:
                pending = bytearray(element)
            if not (i == len(elements) - 1 and header.continues_next):
                out.append(bytes(pending))
                pending = None
    if pending is not None:
        raise PayloadError("AV1 temporal unit ends inside an OBU")
    return out
