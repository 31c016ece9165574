"""The Meet Media API emulator's video, received by a plain aiortc client over loopback.

The client offers 3 audio and N video m-lines (VP8, VP9, AV1 with RTX, Meet's extensions),
taps every packet (the recorder's hooks), rebuilds frames with the recorder's assembler and
decodes them with PyAV: what the recorder will see from Meet, minus the recorder.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc import codecs as aiortc_codecs

from recorder import hooks
from recorder.video.codecs import (
    add_video_extensions,
    prefer_meet_codecs,
    request_keyframe,
    video_packet,
    video_payload_types,
)
from recorder.video.frames import FrameAssembler, depacketizer_for
from recorder.video.model import EncodedFrame, VideoCodec
from sandbox.control.google import bot_google_settings
from sandbox.google.state import SANDBOX_CLIENT_ID
from sandbox.meet_media.video import Feed, LoopKey, encode_loop
from sandbox.meet_rest.records import SpaceRecord, default_config
from tests.adapters.sandbox_server import RunningSandbox, eventually, running_sandbox
from tests.adapters.test_meet_media_emulator import (
    EMAIL,
    control,
    sign_in_to,
    start_call,
    write_tone,
)
from tests.video_media import decode

LABELS = ("session-control", "media-stats", "participants", "media-entries", "video-assignment")
CANVAS = {"width": 320, "height": 180}


@dataclass(frozen=True)
class Received:
    """One tapped video packet and when it arrived (monotonic seconds)."""

    at: float
    packet: Any


class VideoClient:
    """3 recvonly audio + ``video`` recvonly video m-lines, every packet tapped (max-bundle,
    as the recorder connects)."""

    def __init__(self, *, video: int) -> None:
        config = RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        self.pc = RTCPeerConnection(config)
        self.messages: dict[str, list[dict[str, Any]]] = {label: [] for label in LABELS}
        self.audio: list[Any] = []
        self.video: list[list[Received]] = [[] for _ in range(video)]
        self.answer = ""
        for _ in range(3):
            transceiver = self.pc.addTransceiver("audio", direction="recvonly")
            hooks.tap_packets(transceiver.receiver, lambda packet, _ms: self.audio.append(packet))
        for index in range(video):
            transceiver = self.pc.addTransceiver("video", direction="recvonly")
            prefer_meet_codecs(transceiver)
            hooks.tap_packets(transceiver.receiver, self._tap(index))
        self.channels = {label: self.pc.createDataChannel(label) for label in LABELS}
        for label, channel in self.channels.items():
            channel.on("message", lambda data, label=label: self._received(label, data))

    def _tap(self, index: int) -> Callable[[Any, int], None]:
        return lambda packet, _ms: self.video[index].append(Received(time.monotonic(), packet))

    def _received(self, label: str, data: str) -> None:
        self.messages[label].append(json.loads(data))

    async def connect(self, http: aiohttp.ClientSession, url: str, token: str) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = add_video_extensions(self.pc.localDescription.sdp)
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post(url, json={"offer": offer}, headers=headers) as response:
            body = await response.json()
        assert response.status == 200, body
        self.answer = body["answer"]
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=self.answer, type="answer"))
        for transceiver in self.pc.getTransceivers():
            hooks.route_by_mid(transceiver.receiver.transport)

    def send(self, label: str, message: dict[str, Any]) -> None:
        self.channels[label].send(json.dumps(message))

    def assign(self, request_id: int, canvases: int, **extra: Any) -> None:
        """A ``setAssignment`` of ``canvases`` canvases (ids 1, 2, ...) of `CANVAS`."""
        layout = {
            "label": "grid",
            "canvases": [
                {"id": i + 1, "dimensions": CANVAS, "relevant": {}} for i in range(canvases)
            ],
        }
        request = {"requestId": request_id, "setAssignment": {"layoutModel": layout, **extra}}
        self.send("video-assignment", {"request": request})

    def resources(self, label: str, kind: str) -> list[dict[str, Any]]:
        return [
            resource
            for message in self.messages[label]
            for resource in message.get("resources", [])
            if kind in resource
        ]

    def responses(self, label: str) -> list[dict[str, Any]]:
        return [m["response"] for m in self.messages[label] if "response" in m]

    def assignments(self) -> list[dict[str, Any]]:
        return [r["videoAssignment"] for r in self.resources("video-assignment", "videoAssignment")]

    def entries(self) -> dict[int, dict[str, Any]]:
        """Media entries by resource id (the latest snapshot of each)."""
        return {r["id"]: r["mediaEntry"] for r in self.resources("media-entries", "mediaEntry")}

    def codec_of(self, index: int, payload_type: int) -> VideoCodec:
        mid = self.pc.getTransceivers()[3 + index].mid
        return video_payload_types(self.answer)[mid].codecs[payload_type]

    def frames(self, index: int, *, since: float = 0.0) -> list[tuple[Received, EncodedFrame]]:
        """The whole frames stream ``index`` delivered (from ``since``), each with its last
        packet."""
        received = [r for r in self.video[index] if r.at >= since]
        if not received:
            return []
        codec = self.codec_of(index, received[0].packet.payload_type)
        assembler = FrameAssembler(depacketizer_for(codec))
        out = []
        for item in received:
            for frame in assembler.push(video_packet(item.packet), int(item.at * 1000)).frames:
                out.append((item, frame))
        return out

    async def close(self) -> None:
        await self.pc.close()


@pytest.fixture(autouse=True)
def aiortc_tables() -> Any:
    """Registering VP9/AV1 changes aiortc's process-wide table: put it back afterwards."""
    saved = list(aiortc_codecs.CODECS["video"])
    yield
    aiortc_codecs.CODECS["video"][:] = saved


