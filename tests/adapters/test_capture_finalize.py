"""Capture to finalize with real Opus (PyAV libopus): attribution, alignment, crashes, outputs."""

from __future__ import annotations

import array
import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest

from recorder.capture import CallCapture, FinalizeError, finalize, read_manifest
from recorder.capture.ogg import OggOpusWriter, read_pages
from recorder.capture.opus import SILENCE_FRAME
from recorder.model import Speaker

RATE = 48000
LOW = 8000  # analysis rate
T0 = 500.0
ANN = Speaker("participants/ann", "Ann")
BOB = Speaker("participants/bob", "Bob")
FREQ = {ANN.key: 440.0, BOB.key: 1250.0}


def tone(freq: float, seconds: float) -> list[bytes]:
    """Encode a sine with libopus into 20 ms mono packets."""
    encoder: Any = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = RATE, "mono", "s16"
    encoder.bit_rate = 32000
    packets: list[bytes] = []
    for start in range(0, int(seconds * RATE), 960):
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        wave = (int(9000 * math.sin(2 * math.pi * freq * (start + i) / RATE)) for i in range(960))
        frame.planes[0].update(array.array("h", wave).tobytes())
        frame.sample_rate, frame.pts = RATE, start
        packets += [bytes(p) for p in encoder.encode(frame)]
    return packets


@pytest.fixture(scope="module")
def tones() -> dict[str, list[bytes]]:
    return {key: tone(freq, 2.0) for key, freq in FREQ.items()}


