"""Receive statistics kept per SSRC, and the W3C-shaped sections Meet asks us to upload."""

from __future__ import annotations

from dataclasses import dataclass, field

from recorder.channels.media_stats import StatsSection

CLOCK_RATE = 48_000
VIDEO_CLOCK_RATE = 90_000


@dataclass(slots=True)
class _Inbound:
    ssrc: int
    mid: str | None
    kind: str = "audio"
    payload_type: int | None = None
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
        rate = VIDEO_CLOCK_RATE if self.kind == "video" else CLOCK_RATE
        transit = arrival_ms / 1000.0 - timestamp / rate
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
    """Counters the packet taps update; `sections` renders them for ``media-stats``.

    Audio and video streams are kept alike, by SSRC; video ones (``kind="video"``) name their
    payload type, described by `video_codecs` (payload type → MIME type, from the answer).
    """

    streams: dict[int, _Inbound] = field(default_factory=dict)
    dropped_no_csrc: int = 0
    dropped_unknown_csrc: int = 0
    video_codecs: dict[int, str] = field(default_factory=dict)

    def add(
        self,
        *,
        ssrc: int,
        mid: str | None,
        seq: int,
        timestamp: int,
        size: int,
        arrival_ms: int,
        kind: str = "audio",
        payload_type: int | None = None,
    ) -> None:
        stream = self.streams.get(ssrc)
        if stream is None:
            stream = self.streams[ssrc] = _Inbound(ssrc=ssrc, mid=mid, kind=kind)
        if payload_type is not None:
            stream.payload_type = payload_type
        stream.add(seq, timestamp, size, arrival_ms)

    @property
    def packets(self) -> int:
        return sum(s.packets for s in self.streams.values())

    @property
    def lost(self) -> int:
        return sum(s.lost for s in self.streams.values())

    def sections(self, *, payload_type: int = 111) -> tuple[StatsSection, ...]:
        """inbound-rtp per stream, the codecs, and the transport (W3C names, seconds)."""
        codec_id = f"CIT{payload_type}"
        out = [
            StatsSection(
                id=f"IT{s.ssrc}",
                type="inbound-rtp",
                values={
                    "ssrc": s.ssrc,
                    "kind": s.kind,
                    "mid": s.mid or "",
                    "codecId": codec_id if s.kind == "audio" else _video_codec_id(s),
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
        out += self._video_codec_sections()
        out.append(
            StatsSection(id="T01", type="transport", values={"packetsReceived": self.packets})
        )
        return tuple(out)

    def _video_codec_sections(self) -> list[StatsSection]:
        used = sorted(
            {
                s.payload_type
                for s in self.streams.values()
                if s.kind == "video" and s.payload_type is not None
            }
        )
        return [
            StatsSection(
                id=f"CIT{pt}",
                type="codec",
                values={
                    "mimeType": self.video_codecs[pt],
                    "payloadType": pt,
                    "clockRate": VIDEO_CLOCK_RATE,
                },
            )
            for pt in used
            if pt in self.video_codecs
        ]


def _video_codec_id(stream: _Inbound) -> str:
    return "" if stream.payload_type is None else f"CIT{stream.payload_type}"
