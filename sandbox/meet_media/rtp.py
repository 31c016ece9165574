"""The one place that reaches into aiortc's sender side: RTP we build, sent on its transport.

aiortc's own sender loop cannot set CSRCs, so each audio sender gets an `IdleTrack` (its loop
waits forever) and `RtpStream` sends pre-encoded Opus with Meet's CSRCs through the sender's
DTLS transport. The aiortc internals used are listed in `missing_internals`, which a test
checks so that an aiortc upgrade that changes them fails loudly.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Sequence
from typing import Any

from aiortc import MediaStreamTrack, RTCDtlsTransport, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtcrtpparameters import RTCRtpSendParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

SAMPLES_PER_TICK = 960  # 20 ms of 48 kHz Opus
_U32 = 0xFFFFFFFF


class IdleTrack(MediaStreamTrack):
    """A track that never yields a frame, so aiortc's own RTP loop for it stays idle."""

    def __init__(self, *, kind: str) -> None:
        super().__init__()
        self.kind = kind

    async def recv(self) -> Any:
        await asyncio.get_running_loop().create_future()  # cancelled when the sender stops


def missing_internals() -> list[str]:
    """The aiortc internals `RtpStream` relies on that this aiortc version lacks."""
    missing = []
    send = getattr(RTCDtlsTransport, "_send_rtp", None)
    if send is None or list(inspect.signature(send).parameters) != ["self", "data"]:
        missing.append("RTCDtlsTransport._send_rtp(data)")
    if "self._ssrc" not in inspect.getsource(RTCRtpSender.__init__):
        missing.append("RTCRtpSender._ssrc")
    transceiver_init = inspect.getsource(RTCRtpTransceiver.__init__)
    for name in ("_codecs", "_headerExtensions"):
        if f"self.{name}" not in transceiver_init:
            missing.append(f"RTCRtpTransceiver.{name}")
    packet = RtpPacket()
    if not isinstance(getattr(packet, "csrc", None), list) or not hasattr(packet.extensions, "mid"):
        missing.append("RtpPacket.csrc / extensions.mid")
    if not hasattr(HeaderExtensionsMap, "configure"):
        missing.append("HeaderExtensionsMap.configure")
    return missing


class RtpStream:
    """One virtual audio stream: a fixed SSRC with continuous sequence numbers and timestamps.

    Built from a negotiated sendonly audio transceiver (after the local answer is set).
    """

    def __init__(self, *, transceiver: Any, rng: random.Random | None = None) -> None:
        rng = rng or random.Random()
        self._sender: Any = transceiver.sender
        self.ssrc: int = self._sender._ssrc
        self.mid: str = transceiver.mid
        codecs = transceiver._codecs
        opus = next(c for c in codecs if c.mimeType.lower() == "audio/opus")
        self.payload_type: int = opus.payloadType
        self._extensions = HeaderExtensionsMap()
        self._extensions.configure(
            RTCRtpSendParameters(
                codecs=codecs, headerExtensions=transceiver._headerExtensions, muxId=self.mid
            )
        )
        self._sequence = rng.randrange(1 << 16)
        self._timestamp_base = rng.randrange(1 << 32)
        self._last_tick: int | None = None
        self.packets_sent = 0

    @property
    def ready(self) -> bool:
        """Whether the DTLS transport is up, so SRTP can be sent."""
        return bool(self._sender.transport.state == "connected")

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
            ssrc=self.ssrc,
            payload=payload,
        )
        packet.csrc = list(csrc)
        packet.extensions.mid = self.mid
        if level is not None:
            packet.extensions.audio_level = (True, level)
        await self._sender.transport._send_rtp(packet.serialize(self._extensions))
        self._sequence = (self._sequence + 1) & 0xFFFF
        self._last_tick = tick
        self.packets_sent += 1
