"""The recorder against the Meet Media API emulator over loopback HTTP and WebRTC."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.google.meet import MeetRestClient
from recorder.errors import CallNotActive, Cancelled, ConnectRefused, RefusalReason
from recorder.model import RecordingId, RecordingState, Speaker
from recorder.ports import Outcome, RecordingJob
from recorder.session import RecordingSession, SessionOptions
from recorder.transcribe.model import Segment
from recorder.workers import WorkerPools
from sandbox.google.state import SANDBOX_CLIENT_ID
from sandbox.meet_rest.records import default_config
from tests.adapters.google_emulator import GoogleEmulator, run_google_emulator, sign_in
from tests.fixtures_bot import eventually
from tests.media import decode, tone_level, write_tone

EMAIL = "ann@corp.test"
TONES = {"Ann": 440.0, "Ben": 660.0, "Cy": 990.0}


@dataclass
class Events:
    """Records what the recorder reports (our own port, not a mock of anything external)."""

    states: list[RecordingState] = field(default_factory=list)
    present: list[tuple[str, ...]] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    outcome: Outcome | None = None

    async def state_changed(
        self,
        *,
        recording_id: RecordingId,
        state: RecordingState,
        cause: str,
        conference_record: str | None = None,
    ) -> None:
        self.states.append(state)

    async def speakers_changed(
        self, *, recording_id: RecordingId, present: tuple[Speaker, ...]
    ) -> None:
        self.present.append(tuple(s.display_name for s in present))

    async def transcribed(
        self, *, recording_id: RecordingId, segments: tuple[Segment, ...]
    ) -> None:
        self.segments += segments

    async def finished(self, *, recording_id: RecordingId, outcome: Outcome) -> None:
        self.outcome = outcome


class Tokens:
    def __init__(self, token: str) -> None:
        self.token = token

    async def access_token(self, *, force_refresh: bool = False) -> str:
        return self.token


class Probe:
    """``spaces.get`` through the bot's real Meet REST adapter."""

    def __init__(self, emulator: GoogleEmulator, token: str, http: aiohttp.ClientSession) -> None:
        self._meet = MeetRestClient(settings=emulator.settings(), session=http)
        self._token = token

    async def active_conference(self, *, space: str) -> str | None:
        return (await self._meet.get_space(token=self._token, name=space)).active_conference


@dataclass
class Rig:
    emulator: GoogleEmulator
    http: aiohttp.ClientSession
    token: str
    space: str
    code: str
    tmp: Path

    def session(
        self, pools: WorkerPools | None = None, **overrides: Any
    ) -> tuple[RecordingSession, Events]:
        events = Events()
        options = SessionOptions(
            media_base_url=self.emulator.settings().meet_base_url,
            ice_servers=(),
            call_timeout=overrides.get("call_timeout", 10.0),
            poll_interval=0.05,
            admit_timeout=5.0,
            reconnect_window=overrides.get("reconnect_window", 5.0),
            reconnect_attempts=2,
        )
        job = RecordingJob(
            recording_id=RecordingId("r1"),
            space=self.space,
            work_dir=self.tmp / "work",
            tokens=Tokens(self.token),
            probe=Probe(self.emulator, self.token, self.http),
            events=events,
        )
        session = RecordingSession(job=job, options=options, http=self.http, pools=pools)
        session.speaker_interval = 0.05
        return session, events

    async def call(self, speakers: dict[str, float], *, seconds: float = 1.2) -> None:
        participants = [
            {
                "name": name,
                "audio": str(
                    write_tone(self.tmp / f"{name}.wav", freq=TONES[name], seconds=seconds)
                ),
                "speak_at": at,
            }
            for name, at in speakers.items()
        ]
        await self.emulator.control.start_conference(space=self.code, participants=participants)

    def media(self) -> list[dict[str, Any]]:
        return self.emulator.state.media.describe(space=self.space)

    async def until_spoken(self, frames: int) -> None:
        """Until the emulator has sent ``frames`` frames for every participant."""

        async def done() -> bool:
            sessions = self.media()
            counts = sessions[-1]["frames_by_participant"] if sessions else {}
            return bool(counts) and all(n >= frames for n in counts.values())

        await eventually(done, within=15, what="the participants to finish speaking")


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with run_google_emulator() as emulator, aiohttp.ClientSession() as http:
        tokens, _ = await sign_in(emulator, http, email=EMAIL)
        space = emulator.state.meet.create_space(
            owner=EMAIL, client_id=SANDBOX_CLIENT_ID, config=default_config()
        )
        yield Rig(emulator, http, tokens.access_token, space.name, space.meeting_code, tmp_path)


async def _record_until_end(rig: Rig, session: RecordingSession, *, frames: int) -> Outcome:
    run = asyncio.ensure_future(session.run())
    await rig.until_spoken(frames)
    await rig.emulator.control.end_conference(space=rig.code)
    return await asyncio.wait_for(run, 15)


