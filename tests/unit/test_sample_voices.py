"""The sandbox's built-in sample voices: recorded speech on one clock, or synthetic and cached."""

from __future__ import annotations

import wave
from array import array
from pathlib import Path

import av
import numpy as np

from sandbox.meet_media.samples import RATE, SECONDS, is_sample, sample_path, script


def _levels(path: str) -> list[float]:
    with wave.open(path) as wav:
        assert wav.getframerate() == RATE
        samples = array("h", wav.readframes(wav.getnframes()))
    window = RATE // 10
    return [
        max(abs(v) for v in samples[i : i + window]) / 32768
        for i in range(0, len(samples) - window, window)
    ]


def _talking(path: str) -> np.ndarray:
    """Per 100 ms: whether the recorded voice is audible."""
    with av.open(path) as container:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    window = 4800
    blocks = pcm[: len(pcm) // window * window].reshape(-1, window)
    return np.abs(blocks).max(axis=1) > 0.02


def test_a_synthetic_voice_talks_in_phrases_with_pauses() -> None:
    assert is_sample("sample:dave")
    assert not is_sample("/tmp/alice.wav")
    levels = _levels(sample_path("sample:dave"))
    assert len(levels) >= SECONDS * 10 - 2
    talking = sum(1 for level in levels if level > 0.05) / len(levels)
    assert 0.3 < talking < 0.9  # speech and silence both present


def test_synthetic_voices_are_cached_and_differ() -> None:
    first = sample_path("sample:dave")
    mtime = Path(first).stat().st_mtime_ns
    assert sample_path("sample:dave") == first
    assert Path(first).stat().st_mtime_ns == mtime
    assert Path(first).read_bytes() != Path(sample_path("sample:erin")).read_bytes()


def test_recorded_voices_take_turns_as_the_script_says() -> None:
    lines = script()
    assert {line["speaker"] for line in lines} == {"alice", "bob", "carol"}
    for name in ("alice", "bob", "carol"):
        talking = _talking(sample_path(f"sample:{name}"))
        mine = [line for line in lines if line["speaker"] == name]
        for line in mine:  # audible in the middle of each of its lines
            middle = (float(str(line["start"])) + float(str(line["end"]))) / 2
            assert talking[int(middle * 10)], (name, line["text"])
        for line in lines:  # silent in the middle of the others' lines, unless it overlaps
            if line["speaker"] == name:
                continue
            middle = (float(str(line["start"])) + float(str(line["end"]))) / 2
            overlapping = any(
                float(str(m["start"])) <= middle <= float(str(m["end"])) for m in mine
            )
            if not overlapping:
                assert not talking[int(middle * 10)], (name, line["text"])
