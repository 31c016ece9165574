"""One speaker's Opus track placed on the call clock: gaps become silence, late packets drop."""

from __future__ import annotations

import logging
from collections.abc import Callable

from recorder.capture.ogg import OggOpusWriter
from recorder.capture.opus import GRAIN, RATE, SILENCE_FRAMES, packet_samples, silence

logger = logging.getLogger(__name__)

_STALE_SEQ = 100  # a run whose sequence number went back further than this is stale
_SILENCE_SAMPLES = {frame: samples for samples, frame in SILENCE_FRAMES.items()}


class _Run:
    """Where one SSRC's RTP timestamps land in the track: ``pos = base_pos + (ts - base_ts)``."""

    __slots__ = ("base_pos", "base_ts", "seq")

    def __init__(self, base_pos: int, base_ts: int, seq: int) -> None:
        self.base_pos = base_pos
        self.base_ts = base_ts
        self.seq = seq


class SpeakerTrack:
    """Place one speaker's packets on the call clock and write them, in order, to Ogg.

    Positions are 48 kHz samples since call t=0. A run of packets on one SSRC is anchored
    once by arrival time (rounded to 2.5 ms) and spaced by RTP timestamps after that; the
    anchor is reset when timestamps and arrival times disagree by more than ``jitter``.
    Packets that come early wait (up to ``jitter`` of audio) for the missing ones; a gap that
    is still open after that is filled with silence, and packets for it are dropped.
    """

    def __init__(
        self,
        *,
        writer: OggOpusWriter,
        start: float,
        jitter: float = 0.2,
        listener: Callable[[bytes, int], None] | None = None,
    ) -> None:
        """Create an empty track.

        Args:
            writer: Where the packets go; the track owns and closes it.
            start: Monotonic time of call t=0.
            jitter: Arrival-time tolerance and reorder window, seconds.
            listener: Called with every packet written (payload, samples), silence included,
                in file order: together they are the track from t=0 on.
        """
        self._writer = writer
        self._listener = listener
        self._start = start
        self._tol = jitter * RATE
        self._window = int(jitter * RATE)
        self._pos = 0
        self._runs: dict[int, _Run] = {}
        self._pending: dict[int, tuple[bytes, int]] = {}
        self._packets = 0
        self._dropped = 0
        self._voiced = 0
        self._closed = False

    @property
    def voiced_seconds(self) -> float:
        """Seconds of written packets that carry audio (not silence or DTX)."""
        return self._voiced / RATE

    @property
    def packets(self) -> int:
        """Received packets written to the file (silence padding excluded)."""
        return self._packets

    @property
    def dropped(self) -> int:
        """Packets not written: duplicates, too late, malformed, or after ``finish``."""
        return self._dropped

    @property
    def duration(self) -> float:
        """Seconds of audio placed so far."""
        return self._pos / RATE

    @property
    def writer(self) -> OggOpusWriter:
        """The Ogg writer this track fills."""
        return self._writer

    def push(self, *, payload: bytes, ssrc: int, seq: int, rtp_ts: int, arrival: float) -> None:
        """Place one RTP packet's Opus payload.

        Args:
            payload: The Opus packet.
            ssrc: The virtual stream it came on.
            seq: RTP sequence number.
            rtp_ts: RTP timestamp (48 kHz).
            arrival: Monotonic arrival time.
        """
        try:
            samples = packet_samples(payload)
        except ValueError:
            self._dropped += 1
            return
        if self._closed:
            self._dropped += 1
            return
        slot = (arrival - self._start) * RATE - samples  # where arrival time puts its start
        run = self._runs.get(ssrc)
        if run is None:
            pos = self._anchor(ssrc, seq, rtp_ts, slot)
        else:
            pos = run.base_pos + (((rtp_ts - run.base_ts + 0x80000000) & 0xFFFFFFFF) - 0x80000000)
            step = ((seq - run.seq + 0x8000) & 0xFFFF) - 0x8000
            if step > 0:
                run.seq = seq
                ahead = pos - slot
                if ahead < -self._tol or (ahead > self._tol and pos > self._pos):
                    pos = self._anchor(ssrc, seq, rtp_ts, slot)
            elif step < -_STALE_SEQ:
                pos = self._anchor(ssrc, seq, rtp_ts, slot)
        self._place(pos, payload, samples)

    def advance(self, *, at: float) -> None:
        """Pad silence up to monotonic time ``at`` if nothing is waiting before it."""
        if self._closed:
            return
        target = int((at - self._start) * RATE)
        if self._pending and max(self._pending) < target:
            self._release()
        if not self._pending and target > self._pos:
            self._fill(target)

    def finish(self, *, at: float) -> None:
        """Write what is waiting, pad silence up to monotonic time ``at`` and close the file."""
        if self._closed:
            return
        self._release()
        self._fill(int((at - self._start) * RATE))
        self._closed = True
        self._writer.close()

    def _anchor(self, ssrc: int, seq: int, rtp_ts: int, slot: float) -> int:
        """Start a run: its packet goes at its arrival slot, never before what is written."""
        self._release()
        pos = self._pos
        if slot > pos:
            pos += int((slot - pos) / GRAIN + 0.5) * GRAIN
        self._runs[ssrc] = _Run(pos, rtp_ts, seq)
        return pos

    def _place(self, pos: int, payload: bytes, samples: int) -> None:
        if pos == self._pos:
            self._write(payload, samples)
            if self._pending:
                self._drain()
        elif pos < self._pos or pos in self._pending:
            self._dropped += 1  # duplicate, or its place was already written
        else:
            self._pending[pos] = (payload, samples)
            while self._pending and pos + samples - self._pos > self._window:
                self._skip_gap()

    def _write(self, payload: bytes, samples: int) -> None:
        self._writer.write(payload, samples)
        if self._listener is not None:
            self._listener(payload, samples)
        self._pos += samples
        self._packets += 1
        if len(payload) > 3:  # is_voiced, inlined on the per-packet path
            self._voiced += samples

    def _drain(self) -> None:
        pending = self._pending
        while (item := pending.pop(self._pos, None)) is not None:
            self._write(*item)

    def _release(self) -> None:
        """Write every waiting packet in order, filling the gaps before them with silence."""
        while self._pending:
            self._skip_gap()

    def _skip_gap(self) -> None:
        """Give up on the oldest missing audio: silence in its place, then what follows it."""
        first = min(self._pending)
        if first > self._pos:
            self._fill(first)
        payload, samples = self._pending.pop(first)
        if first + GRAIN > self._pos:  # at its place, give or take a partial grain
            self._write(payload, samples)
        else:
            self._dropped += 1  # overlaps audio already written
        self._drain()

    def _fill(self, target: int) -> None:
        if target - self._pos < GRAIN:
            return
        write, listener = self._writer.write, self._listener
        for frame in silence(target - self._pos):
            samples = _SILENCE_SAMPLES[frame]
            write(frame, samples)
            if listener is not None:
                listener(frame, samples)
            self._pos += samples
