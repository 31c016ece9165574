"""Live transcript and mix of a captured call: espeak speech, real Opus, Whisper tiny.en."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from recorder.capture import CallCapture
from recorder.model import Speaker
from recorder.transcribe.engine import Piece
from recorder.transcribe.live import LiveTranscript
from recorder.transcribe.model import Segment
from recorder.transcribe.transcriber import Transcriber
from recorder.transcribe.wer import word_error_rate, words
from tests.fixtures_bot import eventually
from tests.media import decode
from tests.speech import RATE, opus_packets, speech, track

T0 = 100.0
ANN = Speaker("participants/ann", "Ann")
BEN = Speaker("participants/ben", "Ben")
LINES = {
    ANN: [
        (0.5, "Good morning everyone. Let us start the meeting."),
        (10.0, "The weather was cold and the train was late again this morning."),
    ],
    BEN: [(3.0, "Yesterday I finished the login page and fixed two bugs in the billing report.")],
}
SECONDS = 14.1  # Ann is still talking 0.4 s before the end: her line ends with the call


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@dataclass
class Call:
    """A capture fed with each speaker's Opus packets on a test clock, as the client would."""

    capture: CallCapture
    clock: Clock
    packets: dict[Speaker, list[bytes]]
    sent: int = 0
    heard: list[Segment] = field(default_factory=list)

    def play(self, *, until: float, name: Callable[[Speaker], Speaker] = lambda s: s) -> None:
        """Deliver every speaker's packets up to call time ``until``."""
        end = min(int(until / 0.02), max(len(p) for p in self.packets.values()))
        for n in range(self.sent, end):
            self.clock.now = T0 + (n + 1) * 0.02
            for index, (speaker, packets) in enumerate(self.packets.items()):
                if n < len(packets):
                    self.capture.audio(
                        speaker=name(speaker),
                        payload=packets[n],
                        ssrc=index + 1,
                        seq=n,
                        rtp_ts=960 * n,
                        arrival=self.clock.now,
                    )
        self.sent = end


def audio(tmp: Path, lines: dict[Speaker, list[tuple[float, str]]]) -> dict[Speaker, np.ndarray]:
    voices = {ANN: "ann", BEN: "ben"}
    return {
        speaker: track([(at, speech(text, tmp, who=voices[speaker])) for at, text in said], SECONDS)
        for speaker, said in lines.items()
    }


def start(
    tmp: Path,
    transcriber: Transcriber | None,
    pcm: dict[Speaker, np.ndarray],
    *,
    hold: float = 0.2,
) -> tuple[Call, LiveTranscript]:
    heard: list[Segment] = []

    async def on_segments(segments: tuple[Segment, ...]) -> None:
        heard.extend(segments)

    live = LiveTranscript(
        mixed_dest=tmp / "live" / "recording.m4a",
        transcriber=transcriber,
        on_segments=on_segments,
        interval=0.05,
        hold=hold,
    )
    clock = Clock()
    capture = CallCapture(work_dir=tmp / "capture", clock=clock, listener=live)
    capture.start()
    live.start()
    packets = {speaker: opus_packets(samples) for speaker, samples in pcm.items()}
    return Call(capture, clock, packets, heard=heard), live


def envelope(pcm: np.ndarray, window: float = 0.1) -> np.ndarray:
    """RMS level per window over the whole call."""
    size = int(window * RATE)
    frames = np.resize(pcm, int(SECONDS / window) * size).reshape(-1, size)
    return np.sqrt(np.mean(frames**2, axis=1))


def said_by(segments: tuple[Segment, ...], name: str) -> str:
    return " ".join(s.text for s in segments if s.speaker.display_name == name)


