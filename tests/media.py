"""Synthetic test audio and analysis with PyAV and NumPy (tones identify speakers)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

RATE = 48_000


def write_tone(path: Path, *, freq: float, seconds: float, rate: int = RATE) -> Path:
    """A mono 16-bit WAV holding a sine at ``freq`` Hz (each test speaker gets its own)."""
    t = np.arange(int(seconds * rate)) / rate
    samples = (0.5 * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def decode(path: Path, *, rate: int = RATE) -> np.ndarray:
    """The whole file as mono float32 at ``rate``."""
    chunks: list[np.ndarray] = []
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def duration(path: Path) -> float:
    """Seconds of audio actually decodable from ``path``."""
    return len(decode(path)) / RATE


def tone_level(
    samples: np.ndarray,
    freq: float,
    *,
    start: float = 0.0,
    end: float | None = None,
    rate: int = RATE,
) -> float:
    """RMS amplitude of the ``freq`` component within ``[start, end)`` seconds."""
    part = samples[int(start * rate) : None if end is None else int(end * rate)]
    if len(part) == 0:
        return 0.0
    t = np.arange(len(part)) / rate
    i = np.dot(part, np.cos(2 * np.pi * freq * t))
    q = np.dot(part, np.sin(2 * np.pi * freq * t))
    return float(np.sqrt(i * i + q * q) * np.sqrt(2) / len(part))


def onset(samples: np.ndarray, *, threshold: float = 0.05, rate: int = RATE) -> float | None:
    """When the signal first gets louder than ``threshold`` (10 ms windows), in seconds."""
    window = rate // 100
    for i in range(0, len(samples) - window, window):
        if float(np.sqrt(np.mean(samples[i : i + window] ** 2))) > threshold:
            return i / rate
    return None