def decode(path: Path) -> array.array[int]:
    """Decode to mono s16 at 8 kHz for analysis."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=LOW)
    out = array.array("h")
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            for low in resampler.resample(frame):
                out.frombytes(bytes(low.planes[0])[: low.samples * 2])
    for low in resampler.resample(None):
        out.frombytes(bytes(low.planes[0])[: low.samples * 2])
    return out


def level(samples: array.array[int], freq: float, start: float, end: float) -> float:
    """Amplitude of ``freq`` in [start, end) seconds (Goertzel)."""
    chunk = samples[int(start * LOW) : int(end * LOW)]
    coeff = 2 * math.cos(2 * math.pi * freq / LOW)
    s1 = s2 = 0.0
    for x in chunk:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return 2 * math.sqrt(max(power, 0.0)) / max(len(chunk), 1)


def assert_timeline(
    samples: array.array[int], freq: float, talk: list[tuple[float, float]], loud: float = 4000
) -> None:
    """The tone is loud inside each talk interval and absent away from them (100 ms windows)."""
    margin = 0.08
    for k in range(int(len(samples) / LOW / 0.1)):
        start, end = k * 0.1, k * 0.1 + 0.1
        amp = level(samples, freq, start, end)
        if any(a + margin <= start and end <= b - margin for a, b in talk):
            assert amp > loud, (freq, start, amp)
        elif all(end + margin <= a or b + margin <= start for a, b in talk):
            assert amp < 200, (freq, start, amp)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def talk(
    capture: CallCapture, speaker: Speaker, packets: list[bytes], *, at: float, ssrc: int, ts0: int
) -> list[tuple[float, Callable[[], None]]]:
    """Events of ``speaker`` talking from call time ``at`` on ``ssrc``, with network jitter."""
    events = []
    for n, payload in enumerate(packets):
        delay = (n * 7 % 5) * 0.004  # 0-16 ms

        def send(
            n: int = n, payload: bytes = payload, arrival: float = T0 + at + (n + 1) * 0.02 + delay
        ) -> None:
            capture.audio(
                speaker=speaker,
                payload=payload,
                ssrc=ssrc,
                seq=n,
                rtp_ts=ts0 + 960 * n,
                arrival=arrival,
            )

        events.append((T0 + at + (n + 1) * 0.02 + delay, send))
    return events


def run(events: list[tuple[float, Callable[[], None]]], clock: Clock) -> None:
    for when, send in sorted(events, key=lambda e: e[0]):
        clock.now = when
        send()


def test_silence_frame_decodes_to_20_ms_of_silence() -> None:
    decoder: Any = av.CodecContext.create("opus", "r")
    decoder.sample_rate, decoder.layout = RATE, "stereo"
    frames = decoder.decode(av.Packet(SILENCE_FRAME))
    assert sum(f.samples for f in frames) == 960
    assert not any(bytes(f.planes[0])[: f.samples * 4].strip(b"\0") for f in frames)


def test_call_is_captured_aligned_and_finalized(
    tmp_path: Path, tones: dict[str, list[bytes]]
) -> None:
    clock = Clock()
    capture = CallCapture(work_dir=tmp_path / "work", clock=clock)
    capture.start()
    ann, bob = tones[ANN.key], tones[BOB.key]
    events = [
        *talk(capture, ANN, ann, at=1.0, ssrc=11, ts0=1000),
        *talk(capture, BOB, bob, at=2.0, ssrc=22, ts0=777_000),
        *talk(capture, ANN, ann[:50], at=4.5, ssrc=33, ts0=3_000_000_000),  # moved stream
    ]
    run(events, clock)
    summary = capture.close(at=T0 + 6.0)
    assert summary.duration == 6.0
    assert summary.voiced
    result = finalize(
        work_dir=tmp_path / "work", out_dir=tmp_path / "out", duration=summary.duration
    )

    assert [f.filename for f in result.speakers] == ["Ann.ogg", "Bob.ogg"]
    assert {f.content_type for f in result.speakers} == {"audio/ogg"}
    assert all(f.duration == pytest.approx(6.0) for f in result.speakers)
    assert result.voiced_seconds[ANN.key] == pytest.approx(0.02 * (len(ann) + 50))
    assert result.mixed is not None
    assert result.mixed.content_type == "audio/mp4"
    assert result.mixed.filename.endswith(".m4a")
    assert result.mixed.duration == pytest.approx(6.0)
    with av.open(str(result.mixed.path)) as container:
        assert container.duration / 1e6 == pytest.approx(6.0, abs=0.03)
        assert container.streams.audio[0].codec_context.name == "aac"

    ann_talk = [(1.0, 3.0), (4.5, 5.5)]
    bob_talk = [(2.0, 4.0)]
    ann_file, bob_file, mixed = (decode(f.path) for f in (*result.speakers, result.mixed))
    assert len(ann_file) == len(bob_file) == 6 * LOW
    assert_timeline(ann_file, FREQ[ANN.key], ann_talk)
    assert_timeline(ann_file, FREQ[BOB.key], [])
    assert_timeline(bob_file, FREQ[BOB.key], bob_talk)
    assert_timeline(mixed, FREQ[ANN.key], ann_talk)
    assert_timeline(mixed, FREQ[BOB.key], bob_talk)


def test_lost_duplicated_and_reordered_packets(
    tmp_path: Path, tones: dict[str, list[bytes]]
) -> None:
    clock = Clock()
    capture = CallCapture(work_dir=tmp_path / "work", clock=clock)
    capture.start()
    events = talk(capture, ANN, tones[ANN.key], at=0.5, ssrc=1, ts0=0)
    events = [e for i, e in enumerate(events) if i % 17 != 5]  # loss
    duplicates = [(when + 0.001, send) for when, send in events[::9]]
    for i in range(3, len(events) - 1, 13):  # swap neighbours
        events[i], events[i + 1] = (
            (events[i + 1][0], events[i][1]),
            (events[i][0], events[i + 1][1]),
        )
    run(events + duplicates, clock)
    summary = capture.close(at=T0 + 3.0)
    assert summary.tracks[0].dropped == len(duplicates)
    assert summary.tracks[0].packets == len(events)
    result = finalize(work_dir=tmp_path / "work", out_dir=tmp_path / "out", duration=3.0)
    # a lost 20 ms packet in a 100 ms window costs some level, nothing moves
    assert_timeline(decode(result.speakers[0].path), FREQ[ANN.key], [(0.5, 2.5)], loud=1500)


def test_unflushed_writer_is_readable_by_pyav(
    tmp_path: Path, tones: dict[str, list[bytes]]
) -> None:
    path = tmp_path / "a.ogg"
    writer = OggOpusWriter(path=path, serial=1, channels=1, flush_interval=0.5)
    for packet in tones[ANN.key][:70]:  # 1.4 s: two pages flushed, 0.4 s pending
        writer.write(packet)
    with av.open(str(path)) as container:
        assert sum(f.samples for f in container.decode(audio=0)) == RATE
    writer.close()


def test_process_killed_mid_call_leaves_a_playable_file(tmp_path: Path) -> None:
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from recorder.capture import CallCapture\n"
        "from recorder.model import Speaker\n"
        "clock = [0.0]\n"
        "c = CallCapture(work_dir=Path(sys.argv[1]), clock=lambda: clock[0])\n"
        "c.start()\n"
        "for n in range(130):\n"
        "    clock[0] = 0.02 * (n + 1)\n"
        "    c.audio(speaker=Speaker('p/1', 'Ann'), payload=bytes([0xFC]) + bytes(40),"
        " ssrc=1, seq=n, rtp_ts=960 * n)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "work")], cwd=root, check=False
    )
    assert proc.returncode == -9
    with av.open(str(tmp_path / "work" / "speaker-001.ogg")) as container:
        assert sum(f.samples for f in container.decode(audio=0)) == 2 * RATE  # two 1 s pages
    result = finalize(work_dir=tmp_path / "work", out_dir=tmp_path / "out")
    assert result.duration == pytest.approx(2.0)
    assert result.voiced_seconds == {"p/1": pytest.approx(2.0)}


def test_recovery_repairs_truncated_files_and_pads_them(
    tmp_path: Path, tones: dict[str, list[bytes]]
) -> None:
    clock = Clock()
    capture = CallCapture(work_dir=tmp_path / "work", clock=clock)
    capture.start()
    run([*talk(capture, ANN, tones[ANN.key], at=0.0, ssrc=1, ts0=0),
         *talk(capture, BOB, tones[BOB.key][:60], at=0.5, ssrc=2, ts0=0)], clock)  # fmt: skip
    ann_path = tmp_path / "work" / "speaker-001.ogg"
    ann_path.write_bytes(ann_path.read_bytes()[:-7])  # a page cut short by the crash
    result = finalize(work_dir=tmp_path / "work", out_dir=tmp_path / "out")
    assert result.duration == pytest.approx(1.0)  # Bob's flushed page; Ann's second was cut
    for output in result.speakers:
        pages = list(read_pages(output.path.read_bytes()))
        assert pages[-1].eos
        assert pages[-1].end == output.size
        assert output.duration == pytest.approx(1.0)
        assert len(decode(output.path)) == LOW
    assert result.mixed is not None
    assert result.mixed.duration == pytest.approx(1.0)
    capture.close()  # the "crashed" capture still holds its files open


def test_no_voiced_audio_means_no_mixed_file(tmp_path: Path) -> None:
    clock = Clock()
    capture = CallCapture(work_dir=tmp_path / "work", clock=clock)
    capture.start()
    for n in range(20):  # DTX and silence only
        payload = SILENCE_FRAME if n % 2 else b"\xf8"
        capture.audio(
            speaker=ANN, payload=payload, ssrc=1, seq=n, rtp_ts=960 * n, arrival=T0 + 0.02 * n
        )
    summary = capture.close(at=T0 + 1.0)
    assert not summary.voiced
    result = finalize(work_dir=tmp_path / "work", out_dir=tmp_path / "out", duration=1.0)
    assert not result.voiced
    assert result.mixed is None
    assert not (tmp_path / "out" / "recording.m4a").exists()
    assert [f.duration for f in result.speakers] == [pytest.approx(1.0)]


def test_finalize_needs_a_manifest_and_files(tmp_path: Path) -> None:
    with pytest.raises(FinalizeError, match="no capture manifest"):
        finalize(work_dir=tmp_path, out_dir=tmp_path / "out")
    capture = CallCapture(work_dir=tmp_path / "work", clock=Clock())
    capture.start()
    capture.close()
    with pytest.raises(FinalizeError, match="no readable speaker files"):
        finalize(work_dir=tmp_path / "work", out_dir=tmp_path / "out")
    (tmp_path / "work" / "manifest.json").write_text("{}")
    with pytest.raises(FinalizeError, match="malformed"):
        finalize(work_dir=tmp_path / "work", out_dir=tmp_path / "out")


def test_manifest_names_renames_and_safe_unique_file_names(tmp_path: Path) -> None:
    clock = Clock()
    work = tmp_path / "work"
    capture = CallCapture(work_dir=work, clock=clock)
    capture.start()
    started = read_manifest(work)
    assert started is not None
    assert started.speakers == ()
    assert started.started_at.tzinfo is not None
    people = [
        Speaker("p/1", "participants/1"),
        Speaker("p/2", "Ann/../x"),
        Speaker("p/3", "ann/../X"),
    ]
    for n in range(10):
        for i, person in enumerate(people):
            capture.audio(
                speaker=person, payload=bytes([0xFC]) + bytes(30), ssrc=i, seq=n, rtp_ts=960 * n
            )
    before = (work / "manifest.json").stat().st_mtime_ns
    capture.audio(speaker=people[0], payload=bytes([0xFC]) + bytes(30), ssrc=0, seq=10, rtp_ts=9600)
    assert (work / "manifest.json").stat().st_mtime_ns == before  # not rewritten per packet
    capture.rename(Speaker("p/1", "Zoë Ünal: PM"))
    doc = json.loads((work / "manifest.json").read_text())
    assert [s["display_name"] for s in doc["speakers"]] == ["Zoë Ünal: PM", "Ann/../x", "ann/../X"]
    assert capture.stats()["speakers"] == 3
    capture.close(at=T0 + 1.0)
    result = finalize(work_dir=work, out_dir=tmp_path / "out")
    assert [f.filename for f in result.speakers] == [
        "Zoë Ünal_ PM.ogg",
        "Ann_.._x.ogg",
        "ann_.._X (2).ogg",
    ]
    assert result.speakers[0].speaker == Speaker("p/1", "Zoë Ünal: PM")