@pytest.fixture
async def live() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox() as running:
        yield running


@pytest.fixture
async def media_token(live: RunningSandbox) -> str:
    return await sign_in_to(live, EMAIL)


@pytest.fixture
def space(live: RunningSandbox) -> SpaceRecord:
    return live.sandbox.google.meet.create_space(
        owner=EMAIL, client_id=SANDBOX_CLIENT_ID, config=default_config()
    )


@pytest.fixture
def url(live: RunningSandbox, space: SpaceRecord) -> str:
    base = bot_google_settings(base_url=live.base_url)["meet_base_url"]
    return f"{base}v2beta/spaces/{space.meeting_code}:connectActiveConference"


@pytest.fixture
async def clients() -> AsyncIterator[Callable[..., VideoClient]]:
    made: list[VideoClient] = []

    def make(**options: Any) -> VideoClient:
        made.append(VideoClient(**options))
        return made[-1]

    yield make
    for client in made:
        await client.close()


async def joined(
    live: RunningSandbox,
    client: VideoClient,
    url: str,
    token: str,
    *,
    entries: int,
    people: int | None = None,
) -> dict[int, dict[str, Any]]:
    """Connect, wait for STATE_JOINED, ``entries`` media entries and ``people`` participants
    (as many as entries unless given); return the entries by id."""
    await client.connect(live.client, url, token)

    async def ready() -> dict[int, dict[str, Any]] | None:
        if session_state(client) != "STATE_JOINED":
            return None
        found = client.entries()
        persons = client.resources("participants", "participant")
        if len(persons) != (entries if people is None else people):
            return None
        return found if len(found) == entries else None

    return await eventually(ready, what=f"joined with {entries} media entries")


async def frames_on(
    client: VideoClient, index: int, count: int, *, since: float = 0.0, within: float = 8.0
) -> list[tuple[Received, EncodedFrame]]:
    async def enough() -> list[tuple[Received, EncodedFrame]] | None:
        found = client.frames(index, since=since)
        return found if len(found) >= count else None

    return await eventually(enough, within=within, what=f"{count} frames on stream {index}")


def entry_by_name(entries: dict[int, dict[str, Any]], client: VideoClient) -> dict[str, int]:
    """Camera entry ids by display name (``name (screen)`` for screenshares)."""
    people = {
        p["participant"]["participantKey"]: p["participant"]["signedInUser"]["displayName"]
        for p in client.resources("participants", "participant")
    }
    named = {}
    for entry_id, entry in entries.items():
        name = people[entry["participantKey"]]
        named[f"{name} (screen)" if entry.get("screenshare") else name] = entry_id
    return named


def frame_interval(frames: list[tuple[Received, EncodedFrame]]) -> int:
    """The usual RTP timestamp step between frames (90 kHz), checking that every step is
    whole pacing ticks (20 ms), never shorter than the usual one (a busy machine may make the
    sandbox skip ticks, never burst)."""
    steps = [
        (b.packet.timestamp - a.packet.timestamp) % (1 << 32)
        for (a, _), (b, _) in zip(frames, frames[1:], strict=False)
    ]
    usual = statistics.median_low(steps)
    assert all(step % 1800 == 0 for step in steps), steps
    assert min(steps) >= min(usual, 5400), steps
    return usual


