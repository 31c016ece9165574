"""The blocking half of live transcription: decode each speaker, mix the call, cut utterances."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from recorder.capture.opus import RATE
from recorder.live.decode import OpusDecoder
from recorder.live.mixer import LiveMixer
from recorder.transcribe.vad import RATE as VAD_RATE
from recorder.transcribe.vad import SpeechCheck, Utterance, VadOptions, VoiceDetector

logger = logging.getLogger(__name__)

Pcm = npt.NDArray[np.float32]
Packets = list[tuple[bytes, int]]  # (Opus payload, 48 kHz samples) as the track wrote them

CHUNK = 2 * RATE  # most samples decoded before they go on (bounds memory on long catch-ups)


@dataclass(frozen=True, slots=True)
class Heard:
    """An utterance of one speaker (by key)."""

    key: str
    utterance: Utterance


class _Stream:
    """One speaker: Opus decoder, 48 → 16 kHz resampler and voice detector."""

    def __init__(self, vad: VadOptions | None) -> None:
        self.decoder = OpusDecoder()
        self._resampler: Any = av.AudioResampler(format="flt", layout="mono", rate=VAD_RATE)
        self.detector = VoiceDetector(options=vad)

    def resample(self, pcm: Pcm | None) -> Pcm:
        """The next 16 kHz samples (None flushes what the resampler holds back)."""
        frame = None
        if pcm is not None:
            frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = RATE
        out = [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]
        if not out:
            return np.zeros(0, dtype=np.float32)
        return out[0] if len(out) == 1 else np.concatenate(out)


class AudioPipeline:
    """Turn every speaker's packets, in call order, into the live mix and their utterances.

    Blocking and not thread-safe: one call's batches go through it one at a time, in a worker
    thread. A failure of the mix abandons the mix only (the recording gets a post-hoc mix).

    Args:
        mixed_dest: where the live mix (M4A) is written.
        detect: cut utterances (False when nobody transcribes: only the mix is made).
        vad: voice detection tuning.
    """

    def __init__(self, *, mixed_dest: Path, detect: bool, vad: VadOptions | None = None) -> None:
        self._dest = mixed_dest
        self._detect = detect
        self._vad = vad
        self._streams: dict[str, _Stream] = {}
        self._check = SpeechCheck(min_speech=(vad or VadOptions()).min_speech)
        self.rejected = 0  # utterances the speech check found no speech in
        self._mixer: LiveMixer | None = None
        self._mixing = True
        self.mix_error: str | None = None
        self.seconds = {"decode": 0.0, "mix": 0.0, "vad": 0.0, "check": 0.0}  # thread CPU
        self.audio_seconds = 0.0

    def process(self, inbox: dict[str, Packets]) -> list[Heard]:
        """Decode, mix and detect speech in what came for each speaker since the last time.

        Speakers go in turns of at most ``CHUNK`` samples, so the mix (which waits for the
        speaker furthest behind) never holds much and never leaves anyone out.
        """
        active = [(key, self._stream(key), iter(packets)) for key, packets in inbox.items()]
        heard: list[Heard] = []
        while active:
            going = []
            for key, stream, packets in active:
                pcm = self._decode(stream, packets)
                if pcm is not None:
                    heard += self._feed(key, stream, pcm)
                    going.append((key, stream, packets))
            active = going
        return heard

    def flush(self) -> list[Heard]:
        """End everyone's open speech (the call is over)."""
        heard = []
        for key, stream in self._streams.items():
            if self._detect:
                with self._timing("vad"):
                    tail = stream.resample(None)
                    utterances = stream.detector.feed(tail) + stream.detector.flush()
                heard += self._confirmed(key, utterances)
        return heard

    def close_mix(self, *, duration: float) -> tuple[Path | None, float]:
        """Finish the live mix at ``duration`` seconds: ``(path, seconds)`` or ``(None, 0)``."""
        if self._mixer is None or not self._mixing:
            return None, 0.0
        try:
            with self._timing("mix"):
                written = self._mixer.close(duration=duration)
        except (ValueError, RuntimeError, OSError, av.FFmpegError) as exc:
            self._fail_mix(exc)
            return None, 0.0
        return self._dest, written

    def _stream(self, key: str) -> _Stream:
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream(self._vad)
        return stream

    def _decode(self, stream: _Stream, packets: Iterator[tuple[bytes, int]]) -> Pcm | None:
        """The next ``CHUNK`` samples or so of ``packets``; None when there are no more."""
        parts: list[Pcm] = []
        size = 0
        with self._timing("decode"):
            for payload, samples in packets:
                parts.append(stream.decoder.decode(payload, samples))
                size += samples
                if size >= CHUNK:
                    break
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _feed(self, key: str, stream: _Stream, pcm: Pcm) -> list[Heard]:
        self.audio_seconds += len(pcm) / RATE
        if self._mixing:
            self._mix(key, pcm)
        if not self._detect:
            return []
        with self._timing("vad"):
            utterances = stream.detector.feed(stream.resample(pcm))
        return self._confirmed(key, utterances)

    def _confirmed(self, key: str, utterances: list[Utterance]) -> list[Heard]:
        heard = []
        with self._timing("check"):
            for utterance in utterances:
                if self._check(utterance.audio):
                    heard.append(Heard(key, utterance))
                else:
                    self.rejected += 1
        return heard

    def _mix(self, key: str, pcm: Pcm) -> None:
        try:
            if self._mixer is None:
                self._dest.parent.mkdir(parents=True, exist_ok=True)
                self._mixer = LiveMixer(dest=self._dest)
            with self._timing("mix"):
                self._mixer.add(key, pcm)
        except (ValueError, RuntimeError, OSError, av.FFmpegError) as exc:
            self._fail_mix(exc)

    def _fail_mix(self, exc: BaseException) -> None:
        logger.warning("live mix abandoned (a mix is made after the call): %s", exc)
        self._mixing = False
        self.mix_error = str(exc)
        self._dest.unlink(missing_ok=True)

    @contextmanager
    def _timing(self, stage: str) -> Iterator[None]:
        started = time.thread_time()
        try:
            yield
        finally:
            self.seconds[stage] += time.thread_time() - started
