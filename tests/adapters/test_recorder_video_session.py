"""A recording asking for video, against a local Meet stand-in over loopback HTTP and WebRTC.

The stand-in (`tests.adapters.video_peer`) answers ``connectActiveConference`` behind a real
HTTP route, sends Opus with CSRCs and, when it offers video, real VP8 frames: audio must be
recorded exactly as without video, and video stored next to it on the same call clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiortc import codecs as aiortc_codecs

from bot.app.server import bind, listen
from recorder.model import RecordingId, RecordingState, Speaker
from recorder.ports import Outcome, RecordingJob, VideoRequest
from recorder.session import RecordingSession, SessionOptions
from recorder.video.model import RtpVideoPacket, VideoCodec
from recorder.video.store import list_segments
from recorder.video.tiles import read_tiles
from sandbox.meet_media.audio import encode_file
from tests.adapters.test_recorder_session import Events
from tests.adapters.video_peer import MeetPeer, Person
from tests.fixtures_bot import eventually
from tests.media import decode, onset, tone_level, write_tone
from tests.video_media import encode
from tests.video_rtp import packets

ANN = Person("participants/a", "Ann", 1, 11, 1001, 2001)
TONE = 440.0


@pytest.fixture(autouse=True)
def aiortc_tables() -> Iterator[None]:
    """The client registers VP9 and AV1 in aiortc's process-wide table: restore it after."""
    saved = list(aiortc_codecs.CODECS["video"])
    yield
    aiortc_codecs.CODECS["video"][:] = saved


class Tokens:
    async def access_token(self, *, force_refresh: bool = False) -> str:
        return "token"


class Probe:
    async def active_conference(self, *, space: str) -> str | None:
        return "conferenceRecords/r1"


@dataclass
class Rig:
    http: aiohttp.ClientSession
    base_url: str
    tmp: Path
    peers: list[MeetPeer] = field(default_factory=list)
    offers: list[str] = field(default_factory=list)
    refuse_video: bool = False
    """Answer offers with video m-lines INVALID_OFFER (Meet might, for unverified rules)."""

    def session(self, peer: MeetPeer) -> tuple[RecordingSession, Events]:
        self.peers.append(peer)
        events = Events()
        job = RecordingJob(
            recording_id=RecordingId("r1"),
            space="spaces/abc",
            work_dir=self.tmp / "work",
            tokens=Tokens(),
            probe=Probe(),
            events=events,
            transcribe=False,
            video=VideoRequest(streams=2),
        )
        options = SessionOptions(
            media_base_url=self.base_url,
            ice_servers=(),
            call_timeout=5.0,
            poll_interval=0.05,
            admit_timeout=5.0,
            reconnect_window=1.0,
            reconnect_attempts=0,
        )
        return RecordingSession(job=job, options=options, http=self.http), events


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    holder: list[Rig] = []

    async def connect(request: web.Request) -> web.Response:
        body = await request.json()
        holder[0].offers.append(body["offer"])
        if holder[0].refuse_video and "m=video" in body["offer"]:
            error = {"code": 400, "message": "INVALID_OFFER", "status": "INVALID_ARGUMENT"}
            details = [{"reason": "INVALID_OFFER"}]
            return web.json_response({"error": {**error, "details": details}}, status=400)
        answer = (
            await holder[0].peers[-1].connect(space="", offer=body["offer"], confirmation_timeout=0)
        )
        return web.json_response({"answer": answer.sdp, "traceId": answer.trace_id})

    app = web.Application()
    app.router.add_post("/v2beta/{name:.+}", connect)
    running = await listen(app, bind("127.0.0.1", 0))
    try:
        async with aiohttp.ClientSession() as http:
            holder.append(Rig(http, f"{running.base_url}/", tmp_path))
            yield holder[0]
            for peer in holder[0].peers:
                await peer.close()
    finally:
        await running.close()


