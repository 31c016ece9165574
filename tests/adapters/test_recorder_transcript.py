"""A recorded call transcribed live: three espeak speakers through the Meet Media emulator."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from recorder.model import RecordingId
from recorder.ports import RecordingJob
from recorder.session import RecordingSession, SessionOptions
from recorder.transcribe.engine import Piece
from recorder.transcribe.model import Segment
from recorder.transcribe.transcriber import Transcriber
from recorder.transcribe.wer import word_error_rate, words
from tests.adapters.test_recorder_session import Events, Probe, Rig, Tokens
from tests.adapters.test_recorder_session import rig as rig  # the fixture
from tests.fixtures_bot import eventually
from tests.media import decode
from tests.speech import RATE, speech, track, write_wav

# (voice, start, line): Ben talks over the end of Ann's line, Cy over the end of Ben's
SCRIPT = {
    "Ann": ("ann", 0.0, "Please send me the slides before lunch so I can check the numbers."),
    "Ben": ("ben", 2.0, "We should talk to the customer about the price of the new plan."),
    "Cy": ("cy", 4.5, "Let us move the planning meeting to Tuesday afternoon."),
}
SPEAK_AT = 1.0  # seconds after the call starts: the recorder is in by then
TAIL = 0.6  # silence after the last line


def session(rig: Rig, transcriber: Transcriber) -> tuple[RecordingSession, Events]:
    events = Events()
    options = SessionOptions(
        media_base_url=rig.emulator.settings().meet_base_url,
        ice_servers=(),
        call_timeout=10.0,
        poll_interval=0.05,
        admit_timeout=5.0,
        reconnect_window=5.0,
        reconnect_attempts=2,
    )
    job = RecordingJob(
        recording_id=RecordingId("r1"),
        space=rig.space,
        work_dir=rig.tmp / "work",
        tokens=Tokens(rig.token),
        probe=Probe(rig.emulator, rig.token, rig.http),
        events=events,
    )
    recording = RecordingSession(job=job, options=options, http=rig.http, transcriber=transcriber)
    recording.live.hold = 0.2  # transcribe each line at once: the test waits for them
    return recording, events


def participants(tmp: Path) -> tuple[list[dict[str, object]], float]:
    lines = {name: speech(text, tmp, who=who) for name, (who, _, text) in SCRIPT.items()}
    seconds = max(at + len(lines[name]) / RATE for name, (_, at, _) in SCRIPT.items()) + TAIL
    specs: list[dict[str, object]] = [
        {
            "name": name,
            "audio": str(write_wav(tmp / f"{name}.wav", track([(at, lines[name])], seconds))),
            "speak_at": SPEAK_AT,
        }
        for name, (_, at, _) in SCRIPT.items()
    ]
    return specs, seconds


def spoken_by(segments: list[Segment] | tuple[Segment, ...], name: str) -> str:
    return " ".join(s.text for s in segments if s.speaker.display_name == name)


async def test_each_speaker_is_transcribed_live_even_over_each_other(
    rig: Rig, transcriber: Transcriber
) -> None:
    specs, _ = participants(rig.tmp)
    recording, events = session(rig, transcriber)
    run = asyncio.ensure_future(recording.run())
    await rig.emulator.control.start_conference(space=rig.code, participants=specs)

    async def everyone_transcribed() -> bool:
        return all(spoken_by(events.segments, name) for name in SCRIPT)

    # each line is transcribed while the call goes on
    await eventually(everyone_transcribed, within=30, what="everyone's words during the call")
    await rig.emulator.control.end_conference(space=rig.code)
    outcome = await asyncio.wait_for(run, 20)

    assert outcome.ok, outcome.cause
    assert outcome.transcript_error is None
    segments = outcome.segments
    assert {s.speaker.display_name for s in segments} == set(SCRIPT)
    everyone = {name: set(words(text)) for name, (_, _, text) in SCRIPT.items()}
    for name, (_, at, text) in SCRIPT.items():
        said = spoken_by(segments, name)
        assert word_error_rate(text, said) < 0.25, (name, said)  # under 10 % for all, below
        others = set().union(*(w for n, w in everyone.items() if n != name)) - everyone[name]
        assert not set(words(said)) & others, (name, said)  # nobody else's words
        for segment in (s for s in segments if s.speaker.display_name == name):
            assert SPEAK_AT + at - 1.0 < segment.start < segment.end < outcome.duration
    reference = " ".join(text for _, _, text in SCRIPT.values())
    transcript = " ".join(spoken_by(segments, name) for name in SCRIPT)
    assert word_error_rate(reference, transcript) < 0.1, transcript
    assert [(s.speaker, s.start, s.text) for s in segments] == sorted(
        ((s.speaker, s.start, s.text) for s in events.segments), key=lambda x: x[1]
    )  # every segment was reported as it came, and the outcome has them all in order

    assert outcome.result is not None
    assert outcome.result.mixed is not None
    assert not (rig.tmp / "work" / "live" / "recording.m4a").exists()  # the live mix, moved
    mixed = decode(outcome.result.mixed.path)
    assert abs(len(mixed) / RATE - outcome.duration) < 0.1
    assert np.abs(mixed).max() > 0.3


class BrokenEngine:
    def transcribe(self, audio: np.ndarray) -> list[Piece]:
        raise RuntimeError("the model ran out of memory")


async def test_a_failing_engine_keeps_the_recording_and_says_why(rig: Rig) -> None:
    transcriber = Transcriber(BrokenEngine(), workers=1)
    line = speech("Good morning everyone.", rig.tmp)
    ann = {"name": "Ann", "audio": str(write_wav(rig.tmp / "ann.wav", line)), "speak_at": 0.5}
    recording, events = session(rig, transcriber)
    run = asyncio.ensure_future(recording.run())
    await rig.emulator.control.start_conference(space=rig.code, participants=[ann])
    await rig.until_spoken(int(len(line) / RATE / 0.02) - 5)
    await rig.emulator.control.end_conference(space=rig.code)
    outcome = await asyncio.wait_for(run, 20)
    await transcriber.aclose()
    assert outcome.ok, outcome.cause
    assert outcome.segments == ()
    assert outcome.transcript_error is not None
    assert "ran out of memory" in outcome.transcript_error
    assert outcome.result is not None
    assert outcome.result.mixed is not None
    assert [f.filename for f in outcome.result.speakers] == ["Ann.ogg"]
    assert events.segments == []
