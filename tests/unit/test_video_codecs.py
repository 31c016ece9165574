"""What aiortc offers for video once VP9 and AV1 are registered and the offer is extended."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterator

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc import codecs as aiortc_codecs
from aiortc import sdp as aiortc_sdp

from recorder.sdp import add_audio_extensions
from recorder.video.codecs import (
    VIDEO_EXTENSIONS,
    add_video_extensions,
    prefer_meet_codecs,
    register_video_codecs,
    unwrap_rtx,
    video_payload_types,
)
from recorder.video.model import PayloadError, VideoCodec


@pytest.fixture(autouse=True)
def aiortc_tables() -> Iterator[None]:
    """Registration changes aiortc's process-wide table: put it back after each test."""
    saved = list(aiortc_codecs.CODECS["video"])
    yield
    aiortc_codecs.CODECS["video"][:] = saved


async def _offer(video: int) -> tuple[RTCPeerConnection, str]:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    for _ in range(3):
        pc.addTransceiver("audio", direction="recvonly")
    for _ in range(video):
        prefer_meet_codecs(pc.addTransceiver("video", direction="recvonly"))
    pc.createDataChannel("session-control")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, add_video_extensions(add_audio_extensions(pc.localDescription.sdp))


def test_registration_is_idempotent_and_keeps_vp8_first() -> None:
    register_video_codecs()
    register_video_codecs()
    names = [c.mimeType for c in aiortc_codecs.get_capabilities("video").codecs]
    assert names[0] == "video/VP8"
    assert names.count("video/VP9") == names.count("video/AV1") == 1
    payload_types = [c.payloadType for kind in aiortc_codecs.CODECS.values() for c in kind]
    assert len(payload_types) == len(set(payload_types))


def test_registration_from_many_threads_at_once_adds_each_codec_once() -> None:
    # without the lock, 8 threads racing from a barrier duplicated VP9 in about 1 run in 4
    saved = list(aiortc_codecs.CODECS["video"])
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(20):
            aiortc_codecs.CODECS["video"][:] = saved
            start = threading.Barrier(8)

            def register(start: threading.Barrier = start) -> None:
                start.wait()
                register_video_codecs()

            threads = [threading.Thread(target=register) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            names = [c.mimeType for c in aiortc_codecs.CODECS["video"]]
            assert names.count("video/VP9") == names.count("video/AV1") == 1
    finally:
        sys.setswitchinterval(interval)


async def test_the_offer_lists_vp8_vp9_av1_and_the_required_extensions() -> None:
    pc, offer = await _offer(video=3)
    await pc.close()
    description = aiortc_sdp.SessionDescription.parse(offer)
    kinds = [m.kind for m in description.media]
    assert kinds == ["audio"] * 3 + ["video"] * 3 + ["application"]
    ids: dict[str, int] = {}
    for media in description.media[:6]:
        for ext in media.rtp.headerExtensions:
            assert ids.setdefault(ext.uri, ext.id) == ext.id  # one id per URI (BUNDLE)
    assert len(set(ids.values())) == len(ids)  # and one URI per id
    for media in description.media[3:6]:
        codecs = [(c.mimeType, c.parameters) for c in media.rtp.codecs if c.name != "rtx"]
        assert codecs == [
            ("video/VP8", {}),
            ("video/VP9", {"profile-id": "0"}),
            ("video/AV1", {"level-idx": "5", "profile": "0", "tier": "0"}),
        ]
        rtx = [c.parameters["apt"] for c in media.rtp.codecs if c.name == "rtx"]
        assert sorted(rtx) == sorted(c.payloadType for c in media.rtp.codecs if c.name != "rtx")
        assert {e.uri for e in media.rtp.headerExtensions} == set(VIDEO_EXTENSIONS)
        assert media.direction == "recvonly"
    assert offer.count("a=extmap-allow-mixed") == 1
    assert offer.index("a=extmap-allow-mixed") < offer.index("m=audio")
    assert add_video_extensions(offer) == offer
    assert "H264" not in offer


async def test_an_answer_choosing_only_av1_is_accepted_and_mapped() -> None:
    pc, offer = await _offer(video=1)
    answerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        await answerer.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await answerer.setLocalDescription(await answerer.createAnswer())
        answer = answerer.localDescription.sdp
        full = video_payload_types(answer)
        av1 = next(pt for pt, c in full["3"].codecs.items() if c is VideoCodec.AV1)
        keep = {str(av1), *(str(r) for r, apt in full["3"].rtx.items() if apt == av1)}
        answer = _only_payload_types(answer, "video", keep)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    finally:
        await answerer.close()
        await pc.close()
    mapped = video_payload_types(answer)
    assert set(mapped) == {"3"}
    assert list(mapped["3"].codecs.values()) == [VideoCodec.AV1]
    assert set(full["3"].codecs.values()) == set(VideoCodec)
    assert all(apt in full["3"].codecs for apt in full["3"].rtx.values())


def _only_payload_types(sdp: str, kind: str, keep: set[str]) -> str:
    out, inside = [], False
    for line in sdp.split("\r\n"):
        if line.startswith("m="):
            inside = line.startswith(f"m={kind} ")
            if inside:
                head = line.split(" ")[:3]
                line = " ".join(head + [pt for pt in line.split(" ")[3:] if pt in keep])
        match = re.match(r"a=(?:rtpmap|fmtp|rtcp-fb):(\d+) ", line)
        if inside and match and match.group(1) not in keep:
            continue
        out.append(line)
    return "\r\n".join(out)


def test_rtx_payloads_carry_the_original_sequence_number() -> None:
    assert unwrap_rtx(b"\x12\x34rest") == (0x1234, b"rest")
    with pytest.raises(PayloadError):
        unwrap_rtx(b"\x12")
