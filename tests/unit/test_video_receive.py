"""The video receiver: RTX, codecs, attribution and segment boundaries, on real encoder output."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from recorder.channels.media_entries import MediaEntriesUpdate, MediaEntry
from recorder.channels.participants import Participant, ParticipantKind, ParticipantsUpdate
from recorder.channels.video_assignment import CanvasAssignment, VideoAssignment
from recorder.directory import ConferenceDirectory
from recorder.video.codecs import PayloadMap
from recorder.video.model import EncodedFrame, RtpVideoPacket, VideoCodec
from recorder.video.receive import VideoReceiver, rtx_ssrcs
from recorder.video.tiles import TileInfo, screenshare_key
from tests.video_media import assert_pictures_match, encode
from tests.video_rtp import packets

VP8, VP9, AV1 = VideoCodec.VP8, VideoCodec.VP9, VideoCodec.AV1
MID = "3"
PT = {VP8: 97, VP9: 103, AV1: 105}
RTX = {98: 97, 104: 103, 106: 105}
ANN, BEN = "participants/a", "participants/b"
ANN_CAM, BEN_CAM, ANN_SCREEN = 11, 12, 13
CSRC = {ANN_CAM: 2001, BEN_CAM: 2002, ANN_SCREEN: 2003}
SSRC = 5000


@dataclass
class Sink:
    """Collects what the receiver hands on; ``accept`` says whether frames are stored."""

    frames: list[tuple[TileInfo, EncodedFrame]] = field(default_factory=list)
    ends: list[str] = field(default_factory=list)
    requests: list[tuple[str, int]] = field(default_factory=list)
    accept: bool = True

    def frame(self, tile: TileInfo, frame: EncodedFrame, arrival: float) -> bool:
        if self.accept:
            self.frames.append((tile, frame))
        return self.accept

    def end(self, key: str) -> None:
        self.ends.append(key)

    def request_keyframe(self, mid: str, ssrc: int) -> None:
        self.requests.append((mid, ssrc))

    def of(self, key: str) -> list[EncodedFrame]:
        return [frame for tile, frame in self.frames if tile.key == key]


def _person(resource_id: int, key: str, name: str) -> Participant:
    return Participant(
        resource_id=resource_id,
        participant_key=key,
        name=None,
        display_name=name,
        kind=ParticipantKind.SIGNED_IN,
        user="users/1",
        participant_id=None,
    )


def _entry(resource_id: int, key: str, *, screenshare: bool = False) -> MediaEntry:
    return MediaEntry(
        resource_id=resource_id,
        participant_key=key,
        participant=None,
        session_name=None,
        audio_csrc=None if screenshare else resource_id + 1000,
        video_csrcs=(CSRC[resource_id],),
        presenter=screenshare,
        screenshare=screenshare,
        audio_muted=False,
        video_muted=False,
    )


def _directory() -> ConferenceDirectory:
    directory = ConferenceDirectory()
    people = (_person(1, ANN, "Ann"), _person(2, BEN, "Ben"))
    directory.apply_participants(ParticipantsUpdate(resources=people, deleted=()))
    entries = (
        _entry(ANN_CAM, ANN),
        _entry(BEN_CAM, BEN),
        _entry(ANN_SCREEN, ANN, screenshare=True),
    )
    directory.apply_media_entries(MediaEntriesUpdate(resources=entries, deleted=()))
    return directory


class Rig:
    def __init__(self, rtx: dict[int, int] | None = None) -> None:
        self.sink = Sink()
        self.directory = _directory()
        payloads = PayloadMap(codecs={pt: codec for codec, pt in PT.items()}, rtx=dict(RTX))
        self.receiver = VideoReceiver(
            payload_types={MID: payloads}, directory=self.directory, sink=self.sink, rtx=rtx
        )

    def push(
        self,
        pictures: list[list[RtpVideoPacket]],
        codec: VideoCodec,
        *,
        csrcs: tuple[int, ...] = (),
        ssrc: int = SSRC,
    ) -> None:
        for picture in pictures:
            for packet in picture:
                self.receiver.push(
                    packet, mid=MID, payload_type=PT[codec], ssrc=ssrc, csrcs=csrcs, arrival=1.0
                )


def _assignment(*canvases: tuple[int, int | None, int | None]) -> VideoAssignment:
    return VideoAssignment(
        label="meetbot",
        canvases=tuple(CanvasAssignment(c, ssrc, entry) for c, ssrc, entry in canvases),
    )


@pytest.mark.parametrize("codec", [VP8, VP9, AV1])
def test_frames_go_to_the_participant_of_their_video_csrc(codec: VideoCodec) -> None:
    rig = Rig()
    stream = encode(codec)
    rig.push(packets(stream, first_sequence=65530), codec, csrcs=(42, CSRC[BEN_CAM]))
    frames = rig.sink.of(BEN)
    assert [f.data for f in frames] == list(stream.frames)
    assert rig.sink.frames[0][0] == TileInfo(key=BEN, name="Ben", speaker_key=BEN)
    assert rig.sink.requests == []
    assert rig.sink.ends == []
    assert_pictures_match(codec, [f.data for f in frames], list(stream.sources), (322, 178))


def test_without_a_known_csrc_the_assignment_names_the_media_entry() -> None:
    rig = Rig()
    stream = encode(AV1)
    pictures = packets(stream)
    rig.push(pictures[:3], AV1, csrcs=(9999,))  # an unknown CSRC, no assignment yet
    assert rig.sink.frames == []
    assert rig.receiver.counters.unattributed_frames == 3
    rig.receiver.set_assignment(_assignment((1, SSRC, ANN_SCREEN), (2, None, BEN_CAM)))
    rig.push(pictures[3:], AV1)
    key = screenshare_key(ANN, ANN_SCREEN)
    tile = TileInfo(key=key, name="Ann (screen)", speaker_key=ANN, screenshare=True)
    assert {t for t, _ in rig.sink.frames} == {tile}
    # frames 3-5 referred to dropped ones: the first stored is the keyframe at 6
    assert [f.data for f in rig.sink.of(key)] == list(stream.frames[6:])
    assert set(rig.sink.requests) == {(MID, SSRC)}


def test_frames_nobody_can_be_named_for_are_counted_and_dropped() -> None:
    rig = Rig()
    rig.push(packets(encode(VP8)), VP8, csrcs=(42, 7777))
    assert rig.sink.frames == []
    assert rig.receiver.counters.unattributed_frames == 12
    assert rig.receiver.counters.frames == 0


def _lose_and_retransmit(
    rig: Rig, rtx_ssrc: int, *, lost: int = 5, late_by: int = 3
) -> list[EncodedFrame]:
    stream = encode(VP8)
    flat = [p for picture in packets(stream, first_sequence=100) for p in picture]
    missing = flat[lost]
    wire = flat[:lost] + flat[lost + 1 :]
    repair = RtpVideoPacket(
        sequence=4242,  # the RTX stream's own numbering
        timestamp=missing.timestamp,
        marker=missing.marker,
        payload=missing.sequence.to_bytes(2, "big") + missing.payload,
    )
    csrcs = (CSRC[ANN_CAM],)
    for i, packet in enumerate(wire):
        rig.receiver.push(packet, mid=MID, payload_type=97, ssrc=SSRC, csrcs=csrcs, arrival=1.0)
        if i == lost + late_by:
            rig.receiver.push(
                repair, mid=MID, payload_type=98, ssrc=rtx_ssrc, csrcs=csrcs, arrival=1.0
            )
    assert [f.data for f in rig.sink.of(ANN)] == list(stream.frames)
    return rig.sink.of(ANN)


def test_rtx_repairs_a_lost_packet_on_the_media_ssrc_of_its_mid() -> None:
    rig = Rig()
    _lose_and_retransmit(rig, rtx_ssrc=5001)
    assert rig.receiver.counters.rtx_packets == 1
    assert rig.receiver.summary()["lost_packets"] == 0
    assert rig.sink.requests == []


def test_rtx_follows_the_answers_fid_group_when_the_mid_has_several_ssrcs() -> None:
    answer = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 97 98\r\na=ssrc-group:FID 5000 5001\r\n"
    assert rtx_ssrcs(answer) == {5001: 5000}
    rig = Rig(rtx=rtx_ssrcs(answer))
    rig.push(packets(encode(VP9))[:1], VP9, ssrc=6000)  # a second media SSRC on the MID
    _lose_and_retransmit(rig, rtx_ssrc=5001)
    assert rig.receiver.counters.rtx_unmapped == 0


def test_rtx_that_cannot_be_mapped_or_parsed_is_dropped_and_counted() -> None:
    rig = Rig()
    picture = packets(encode(VP8))[0]
    repair = RtpVideoPacket(7, picture[0].timestamp, False, b"\x00\x01" + picture[0].payload)
    rig.receiver.push(repair, mid=MID, payload_type=98, ssrc=5001, csrcs=(), arrival=1.0)
    assert rig.receiver.counters.rtx_unmapped == 1  # no media SSRC seen on the MID yet
    rig.push([picture[:1]], VP8)
    too_short = RtpVideoPacket(8, 0, False, b"\x00")
    rig.receiver.push(too_short, mid=MID, payload_type=98, ssrc=5001, csrcs=(), arrival=1.0)
    assert rig.receiver.counters.malformed == 1
    rig.push(packets(encode(VP9))[:1], VP9, ssrc=6000)  # two media SSRCs: ambiguous
    rig.receiver.push(repair, mid=MID, payload_type=98, ssrc=5001, csrcs=(), arrival=1.0)
    assert rig.receiver.counters.rtx_unmapped == 2
    assert rig.receiver.counters.rtx_packets == 3


def test_a_codec_switch_starts_a_new_assembler_and_segment() -> None:
    rig = Rig()
    vp8, vp9 = encode(VP8), encode(VP9)
    first = packets(vp8, first_sequence=65500)
    last_seq = first[-1][-1].sequence
    second = packets(vp9, first_sequence=last_seq + 1, first_timestamp=12 * 3000)
    csrcs = (CSRC[ANN_CAM],)
    rig.push(first, VP8, csrcs=csrcs)
    rig.push(second[:2], VP9, csrcs=csrcs)
    rig.push([first[-1][-1:]], VP8, csrcs=csrcs)  # a late VP8 packet, after the switch
    rig.push(second[2:], VP9, csrcs=csrcs)
    frames = rig.sink.of(ANN)
    assert [f.codec for f in frames] == [VP8] * 12 + [VP9] * 12
    assert [f.data for f in frames] == list(vp8.frames) + list(vp9.frames)
    assert rig.sink.ends == [ANN]
    assert rig.receiver.counters.codec_switches == 1
    assert rig.receiver.counters.late_codec_packets == 1


def test_another_entry_on_the_ssrc_ends_the_segment_and_waits_for_a_keyframe() -> None:
    rig = Rig()
    stream = encode(VP8)  # keyframes at 0 and 6
    pictures = packets(stream)
    rig.push(pictures[:4], VP8, csrcs=(CSRC[ANN_CAM], 42))
    assert rig.sink.requests == []
    rig.push(pictures[4:], VP8, csrcs=(42, CSRC[BEN_CAM]))  # Ben from a delta frame on
    assert [f.data for f in rig.sink.of(ANN)] == list(stream.frames[:4])
    assert rig.sink.ends == [ANN]
    assert set(rig.sink.requests) == {(MID, SSRC)}  # at once, and as delta frames are skipped
    ben = rig.sink.of(BEN)
    assert [f.data for f in ben] == list(stream.frames[6:])
    assert_pictures_match(VP8, [f.data for f in ben], list(stream.sources[6:]), (322, 178))
    counters = rig.receiver.counters
    assert (counters.entry_switches, counters.keyframe_waits) == (1, 1)


def test_a_switch_on_a_keyframe_needs_no_request() -> None:
    rig = Rig()
    stream = encode(VP8)
    pictures = packets(stream)
    rig.push(pictures[:6], VP8, csrcs=(CSRC[ANN_CAM],))
    rig.push(pictures[6:], VP8, csrcs=(CSRC[BEN_CAM],))
    assert len(rig.sink.of(ANN)) == len(rig.sink.of(BEN)) == 6
    assert rig.sink.ends == [ANN]
    assert rig.sink.requests == []


def test_a_stream_moving_to_another_ssrc_ends_its_old_segment() -> None:
    rig = Rig()
    stream = encode(VP8)
    rig.push(packets(stream)[:3], VP8, csrcs=(CSRC[ANN_CAM],), ssrc=SSRC)
    rig.push(packets(stream, first_sequence=900), VP8, csrcs=(CSRC[ANN_CAM],), ssrc=SSRC + 10)
    assert len(rig.sink.of(ANN)) == 3 + 12
    assert rig.sink.ends == [ANN]


def test_a_frame_the_sink_did_not_store_asks_for_a_keyframe() -> None:
    rig = Rig()
    stream = encode(VP8)
    pictures = packets(stream)
    rig.sink.accept = False  # e.g. the capture has not started yet
    rig.push(pictures[:1], VP8, csrcs=(CSRC[ANN_CAM],))
    assert set(rig.sink.requests) == {(MID, SSRC)}
    rig.sink.accept = True
    rig.push(pictures[1:], VP8, csrcs=(CSRC[ANN_CAM],))
    assert [f.data for f in rig.sink.of(ANN)] == list(stream.frames[6:])


def test_deleted_or_video_off_entries_end_their_segment() -> None:
    rig = Rig()
    pictures = packets(encode(VP8))
    rig.push(pictures[:2], VP8, csrcs=(CSRC[ANN_CAM],))
    rig.push(packets(encode(AV1))[:2], AV1, csrcs=(CSRC[BEN_CAM],), ssrc=SSRC + 1)
    muted = replace(_entry(BEN_CAM, BEN), video_muted=True)
    rig.directory.apply_media_entries(MediaEntriesUpdate(resources=(muted,), deleted=(ANN_CAM,)))
    rig.receiver.entries_changed()
    assert sorted(rig.sink.ends) == [ANN, BEN]
    rig.receiver.close()
    assert sorted(rig.sink.ends) == [ANN, BEN]  # nothing left open


def test_tiles_of_entries_named_before_their_participant_get_placeholders() -> None:
    directory = ConferenceDirectory()
    carl = replace(_entry(BEN_CAM, "participants/c"), video_csrcs=(3003,))
    nameless = replace(_entry(ANN_SCREEN, ANN, screenshare=True), participant_key=None)
    directory.apply_media_entries(MediaEntriesUpdate(resources=(carl, nameless), deleted=()))
    assert directory.entry_for_video_csrc(3003) == BEN_CAM
    assert directory.video_tile(BEN_CAM) == TileInfo(
        "participants/c", "Participant 1", "participants/c"
    )
    key = screenshare_key(f"entry-{ANN_SCREEN}", ANN_SCREEN)
    assert directory.video_tile(ANN_SCREEN) == TileInfo(
        key, "Participant 2 (screen)", f"entry-{ANN_SCREEN}", screenshare=True
    )
    renamed = directory.apply_participants(
        ParticipantsUpdate(resources=(_person(3, "participants/c", "Carl"),), deleted=())
    )
    assert [s.display_name for s in renamed] == ["Carl"]
    assert directory.video_tile(BEN_CAM) == TileInfo("participants/c", "Carl", "participants/c")
    directory.apply_media_entries(MediaEntriesUpdate(resources=(), deleted=(BEN_CAM,)))
    assert directory.entry_for_video_csrc(3003) is None
    assert directory.video_tile(BEN_CAM) is None
