"""One video SSRC's RTP packets in, whole encoded frames out: ordering, loss, keyframes.

Packets are put back in sequence order (a reorder window waits for late ones), consumed
in order, and grouped into pictures by RTP timestamp; the marker bit closes a picture. A
picture with a missing packet is broken. After a break (and at the start of a stream) every
frame is dropped until a keyframe arrives, because later frames refer to what was lost; the
assembler asks for a keyframe at once and again every ``keyframe_retry_ms`` while it waits
(the caller sends the RTCP PLI). Padding-only packets use up sequence numbers but carry no
picture data.

This is deliberately simpler than a player's jitter buffer: nothing is decoded, and latency
does not matter, only that every stored frame decodes. It does not exploit non-reference
frames (VP8 N bit, VP9/AV1 temporal layers) to skip a keyframe request; Meet answers PLIs
quickly, and a frozen second is better than a corrupt one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from recorder.video.av1 import Av1Depacketizer
from recorder.video.model import (
    Depacketizer,
    EncodedFrame,
    PayloadError,
    RtpVideoPacket,
    VideoCodec,
)
from recorder.video.vp8 import Vp8Depacketizer
from recorder.video.vp9 import Vp9Depacketizer

logger = logging.getLogger(__name__)

_SEQ_MOD = 1 << 16
_TS_MOD = 1 << 32
_RESTART = 1000  # a packet this far behind means the sender restarted its numbering


@dataclass(slots=True)
class Assembly:
    """What one `FrameAssembler.push` produced."""

    frames: list[EncodedFrame] = field(default_factory=list)
    """Whole frames, in order; the first after a loss is always a keyframe."""
    request_keyframe: bool = False
    """Send a keyframe request (RTCP PLI) for this SSRC now."""


@dataclass(slots=True)
class AssemblerStats:
    """Counters for logs and the media-stats upload."""

    packets: int = 0
    frames: int = 0
    keyframes: int = 0
    lost_packets: int = 0
    late_packets: int = 0
    """Duplicates and packets older than what was already consumed."""
    broken_frames: int = 0
    """Pictures with a missing packet or a malformed payload."""
    skipped_frames: int = 0
    """Whole frames dropped while waiting for a keyframe."""
    keyframe_requests: int = 0


class _Unwrapper:
    """Extend wrapping counters (16-bit sequence, 32-bit timestamp) to unbounded integers."""

    def __init__(self, modulus: int) -> None:
        self._mod = modulus
        self._last: int | None = None

    def __call__(self, value: int) -> int:
        if self._last is None:
            self._last = value
            return value
        delta = (value - self._last) % self._mod
        if delta >= self._mod // 2:
            delta -= self._mod
        self._last += delta
        return self._last


class FrameAssembler:
    """Turn one SSRC's RTP packets into encoded frames (not thread-safe)."""

    def __init__(
        self,
        depacketizer: Depacketizer,
        *,
        reorder_packets: int = 64,
        reorder_ms: int = 150,
        keyframe_retry_ms: int = 1000,
        max_frame_packets: int = 4096,
    ) -> None:
        """Create an assembler waiting for its first keyframe.

        Args:
            depacketizer: The codec's half (one per stream; AV1's keeps state).
            reorder_packets: A missing packet is lost once this many later ones arrived...
            reorder_ms: ...or once the oldest waiting packet is this old.
            keyframe_retry_ms: Repeat the keyframe request this often while waiting.
            max_frame_packets: A picture with more packets than this is broken.
        """
        self._depacketizer = depacketizer
        self._reorder_packets = reorder_packets
        self._reorder_ms = reorder_ms
        self._retry_ms = keyframe_retry_ms
        self._max_packets = max_frame_packets
        self._seq = _Unwrapper(_SEQ_MOD)
        self._ts = _Unwrapper(_TS_MOD)
        self._next: int | None = None
        self._waiting: dict[int, tuple[RtpVideoPacket, int]] = {}
        self._payloads: list[bytes] = []
        self._frame_ts: int | None = None
        self._frame_ok = False
        self._gap = True  # packets may be missing before the next one (so at the start)
        self._need_key = True
        self._last_request: int | None = None
        self._out = Assembly()
        self.stats = AssemblerStats()

    @property
    def codec(self) -> VideoCodec:
        """The codec this assembler handles."""
        return self._depacketizer.codec

    @property
    def waiting_for_keyframe(self) -> bool:
        """True from the start and after a loss, until a keyframe comes out."""
        return self._need_key

    def require_keyframe(self) -> None:
        """Drop frames until the next keyframe, e.g. when the SSRC now carries someone else.

        Frames skipped from now on raise `Assembly.request_keyframe` (rate limited).
        """
        self._need_key = True

    def push(self, packet: RtpVideoPacket, arrival_ms: int) -> Assembly:
        """Take one packet (any order); return the frames it completed.

        Args:
            packet: The packet, padding removed (RTX already unwrapped).
            arrival_ms: Its arrival time on any monotonic millisecond clock.
        """
        self._out = Assembly()
        self.stats.packets += 1
        seq = self._seq(packet.sequence)
        if self._next is None:
            self._next = seq
        elif seq < self._next - _RESTART:
            self._restart(seq)
        if seq < self._next or seq in self._waiting:
            self.stats.late_packets += 1
            return self._out
        self._waiting[seq] = (packet, arrival_ms)
        self._drain(arrival_ms)
        return self._out

    def flush(self) -> list[EncodedFrame]:
        """End of stream: give up on missing packets, return what completes."""
        self._out = Assembly()
        while self._waiting:
            self._skip_gap(None)
            self._drain(None)
        return self._out.frames

    def _drain(self, now_ms: int | None) -> None:
        while True:
            while self._next in self._waiting:
                packet, arrival = self._waiting.pop(self._next)
                self._next += 1
                self._consume(packet, arrival)
            if not self._waiting or not self._gap_expired(now_ms):
                return
            self._skip_gap(now_ms)

    def _restart(self, seq: int) -> None:
        logger.info("video: %s sequence numbers restarted; waiting for a keyframe", self.codec)
        self._next = seq
        self._waiting.clear()
        self._payloads, self._frame_ts = [], None
        self._gap = True
        self._need_key = True

    def _gap_expired(self, now_ms: int | None) -> bool:
        assert self._next is not None
        if now_ms is None or max(self._waiting) - self._next >= self._reorder_packets:
            return True
        oldest = min(arrival for _, arrival in self._waiting.values())
        return now_ms - oldest >= self._reorder_ms

    def _skip_gap(self, now_ms: int | None) -> None:
        """Declare the packets before the oldest waiting one lost."""
        assert self._next is not None
        first = min(self._waiting)
        self.stats.lost_packets += first - self._next
        logger.debug("video: %d packet(s) lost", first - self._next)
        self._next = first
        self._gap = True
        self._frame_ok = False
        self._need_key = True
        if now_ms is not None:
            self._request(now_ms)

    def _consume(self, packet: RtpVideoPacket, arrival_ms: int) -> None:
        if not packet.payload:  # padding only
            return
        ts = self._ts(packet.timestamp)
        if self._frame_ts is not None and ts != self._frame_ts:
            self._finish(arrival_ms)  # the marker bit was left off
        if self._frame_ts is None:
            self._frame_ts = ts
            self._frame_ok = not self._gap or self._depacketizer.starts_frame(packet.payload)
        self._gap = False
        self._payloads.append(packet.payload)
        if len(self._payloads) > self._max_packets:
            self._frame_ok = False
        if packet.marker:
            self._finish(arrival_ms)

    def _finish(self, arrival_ms: int) -> None:
        payloads, ts, ok = self._payloads, self._frame_ts, self._frame_ok
        self._payloads, self._frame_ts = [], None
        if not ok or ts is None:
            self._broken(arrival_ms)
            return
        try:
            frame = self._depacketizer.assemble(payloads)
        except PayloadError as exc:
            logger.info("video: dropping a malformed %s frame: %s", self.codec, exc)
            self._broken(arrival_ms)
            return
        self._deliver(replace(frame, timestamp=ts, arrival_ms=arrival_ms), arrival_ms)

    def _deliver(self, frame: EncodedFrame, arrival_ms: int) -> None:
        if self._need_key and not frame.keyframe:
            self.stats.skipped_frames += 1
            self._request(arrival_ms)
            return
        self._need_key = False
        self.stats.frames += 1
        self.stats.keyframes += frame.keyframe
        self._out.frames.append(frame)

    def _broken(self, arrival_ms: int) -> None:
        self.stats.broken_frames += 1
        self._need_key = True
        self._request(arrival_ms)

    def _request(self, now_ms: int) -> None:
        if self._last_request is not None and now_ms - self._last_request < self._retry_ms:
            return
        self._last_request = now_ms
        self._out.request_keyframe = True
        self.stats.keyframe_requests += 1


def depacketizer_for(codec: VideoCodec) -> Depacketizer:
    """A fresh depacketizer for ``codec`` (one per stream)."""
    if codec is VideoCodec.VP8:
        return Vp8Depacketizer()
    if codec is VideoCodec.VP9:
        return Vp9Depacketizer()
    return Av1Depacketizer()
