"""One call's capture: a track per speaker in the work dir, on one call clock, plus the manifest."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from recorder.capture.manifest import CaptureManifest, write_manifest
from recorder.capture.ogg import OggOpusWriter
from recorder.capture.track import SpeakerTrack
from recorder.model import Speaker

logger = logging.getLogger(__name__)


class CaptureListener(Protocol):
    """Sees what the capture writes as it writes it (live transcription and mixing)."""

    def packet(self, key: str, payload: bytes, samples: int) -> None:
        """Every packet written to speaker ``key``'s file, silence padding included, in order
        and contiguous from call t=0. Called on the capture's task: keep it cheap."""
        ...

    def speaker(self, speaker: Speaker) -> None:
        """A speaker's first packet is about to be written, or their display name changed."""
        ...


@dataclass(frozen=True, slots=True)
class TrackSummary:
    """One speaker's capture: the work file and its counters."""

    speaker: Speaker
    path: Path
    voiced_seconds: float
    packets: int
    dropped: int


@dataclass(frozen=True, slots=True)
class CaptureSummary:
    """The whole capture once closed."""

    duration: float
    tracks: tuple[TrackSummary, ...]

    @property
    def voiced(self) -> bool:
        """Whether any speaker said anything (no audio at all is a failed recording)."""
        return any(t.voiced_seconds > 0 for t in self.tracks)


@dataclass(slots=True)
class _Entry:
    speaker: Speaker
    track: SpeakerTrack
    file: str


