"""AV1 over RTP: aggregation headers, OBU elements and fragments, SVT-AV1 frames through RTP."""

from __future__ import annotations

import pytest

from recorder.video.av1 import (
    OBU_FRAME,
    OBU_PADDING,
    OBU_SEQUENCE_HEADER,
    OBU_TEMPORAL_DELIMITER,
    OBU_TILE_LIST,
    TEMPORAL_DELIMITER,
    AggregationHeader,
    Av1Depacketizer,
    Obu,
    parse_aggregation_header,
    parse_obu,
    parse_obus,
    parse_payload,
    parse_sequence_header,
)
from recorder.video.bits import leb128, read_leb128
from recorder.video.model import PayloadError, VideoCodec
from recorder.video.packetize import packetize_av1, rtp_packets
from tests.video_media import TICKS, assert_pictures_match, encode, run

AV1 = VideoCodec.AV1


def test_leb128_round_trips() -> None:
    for value in (0, 1, 127, 128, 16383, 16384, 2**32):
        encoded = leb128(value)
        assert read_leb128(b"\xff" + encoded, 1) == (value, len(encoded))
    assert leb128(300) == b"\xac\x02"
    with pytest.raises(PayloadError):
        read_leb128(b"\x80", 0)


def test_aggregation_header_bits() -> None:
    header = AggregationHeader(True, True, 2, False)
    assert header.to_byte() == 0b1110_0000
    assert parse_aggregation_header(0b0011_1000) == AggregationHeader(False, False, 3, True)
    with pytest.raises(PayloadError, match="coded video sequence"):
        parse_aggregation_header(0b1000_1000)  # N with Z


def test_obu_headers_with_extension_and_size() -> None:
    obu = Obu(OBU_FRAME, b"abc", temporal_id=2, spatial_id=1)
    sized = obu.to_bytes()
    assert sized == bytes([OBU_FRAME << 3 | 0x06, 2 << 5 | 1 << 3, 3]) + b"abc"
    assert parse_obu(sized) == (obu, len(sized))
    bare = obu.to_bytes(with_size=False)
    assert parse_obu(bare + b"de")[0].payload == b"abcde"  # no size: runs to the end
    with pytest.raises(PayloadError):
        parse_obu(sized[:-1])
    with pytest.raises(PayloadError, match="forbidden"):
        parse_obu(b"\x80")


@pytest.mark.parametrize(
    ("payload", "elements"),
    [
        (b"\x00\x02ab\x01c", [b"ab", b"c"]),  # W=0: every element has its length
        (b"\x20\x02abcd", [b"ab", b"cd"]),  # W=2: the last runs to the end
        (b"\x10abc", [b"abc"]),  # W=1
    ],
)
def test_payload_elements(payload: bytes, elements: list[bytes]) -> None:
    assert parse_payload(payload)[1] == elements


