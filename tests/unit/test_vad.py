"""Streaming voice activity detection on synthetic signals, and the Silero speech check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recorder.transcribe.vad import RATE, SpeechCheck, Utterance, VadOptions, VoiceDetector
from tests.speech import speech


def burst(seconds: float, *, level: float = 0.1, freq: float = 220.0) -> np.ndarray:
    """A voiced-like sound: a tone with a 4 Hz syllable rhythm that never goes quiet."""
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)
    return (level * envelope * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def run(
    signal: np.ndarray, *, chunk: int = 8000, options: VadOptions | None = None
) -> list[Utterance]:
    detector = VoiceDetector(options=options)
    found: list[Utterance] = []
    for start in range(0, len(signal), chunk):
        found += detector.feed(signal[start : start + chunk])
    return found + detector.flush()


def span(utterance: Utterance) -> tuple[float, float]:
    return utterance.start / RATE, utterance.end / RATE


def test_silence_is_never_an_utterance() -> None:
    assert run(quiet(30.0)) == []


def test_speech_becomes_one_padded_utterance_once_it_has_ended() -> None:
    detector = VoiceDetector()
    signal = np.concatenate([quiet(1.0), burst(2.0), quiet(2.0)])
    ended_at = None
    found: list[Utterance] = []
    for start in range(0, len(signal), 320):
        found += detector.feed(signal[start : start + 320])
        if found and ended_at is None:
            ended_at = (start + 320) / RATE
    assert len(found) == 1
    begin, end = span(found[0])
    assert begin == pytest.approx(0.8, abs=0.03)  # 0.2 s of padding before
    assert end == pytest.approx(3.2, abs=0.03)  # and after
    assert ended_at == pytest.approx(3.5, abs=0.03)  # after 0.5 s of silence
    assert np.array_equal(found[0].audio, signal[found[0].start : found[0].end])


def test_blips_are_dropped_and_short_pauses_kept_inside() -> None:
    signal = np.concatenate(
        [quiet(1.0), burst(0.1), quiet(1.0), burst(1.0), quiet(0.3), burst(1.0), quiet(1.0)]
    )
    (utterance,) = run(signal)
    assert span(utterance) == (pytest.approx(1.9, abs=0.03), pytest.approx(4.6, abs=0.03))


def test_long_speech_is_split_at_its_quietest_point() -> None:
    dip = burst(0.2, level=0.01)  # a breath, not a pause: speech goes on
    signal = np.concatenate([burst(11.0), dip, burst(8.0), quiet(1.0)])
    found = run(signal)
    assert len(found) == 2
    assert span(found[0])[1] == pytest.approx(11.1, abs=0.12)
    assert found[1].start == found[0].end  # no audio lost or repeated
    assert all(len(u.audio) <= 15 * RATE for u in found)


def test_chunk_sizes_do_not_change_the_result() -> None:
    signal = np.concatenate([quiet(0.7), burst(1.3), quiet(0.9), burst(0.6), quiet(0.2)])
    expected = [(u.start, len(u.audio)) for u in run(signal, chunk=len(signal))]
    for chunk in (1, 317, 320, 4001):
        assert [(u.start, len(u.audio)) for u in run(signal, chunk=chunk)] == expected
    assert len(expected) == 2


def test_speech_still_open_at_the_end_is_flushed() -> None:
    detector = VoiceDetector()
    assert detector.feed(np.concatenate([quiet(0.5), burst(1.0)])) == []
    assert detector.speaking
    (utterance,) = detector.flush()
    assert span(utterance) == (pytest.approx(0.3, abs=0.03), pytest.approx(1.5, abs=0.03))
    assert not detector.speaking
    assert detector.flush() == []


def test_a_steady_background_is_learned_and_speech_over_it_found() -> None:
    rng = np.random.default_rng(3)
    hum = (0.01 * rng.standard_normal(int(20.0 * RATE))).astype(np.float32)  # -40 dBFS
    signal = hum.copy()
    at = int(15.0 * RATE)
    signal[at : at + RATE] += burst(1.0, level=0.3)
    found = run(signal, options=VadOptions(max_length=30.0))
    assert any(s <= 15.0 <= e for s, e in map(span, found))
    assert not any(s > 10.0 and e < 14.5 for s, e in map(span, found))  # the hum is no speech


def test_the_speech_check_tells_speech_from_noise(tmp_path: Path) -> None:
    check = SpeechCheck()
    words = speech("Let us move the planning meeting to Tuesday afternoon.", tmp_path, rate=16_000)
    assert check(words)
    rng = np.random.default_rng(5)
    assert not check((0.05 * rng.standard_normal(3 * RATE)).astype(np.float32))
    assert not check(burst(2.0))  # loud, but a tone is not a voice
    assert not check(quiet(0.0))