class CallCapture:
    """Store each speaker's Opus packets, as they arrive, in an aligned Ogg file.

    Not thread-safe: call it from the one task that receives the audio.
    """

    def __init__(
        self,
        *,
        work_dir: Path,
        clock: Callable[[], float] = time.monotonic,
        flush_interval: float = 1.0,
        jitter: float = 0.2,
        listener: CaptureListener | None = None,
    ) -> None:
        """Prepare a capture; nothing is written before ``start``.

        Args:
            work_dir: Where the speaker files and the manifest go.
            clock: Monotonic clock in seconds (injected by tests).
            flush_interval: Seconds of audio per Ogg page, at most (crash-loss bound).
            jitter: Arrival-time tolerance and reorder window of the tracks, seconds.
            listener: Told of every speaker and every packet written.
        """
        self._work_dir = work_dir
        self._listener = listener
        self._clock = clock
        self._flush_interval = flush_interval
        self._jitter = jitter
        self._t0: float | None = None
        self._started_at = datetime.now(UTC)
        self._entries: dict[str, _Entry] = {}
        self._names: dict[str, Speaker] = {}
        self._next_sync = 0.0
        self._summary: CaptureSummary | None = None

    @property
    def started(self) -> bool:
        """Whether ``start`` was called."""
        return self._t0 is not None

    @property
    def t0(self) -> float | None:
        """Call t=0 on the capture's monotonic clock; None before ``start``."""
        return self._t0

    @property
    def elapsed(self) -> float:
        """Seconds since call t=0 (0 before ``start``)."""
        return 0.0 if self._t0 is None else self._clock() - self._t0

    def start(self) -> None:
        """Set call t=0 to now, create the work dir and write the (empty) manifest."""
        if self._t0 is not None:
            return
        self._work_dir.mkdir(parents=True, exist_ok=True)
        self._t0 = self._clock()
        self._started_at = datetime.now(UTC)
        self._next_sync = self._t0 + self._flush_interval
        self._write_manifest()
        logger.info("capture started in %s", self._work_dir)

    def audio(
        self,
        *,
        speaker: Speaker,
        payload: bytes,
        ssrc: int,
        seq: int,
        rtp_ts: int,
        arrival: float | None = None,
    ) -> None:
        """Store one RTP packet's Opus payload for ``speaker``; ignored outside start..close.

        Args:
            speaker: Who the packet's CSRC resolves to.
            payload: The Opus packet.
            ssrc: The virtual stream it came on.
            seq: RTP sequence number.
            rtp_ts: RTP timestamp.
            arrival: Monotonic arrival time; None means now.
        """
        if self._t0 is None or self._summary is not None:
            return
        entry = self._entries.get(speaker.key)
        if entry is None:
            entry = self._add(speaker, payload)
        if arrival is None:
            arrival = self._clock()
        entry.track.push(payload=payload, ssrc=ssrc, seq=seq, rtp_ts=rtp_ts, arrival=arrival)
        if arrival >= self._next_sync:
            self.sync(at=arrival)

    def sync(self, *, at: float | None = None) -> None:
        """Pad quiet speakers' files with silence up to shortly before ``at`` (default now).

        ``audio`` calls this once per ``flush_interval``; calling it on a timer as well keeps
        the files current (and crash-safe) through stretches where nobody talks.
        """
        if self._t0 is None or self._summary is not None:
            return
        now = self._clock() if at is None else at
        self._next_sync = now + self._flush_interval
        for entry in self._entries.values():
            entry.track.advance(at=now - 2 * self._jitter)

    def rename(self, speaker: Speaker) -> None:
        """Record a better display name for ``speaker.key`` (rewrites the manifest)."""
        self._names[speaker.key] = speaker
        entry = self._entries.get(speaker.key)
        if entry is None or entry.speaker == speaker:
            return
        entry.speaker = speaker
        if self._listener is not None:
            self._listener.speaker(speaker)
        if self._t0 is not None and self._summary is None:
            self._write_manifest()

    def stats(self) -> dict[str, int | float]:
        """Counters for logs and benchmarks."""
        tracks = [e.track for e in self._entries.values()]
        return {
            "speakers": len(tracks),
            "packets": sum(t.packets for t in tracks),
            "dropped": sum(t.dropped for t in tracks),
            "bytes": sum(t.writer.size for t in tracks),
            "elapsed": self.elapsed,
        }

    def close(self, *, at: float | None = None) -> CaptureSummary:
        """Pad every file to the end of the call, close them all and summarize. Idempotent.

        Args:
            at: Monotonic end of the call; None means now.

        Returns:
            The capture's duration and per-speaker counters.
        """
        if self._summary is not None:
            return self._summary
        if self._t0 is None:
            self._summary = CaptureSummary(duration=0.0, tracks=())
            return self._summary
        end = self._clock() if at is None else at
        for entry in self._entries.values():
            entry.track.finish(at=end)
        self._summary = CaptureSummary(
            duration=max(0.0, end - self._t0), tracks=tuple(self._summaries())
        )
        self._write_manifest()
        logger.info(
            "capture closed: %.1f s, %d speakers", self._summary.duration, len(self._entries)
        )
        return self._summary

    def _summaries(self) -> list[TrackSummary]:
        return [
            TrackSummary(
                speaker=e.speaker,
                path=self._work_dir / e.file,
                voiced_seconds=e.track.voiced_seconds,
                packets=e.track.packets,
                dropped=e.track.dropped,
            )
            for e in self._entries.values()
        ]

    def _add(self, speaker: Speaker, payload: bytes) -> _Entry:
        assert self._t0 is not None
        speaker = self._names.get(speaker.key, speaker)
        index = len(self._entries) + 1
        name = f"speaker-{index:03d}.ogg"
        channels = 2 if payload and payload[0] & 0x04 else 1  # TOC stereo flag of the first packet
        writer = OggOpusWriter(
            path=self._work_dir / name,
            serial=index,
            channels=channels,
            flush_interval=self._flush_interval,
        )
        listener = None
        if self._listener is not None:
            self._listener.speaker(speaker)
            listener = functools.partial(self._listener.packet, speaker.key)
        track = SpeakerTrack(writer=writer, start=self._t0, jitter=self._jitter, listener=listener)
        entry = self._entries[speaker.key] = _Entry(speaker=speaker, track=track, file=name)
        self._write_manifest()
        logger.info("capturing speaker %s in %s", speaker.key, name)
        return entry

    def _write_manifest(self) -> None:
        speakers = tuple((e.speaker, e.file) for e in self._entries.values())
        write_manifest(
            self._work_dir, CaptureManifest(started_at=self._started_at, speakers=speakers)
        )