async def _record(rig: Rig, session: RecordingSession, events: Events, peer: MeetPeer) -> Outcome:
    """Run the session; once recording, Ann talks for a second (and shows her camera)."""
    # encoded first: encoding while media flows would stall the event loop, and the media
    speech = encode_file(str(write_tone(rig.tmp / "ann.wav", freq=TONE, seconds=1.0)))
    pictures = packets(encode(VideoCodec.VP8))
    run = asyncio.ensure_future(session.run())
    try:
        await _talk(events, peer, speech.payloads, pictures)
        return await asyncio.wait_for(asyncio.shield(run), 15)
    finally:
        if not run.done():
            run.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await run


async def _talk(
    events: Events,
    peer: MeetPeer,
    speech: Sequence[bytes],
    pictures: Sequence[Sequence[RtpVideoPacket]],
) -> None:
    async def recording() -> bool:
        return RecordingState.RECORDING in events.states

    await eventually(recording, what="the recording to start")
    talk = asyncio.ensure_future(peer.play_audio(0, speech, ANN.audio_csrc))
    if peer.video_out:  # Meet sends video (once it was asked for it)

        async def assigned() -> bool:
            return bool(peer.requests)

        await eventually(assigned, what="the setAssignment request")
        await peer.play_video(0, VideoCodec.VP8, pictures, (ANN.video_csrc,))
    await talk
    peer.end_conference()


def _assert_ann_was_recorded(outcome: Outcome) -> float:
    """Ann's file holds her second of speech; returns when it starts in the call."""
    assert outcome.ok, outcome.cause
    assert outcome.cause == "the call ended"
    assert outcome.result is not None
    (track,) = outcome.result.speakers
    assert track.speaker == Speaker(ANN.key, "Ann")
    samples = decode(track.path)
    start = onset(samples)
    assert start is not None
    assert tone_level(samples, TONE, start=start, end=start + 1.0) > 0.2
    return start


async def test_audio_and_video_are_recorded_on_one_call_clock(rig: Rig) -> None:
    peer = MeetPeer([ANN], canvases={1: (0, ANN.camera_entry)})
    session, events = rig.session(peer)
    outcome = await _record(rig, session, events, peer)
    speech_starts = _assert_ann_was_recorded(outcome)
    video_dir = rig.tmp / "work" / "video"
    assert outcome.video_dir == video_dir
    (segment,) = list_segments(video_dir)
    assert (segment.key, segment.codec, segment.frames) == (ANN.key, VideoCodec.VP8, 12)
    assert segment.first_pts is not None
    assert abs(segment.first_pts / 90_000 - speech_starts) < 0.5  # sent together
    assert segment.last_pts == segment.first_pts + 11 * 3000
    assert {key: tile.name for key, tile in read_tiles(video_dir).items()} == {ANN.key: "Ann"}
    assert [len(r.canvases) for r in peer.requests] == [2]


async def test_a_job_asking_for_video_records_audio_alone_when_meet_sends_none(
    rig: Rig,
) -> None:
    peer = MeetPeer([ANN], video=False)
    session, events = rig.session(peer)
    outcome = await _record(rig, session, events, peer)
    _assert_ann_was_recorded(outcome)
    assert outcome.video_dir is None
    assert peer.requests == []


async def test_a_failing_video_capture_never_stops_the_audio(rig: Rig) -> None:
    (rig.tmp / "work").mkdir()
    (rig.tmp / "work" / "video").write_text("not a directory")
    peer = MeetPeer([ANN], canvases={1: (0, ANN.camera_entry)})
    session, events = rig.session(peer)
    outcome = await _record(rig, session, events, peer)
    _assert_ann_was_recorded(outcome)
    assert outcome.video_dir is None
    assert session.video is not None
    assert session.video.failed


async def test_an_offer_refused_for_its_video_is_made_again_audio_only(rig: Rig) -> None:
    rig.refuse_video = True
    peer = MeetPeer([ANN], canvases={1: (0, ANN.camera_entry)})
    session, events = rig.session(peer)
    outcome = await _record(rig, session, events, peer)
    _assert_ann_was_recorded(outcome)
    assert outcome.video_dir is None
    assert ["m=video" in offer for offer in rig.offers] == [True, False]
