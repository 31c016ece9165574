"""The sandbox's built-in sample voices: speech-like, distinct, and generated once."""

from __future__ import annotations

import wave
from array import array
from pathlib import Path

from sandbox.meet_media.samples import RATE, SECONDS, is_sample, sample_path


def _levels(path: str) -> list[float]:
    with wave.open(path) as wav:
        assert wav.getframerate() == RATE
        samples = array("h", wav.readframes(wav.getnframes()))
    window = RATE // 10
    return [
        max(abs(v) for v in samples[i : i + window]) / 32768
        for i in range(0, len(samples) - window, window)
    ]


def test_a_sample_voice_talks_in_phrases_with_pauses() -> None:
    assert is_sample("sample:alice")
    assert not is_sample("/tmp/alice.wav")
    levels = _levels(sample_path("sample:alice"))
    assert len(levels) >= SECONDS * 10 - 2
    talking = sum(1 for level in levels if level > 0.05) / len(levels)
    assert 0.3 < talking < 0.9  # speech and silence both present


def test_voices_are_cached_and_differ() -> None:
    first = sample_path("sample:bob")
    mtime = Path(first).stat().st_mtime_ns
    assert sample_path("sample:bob") == first
    assert Path(first).stat().st_mtime_ns == mtime
    assert Path(first).read_bytes() != Path(sample_path("sample:carol")).read_bytes()
