"""The offer Meet expects: a bundled peer, three recvonly audio m-lines, data channels first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcconfiguration import RTCBundlePolicy

from recorder import hooks, sdp
from recorder.channels import media_entries, media_stats, participants, session_control
from recorder.video.codecs import add_video_extensions

AUDIO_STREAMS = 3
# Labels exact; all created before the offer, ordered and reliable (reference §2.5).
CHANNELS = (
    session_control.LABEL,
    media_stats.LABEL,
    participants.LABEL,
    media_entries.LABEL,
)


def new_peer(ice_servers: tuple[str, ...]) -> Any:
    """A peer connection bundling every m-line on one transport, with these STUN/TURN URLs."""
    config = RTCConfiguration(
        iceServers=[RTCIceServer(urls=url) for url in ice_servers],
        bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
    )
    return RTCPeerConnection(configuration=config)


def add_audio(pc: Any, on_packet: Callable[[Any, int], None]) -> None:
    """The recvonly audio m-lines, each tapped; they come first in the offer."""
    for _ in range(AUDIO_STREAMS):
        transceiver = pc.addTransceiver("audio", direction="recvonly")
        hooks.tap_packets(transceiver.receiver, on_packet)


async def local_offer(pc: Any, *, video: bool) -> str:
    """Create and set the offer; return its SDP with the header extensions Meet needs."""
    await pc.setLocalDescription(await pc.createOffer())
    offer = sdp.add_audio_extensions(pc.localDescription.sdp)
    return add_video_extensions(offer) if video else offer


async def apply_answer(pc: Any, answer_sdp: str) -> None:
    """Set Meet's answer and route incoming RTP by MID (Meet sends no SSRC lines)."""
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))
    for transceiver in pc.getTransceivers():
        hooks.route_by_mid(transceiver.receiver.transport)