def _speaker_files(outcome: Outcome) -> dict[str, Path]:
    assert outcome.result is not None
    return {f.speaker.display_name: f.path for f in outcome.result.speakers if f.speaker}


async def test_three_overlapping_speakers_each_get_their_own_aligned_file(rig: Rig) -> None:
    session, events = rig.session()
    await rig.call({"Ann": 0.6, "Ben": 0.9, "Cy": 1.2})
    outcome = await _record_until_end(rig, session, frames=40)
    assert outcome.ok, outcome.cause
    assert not outcome.partial
    assert outcome.cause == "the call ended"
    assert events.states[:1] == [RecordingState.STARTING]
    assert events.states[-3:] == [
        RecordingState.WAITING,
        RecordingState.RECORDING,
        RecordingState.FINALIZING,
    ]
    files = _speaker_files(outcome)
    assert sorted(files) == ["Ann", "Ben", "Cy"]
    audio = {name: decode(path) for name, path in files.items()}
    lengths = {len(samples) for samples in audio.values()}
    assert max(lengths) - min(lengths) < 48_000 * 0.05  # every file lines up with the call
    for name, samples in audio.items():
        own = tone_level(samples, TONES[name])
        others = [tone_level(samples, TONES[o]) for o in TONES if o != name]
        assert own > 0.1, (name, own)
        assert max(others) < own / 20, (name, own, others)
    assert outcome.result is not None
    assert outcome.result.mixed is not None
    mixed = decode(outcome.result.mixed.path)
    assert abs(len(mixed) - max(lengths)) < 48_000 * 0.1
    assert all(tone_level(mixed, freq) > 0.05 for freq in TONES.values())
    assert ("Ann", "Ben", "Cy") in events.present


async def test_routes_by_mid_when_the_answer_has_no_ssrc_lines(rig: Rig) -> None:
    rig.emulator.state.media.set_faults(rig.space, strip_ssrc=True)
    session, _ = rig.session()
    await rig.call({"Ann": 0.5, "Ben": 0.5})
    outcome = await _record_until_end(rig, session, frames=40)
    assert outcome.ok, outcome.cause
    assert sorted(_speaker_files(outcome)) == ["Ann", "Ben"]


@pytest.mark.parametrize(
    "reason",
    [
        RefusalReason.CONSENTER_ABSENT,
        RefusalReason.DISABLED_DUE_TO_ENCRYPTION,
        RefusalReason.DISABLED_BY_ADMIN,
    ],
)
async def test_refusals_become_typed_failures(rig: Rig, reason: RefusalReason) -> None:
    rig.emulator.state.media.set_faults(rig.space, refuse=reason.value)
    session, _ = rig.session()
    await rig.call({"Ann": 0.2})
    outcome = await asyncio.wait_for(session.run(), 10)
    assert not outcome.ok
    assert isinstance(outcome.error, ConnectRefused)
    assert outcome.error.reason is reason


async def test_stop_leaves_the_call_and_keeps_what_was_said(rig: Rig) -> None:
    session, _ = rig.session()
    await rig.call({"Ann": 0.3}, seconds=3.0)
    run = asyncio.ensure_future(session.run())
    await rig.until_spoken(40)
    session.request_stop(by="U0BOB")
    outcome = await asyncio.wait_for(run, 10)
    assert outcome.ok
    assert not outcome.partial
    assert outcome.cause == "stopped by U0BOB"
    assert rig.media()[-1]["ended_reason"] == "CLIENT_LEFT"


async def test_a_participant_stopping_the_api_ends_the_recording(rig: Rig) -> None:
    session, _ = rig.session()
    await rig.call({"Ann": 0.3}, seconds=3.0)
    run = asyncio.ensure_future(session.run())
    await rig.until_spoken(40)
    rig.emulator.state.media.live_session(rig.space).end("USER_STOPPED")
    outcome = await asyncio.wait_for(run, 10)
    assert outcome.ok
    assert outcome.cause == "someone in the call stopped the recording"


async def test_lost_media_reconnects_and_joins_the_pieces(rig: Rig) -> None:
    rig.emulator.state.media.set_faults(rig.space, exhausted_window=0.3)
    session, events = rig.session()
    await rig.call({"Ann": 0.3, "Ben": 0.3}, seconds=4.0)
    run = asyncio.ensure_future(session.run())
    await rig.until_spoken(30)
    rig.emulator.state.media.live_session(rig.space).end("DROP")

    async def reconnected() -> bool:
        return len(rig.media()) == 2 and rig.media()[-1]["state"] == "joined"

    await eventually(reconnected, within=10, what="a second session")
    await rig.emulator.control.end_conference(space=rig.space)
    outcome = await asyncio.wait_for(run, 15)
    assert outcome.ok, outcome.cause
    assert not outcome.partial
    assert events.states.count(RecordingState.RECORDING) == 2
    assert sorted(_speaker_files(outcome)) == ["Ann", "Ben"]


