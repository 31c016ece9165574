"""The Meet Media client receiving video from a local aiortc peer that sends it as Meet would.

The peer (`tests.adapters.video_peer`) answers ``sendonly``, assigns the canvases the
client asks for, and sends packetized real VP8, VP9 and AV1 frames with CSRCs and MIDs.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiortc import codecs as aiortc_codecs
from aiortc import sdp as aiortc_sdp

from recorder.connection.client import MeetMediaClient
from recorder.connection.model import ClientState
from recorder.model import Speaker
from recorder.ports import VideoRequest
from recorder.video.capture import VideoCapture
from recorder.video.codecs import VIDEO_EXTENSIONS
from recorder.video.ivf import read_ivf_file
from recorder.video.model import EncodedFrame, VideoCodec
from recorder.video.store import list_segments
from recorder.video.tiles import TileInfo, read_tiles, screenshare_key
from tests.adapters.video_peer import MeetPeer, Person
from tests.fixtures_bot import eventually
from tests.video_media import assert_pictures_match, encode
from tests.video_rtp import packets

VP8, VP9, AV1 = VideoCodec.VP8, VideoCodec.VP9, VideoCodec.AV1
ANN = Person("participants/a", "Ann", 1, 11, 1001, 2001, screen_entry=13, screen_csrc=2003)
BEN = Person("participants/b", "Ben", 2, 12, 1002, 2002)
ANN_SCREEN = screenshare_key(ANN.key, 13)
REQUEST = VideoRequest(streams=3, canvas_width=640, canvas_height=360, frame_rate=15)


@pytest.fixture(autouse=True)
def aiortc_tables() -> Iterator[None]:
    """The client registers VP9 and AV1 in aiortc's process-wide table: restore it after."""
    saved = list(aiortc_codecs.CODECS["video"])
    yield
    aiortc_codecs.CODECS["video"][:] = saved


@dataclass
class Observer:
    """The client's observer, storing video through a real `VideoCapture`."""

    capture: VideoCapture
    states: list[ClientState] = field(default_factory=list)
    frames: list[tuple[str, EncodedFrame]] = field(default_factory=list)
    ends: list[str] = field(default_factory=list)

    def on_state(self, state: ClientState) -> None:
        self.states.append(state)

    def on_speakers(self, present: tuple[Speaker, ...], renamed: tuple[Speaker, ...]) -> None:
        for speaker in renamed:
            self.capture.rename(speaker)

    def on_audio(
        self, *, speaker: Speaker, payload: bytes, ssrc: int, seq: int, rtp_ts: int, arrival: float
    ) -> None:
        pass

    def on_video(self, *, key: str, tile: TileInfo, frame: EncodedFrame, arrival: float) -> bool:
        self.frames.append((key, frame))
        return self.capture.frame(key, tile, frame, arrival)

    def on_video_end(self, *, key: str) -> None:
        self.ends.append(key)
        self.capture.end(key)

    def count(self, key: str) -> int:
        return sum(1 for k, _ in self.frames if k == key)


@dataclass
class Call:
    peer: MeetPeer
    client: MeetMediaClient
    observer: Observer

    async def join(self) -> None:
        await self.client.connect()
        assert await self.client.wait_joined(within=5)
        self.observer.capture.start(time.monotonic())


MakeCall = Callable[..., Call]


@pytest.fixture
async def make_call(tmp_path: Path) -> AsyncIterator[MakeCall]:
    calls: list[Call] = []

    def make(peer: MeetPeer, request: VideoRequest | None = REQUEST) -> Call:
        observer = Observer(VideoCapture(tmp_path / "video"))
        client = MeetMediaClient(signaling=peer, space="spaces/x", observer=observer, video=request)
        calls.append(Call(peer, client, observer))
        return calls[-1]

    yield make
    for call in calls:
        await call.client.close()
        await call.peer.close()
        call.observer.capture.close()


async def _send(
    call: Call,
    stream: int,
    codec: VideoCodec,
    *,
    csrcs: tuple[int, ...] = (),
    pictures: slice = slice(None),
    first_sequence: int = 1000,
) -> None:
    out = call.peer.video_out[stream]
    for picture in packets(encode(codec), first_sequence=first_sequence)[pictures]:
        for packet in picture:
            first = packet.sequence == first_sequence
            await out.send(packet, codec, csrcs=csrcs, with_mid=first)