async def test_overlapping_speakers_are_transcribed_during_the_call(
    tmp_path: Path, transcriber: Transcriber
) -> None:
    pcm = audio(tmp_path, LINES)
    call, live = start(tmp_path, transcriber, pcm)
    unnamed = Speaker(BEN.key, "Someone")
    call.play(until=9.8, name=lambda s: unnamed if s == BEN else s)  # Ben's name comes late

    async def first_lines() -> bool:
        return {s.speaker.key for s in call.heard} == {ANN.key, BEN.key}

    await eventually(first_lines, within=15, what="segments while the call goes on")
    assert {s.speaker.display_name for s in call.heard} == {"Ann", "Someone"}
    call.capture.rename(BEN)
    call.play(until=SECONDS)
    summary = call.capture.close(at=T0 + SECONDS)
    before_close = len(call.heard)
    result = await live.close(duration=summary.duration)
    assert "weather" in " ".join(s.text for s in call.heard[before_close:])  # flushed at close

    assert result.error is None
    segments = result.segments
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    assert {s.speaker for s in segments} == {ANN, BEN}  # final names
    everything = " ".join(text for lines in LINES.values() for _, text in lines)
    transcript = " ".join(said_by(segments, speaker.display_name) for speaker in LINES)
    assert word_error_rate(everything, transcript) < 0.1, transcript
    for speaker, lines in LINES.items():
        reference = " ".join(text for _, text in lines)
        said = said_by(segments, speaker.display_name)
        assert word_error_rate(reference, said) < 0.25, (speaker, said)
        others = {w for s, ls in LINES.items() if s != speaker for _, t in ls for w in words(t)}
        own = set(words(reference))
        assert not (set(words(said)) & (others - own)), (speaker, said)
    for segment in segments:
        lines = LINES[segment.speaker]
        assert any(at - 0.3 <= segment.start < at + 5 for at, _ in lines), segment
        assert segment.start < segment.end <= SECONDS
    assert result.mixed is not None
    assert result.mixed_seconds == pytest.approx(SECONDS, abs=0.03)
    mixed = decode(result.mixed)
    assert abs(len(mixed) / RATE - SECONDS) < 0.05
    assert np.corrcoef(envelope(mixed), envelope(pcm[ANN] + pcm[BEN]))[0, 1] > 0.9

    def plain(segments: list[Segment] | tuple[Segment, ...]) -> set[tuple[str, float, str]]:
        return {(s.speaker.key, s.start, s.text) for s in segments}

    assert plain(call.heard) == plain(segments)  # every segment was reported as it came


async def test_speech_that_piles_up_is_transcribed_in_one_go_and_split_back(
    tmp_path: Path, transcriber: Transcriber
) -> None:
    pcm = audio(tmp_path, {ANN: LINES[ANN]})
    call, live = start(tmp_path, transcriber, pcm, hold=60.0)
    call.play(until=SECONDS)
    summary = call.capture.close(at=T0 + SECONDS)
    result = await live.close(duration=summary.duration)
    assert (live.utterances, live.batches) == (2, 1)
    assert [s.speaker for s in result.segments] == [ANN] * len(result.segments)
    everything = " ".join(text for _, text in LINES[ANN])
    assert word_error_rate(everything, " ".join(s.text for s in result.segments)) < 0.1
    for at, text in LINES[ANN]:  # each line's words went back to where they were said
        said = " ".join(s.text for s in result.segments if at - 0.3 <= s.start < at + 4)
        assert word_error_rate(text, said) < 0.25, (at, said)


async def test_silence_and_blips_are_never_transcribed(
    tmp_path: Path, transcriber: Transcriber
) -> None:
    rng = np.random.default_rng(7)
    quiet = np.zeros(int(8.0 * RATE), dtype=np.float32)
    quiet[RATE : RATE + 2400] = rng.normal(0, 0.3, 2400)  # a 50 ms click
    quiet[2 * RATE : 4 * RATE] = rng.normal(0, 0.0005, 2 * RATE)  # faint hiss
    quiet[5 * RATE : 7 * RATE] = rng.normal(0, 0.02, 2 * RATE)  # a fan starts: -34 dBFS
    call, live = start(tmp_path, transcriber, {ANN: quiet})
    call.play(until=8.0)
    summary = call.capture.close(at=T0 + 8.0)
    result = await live.close(duration=summary.duration)
    assert result.segments == ()
    assert result.error is None
    assert live.stats()["rejected"] >= 1  # the fan was loud enough to look like speech
    assert transcriber.submitted == 0
    assert result.mixed is not None


class BrokenEngine:
    def transcribe(self, audio: np.ndarray) -> list[Piece]:
        raise RuntimeError("out of memory")


async def test_a_failing_engine_keeps_the_mix_and_reports_why(tmp_path: Path) -> None:
    transcriber = Transcriber(BrokenEngine(), workers=1)
    pcm = audio(tmp_path, {ANN: LINES[ANN][:1]})
    call, live = start(tmp_path, transcriber, pcm)
    call.play(until=SECONDS)
    summary = call.capture.close(at=T0 + SECONDS)
    result = await live.close(duration=summary.duration)
    await transcriber.aclose()
    assert result.segments == ()
    assert result.error is not None
    assert "out of memory" in result.error
    assert result.mixed is not None
    assert result.mixed_seconds == pytest.approx(SECONDS, abs=0.03)


async def test_without_a_transcriber_it_only_mixes(tmp_path: Path) -> None:
    pcm = audio(tmp_path, {ANN: LINES[ANN][:1]})
    call, live = start(tmp_path, None, pcm)
    call.play(until=SECONDS)
    summary = call.capture.close(at=T0 + SECONDS)
    result = await live.close(duration=summary.duration)
    assert result.segments == ()
    assert result.error is None
    assert result.mixed is not None
    assert np.abs(decode(result.mixed)).max() > 0.3
