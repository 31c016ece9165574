"""The live mix: speakers' PCM summed, clipped and encoded to M4A as it comes, read back by PyAV."""

from __future__ import annotations

import logging
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

from recorder.live import LiveMixer
from tests.media import RATE, decode, tone_level

AAC_FRAME = 1024 / RATE
CALL = 4.0
ANN, BOB, CID = 440.0, 1250.0, 2500.0


def speech(freq: float, talks: list[tuple[float, float]], *, amp: float = 0.4) -> np.ndarray:
    """A track of CALL seconds from t=0: a sine at ``freq`` inside ``talks``, silence elsewhere."""
    track = np.zeros(int(CALL * RATE), dtype=np.float32)
    for start, end in talks:
        n = np.arange(int(start * RATE), int(end * RATE))
        track[n] = amp * np.sin(2 * np.pi * freq * n / RATE)
    return track


def feed(mixer: LiveMixer, key: str, track: np.ndarray, start: float, end: float) -> None:
    mixer.add(key, track[int(start * RATE) : int(end * RATE)])


def m4a(path: Path) -> tuple[float, str, npt.NDArray[np.float32]]:
    """The container's duration, its codec and the decoded samples."""
    with av.open(str(path)) as container:
        assert container.duration is not None
        length = container.duration / 1e6
        codec = container.streams.audio[0].codec_context.name
    return length, codec, decode(path)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2)))


def assert_present(pcm: np.ndarray, freq: float, talks: list[tuple[float, float]]) -> None:
    """``freq`` is loud inside ``talks`` and absent elsewhere (0.1 s windows, 50 ms margins)."""
    for k in range(int(CALL / 0.1)):
        start, end = k * 0.1, k * 0.1 + 0.1
        level = tone_level(pcm, freq, start=start, end=end)
        if any(a + 0.05 <= start and end <= b - 0.05 for a, b in talks):
            assert level > 0.2, (freq, start, level)
        elif all(end + 0.05 <= a or b + 0.05 <= start for a, b in talks):
            assert level < 0.005, (freq, start, level)


def test_three_speakers_and_a_late_joiner_are_mixed_as_the_call_goes(tmp_path: Path) -> None:
    dest = tmp_path / "recording.m4a"
    mixer = LiveMixer(dest=dest)
    ann = speech(ANN, [(0.5, 2.0)], amp=0.7)
    bob = speech(BOB, [(1.0, 3.0)], amp=0.7)  # overlaps Ann at 0.7 + 0.7: clipped
    cid = speech(CID, [(2.0, 3.5)])
    step = 0.25
    for k in range(int(CALL / step)):
        at = k * step
        feed(mixer, "ann", ann, at, at + step)  # the first speaker is mixed at once
        assert mixer.written == pytest.approx(max(at, step))  # later, Bob is a step behind
        if at == 2.5:  # Cid joins with its track since t=0; what is mixed already is dropped
            feed(mixer, "cid", cid, 0.0, at + step)
        elif at > 2.5:
            feed(mixer, "cid", cid, at, at + step)
        feed(mixer, "bob", bob, at, at + step)
        assert mixer.written == pytest.approx(at + step)
    assert dest.exists()

    assert mixer.close(duration=CALL) == pytest.approx(CALL)
    length, codec, pcm = m4a(dest)
    assert codec == "aac"
    assert length == pytest.approx(CALL, abs=AAC_FRAME)
    assert len(pcm) == pytest.approx(CALL * RATE, abs=1024)
    assert_present(pcm, ANN, [(0.5, 2.0)])
    assert_present(pcm, BOB, [(1.0, 3.0)])
    assert_present(pcm, CID, [(2.5, 3.5)])
    silent = np.concatenate([pcm[: int(0.45 * RATE)], pcm[int(3.55 * RATE) :]])
    assert rms(silent) < 0.002
    cid[: int(2.5 * RATE)] = 0  # mixed before Cid showed up
    summed = ann + bob + cid
    clipped = np.clip(summed, -1.0, 1.0)  # AAC keeps the timing sample-exact: compare waves
    overlap = slice(int(1.1 * RATE), int(1.9 * RATE))
    assert rms(pcm[overlap] - clipped[overlap]) < 0.06 < rms(clipped[overlap] - summed[overlap])
    apart = slice(int(2.1 * RATE), int(CALL * RATE))
    assert rms(pcm[apart] - clipped[apart]) < 0.005


