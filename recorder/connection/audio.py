"""Audio routing: each RTP packet counted, then sent to its speaker by CSRC once joined."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from recorder.connection.model import MediaObserver
from recorder.csrc import pick_csrc
from recorder.directory import ConferenceDirectory
from recorder.stats import ReceiveStats


class AudioRoute:
    """The audio tap's target: stats for every packet, the speaker's payload to the observer."""

    def __init__(
        self,
        *,
        stats: ReceiveStats,
        directory: ConferenceDirectory,
        observer: MediaObserver,
        joined: asyncio.Event,
        clock: Callable[[], float],
    ) -> None:
        self._stats = stats
        self._directory = directory
        self._observer = observer
        self._joined = joined
        self._clock = clock

    def on_packet(self, packet: Any, arrival_ms: int) -> None:
        payload = packet.payload
        self._stats.add(
            ssrc=packet.ssrc,
            mid=packet.extensions.mid,
            seq=packet.sequence_number,
            timestamp=packet.timestamp,
            size=len(payload),
            arrival_ms=arrival_ms,
        )
        if not self._joined.is_set() or not payload:
            return
        info = pick_csrc(packet.csrc)
        if info.csrc is None:  # pre-audio silence carries no CSRC
            self._stats.dropped_no_csrc += 1
            return
        speaker = self._directory.speaker_for_csrc(info.csrc)
        if speaker is None:
            self._stats.dropped_unknown_csrc += 1
            return
        self._observer.on_audio(
            speaker=speaker,
            payload=payload,
            ssrc=packet.ssrc,
            seq=packet.sequence_number,
            rtp_ts=packet.timestamp,
            arrival=self._clock(),
        )
