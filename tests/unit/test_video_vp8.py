"""VP8 over RTP (RFC 7741): descriptors, and frames from libvpx back through RTP."""

from __future__ import annotations

import pytest

from recorder.video.model import PayloadError, VideoCodec
from recorder.video.packetize import packetize_vp8, rtp_packets, vp8_descriptor
from recorder.video.vp8 import Vp8Depacketizer, Vp8Descriptor, frame_size, parse_descriptor
from tests.video_media import TICKS, assert_pictures_match, encode, run

VP8 = VideoCodec.VP8


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\x10", Vp8Descriptor(non_reference=False, start=True, partition=0, size=1)),
        (b"\x25", Vp8Descriptor(non_reference=True, start=False, partition=5, size=1)),
        (  # X, I with a 7-bit picture id
            b"\x90\x80\x05",
            Vp8Descriptor(False, True, 0, picture_id=5, size=3),
        ),
        (  # X, I (M: 15 bits), L, T, K: TID 2, Y, KEYIDX 3
            b"\x90\xf0\x81\x23\x07\xa3",
            Vp8Descriptor(
                False,
                True,
                0,
                picture_id=0x123,
                long_picture_id=True,
                tl0picidx=7,
                tid=2,
                layer_sync=True,
                keyidx=3,
                size=6,
            ),
        ),
        (  # X, K only: the TID/Y/KEYIDX byte carries the key index alone
            b"\x80\x10\x1f",
            Vp8Descriptor(False, False, 0, keyidx=31, size=3),
        ),
    ],
)
def test_descriptors_parse_and_serialize_back(raw: bytes, expected: Vp8Descriptor) -> None:
    assert parse_descriptor(raw + b"\x00") == expected
    assert vp8_descriptor(expected) == raw


@pytest.mark.parametrize("raw", [b"", b"\x10", b"\x90", b"\x90\x80", b"\x90\x80\x81", b"\x90\x20"])
def test_truncated_descriptors_are_rejected(raw: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_descriptor(raw)


@pytest.mark.parametrize(("width", "height"), [(322, 178), (133, 141)])
def test_libvpx_frames_survive_rtp_at_odd_sizes(width: int, height: int) -> None:
    stream = encode(VP8, width, height)
    pictures = [
        (i * TICKS, packetize_vp8(f, mtu=300, picture_id=200 + i))
        for i, f in enumerate(stream.frames)
    ]
    assert len(pictures[0][1]) > 1  # the keyframe spans several packets
    assert max(len(p) for _, payloads in pictures for p in payloads) <= 300
    frames, requests, assembler = run(VP8, rtp_packets(pictures, first_sequence=65530))
    assert [f.data for f in frames] == list(stream.frames)
    assert [f.keyframe for f in frames] == list(stream.keyframes)
    assert (frames[0].width, frames[0].height) == (width, height)
    assert [f.timestamp for f in frames] == [i * TICKS for i in range(len(frames))]
    assert requests == []
    assert assembler.stats.lost_packets == 0
    assert_pictures_match(VP8, [f.data for f in frames], list(stream.sources), (width, height))


def test_keyframe_size_comes_from_the_frame_header() -> None:
    stream = encode(VP8)
    assert frame_size(stream.frames[0]) == (322, 178)
    assert frame_size(stream.frames[1]) is None
    with pytest.raises(PayloadError):
        frame_size(b"\x00\x00\x00nostartcode")


def test_partitions_after_the_first_are_joined_in_order() -> None:
    key = encode(VP8).frames[0]
    cut = len(key) // 2
    first = vp8_descriptor(Vp8Descriptor(False, True, 0)) + key[:cut]
    second = vp8_descriptor(Vp8Descriptor(False, True, 1)) + key[cut:]
    frame = Vp8Depacketizer().assemble([first, second])
    assert frame.data == key
    assert frame.keyframe


def test_a_frame_must_begin_with_its_first_partition() -> None:
    key = encode(VP8).frames[0]
    middle = vp8_descriptor(Vp8Descriptor(False, False, 0)) + key
    assert not Vp8Depacketizer().starts_frame(middle)
    with pytest.raises(PayloadError, match="S=1"):
        Vp8Depacketizer().assemble([middle])
