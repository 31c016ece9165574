"""Synthetic speech with espeak-ng for transcription tests, and Opus packets made from it."""

from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from tests.media import decode

RATE = 48_000
# espeak-ng voices and pitches Whisper tiny.en understands well (as the sandbox's voices)
VOICES = {"ann": ("en-us", 65), "ben": ("en-us+m2", 30), "cy": ("en-us+m1", 55)}


def espeak() -> str:
    """The espeak-ng executable, or a clear failure saying how to get it."""
    path = shutil.which("espeak-ng")
    if path is None:
        raise RuntimeError(
            "espeak-ng is not installed: the transcription tests synthesize their speech "
            "with it (apt-get install espeak-ng, or `make speech-deps`)"
        )
    return path


def speak(
    text: str, path: Path, *, voice: str = "en-us", pitch: int = 50, speed: int = 145
) -> Path:
    """Write ``text`` spoken by espeak-ng as a WAV file (22.05 kHz mono) at ``path``."""
    subprocess.run(
        [espeak(), "-v", voice, "-p", str(pitch), "-s", str(speed), "-w", str(path), text],
        check=True,
        capture_output=True,
    )
    return path


def speech(
    text: str, tmp: Path, *, who: str = "ann", speed: int = 145, rate: int = RATE
) -> np.ndarray:
    """``text`` spoken in one of `VOICES`, as mono float32 at ``rate`` (48 kHz by default)."""
    voice, pitch = VOICES[who]
    wav = speak(text, tmp / f"{who}-{abs(hash(text))}.wav", voice=voice, pitch=pitch, speed=speed)
    return decode(wav, rate=rate)


def track(parts: list[tuple[float, np.ndarray]], seconds: float) -> np.ndarray:
    """One speaker's audio: each ``(start, pcm)`` placed on a silent track of ``seconds``."""
    out = np.zeros(int(seconds * RATE), dtype=np.float32)
    for start, pcm in parts:
        at = int(start * RATE)
        out[at : at + len(pcm)] += pcm[: max(0, len(out) - at)]
    return out


def write_wav(path: Path, pcm: np.ndarray, *, rate: int = RATE) -> Path:
    """Mono float PCM as a 16-bit WAV (what the Meet emulator's participants play)."""
    samples = (np.clip(pcm, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def opus_packets(pcm: np.ndarray, *, bit_rate: int = 32_000) -> list[bytes]:
    """Mono 48 kHz PCM as 20 ms Opus packets (libopus), one per whole frame."""
    encoder: Any = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = RATE, "mono", "flt"
    encoder.bit_rate = bit_rate
    count = len(pcm) // 960
    packets: list[bytes] = []
    for start in range(0, count * 960, 960):
        chunk = np.ascontiguousarray(pcm[start : start + 960], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
        packets += [bytes(p) for p in encoder.encode(frame)]
    packets += [bytes(p) for p in encoder.encode(None)]
    return packets[:count]
