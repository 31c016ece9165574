"""The one place that reaches into aiortc's sender side: RTP we build, sent on its transport.

aiortc's own sender loop cannot set CSRCs (and cannot encode VP9 or AV1), so every sender
gets an `IdleTrack` (its loop waits forever) and a `SenderPort` sends the RTP packets we
build through the sender's DTLS transport: `RtpStream` pre-encoded Opus with Meet's CSRCs,
`video_rtp.VideoRtpStream` pre-encoded VP8/VP9/AV1. Keyframe requests (RTCP PLI/FIR) that
aiortc routes to a sender reach the port's callback instead of aiortc's (idle) encoder. The
aiortc internals used are listed in `missing_internals`, which a test checks so that an
aiortc upgrade that changes them fails loudly.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Callable, Sequence
from typing import Any

from aiortc import MediaStreamTrack, RTCDtlsTransport, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpSendParameters
from aiortc.rtp import (
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    HeaderExtensionsMap,
    RtcpPsfbPacket,
    RtpPacket,
)

SAMPLES_PER_TICK = 960  # 20 ms of 48 kHz Opus
KEYFRAME_REQUESTS = frozenset({RTCP_PSFB_PLI, RTCP_PSFB_FIR})
_U32 = 0xFFFFFFFF


class IdleTrack(MediaStreamTrack):
    """A track that never yields a frame, so aiortc's own RTP loop for it stays idle."""

    def __init__(self, *, kind: str) -> None:
        super().__init__()
        self.kind = kind

    async def recv(self) -> Any:
        await asyncio.get_running_loop().create_future()  # cancelled when the sender stops


def missing_internals() -> list[str]:
    """The aiortc internals `SenderPort` relies on that this aiortc version lacks."""
    missing = []
    send = getattr(RTCDtlsTransport, "_send_rtp", None)
    if send is None or list(inspect.signature(send).parameters) != ["self", "data"]:
        missing.append("RTCDtlsTransport._send_rtp(data)")
    sender_init = inspect.getsource(RTCRtpSender.__init__)
    if "self._ssrc" not in sender_init:
        missing.append("RTCRtpSender._ssrc")
    rtcp = getattr(RTCRtpSender, "_handle_rtcp_packet", None)
    if rtcp is None or list(inspect.signature(rtcp).parameters) != ["self", "packet"]:
        missing.append("RTCRtpSender._handle_rtcp_packet(packet)")
    transceiver_init = inspect.getsource(RTCRtpTransceiver.__init__)
    for name in ("_codecs", "_headerExtensions"):
        if f"self.{name}" not in transceiver_init:
            missing.append(f"RTCRtpTransceiver.{name}")
    packet = RtpPacket()
    if not isinstance(getattr(packet, "csrc", None), list) or not hasattr(packet.extensions, "mid"):
        missing.append("RtpPacket.csrc / extensions.mid")
    if not hasattr(HeaderExtensionsMap, "configure"):
        missing.append("HeaderExtensionsMap.configure")
    psfb = RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=1, media_ssrc=2)
    if (psfb.fmt, psfb.media_ssrc) != (RTCP_PSFB_PLI, 2):
        missing.append("RtcpPsfbPacket.fmt / media_ssrc")
    return missing


class SenderPort:
    """What a stream needs of one negotiated sendonly transceiver (after the local answer).

    Attributes:
        ssrc: the sender's SSRC (fixed for the session).
        mid: the m-line's MID, put on every packet.
        codecs: the codecs negotiated on the m-line, in the offer's order.
    """

    def __init__(self, *, transceiver: Any) -> None:
        self._sender: Any = transceiver.sender
        self.ssrc: int = self._sender._ssrc
        self.mid: str = transceiver.mid
        self.codecs: list[RTCRtpCodecParameters] = list(transceiver._codecs)
        self._extensions = HeaderExtensionsMap()
        self._extensions.configure(
            RTCRtpSendParameters(
                codecs=self.codecs, headerExtensions=transceiver._headerExtensions, muxId=self.mid
            )
        )

    @property
    def ready(self) -> bool:
        """Whether the DTLS transport is up, so SRTP can be sent."""
        return bool(self._sender.transport.state == "connected")

    def payload_type(self, mime_type: str) -> int | None:
        """The negotiated payload type of ``mime_type`` (any case), or None."""
        wanted = mime_type.lower()
        return next((c.payloadType for c in self.codecs if c.mimeType.lower() == wanted), None)

    async def send(self, packet: RtpPacket) -> None:
        """Send ``packet`` from this sender's SSRC, with the MID extension.

        Raises:
            ConnectionError: the transport is not (or no longer) connected.
        """
        packet.ssrc = self.ssrc
        packet.extensions.mid = self.mid
        await self._sender.transport._send_rtp(packet.serialize(self._extensions))

    def on_keyframe_request(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` for every RTCP PLI or FIR aiortc routes to this sender.

        aiortc routes feedback by its media SSRC, so only requests for `ssrc` get here;
        the sender's own handling (receiver reports, REMB) still runs for the rest.
        """
        sender = self._sender
        original = sender._handle_rtcp_packet

        async def handle(packet: Any) -> None:
            if isinstance(packet, RtcpPsfbPacket) and packet.fmt in KEYFRAME_REQUESTS:
                callback()
                return
            await original(packet)

        sender._handle_rtcp_packet = handle


class RtpStream:
    """One virtual audio stream: a fixed SSRC with continuous sequence numbers and timestamps.

    Built from a negotiated sendonly audio transceiver (after the local answer is set).
    """

    def __init__(self, *, transceiver: Any, rng: random.Random | None = None) -> None:
        rng = rng or random.Random()
        self._port = SenderPort(transceiver=transceiver)
        self.ssrc = self._port.ssrc
        self.mid = self._port.mid
        payload_type = self._port.payload_type("audio/opus")
        if payload_type is None:
            raise ValueError("Opus was not negotiated on an audio m-line")
        self.payload_type: int = payload_type
        self._sequence = rng.randrange(1 << 16)
        self._timestamp_base = rng.randrange(1 << 32)
        self._last_tick: int | None = None
        self.packets_sent = 0

    @property
    def ready(self) -> bool:
        """Whether the DTLS transport is up, so SRTP can be sent."""
        return self._port.ready

    async def send(
        self, *, tick: int, payload: bytes, csrc: Sequence[int], level: int | None = None
    ) -> None:
        """Send one 20 ms Opus frame for pacing tick ``tick``.

        The RTP timestamp follows the tick (960 per 20 ms of wall time, across gaps too).

        Raises:
            ConnectionError: the transport is not (or no longer) connected.
        """
        packet = RtpPacket(
            payload_type=self.payload_type,
            marker=int(self._last_tick is None or tick - self._last_tick > 1),
            sequence_number=self._sequence,
            timestamp=(self._timestamp_base + SAMPLES_PER_TICK * tick) & _U32,
        )
        packet.payload = payload
        packet.csrc = list(csrc)
        if level is not None:
            packet.extensions.audio_level = (True, level)
        await self._port.send(packet)
        self._sequence = (self._sequence + 1) & 0xFFFF
        self._last_tick = tick
        self.packets_sent += 1
