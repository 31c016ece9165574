"""The frame assembler: order, loss, keyframe requests and recovery, on real VP8/AV1 frames."""

from __future__ import annotations

import random
from dataclasses import replace

from recorder.video.frames import FrameAssembler, depacketizer_for
from recorder.video.model import RtpVideoPacket, VideoCodec
from recorder.video.packetize import packetize_av1, packetize_vp8, rtp_packets
from tests.video_media import TICKS, assert_pictures_match, decode, encode, run

VP8, AV1 = VideoCodec.VP8, VideoCodec.AV1


def _vp8_pictures(count: int = 12, gop: int = 6) -> list[list[bytes]]:
    stream = encode(VP8, count=count, gop=gop)
    return [packetize_vp8(f, mtu=400, picture_id=i) for i, f in enumerate(stream.frames)]


def _packets(pictures: list[list[bytes]], first: int = 100) -> list[RtpVideoPacket]:
    return rtp_packets(((i * TICKS, p) for i, p in enumerate(pictures)), first_sequence=first)


def _picture_of(pictures: list[list[bytes]]) -> list[int]:
    """For every packet, the index of its picture."""
    return [i for i, p in enumerate(pictures) for _ in p]


def test_reordered_and_duplicated_packets_give_every_frame_once() -> None:
    stream = encode(VP8)
    packets = _packets(_vp8_pictures())
    rng = random.Random(3)
    shuffled = []
    for start in range(0, len(packets), 8):  # shuffle within windows of 8 packets
        window = packets[start : start + 8]
        rng.shuffle(window)
        shuffled += window
    shuffled.insert(20, shuffled[5])  # a late duplicate
    shuffled.insert(7, shuffled[7])  # an immediate duplicate
    frames, requests, assembler = run(VP8, shuffled)
    assert [f.data for f in frames] == list(stream.frames)
    assert requests == []
    assert assembler.stats.lost_packets == 0
    assert assembler.stats.late_packets == 2


def test_a_lost_packet_breaks_its_frame_until_the_next_keyframe() -> None:
    stream = encode(VP8)
    pictures = _vp8_pictures()
    packets = _packets(pictures)
    owner = _picture_of(pictures)
    lost = owner.index(2)  # the first packet of frame 2
    frames, requests, assembler = run(VP8, packets[:lost] + packets[lost + 1 :], reorder_packets=5)
    kept = [0, 1, *range(6, 12)]  # frames 2 to 5 refer to what was lost; 6 is a keyframe
    assert [f.data for f in frames] == [stream.frames[i] for i in kept]
    assert frames[2].keyframe
    assert len(requests) == 1  # at the loss; the skips within the next second repeat nothing
    assert requests[0] == lost + 4  # when 5 packets past the gap arrived
    assert assembler.stats.lost_packets == 1
    assert assembler.stats.broken_frames == 1
    assert assembler.stats.skipped_frames == 3
    assert_pictures_match(
        VP8, [f.data for f in frames], [stream.sources[i] for i in kept], (322, 178)
    )


def test_keyframe_requests_repeat_while_waiting() -> None:
    pictures = _vp8_pictures(count=12, gop=12)  # one keyframe only
    packets = _packets(pictures)
    first_of_1 = _picture_of(pictures).index(1)
    frames, requests, assembler = run(
        VP8, packets[first_of_1:], step_ms=100, keyframe_retry_ms=1000
    )
    assert frames == []  # the stream began with a delta frame: nothing decodable
    assert len(requests) >= 2
    gaps = [b - a for a, b in zip(requests, requests[1:], strict=False)]
    assert all(gap >= 10 for gap in gaps)  # 10 packets x 100 ms: no more than one a second
    assert assembler.waiting_for_keyframe


def test_a_gap_is_given_up_after_the_reorder_time() -> None:
    pictures = _vp8_pictures()
    packets = _packets(pictures)
    owner = _picture_of(pictures)
    lost = owner.index(7)
    assembler = FrameAssembler(depacketizer_for(VP8), reorder_packets=1000, reorder_ms=150)
    delivered = []
    for i, packet in enumerate(packets[:lost] + packets[lost + 1 :]):
        result = assembler.push(packet, 10 * i)
        delivered.append((i, len(result.frames), result.request_keyframe))
    requests = [i for i, _, asked in delivered if asked]
    assert len(requests) == 1
    assert requests[0] == lost + 15  # the first push 150 ms after the packet that waited
    assert assembler.stats.lost_packets == 1