def session_state(client: VideoClient) -> str | None:
    statuses = client.resources("session-control", "sessionStatus")
    return statuses[-1]["sessionStatus"]["connectionState"] if statuses else None


def tone(tmp_path: Path, name: str, seconds: float) -> str:
    return write_tone(tmp_path / f"{name}.wav", hz=330, seconds=seconds, amplitude=0.3)


async def test_three_streams_three_codecs_after_the_assignment(
    live, media_token, space, url, clients, tmp_path
):
    voice = tone(tmp_path, "voice", 3.0)
    people = {name: {"audio": voice, "video": True} for name in ("Ann", "Bob", "Cy")}
    await start_call(live, space, **people)
    client = clients(video=3)
    entries = await joined(live, client, url, media_token, entries=3)

    async def heard_audio() -> bool:
        return sum(1 for p in client.audio if p.csrc) >= 10

    await eventually(heard_audio, what="the speakers' audio")
    silent_before = [len(packets) for packets in client.video]
    client.assign(1, 3)
    streams = [await frames_on(client, index, 8) for index in range(3)]
    snapshot = client.assignments()[-1]
    session = (await control(live, "GET", f"meet/media?space={space.name}"))["sessions"][0]

    assert silent_before == [0, 0, 0]
    assert client.responses("video-assignment") == [
        {"requestId": 1, "status": {"code": 0}, "setAssignment": {}}
    ]
    assert snapshot["label"] == "grid"
    assert [c["canvasId"] for c in snapshot["canvases"]] == [1, 2, 3]
    assert all(entry["videoMuted"] is False for entry in entries.values())
    shown = {c["ssrc"]: c["mediaEntryId"] for c in snapshot["canvases"]}
    assert sorted(shown.values()) == sorted(entries)
    codecs = set()
    for index, frames in enumerate(streams):
        packets = [r.packet for r in client.video[index]]
        ssrc = packets[0].ssrc
        assert ssrc in shown
        entry = entries[shown[ssrc]]
        codec = client.codec_of(index, packets[0].payload_type)
        codecs.add(codec)
        assert {p.ssrc for p in packets} == {ssrc}
        assert {tuple(p.csrc) for p in packets} == {tuple(entry["videoCsrcs"])}
        assert entry["videoCsrcs"][0] != entry.get("audioCsrc")
        assert frames[0][1].keyframe
        pictures = decode(codec, [frame.data for _, frame in frames])
        assert len(pictures) == len(frames)
        assert {(p.width, p.height) for p in pictures} == {(320, 180)}
        assert frame_interval(frames) in (5400, 7200)  # 15 fps from a 20 ms ticker
    assert codecs == {VideoCodec.VP8, VideoCodec.VP9, VideoCodec.AV1}
    assert sorted(session["video_frames_by_participant"]) == ["Ann", "Bob", "Cy"]
    assert {s["codec"] for s in session["video_streams"]} == {"VP8", "VP9", "AV1"}


async def test_a_new_speaker_takes_the_stream(live, media_token, space, url, clients, tmp_path):
    await start_call(
        live,
        space,
        Ann={"audio": tone(tmp_path, "ann", 1.0), "video": True},
        Bob={"audio": tone(tmp_path, "bob", 2.0), "video": True, "speak_at": 2.5},
    )
    client = clients(video=1)
    entries = await joined(live, client, url, media_token, entries=2)
    named = entry_by_name(entries, client)
    client.assign(1, 1)
    first = await frames_on(client, 0, 3)

    async def switched() -> dict[str, Any] | None:
        last = client.assignments()[-1]["canvases"][0]
        return last if last.get("mediaEntryId") == named["Bob"] else None

    canvas = await eventually(switched, within=6.0, what="Bob's entry on the canvas")
    bob = tuple(entries[named["Bob"]]["videoCsrcs"])

    async def bob_frames() -> list[tuple[Received, EncodedFrame]] | None:
        found = [f for f in client.frames(0) if tuple(f[0].packet.csrc) == bob]
        return found if len(found) >= 3 else None

    after = await eventually(bob_frames, within=3.0, what="Bob's frames")
    packets = [r.packet for r in client.video[0]]
    csrcs = [tuple(p.csrc) for p in packets]
    ann = tuple(entries[named["Ann"]]["videoCsrcs"])

    assert tuple(first[0][0].packet.csrc) == ann
    assert len(client.assignments()) >= 2  # re-pushed on the switch
    assert {a["canvases"][0]["canvasId"] for a in client.assignments()} == {1}
    assert {a["label"] for a in client.assignments()} == {"grid"}
    assert canvas["ssrc"] == packets[0].ssrc == packets[-1].ssrc
    assert csrcs == sorted(csrcs, key=lambda c: c == bob)  # Ann's, then only Bob's
    assert after[0][1].keyframe
    pairs = zip(packets, packets[1:], strict=False)
    steps = {(b.sequence_number - a.sequence_number) % 65536 for a, b in pairs}
    assert steps == {1}  # one sequence across the switch
    switch = csrcs.index(bob)
    assert packets[switch - 1].marker  # Ann's last frame was whole
    frames = client.frames(0)
    codec = client.codec_of(0, packets[0].payload_type)
    assert len(decode(codec, [frame.data for _, frame in frames])) == len(frames)


