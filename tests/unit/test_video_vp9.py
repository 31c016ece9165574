"""VP9 over RTP (RFC 9628): descriptors, both modes, SVC pictures, libvpx frames through RTP."""

from __future__ import annotations

import pytest

from recorder.video.model import PayloadError, VideoCodec
from recorder.video.packetize import Vp9Layer, packetize_vp9, rtp_packets, vp9_descriptor
from recorder.video.vp9 import (
    PictureGroupEntry,
    ScalabilityStructure,
    Vp9Depacketizer,
    Vp9Descriptor,
    build_superframe,
    frame_header,
    parse_descriptor,
    split_superframe,
)
from tests.video_media import TICKS, assert_pictures_match, decode, encode, psnr, run

VP9 = VideoCodec.VP9

NON_FLEXIBLE = (  # I (15-bit id 0x500), L, B, E; TID 1, U, SID 2, D; TL0PICIDX 9
    b"\xac\x85\x00\x35\x09",
    Vp9Descriptor(
        inter_picture=False,
        flexible=False,
        begins=True,
        ends=True,
        picture_id=0x500,
        long_picture_id=True,
        tid=1,
        switching_up=True,
        sid=2,
        inter_layer=True,
        tl0picidx=9,
        size=5,
    ),
)
FLEXIBLE = (  # I (7-bit id 18), P, L, F, B, Z; TID 2; P_DIFFs 1 and 4
    b"\xf9\x12\x40\x03\x08",
    Vp9Descriptor(
        inter_picture=True,
        flexible=True,
        begins=True,
        ends=False,
        not_reference_for_upper=True,
        picture_id=18,
        tid=2,
        p_diffs=(1, 4),
        size=5,
    ),
)
WITH_SS = (  # B, E, V; SS: 2 layers with sizes, a picture group of 2
    b"\x0e\x38\x00\xa1\x00\x59\x01\x42\x00\xb2\x02\x04\x01\x34\x01",
    Vp9Descriptor(
        inter_picture=False,
        flexible=False,
        begins=True,
        ends=True,
        ss=ScalabilityStructure(
            spatial_layers=2,
            sizes=((161, 89), (322, 178)),
            group=(PictureGroupEntry(0, False, (1,)), PictureGroupEntry(1, True, (1,))),
        ),
        size=15,
    ),
)


