"""Receive statistics kept per SSRC, and the W3C-shaped sections Meet asks us to upload."""

from __future__ import annotations

from dataclasses import dataclass, field

from recorder.channels.media_stats import StatsSection

CLOCK_RATE = 48_000


@dataclass(slots=True)
class _Inbound:
    ssrc: int
    mid: str | None
    packets: int = 0
    bytes: int = 0
    first_seq: int = -1
    highest_seq: int = -1
    cycles: int = 0
    jitter: float = 0.0
    last_transit: float | None = None

    def add(self, seq: int, timestamp: int, size: int, arrival_ms: int) -> None:
        self.packets += 1
        self.bytes += size
        if self.first_seq < 0:
            self.first_seq = self.highest_seq = seq
        else:
            delta = (seq - self.highest_seq) & 0xFFFF
            if 0 < delta < 0x8000:
                if seq < self.highest_seq:
                    self.cycles += 1 << 16
                self.highest_seq = seq
        transit = arrival_ms / 1000.0 - timestamp / CLOCK_RATE
        if self.last_transit is not None:
            self.jitter += (abs(transit - self.last_transit) - self.jitter) / 16.0
        self.last_transit = transit

    @property
    def lost(self) -> int:
        if self.first_seq < 0:
            return 0
        expected = self.cycles + self.highest_seq - self.first_seq + 1
        return max(0, expected - self.packets)


@dataclass(slots=True)
class ReceiveStats:
    """Counters the packet tap updates; `sections` renders them for ``media-stats``."""

    streams: dict[int, _Inbound] = field(default_factory=dict)
    dropped_no_csrc: int = 0
    dropped_unknown_csrc: int = 0

    def add(
        self, *, ssrc: int, mid: str | None, seq: int, timestamp: int, size: int, arrival_ms: int
    ) -> None:
        stream = self.streams.get(ssrc)
        if stream is None:
            stream = self.streams[ssrc] = _Inbound(ssrc=ssrc, mid=mid)
        stream.add(seq, timestamp, size, arrival_ms)

    @property
    def packets(self) -> int:
        return sum(s.packets for s in self.streams.values())

    @property
    def lost(self) -> int:
        return sum(s.lost for s in self.streams.values())

    def sections(self, *, payload_type: int = 111) -> tuple[StatsSection, ...]:
        """inbound-rtp per stream, the Opus codec, and the transport (W3C names, seconds)."""
        codec_id = f"CIT{payload_type}"
        out = [
            StatsSection(
                id=f"IT{s.ssrc}",
                type="inbound-rtp",
                values={
                    "ssrc": s.ssrc,
                    "kind": "audio",
                    "mid": s.mid or "",
                    "codecId": codec_id,
                    "packetsReceived": s.packets,
                    "bytesReceived": s.bytes,
                    "packetsLost": s.lost,
                    "jitter": round(s.jitter, 6),
                },
            )
            for s in self.streams.values()
        ]
        out.append(
            StatsSection(
                id=codec_id,
                type="codec",
                values={
                    "mimeType": "audio/opus",
                    "payloadType": payload_type,
                    "clockRate": CLOCK_RATE,
                    "channels": 2,
                },
            )
        )
        out.append(
            StatsSection(id="T01", type="transport", values={"packetsReceived": self.packets})
        )
        return tuple(out)
