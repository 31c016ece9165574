"""The two aiortc hooks: they fail loudly if aiortc changes what they wrap."""

from __future__ import annotations

import inspect
from typing import Any

from aiortc import RTCPeerConnection
from aiortc.rtcdtlstransport import RtpRouter
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtp import RtpPacket

from recorder import hooks


def _packet(*, ssrc: int, mid: str | None, csrc: list[int] | None = None) -> RtpPacket:
    packet = RtpPacket(payload_type=111, sequence_number=7, timestamp=960, ssrc=ssrc)
    packet.extensions.mid = mid
    packet.csrc = csrc or []
    packet.payload = b"\xf8\xff\xfe"
    return packet


class _Transport:
    def __init__(self) -> None:
        self._rtp_router = RtpRouter()


def test_aiortc_still_has_what_the_hooks_wrap() -> None:
    assert list(inspect.signature(RtpRouter.route_rtp).parameters) == ["self", "packet"]
    assert list(inspect.signature(RTCRtpReceiver._handle_rtp_packet).parameters) == [
        "self",
        "packet",
        "arrival_time_ms",
    ]
    router = RtpRouter()
    assert isinstance(router.mid_table, dict)
    assert isinstance(router.ssrc_table, dict)


def test_unsignalled_ssrcs_sharing_a_payload_type_are_dropped_without_the_hook() -> None:
    transport = _Transport()
    router = transport._rtp_router
    a, b = object(), object()
    router.register_receiver(a, ssrcs=[], payload_types=[111], mid="0")
    router.register_receiver(b, ssrcs=[], payload_types=[111], mid="1")
    assert router.route_rtp(_packet(ssrc=1001, mid="1")) is None


def test_route_by_mid_finds_the_receiver_and_latches_the_ssrc() -> None:
    transport = _Transport()
    router = transport._rtp_router
    a, b = object(), object()
    router.register_receiver(a, ssrcs=[], payload_types=[111], mid="0")
    router.register_receiver(b, ssrcs=[], payload_types=[111], mid="1")
    hooks.route_by_mid(transport)
    hooks.route_by_mid(transport)  # idempotent
    assert router.route_rtp(_packet(ssrc=1001, mid="1")) is b
    assert router.ssrc_table[1001] is b
    assert router.route_rtp(_packet(ssrc=1001, mid=None)) is b  # latched: mid not needed
    assert router.route_rtp(_packet(ssrc=1002, mid="9")) is None


async def test_tap_packets_receives_csrcs_and_replaces_decoding() -> None:
    pc = RTCPeerConnection()
    try:
        receiver = pc.addTransceiver("audio", direction="recvonly").receiver
        seen: list[tuple[Any, int]] = []
        hooks.tap_packets(receiver, lambda packet, ms: seen.append((packet, ms)))
        await receiver._handle_rtp_packet(_packet(ssrc=5, mid="0", csrc=[1001, 42]), 1234)
        assert [(p.csrc, ms) for p, ms in seen] == [([1001, 42], 1234)]
    finally:
        await pc.close()
