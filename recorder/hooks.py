"""The two aiortc hooks the Media API needs, kept here and nowhere else (reference §8).

1. **Route by MID.** Meet's three audio m-lines share Opus's payload type; when the answer
   carries no ``a=ssrc`` lines aiortc's router drops every packet. `route_by_mid` falls back
   to the ``sdes:mid`` header extension and latches the SSRC to that receiver.
2. **Tap packets.** aiortc parses each packet's CSRC list but never exposes it, and
   decodes every frame. `tap_packets` hands each packet (CSRCs, sequence, timestamp, encoded
   payload) to the recorder instead, so Opus and video are stored as received and never
   decoded here (video frames are assembled by `recorder.video.receive`).

Both wrap methods on *instances*; `tests/adapters/test_recorder_hooks.py` fails if aiortc
changes the methods they rely on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

PacketSink = Callable[[Any, int], None]
"""Called with each ``aiortc.rtp.RtpPacket`` and its arrival time in milliseconds."""

_HOOKED = "_meetbot_mid_routing"


def route_by_mid(transport: Any) -> None:
    """Make ``transport``'s RTP router fall back to the MID header extension (idempotent)."""
    router = transport._rtp_router
    if getattr(router, _HOOKED, False):
        return
    original = router.route_rtp

    def route_rtp(packet: Any) -> Any:
        receiver = original(packet)
        if receiver is None:
            mid = packet.extensions.mid
            receiver = router.mid_table.get(mid) if mid is not None else None
            if receiver is not None:
                router.ssrc_table[packet.ssrc] = receiver
        return receiver

    router.route_rtp = route_rtp
    setattr(router, _HOOKED, True)


def tap_packets(receiver: Any, sink: PacketSink) -> None:
    """Send ``receiver``'s RTP packets to ``sink`` instead of aiortc's jitter buffer/decoder.

    The receiver's track then yields nothing, and aiortc sends no RTCP feedback for it; the
    recorder owns the media from here.
    """

    async def handle(packet: Any, arrival_time_ms: int) -> None:
        sink(packet, arrival_time_ms)

    receiver._handle_rtp_packet = handle