@pytest.mark.parametrize(("raw", "expected"), [NON_FLEXIBLE, FLEXIBLE, WITH_SS])
def test_descriptors_parse_and_serialize_back(raw: bytes, expected: Vp9Descriptor) -> None:
    assert parse_descriptor(raw + b"\x00") == expected
    assert vp9_descriptor(expected, layer_indices=bool(raw[0] & 0x20)) == raw


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x08",  # no data after the descriptor
        b"\xa8\x85",  # 15-bit picture id cut short
        b"\x38\x00",  # non-flexible L without TL0PICIDX
        b"\x58\x03\x03\x03\x02\x00",  # four P_DIFFs
        b"\x0a\x30\x00\xa1",  # SS sizes cut short
    ],
)
def test_malformed_descriptors_are_rejected(raw: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_descriptor(raw)


def test_keyframe_headers_give_the_size() -> None:
    stream = encode(VP9, 133, 141)
    key, delta = frame_header(stream.frames[0]), frame_header(stream.frames[1])
    assert (key.keyframe, key.width, key.height) == (True, 133, 141)
    assert not delta.keyframe
    assert delta.width is None
    with pytest.raises(PayloadError):
        frame_header(b"\x00\x00")


def test_superframes_split_and_join() -> None:
    frames = [b"\x82\x49" + bytes(300), b"\x86" + bytes(20), b"\x86\x01"]
    joined = build_superframe(frames)
    assert joined[-1] == joined[-(2 + 2 * 3)] == 0xC0 | 1 << 3 | 2  # 2-byte sizes, 3 frames
    assert split_superframe(joined) == frames
    assert split_superframe(frames[0]) == [frames[0]]
    assert build_superframe(frames[:1]) == frames[0]
    with pytest.raises(PayloadError):
        split_superframe(b"\xc0\x09\xc0")  # 9 bytes announced, none there


@pytest.mark.parametrize("flexible", [False, True])
@pytest.mark.parametrize(("width", "height"), [(322, 178), (133, 141)])
def test_libvpx_vp9_frames_survive_rtp(flexible: bool, width: int, height: int) -> None:
    stream = encode(VP9, width, height)
    pictures = []
    for i, data in enumerate(stream.frames):
        key = stream.keyframes[i]
        layer = Vp9Layer(data, inter_picture=not key, p_diffs=() if key else (1,))
        ss = ScalabilityStructure(1, ((width, height),)) if key else None
        payloads = packetize_vp9(
            [layer], mtu=300, picture_id=i, flexible=flexible, tl0picidx=i, ss=ss
        )
        pictures.append((i * TICKS, payloads))
    assert max(len(p) for _, payloads in pictures for p in payloads) <= 300
    frames, requests, _ = run(VP9, rtp_packets(pictures, first_sequence=65500))
    assert [f.data for f in frames] == list(stream.frames)
    assert [f.keyframe for f in frames] == list(stream.keyframes)
    assert (frames[0].width, frames[0].height) == (width, height)
    assert requests == []
    assert_pictures_match(VP9, [f.data for f in frames], list(stream.sources), (width, height))


def _svc_pictures() -> list[tuple[int, list[bytes]]]:
    """Two spatial layers, k-SVC style: both on keyframes, only the top one otherwise.

    The layers are two independent libvpx streams (161x89 and 322x178): on a keyframe
    picture the top layer's keyframe resets the decoder, so later top-layer frames decode
    as they would after a real inter-layer-predicted keyframe.
    """
    low, high = encode(VP9, 161, 89), encode(VP9)
    ss = ScalabilityStructure(2, ((161, 89), (322, 178)))
    pictures = []
    for i, (a, b) in enumerate(zip(low.frames, high.frames, strict=True)):
        if high.keyframes[i]:
            layers = [
                Vp9Layer(a, spatial_id=0, inter_picture=False),
                Vp9Layer(b, spatial_id=1, inter_picture=False, inter_layer=True),
            ]
            payloads = packetize_vp9(layers, mtu=400, picture_id=i, flexible=True, ss=ss)
        else:
            layers = [Vp9Layer(b, spatial_id=1, p_diffs=(1,))]
            payloads = packetize_vp9(layers, mtu=400, picture_id=i, flexible=True)
        pictures.append((i * TICKS, payloads))
    return pictures


def test_svc_pictures_keep_every_layer_and_decode_to_the_top_one() -> None:
    high = encode(VP9)
    frames, requests, _ = run(VP9, rtp_packets(_svc_pictures()))
    assert [len(split_superframe(f.data)) for f in frames] == [
        2 if key else 1 for key in high.keyframes
    ]
    assert split_superframe(frames[0].data) == [encode(VP9, 161, 89).frames[0], high.frames[0]]
    assert (frames[0].width, frames[0].height) == (322, 178)  # the top layer, from the SS
    assert requests == []
    pictures = decode(VP9, [f.data for f in frames])
    assert len(pictures) == len(frames)  # libvpx shows one picture per superframe: the top
    for picture, source in zip(pictures, high.sources, strict=True):
        assert (picture.width, picture.height) == (322, 178)
        assert psnr(picture, source) > 30


def test_layer_frames_nest_no_superframe() -> None:
    low, high = encode(VP9, 161, 89), encode(VP9)
    layers = [
        Vp9Layer(build_superframe([low.frames[0], high.frames[0]]), inter_picture=False),
        Vp9Layer(high.frames[0], spatial_id=1, inter_picture=False),
    ]
    frame = Vp9Depacketizer().assemble(packetize_vp9(layers, flexible=True))
    assert split_superframe(frame.data) == [low.frames[0], high.frames[0], high.frames[0]]


@pytest.mark.parametrize(
    ("layers", "error"),
    [
        (
            [
                Vp9Layer(b"\x82", spatial_id=1, inter_picture=False),
                Vp9Layer(b"\x82", spatial_id=0, inter_picture=False),
            ],
            "out of order",
        ),
        (
            [
                Vp9Layer(b"\x82", spatial_id=1, inter_picture=False),
                Vp9Layer(b"\x82", spatial_id=1, inter_picture=False),
            ],
            "out of order",
        ),
    ],
)
def test_pictures_with_misordered_layers_are_rejected(layers: list[Vp9Layer], error: str) -> None:
    with pytest.raises(PayloadError, match=error):
        Vp9Depacketizer().assemble(packetize_vp9(layers, flexible=True, picture_id=1))


def test_layer_frames_need_their_begin_and_end_bits() -> None:
    key = encode(VP9).frames[0]
    payloads = packetize_vp9([Vp9Layer(key, inter_picture=False)], mtu=300)
    depacketizer = Vp9Depacketizer()
    assert depacketizer.starts_frame(payloads[0])
    assert not depacketizer.starts_frame(payloads[1])
    with pytest.raises(PayloadError, match="never began"):
        depacketizer.assemble(payloads[1:])
    with pytest.raises(PayloadError, match="ends inside"):
        depacketizer.assemble(payloads[:-1])
    with pytest.raises(PayloadError, match="before the previous one ended"):
        depacketizer.assemble(payloads[:1] + payloads)
