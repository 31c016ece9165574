"""VP9 and AV1 RTP through a real aiortc connection to the recorder's packet tap.

The answerer sends packets itself (aiortc cannot encode VP9 or AV1): a libvpx VP9 keyframe
and an SVT-AV1 temporal unit, packetized by `recorder.video.packetize`, on the payload
types the answer negotiated. These tests fail if aiortc changes the routing they rely on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc import codecs as aiortc_codecs
from aiortc.rtp import RtcpPsfbPacket, RtpPacket

from recorder import hooks
from recorder.video.codecs import (
    add_video_extensions,
    prefer_meet_codecs,
    request_keyframe,
    video_packet,
    video_payload_types,
)
from recorder.video.frames import FrameAssembler, depacketizer_for
from recorder.video.model import EncodedFrame, VideoCodec
from recorder.video.packetize import Vp9Layer, packetize_av1, packetize_vp9
from tests.fixtures_bot import eventually
from tests.video_media import decode, encode

RTCP_PSFB_PLI = 1


@pytest.fixture(autouse=True)
def aiortc_tables() -> Iterator[None]:
    """Registration changes aiortc's process-wide table: put it back after each test."""
    saved = list(aiortc_codecs.CODECS["video"])
    yield
    aiortc_codecs.CODECS["video"][:] = saved


class Call:
    """Recorder side (2 recvonly video m-lines, tapped) and a sending answerer."""

    def __init__(self) -> None:
        self.recorder = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.sender = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.tapped: list[tuple[int, Any]] = []
        self.rtcp: list[Any] = []
        self.answer = ""

    async def connect(self) -> None:
        for index in range(2):
            transceiver = self.recorder.addTransceiver("video", direction="recvonly")
            prefer_meet_codecs(transceiver)
            hooks.tap_packets(transceiver.receiver, self._tap(index))
        await self.recorder.setLocalDescription(await self.recorder.createOffer())
        offer = add_video_extensions(self.recorder.localDescription.sdp)
        await self.sender.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        for transceiver in self.sender.getTransceivers():
            transceiver.direction = "sendonly"
        await self.sender.setLocalDescription(await self.sender.createAnswer())
        lines = self.sender.localDescription.sdp.split("\r\n")
        self.answer = "\r\n".join(x for x in lines if not x.startswith("a=ssrc"))  # like Meet?
        await self.recorder.setRemoteDescription(
            RTCSessionDescription(sdp=self.answer, type="answer")
        )
        for transceiver in self.recorder.getTransceivers():
            hooks.route_by_mid(transceiver.receiver.transport)
        router = self.sender.getTransceivers()[0].sender.transport._rtp_router
        route_rtcp = router.route_rtcp

        def spy(packet: Any) -> Any:
            self.rtcp.append(packet)
            return route_rtcp(packet)

        router.route_rtcp = spy

        async def connected() -> bool:
            return self.recorder.connectionState == self.sender.connectionState == "connected"

        await eventually(connected, what="the loopback connection")

    def _tap(self, index: int) -> Any:
        return lambda packet, _ms: self.tapped.append((index, packet))

    async def send(self, *, mid: str, ssrc: int, pt: int, payloads: list[bytes], seq: int) -> None:
        """Send one picture's payloads on ``mid``; only the first packet carries the MID."""
        transport = self.sender.getTransceivers()[0].sender.transport
        for i, payload in enumerate(payloads):
            packet = RtpPacket(
                payload_type=pt, sequence_number=seq + i, timestamp=90_000, ssrc=ssrc
            )
            packet.marker = int(i == len(payloads) - 1)
            packet.extensions.mid = mid if i == 0 else None
            packet.payload = payload
            await transport._send_rtp(packet.serialize(transport._rtp_header_extensions_map))

    async def close(self) -> None:
        await self.recorder.close()
        await self.sender.close()


@pytest.fixture
async def call() -> AsyncIterator[Call]:
    call = Call()
    try:
        yield call
    finally:
        await call.close()


def _keyframe_payloads(codec: VideoCodec) -> list[bytes]:
    key = encode(codec).frames[0]
    if codec is VideoCodec.VP9:
        return packetize_vp9([Vp9Layer(key, inter_picture=False)], mtu=700)
    return packetize_av1(key, mtu=700)


def _frames_at_the_tap(call: Call, index: int, codec: VideoCodec) -> list[EncodedFrame]:
    assembler = FrameAssembler(depacketizer_for(codec))
    frames = []
    for i, packet in call.tapped:
        if i == index:
            frames += assembler.push(video_packet(packet), 0).frames
    return frames


@pytest.mark.parametrize(("index", "codec"), [(0, VideoCodec.VP9), (1, VideoCodec.AV1)])
async def test_vp9_and_av1_reach_the_tap_and_decode(
    call: Call, index: int, codec: VideoCodec
) -> None:
    await call.connect()
    mid = call.recorder.getTransceivers()[index].mid
    assert mid is not None
    pt = next(p for p, c in video_payload_types(call.answer)[mid].codecs.items() if c is codec)
    payloads = _keyframe_payloads(codec)
    assert len(payloads) > 3  # all but the first go without MID: routed by the SSRC latch
    ssrc = call.sender.getTransceivers()[index].sender._ssrc
    await call.send(mid=mid, ssrc=ssrc, pt=pt, payloads=payloads, seq=1000)

    async def arrived() -> bool:
        return len(call.tapped) == len(payloads)

    await eventually(arrived, what=f"the {codec} packets at the tap")
    frames = _frames_at_the_tap(call, index, codec)
    assert [f.keyframe for f in frames] == [True]
    picture = decode(codec, [frames[0].data])[0]
    assert (picture.width, picture.height) == (322, 178)


async def test_packets_of_a_payload_type_not_negotiated_need_the_mid(call: Call) -> None:
    await call.connect()
    mid = call.recorder.getTransceivers()[1].mid
    ssrc = call.sender.getTransceivers()[1].sender._ssrc
    await call.send(mid=mid, ssrc=ssrc, pt=120, payloads=[b"a", b"b", b"c"], seq=500)
    await call.send(mid=mid, ssrc=ssrc, pt=97, payloads=[b"\x10\x00"], seq=503)  # VP8

    async def vp8_arrived() -> bool:
        return any(p.payload_type == 97 for _, p in call.tapped)

    await eventually(vp8_arrived, what="the VP8 packet")
    assert [p.sequence_number for _, p in call.tapped] == [500, 503]  # 501, 502 dropped


async def test_keyframe_requests_reach_the_sender(call: Call) -> None:
    await call.connect()
    receiver = call.recorder.getTransceivers()[1].receiver
    await request_keyframe(receiver, 4242)

    async def pli() -> bool:
        return any(
            isinstance(p, RtcpPsfbPacket) and p.fmt == RTCP_PSFB_PLI and p.media_ssrc == 4242
            for p in call.rtcp
        )

    await eventually(pli, what="the PLI")