async def test_keyframe_request_is_answered_at_once(live, media_token, space, url, clients):
    await start_call(live, space, Ann={"video": True})
    client = clients(video=1)
    await joined(live, client, url, media_token, entries=1)
    client.assign(1, 1)
    frames = await frames_on(client, 0, 1)
    ssrc = frames[0][0].packet.ssrc
    # right after the first keyframe the next one in the loop is a second away
    asked = time.monotonic()
    await request_keyframe(client.pc.getTransceivers()[3].receiver, ssrc)

    async def keyframe() -> float | None:
        return next((r.at for r, f in client.frames(0) if r.at > asked and f.keyframe), None)

    answered = await eventually(keyframe, within=2.0, what="a keyframe after the PLI")
    session = (await control(live, "GET", f"meet/media?space={space.name}"))["sessions"][0]

    assert answered - asked < 0.5
    assert session["keyframe_requests"] == 1


async def test_a_screenshare_joins_takes_a_stream_and_leaves_it(
    live, media_token, space, url, clients, tmp_path
):
    await start_call(
        live,
        space,
        Ann={"audio": tone(tmp_path, "ann", 3.0), "video": True},
        Bob={"video": True},
    )
    client = clients(video=2)
    entries = await joined(live, client, url, media_token, entries=2)
    named = entry_by_name(entries, client)
    client.assign(1, 2)
    await frames_on(client, 0, 1)
    await frames_on(client, 1, 1)
    before = {c["mediaEntryId"] for c in client.assignments()[-1]["canvases"]}
    joining = {"name": "Cy", "screenshare": True}
    await control(
        live, "POST", "meet/conferences/participants", {"space": space.name, "join": [joining]}
    )

    async def screen_shown() -> dict[str, Any] | None:
        named.update(entry_by_name(client.entries(), client))
        screen = named.get("Cy (screen)")
        canvases = client.assignments()[-1]["canvases"]
        return next((c for c in canvases if c.get("mediaEntryId") == screen), None)

    canvas = await eventually(screen_shown, what="the screenshare on a canvas")
    entries = client.entries()
    screen = entries[named["Cy (screen)"]]
    during = {c.get("mediaEntryId") for c in client.assignments()[-1]["canvases"]}
    stream = next(i for i in range(2) if client.video[i][0].packet.ssrc == canvas["ssrc"])

    async def screen_frames() -> list[tuple[Received, EncodedFrame]] | None:
        found = [
            f
            for f in client.frames(stream)
            if tuple(f[0].packet.csrc) == tuple(screen["videoCsrcs"])
        ]
        return found if len(found) >= 3 else None

    shared = await eventually(screen_frames, what="the screenshare's frames")
    await control(
        live, "POST", "meet/conferences/participants", {"space": space.name, "leave": ["Cy"]}
    )

    async def screen_gone() -> set[int] | None:
        shown = {c.get("mediaEntryId") for c in client.assignments()[-1]["canvases"]}
        return shown if named["Cy (screen)"] not in shown else None

    after = await eventually(screen_gone, what="the screenshare's stream back to a camera")
    deleted = {
        d["id"] for m in client.messages["media-entries"] for d in m.get("deletedResources", [])
    }
    codec = client.codec_of(stream, client.video[stream][0].packet.payload_type)
    pictures = decode(codec, [frame.data for _, frame in shared])

    assert before == after == {named["Ann"], named["Bob"]}
    assert during == {named["Cy (screen)"], named["Ann"]}  # replaced Bob, the least active
    assert screen["screenshare"] is True
    assert "audioCsrc" not in screen
    assert screen["videoCsrcs"][0] not in (entries[named["Cy"]].get("audioCsrc"), None)
    assert entries[named["Cy"]]["videoMuted"] is True
    assert entries[named["Cy"]]["presenter"] is True
    assert shared[0][1].keyframe
    assert len(pictures) == len(shared)
    assert {named["Cy"], named["Cy (screen)"]} <= deleted
    assert {a["label"] for a in client.assignments()} == {"grid"}


