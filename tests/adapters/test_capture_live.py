"""The capture's listener sees exactly what it writes; finalize takes a live mix when it is good."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from recorder.capture import CallCapture, CaptureListener, finalize
from recorder.capture.ogg import read_pages
from recorder.model import Speaker
from recorder.transcribe.live import LiveTranscript
from tests.media import decode, tone_level
from tests.speech import RATE, opus_packets

ANN = Speaker("participants/ann", "Ann")
BOB = Speaker("participants/bob", "Bob")
T0 = 50.0


@dataclass
class Recorded:
    """A listener that keeps everything it is told."""

    packets: dict[str, list[tuple[bytes, int]]] = field(default_factory=dict)
    speakers: list[Speaker] = field(default_factory=list)

    def packet(self, key: str, payload: bytes, samples: int) -> None:
        self.packets.setdefault(key, []).append((payload, samples))

    def speaker(self, speaker: Speaker) -> None:
        self.speakers.append(speaker)


def tone(freq: float, seconds: float) -> list[bytes]:
    t = np.arange(int(seconds * RATE)) / RATE
    return opus_packets((0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32))


def capture_call(work: Path, listener: CaptureListener) -> CallCapture:
    """Ann talks 0.5-2.5 s, Bob 1.5-2.5 s (his name comes late); the call lasts 3 s."""
    now = [T0]
    capture = CallCapture(work_dir=work, clock=lambda: now[0], listener=listener)
    capture.start()
    ann, bob = tone(440.0, 2.0), tone(1250.0, 1.0)
    for n in range(125):
        now[0] = T0 + 0.02 * (n + 1)
        if 25 <= n < 125:
            capture.audio(speaker=ANN, payload=ann[n - 25], ssrc=1, seq=n, rtp_ts=960 * n)
        if n >= 75:
            unnamed = Speaker(BOB.key, "participants/bob")
            capture.audio(speaker=unnamed, payload=bob[n - 75], ssrc=2, seq=n, rtp_ts=960 * n)
    capture.rename(BOB)
    capture.close(at=T0 + 3.0)
    return capture


def test_the_listener_gets_every_packet_written_from_t0(tmp_path: Path) -> None:
    heard = Recorded()
    capture_call(tmp_path / "work", heard)
    assert [s.display_name for s in heard.speakers] == ["Ann", "participants/bob", "Bob"]
    for number, key in enumerate((ANN.key, BOB.key), 1):
        data = (tmp_path / "work" / f"speaker-{number:03d}.ogg").read_bytes()
        written = [p for page in list(read_pages(data))[2:] for p in page.packets]
        assert [payload for payload, _ in heard.packets[key]] == written
        assert sum(samples for _, samples in heard.packets[key]) == 3 * RATE


async def test_finalize_moves_a_good_live_mix_into_place(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    live = LiveTranscript(mixed_dest=tmp_path / "live" / "recording.m4a")
    capture_call(tmp_path / "work", live)
    made = await live.close(duration=3.0)
    assert made.mixed is not None
    with caplog.at_level(logging.INFO, logger="recorder.capture.mix"):
        result = finalize(
            work_dir=tmp_path / "work", out_dir=tmp_path / "out", duration=3.0, premixed=made.mixed
        )
    assert not caplog.records  # no mixing after the call
    assert result.mixed is not None
    assert result.mixed.path == tmp_path / "out" / "recording.m4a"
    assert not made.mixed.exists()
    assert result.mixed.duration == pytest.approx(3.0, abs=0.03)
    mixed = decode(result.mixed.path)
    assert tone_level(mixed, 440.0, start=0.6, end=1.4) > 0.1
    assert tone_level(mixed, 1250.0, start=0.6, end=1.4) < 0.01
    assert tone_level(mixed, 1250.0, start=1.6, end=2.4) > 0.1


@pytest.mark.parametrize("flaw", ["length", "garbage"])
async def test_a_bad_live_mix_is_replaced_by_a_mix_after_the_call(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, flaw: str
) -> None:
    live = LiveTranscript(mixed_dest=tmp_path / "live" / "recording.m4a")
    capture_call(tmp_path / "work", live)
    made = await live.close(duration=3.0)
    assert made.mixed is not None
    if flaw == "garbage":
        made.mixed.write_bytes(b"\0" * 1000)
    duration = 4.0 if flaw == "length" else 3.0  # the call as the capture saw it
    with caplog.at_level(logging.INFO, logger="recorder.capture.mix"):
        result = finalize(
            work_dir=tmp_path / "work",
            out_dir=tmp_path / "out",
            duration=duration,
            premixed=made.mixed,
        )
    assert any("mixed 2 files" in r.getMessage() for r in caplog.records)
    assert result.mixed is not None
    assert result.mixed.duration == pytest.approx(duration, abs=0.03)
    assert tone_level(decode(result.mixed.path), 1250.0, start=1.6, end=2.4) > 0.1