def test_close_pads_with_silence_and_is_idempotent(tmp_path: Path) -> None:
    dest = tmp_path / "recording.m4a"
    mixer = LiveMixer(dest=dest, bit_rate=64_000)
    mixer.add("ann", speech(ANN, [(0.0, 1.0)])[:RATE])
    assert mixer.close(duration=2.5) == pytest.approx(2.5)
    size = dest.stat().st_size
    assert mixer.close(duration=9.0) == pytest.approx(2.5)
    assert mixer.written == pytest.approx(2.5)
    assert dest.stat().st_size == size
    with pytest.raises(RuntimeError, match="closed"):
        mixer.add("ann", np.zeros(10, dtype=np.float32))
    length, _, pcm = m4a(dest)
    assert length == pytest.approx(2.5, abs=AAC_FRAME)
    assert tone_level(pcm, ANN, start=0.1, end=0.9) > 0.2
    assert rms(pcm[int(1.05 * RATE) :]) < 0.002


def test_close_cuts_what_is_not_encoded_yet(tmp_path: Path) -> None:
    dest = tmp_path / "recording.m4a"
    mixer = LiveMixer(dest=dest)
    ann = speech(ANN, [(0.0, 3.0)])
    mixer.add("bob", np.zeros(RATE, dtype=np.float32))
    mixer.add("ann", ann[: 3 * RATE])
    assert mixer.written == pytest.approx(1.0)
    assert mixer.close(duration=2.0) == pytest.approx(2.0)
    length, _, pcm = m4a(dest)
    assert length == pytest.approx(2.0, abs=AAC_FRAME)
    assert tone_level(pcm, ANN, start=1.1, end=1.9) > 0.2


def test_a_stalled_speaker_does_not_hold_the_mix_back_forever(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mixer = LiveMixer(dest=tmp_path / "recording.m4a", max_lag=1.0)
    ann, bob = speech(ANN, [(0.0, 4.0)]), speech(BOB, [(0.0, 4.0)])
    mixer.add("bob", bob[: RATE // 2])
    with caplog.at_level(logging.WARNING, logger="recorder.live.mixer"):
        mixer.add("ann", ann[: 3 * RATE])
    assert mixer.written == pytest.approx(2.0)
    assert "live mix goes on without bob, 2.5 s behind" in caplog.text
    mixer.add("bob", bob[RATE // 2 : 3 * RATE])  # its samples before 2.0 s are dropped
    assert mixer.written == pytest.approx(3.0)
    mixer.close(duration=3.0)
    pcm = decode(tmp_path / "recording.m4a")
    assert tone_level(pcm, BOB, start=0.05, end=0.45) > 0.2
    assert tone_level(pcm, BOB, start=0.55, end=1.95) < 0.005
    assert tone_level(pcm, BOB, start=2.05, end=2.95) > 0.2


def test_nothing_added_means_nothing_to_mix(tmp_path: Path) -> None:
    dest = tmp_path / "recording.m4a"
    mixer = LiveMixer(dest=dest)
    with pytest.raises(ValueError, match="nothing to mix"):
        mixer.close(duration=1.0)
    with pytest.raises(ValueError, match="nothing to mix"):
        mixer.close(duration=1.0)
    assert not dest.exists()


def test_samples_must_be_mono(tmp_path: Path) -> None:
    mixer = LiveMixer(dest=tmp_path / "recording.m4a")
    with pytest.raises(ValueError, match=r"mono samples, got an array of shape \(2, 10\)"):
        mixer.add("ann", np.zeros((2, 10), dtype=np.float32))