async def test_faults_force_size_and_codec_and_frame_rate(live, media_token, space, url, clients):
    await start_call(live, space, Ann={"video": True}, Bob={"video": True})
    faults = {"space": space.name, "video_size": "322x178", "video_codec": "AV1"}
    await control(live, "POST", "meet/media/faults", faults)
    bad_size, _ = await live.call(
        "POST", "meet/media/faults", {"space": space.name, "video_size": "10x10"}
    )
    bad_codec, _ = await live.call(
        "POST", "meet/media/faults", {"space": space.name, "video_codec": "H264"}
    )
    client = clients(video=2)
    await joined(live, client, url, media_token, entries=2)
    client.assign(1, 2, maxVideoResolution={"width": 640, "height": 360, "frameRate": 5})
    streams = [await frames_on(client, index, 3) for index in range(2)]

    assert (bad_size, bad_codec) == (400, 400)
    for index, frames in enumerate(streams):
        codec = client.codec_of(index, frames[0][0].packet.payload_type)
        pictures = decode(codec, [frame.data for _, frame in frames])
        assert codec is VideoCodec.AV1
        assert {(p.width, p.height) for p in pictures} == {(322, 178)}
        assert frame_interval(frames) == 18000  # 5 fps


async def test_invalid_assignments_and_no_video_lines(live, media_token, space, url, clients):
    await start_call(live, space, Ann={"video": True})
    client = clients(video=1)
    await joined(live, client, url, media_token, entries=1)
    canvas = {"id": 1, "dimensions": CANVAS, "relevant": {}}
    layouts = [
        [canvas, {**canvas, "id": 2}],  # more canvases than video m-lines
        [{**canvas, "id": 0}],
        [{"id": 1, "relevant": {}}],
    ]
    for request_id, canvases in enumerate(layouts, start=1):
        layout = {"layoutModel": {"canvases": canvases}}
        client.send(
            "video-assignment", {"request": {"requestId": request_id, "setAssignment": layout}}
        )

    async def answered() -> list[dict[str, Any]] | None:
        found = client.responses("video-assignment")
        return found if len(found) == len(layouts) else None

    responses = await eventually(answered, what="the answers")
    session = (await control(live, "GET", f"meet/media?space={space.name}"))["sessions"][0]
    client.send("session-control", {"request": {"requestId": 1, "leave": {}}})

    async def left() -> bool:
        return session_state(client) == "STATE_DISCONNECTED"

    await eventually(left, what="the leave")  # one Media API client per conference
    audio_only = clients(video=0)
    await joined(live, audio_only, url, media_token, entries=1)
    audio_only.assign(1, 1)

    async def refused() -> dict[str, Any] | None:
        found = audio_only.responses("video-assignment")
        return found[0] if found else None

    refusal = await eventually(refused, what="the audio-only client's answer")

    assert [r["status"]["code"] for r in responses] == [3, 3, 3]
    assert all(r["status"]["message"] for r in responses)
    assert client.assignments() == []
    assert client.video == [[]]
    assert session["video_streams"][0]["frames_sent"] == 0
    assert refusal["status"]["code"] == 3


@pytest.mark.parametrize("codec", list(VideoCodec))
def test_loops_decode_from_every_keyframe_and_wrap(codec: VideoCodec) -> None:
    loop = encode_loop(LoopKey("Ann", Feed.SCREEN, codec, 322, 178, fps=5))
    keys = [i for i, key in enumerate(loop.keyframes) if key]

    assert len(loop) == 20
    assert keys == [0, 5, 10, 15]
    for start in keys:
        pictures = decode(codec, [*loop.frames[start:], *loop.frames[:3]])
        assert len(pictures) == len(loop) - start + 3
        assert {(p.width, p.height) for p in pictures} == {(322, 178)}