@pytest.mark.parametrize("payload", [b"\x00", b"\x00\x05ab", b"\x30\x01a"])
def test_malformed_payloads_are_rejected(payload: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_payload(payload)


@pytest.mark.parametrize(("width", "height"), [(322, 178), (133, 141)])
def test_svt_av1_temporal_units_survive_rtp(width: int, height: int) -> None:
    stream = encode(AV1, width, height)
    pictures = [(i * TICKS, packetize_av1(f, mtu=240)) for i, f in enumerate(stream.frames)]
    assert max(len(p) for _, payloads in pictures for p in payloads) <= 240
    headers = [parse_payload(p)[0] for _, payloads in pictures for p in payloads]
    assert any(h.continues_previous and h.continues_next for h in headers)  # middle fragments
    frames, requests, _ = run(AV1, rtp_packets(pictures, first_sequence=65000))
    assert [f.data for f in frames] == list(stream.frames)  # SVT-AV1 writes TD + sized OBUs
    assert [f.keyframe for f in frames] == list(stream.keyframes)
    assert (frames[0].width, frames[0].height) == (width, height)
    assert requests == []
    assert_pictures_match(AV1, [f.data for f in frames], list(stream.sources), (width, height))


def test_delimiters_are_not_sent_and_sequence_headers_go_first_with_keyframes() -> None:
    stream = encode(AV1)
    for data, key in zip(stream.frames, stream.keyframes, strict=True):
        assert parse_obus(data)[0].type == OBU_TEMPORAL_DELIMITER
        payloads = packetize_av1(data, mtu=1200)
        header, elements = parse_payload(payloads[0])
        assert header.new_sequence is key
        first = parse_obu(elements[0])[0]
        assert (first.type == OBU_SEQUENCE_HEADER) is key
        for payload in payloads:
            header, elements = parse_payload(payload)
            starts = elements[1:] if header.continues_previous else elements
            assert OBU_TEMPORAL_DELIMITER not in [parse_obu(e)[0].type for e in starts]
    sequence = parse_sequence_header(parse_obus(stream.frames[0])[1].payload)
    assert (sequence.max_width, sequence.max_height) == (322, 178)


def test_received_delimiters_tile_lists_and_padding_are_dropped() -> None:
    key = encode(AV1).frames[0]
    obus = [o for o in parse_obus(key) if o.type != OBU_TEMPORAL_DELIMITER]
    junk = [Obu(OBU_TEMPORAL_DELIMITER, b""), Obu(OBU_PADDING, b"\0" * 9), Obu(OBU_TILE_LIST, b"x")]
    elements = [o.to_bytes(with_size=False) for o in junk[:1] + obus + junk[1:]]
    payload = b"\x00" + b"".join(leb128(len(e)) + e for e in elements)
    frame = Av1Depacketizer().assemble([payload])
    assert frame.data == key
    assert frame.data.startswith(TEMPORAL_DELIMITER)
    assert [o.type for o in parse_obus(frame.data)] == [OBU_TEMPORAL_DELIMITER] + [
        o.type for o in obus
    ]


def test_obus_that_keep_their_size_field_are_accepted() -> None:
    stream = encode(AV1)
    pictures = [
        (i * TICKS, packetize_av1(f, mtu=500, keep_sizes=True)) for i, f in enumerate(stream.frames)
    ]
    frames, _, _ = run(AV1, rtp_packets(pictures))
    assert [f.data for f in frames] == list(stream.frames)


def test_layers_and_extension_headers_are_kept_in_order() -> None:
    stream = encode(AV1)
    sequence, frame = parse_obus(stream.frames[0])[1:]
    layered = [
        sequence,
        Obu(OBU_FRAME, frame.payload, temporal_id=0, spatial_id=0),
        Obu(OBU_FRAME, b"\x10upper layer", temporal_id=0, spatial_id=1),
    ]
    unit = TEMPORAL_DELIMITER + b"".join(o.to_bytes() for o in layered)
    out = Av1Depacketizer().assemble(packetize_av1(unit, mtu=300))
    assert out.data == unit
    assert out.keyframe
    decodable = TEMPORAL_DELIMITER + b"".join(o.to_bytes() for o in layered[:2])
    assert_pictures_match(AV1, [decodable], [stream.sources[0]], (322, 178))


def test_fragments_must_be_continued() -> None:
    stream = encode(AV1)
    payloads = packetize_av1(stream.frames[0], mtu=300)
    depacketizer = Av1Depacketizer()
    assert depacketizer.starts_frame(payloads[0])
    assert not depacketizer.starts_frame(payloads[1])
    with pytest.raises(PayloadError, match="never began"):
        depacketizer.assemble(payloads[1:])
    with pytest.raises(PayloadError, match="ends inside"):
        depacketizer.assemble(payloads[:-1])
    with pytest.raises(PayloadError, match="not continued"):
        depacketizer.assemble(payloads[:1] + packetize_av1(stream.frames[1]))


def test_delta_units_are_keyframes_only_with_a_sequence_header() -> None:
    stream = encode(AV1)
    depacketizer = Av1Depacketizer()
    first = depacketizer.assemble(packetize_av1(stream.frames[0]))
    second = depacketizer.assemble(packetize_av1(stream.frames[1]))
    assert first.keyframe
    assert not second.keyframe
    assert second.width is None