async def test_a_call_with_nobody_speaking_is_a_failure_not_an_empty_file(rig: Rig) -> None:
    session, _ = rig.session()
    await rig.emulator.control.start_conference(space=rig.code, participants=[{"name": "Ann"}])
    run = asyncio.ensure_future(session.run())

    async def joined() -> bool:
        return bool(rig.media()) and rig.media()[-1]["state"] == "joined"

    await eventually(joined, within=10, what="the recorder to join")
    await rig.emulator.control.end_conference(space=rig.code)
    outcome = await asyncio.wait_for(run, 10)
    assert not outcome.ok
    assert outcome.result is None
    assert "no audio" in outcome.cause


async def test_a_call_that_never_starts_fails_with_the_reason(rig: Rig) -> None:
    session, _ = rig.session(call_timeout=0.3)
    outcome = await asyncio.wait_for(session.run(), 10)
    assert not outcome.ok
    assert isinstance(outcome.error, CallNotActive)


async def test_malformed_and_unknown_server_messages_are_skipped(rig: Rig) -> None:
    session, _ = rig.session()
    await rig.call({"Ann": 0.6}, seconds=1.5)
    run = asyncio.ensure_future(session.run())

    async def joined() -> bool:
        return bool(rig.media()) and rig.media()[-1]["state"] == "joined"

    await eventually(joined, within=10, what="the recorder to join")
    live = rig.emulator.state.media.live_session(rig.space)
    for label, text in [
        ("session-control", "{not json"),
        ("session-control", '{"resources": [{"sessionStatus": {"connectionState": 7}}]}'),
        ("participants", '{"resources": [{"id": 9, "participant": {"futureField": {}}}]}'),
        ("media-entries", "[1, 2, 3]"),
        ("media-stats", '{"resources": [{"configuration": {"uploadIntervalSeconds": "x"}}]}'),
        ("session-control", '{"somethingNew": {"a": 1}}'),
    ]:
        assert live.inject(label, text)
    await rig.until_spoken(50)
    await rig.emulator.control.end_conference(space=rig.code)
    outcome = await asyncio.wait_for(run, 15)
    assert outcome.ok, outcome.cause
    assert sorted(_speaker_files(outcome)) == ["Ann"]


async def test_stats_are_uploaded_on_the_interval_meet_asks_for(rig: Rig) -> None:
    rig.emulator.state.media.set_faults(rig.space, stats_interval=0.1)
    session, _ = rig.session()
    await rig.call({"Ann": 0.3}, seconds=1.5)
    run = asyncio.ensure_future(session.run())

    async def uploaded() -> bool:
        return bool(rig.media()) and rig.media()[-1]["stats_uploads"] >= 3

    await eventually(uploaded, within=10, what="three stats uploads")
    await rig.emulator.control.end_conference(space=rig.code)
    outcome = await asyncio.wait_for(run, 15)
    assert session.client is not None
    assert session.client.uploads >= 3
    assert outcome.ok, outcome.cause


async def test_stop_while_waiting_for_consent_is_a_cancellation(rig: Rig) -> None:
    rig.emulator.state.media.set_faults(rig.space, consent_delay=30)
    session, events = rig.session()
    await rig.call({"Ann": 0.3})
    run = asyncio.ensure_future(session.run())

    async def waiting() -> bool:
        return RecordingState.WAITING in events.states

    await eventually(waiting, within=10, what="Meet to hold the recorder for consent")
    session.request_stop(by="U0BOB")
    outcome = await asyncio.wait_for(run, 10)
    assert not outcome.ok
    assert isinstance(outcome.error, Cancelled)
    assert outcome.error.stopped_by == "U0BOB"


class WatchedDefaultExecutor(ThreadPoolExecutor):
    """The loop's default executor for one test: notes the name of everything run on it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.ran: list[str] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.ran += _names(fn)
        return super().submit(fn, *args, **kwargs)


def _names(fn: Any) -> list[str]:
    """``fn``'s name, and those of the callables a partial wraps (``to_thread`` makes one)."""
    names = []
    while isinstance(fn, functools.partial):
        names += [getattr(arg, "__qualname__", "") for arg in fn.args if callable(arg)]
        fn = fn.func
    return [*names, getattr(fn, "__qualname__", repr(fn))]


async def test_mixing_and_finalizing_use_the_recorders_threads_not_the_default_executor(
    rig: Rig,
) -> None:
    watched = WatchedDefaultExecutor()
    asyncio.get_running_loop().set_default_executor(watched)
    pools = WorkerPools(audio_workers=1, finalize_workers=1)
    session, _ = rig.session(pools)
    await rig.call({"Ann": 0.5, "Ben": 0.5})
    try:
        outcome = await _record_until_end(rig, session, frames=40)
        threads = {t.name.rsplit("_", 1)[0] for t in threading.enumerate()}
    finally:
        await pools.aclose()

    assert outcome.ok, outcome.cause
    assert {"audio", "finalize"} <= threads
    ours = ("finalize", "AudioPipeline.process", "LiveTranscript._finish")
    assert not [name for name in watched.ran if name in ours], watched.ran