async def test_video_is_offered_assigned_received_attributed_and_stored(
    make_call: MakeCall, tmp_path: Path
) -> None:
    peer = MeetPeer([ANN, BEN], canvases={1: (0, 11), 2: (1, 12), 3: (2, 13)})
    call = make_call(peer)
    await call.join()

    offer = aiortc_sdp.SessionDescription.parse(peer.offers[0])
    assert [m.kind for m in offer.media] == ["audio"] * 3 + ["video"] * 3 + ["application"]
    for media in offer.media[3:6]:
        assert media.direction == "recvonly"
        names = [c.mimeType for c in media.rtp.codecs if c.mimeType != "video/rtx"]
        assert names == ["video/VP8", "video/VP9", "video/AV1"]
        assert set(VIDEO_EXTENSIONS) <= {e.uri for e in media.rtp.headerExtensions}

    async def assigned() -> bool:
        return call.client.assignment is not None

    await eventually(assigned, what="the video assignment")
    (request,) = peer.requests
    assert [c.id for c in request.canvases] == [1, 2, 3]
    assert {(c.width, c.height) for c in request.canvases} == {(640, 360)}
    assert (request.max_width, request.max_height, request.frame_rate) == (640, 360, 15)
    assert request.label == "meetbot"

    await _send(call, 0, VP8, csrcs=(42, ANN.video_csrc))  # by CSRC
    await _send(call, 1, VP9)  # no CSRC: by the assignment
    await _send(call, 2, AV1, csrcs=(ANN.screen_csrc or 0,))  # Ann's screenshare

    async def received() -> bool:
        return all(call.observer.count(k) == 12 for k in (ANN.key, BEN.key, ANN_SCREEN))

    await eventually(received, what="every frame at the observer")
    assert len(peer.requests) == 1
    segments = {s.key: s for s in call.observer.capture.close()}
    assert segments == {s.key: s for s in list_segments(tmp_path / "video")}
    for key, codec in ((ANN.key, VP8), (BEN.key, VP9), (ANN_SCREEN, AV1)):
        assert segments[key].codec is codec
        data = [f.data for f in read_ivf_file(segments[key].path).frames]
        assert_pictures_match(codec, data, list(encode(codec).sources), (322, 178))
    tiles = {key: tile.name for key, tile in read_tiles(tmp_path / "video").items()}
    assert tiles == {ANN.key: "Ann", BEN.key: "Ben", ANN_SCREEN: "Ann (screen)"}
    sections = call.client.stats.sections()
    kinds = {s.values["kind"] for s in sections if s.type == "inbound-rtp"}
    assert kinds == {"video"}
    mimes = {s.values["mimeType"] for s in sections if s.type == "codec"}
    assert {"video/VP8", "video/VP9", "video/AV1"} <= mimes


async def test_a_lost_packet_sends_a_pli_and_the_keyframe_resumes_the_stream(
    make_call: MakeCall,
) -> None:
    peer = MeetPeer([ANN, BEN], canvases={1: (0, 11)})
    call = make_call(peer, VideoRequest(streams=1))
    await call.join()

    async def assigned() -> bool:
        return bool(peer.requests)

    await eventually(assigned, what="the setAssignment request")
    out = peer.video_out[0]
    # keyframes at 0 and 6; small packets, so that the loss is certain 64 packets later
    pictures = packets(encode(VP8), first_sequence=65500, mtu=150)
    csrcs = (BEN.video_csrc,)
    for i, picture in enumerate(pictures[:6]):
        for j, packet in enumerate(picture):
            if (i, j) != (2, 0):  # lose the first packet of picture 2
                await out.send(packet, VP8, csrcs=csrcs, with_mid=packet.sequence == 65500)
    tail = iter(pictures[6:])

    async def pli() -> bool:
        return out.ssrc in peer.plis()

    await eventually(pli, what="a PLI for the stream")
    assert call.observer.count(BEN.key) == 2  # frames 0 and 1; 2-5 are undecodable
    for picture in tail:  # the keyframe the PLI asked for, and what follows
        for packet in picture:
            await out.send(packet, VP8, csrcs=csrcs)

    async def resumed() -> bool:
        return call.observer.count(BEN.key) == 8

    await eventually(resumed, what="the stream to resume")
    frames = [frame for key, frame in call.observer.frames if key == BEN.key]
    assert [f.data for f in frames] == [encode(VP8).frames[i] for i in (0, 1, *range(6, 12))]


async def test_rtx_repairs_a_lost_packet(make_call: MakeCall) -> None:
    peer = MeetPeer([ANN], canvases={1: (0, 11)})
    call = make_call(peer, VideoRequest(streams=1))
    await call.join()

    async def assigned() -> bool:
        return bool(peer.requests)

    await eventually(assigned, what="the setAssignment request")
    out = peer.video_out[0]
    flat = [p for picture in packets(encode(AV1), first_sequence=40) for p in picture]
    for packet in flat[:3] + flat[4:8]:
        await out.send(packet, AV1, csrcs=(ANN.video_csrc,), with_mid=packet.sequence == 40)
    await out.retransmit(flat[3], AV1, csrcs=(ANN.video_csrc,))
    for packet in flat[8:]:
        await out.send(packet, AV1, csrcs=(ANN.video_csrc,))

    async def received() -> bool:
        return call.observer.count(ANN.key) == 12

    await eventually(received, what="every frame, one packet repaired")
    receiver = call.client.video_receiver
    assert receiver is not None
    assert receiver.counters.rtx_packets == 1
    assert receiver.summary()["lost_packets"] == 0
    assert peer.plis() == []


async def test_an_answer_without_video_leaves_audio_only(make_call: MakeCall) -> None:
    peer = MeetPeer([ANN], video=False)
    call = make_call(peer)
    await call.join()
    assert aiortc_sdp.SessionDescription.parse(peer.answer).media[3].direction == "inactive"
    assert call.client.video_receiver is None

    async def opened() -> bool:
        return "video-assignment" in peer.channels

    await eventually(opened, what="the video-assignment channel")
    assert peer.requests == []
    assert call.client.state is ClientState.JOINED


async def test_without_a_video_request_the_offer_is_audio_only(make_call: MakeCall) -> None:
    peer = MeetPeer([ANN])
    call = make_call(peer, None)
    await call.join()
    offer = aiortc_sdp.SessionDescription.parse(peer.offers[0])
    assert [m.kind for m in offer.media] == ["audio"] * 3 + ["application"]
    assert "extmap-allow-mixed" not in peer.offers[0]
    assert "video-assignment" not in peer.channels