def test_padding_only_packets_use_sequence_numbers_without_loss() -> None:
    stream = encode(VP8)
    padded = []
    for i, payloads in enumerate(_vp8_pictures()):
        padded.append((i * TICKS, payloads))
        padded.append((i * TICKS, [b""] * 2))  # padding after each picture, its timestamp
    packets = [replace(p, marker=False) if not p.payload else p for p in rtp_packets(padded)]
    frames, requests, assembler = run(VP8, packets)
    assert [f.data for f in frames] == list(stream.frames)
    assert requests == []
    assert assembler.stats.lost_packets == 0


def test_frames_without_a_marker_end_at_the_next_timestamp() -> None:
    stream = encode(VP8)
    packets = [replace(p, marker=False) for p in _packets(_vp8_pictures())]
    frames, requests, _ = run(VP8, packets)
    assert [f.data for f in frames] == list(stream.frames[:-1])  # the last one never ends
    assert requests == []


def test_a_stream_joined_mid_frame_waits_for_a_whole_keyframe() -> None:
    stream = encode(VP8)
    pictures = _vp8_pictures()
    packets = _packets(pictures)
    frames, requests, assembler = run(VP8, packets[1:])  # the keyframe's first packet missed
    assert [f.data for f in frames] == list(stream.frames[6:])
    assert requests
    assert assembler.stats.broken_frames == 1


def test_a_malformed_picture_is_dropped_and_asks_for_a_keyframe() -> None:
    pictures = _vp8_pictures()
    pictures[3] = [b"\x90\x80"]  # a descriptor cut short
    frames, requests, assembler = run(VP8, _packets(pictures))
    assert len(frames) == 3 + 6
    assert requests
    assert assembler.stats.broken_frames == 1


def test_require_keyframe_skips_until_one_arrives() -> None:
    stream = encode(VP8)
    pictures = _vp8_pictures()
    packets = _packets(pictures)
    switch = _picture_of(pictures).index(2)
    assembler = FrameAssembler(depacketizer_for(VP8))
    out = []
    asked = False
    for i, packet in enumerate(packets):
        if i == switch:
            assembler.require_keyframe()  # e.g. the SSRC now carries someone else
        result = assembler.push(packet, i)
        out += result.frames
        asked = asked or result.request_keyframe
    assert asked
    assert [f.data for f in out] == list(stream.frames[:2] + stream.frames[6:])


def test_sequence_numbers_and_timestamps_wrap() -> None:
    stream = encode(VP8)
    pictures = _vp8_pictures()
    packets = rtp_packets(
        ((0xFFFFFFFF - 2 * TICKS + i * TICKS, p) for i, p in enumerate(pictures)),
        first_sequence=0xFFFF - 5,
    )
    frames, requests, _ = run(VP8, packets)
    assert [f.data for f in frames] == list(stream.frames)
    stamps = [f.timestamp for f in frames]
    assert stamps == sorted(stamps)
    assert stamps[-1] > 0xFFFFFFFF  # unwrapped
    assert requests == []


def test_av1_recovers_at_the_keyframe_after_a_lost_fragment() -> None:
    stream = encode(AV1)
    pictures = [packetize_av1(f, mtu=300) for f in stream.frames]
    packets = _packets(pictures)
    owner = _picture_of(pictures)
    lost = owner.index(5) - 1  # the last packet of frame 4: its end and the boundary
    # The gap is declared 5 packets on, whatever sizes the encoder gave the frames after it.
    frames, requests, _ = run(AV1, packets[:lost] + packets[lost + 1 :], reorder_packets=5)
    assert [f.data for f in frames] == list(stream.frames[:4] + stream.frames[6:])
    assert requests == [lost + 4]
    pictures_out = decode(AV1, [f.data for f in frames])
    assert len(pictures_out) == len(frames)


def test_a_sender_that_restarts_its_sequence_numbers_is_followed() -> None:
    stream = encode(VP8)
    pictures = _vp8_pictures()
    before = _packets(pictures[:6], first=30_000)
    after = rtp_packets(((i * TICKS, p) for i, p in enumerate(pictures[6:])), first_sequence=5)
    frames, requests, _ = run(VP8, before + after)
    assert [f.data for f in frames] == list(stream.frames)
    assert requests == []
