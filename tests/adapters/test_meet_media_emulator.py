"""The Meet Media API emulator over loopback HTTP and WebRTC, driven by a raw aiortc client."""

from __future__ import annotations

import math
from array import array
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import av
import pytest

from sandbox.control.google import bot_google_settings
from sandbox.control.meet import GoogleControl
from sandbox.google.state import SANDBOX_CLIENT_ID
from sandbox.meet_media.rtp import missing_internals
from sandbox.meet_media.streams import StreamMixer
from sandbox.meet_rest.records import SpaceRecord, default_config
from tests.adapters.google_emulator import SCOPE_READONLY, GoogleEmulator, sign_in
from tests.adapters.media_peer import MediaPeer
from tests.adapters.sandbox_server import RunningSandbox, eventually, running_sandbox

EMAIL = "ann@corp.test"
REFUSALS = {
    "CONSENTER_ABSENT": (400, "FAILED_PRECONDITION"),
    "INCOMPATIBLE_DEVICE": (400, "FAILED_PRECONDITION"),
    "UNSUPPORTED_PLATFORM_PRESENT": (400, "FAILED_PRECONDITION"),
    "DISABLED_BY_ADMIN": (403, "PERMISSION_DENIED"),
    "DISABLED_BY_HOST_CONTROL": (403, "PERMISSION_DENIED"),
    "DISABLED_DUE_TO_ENCRYPTION": (400, "FAILED_PRECONDITION"),
    "DISABLED_DUE_TO_WATERMARKING": (400, "FAILED_PRECONDITION"),
}


def write_tone(path: Path, *, hz: float, seconds: float, amplitude: float) -> str:
    """A 16 kHz mono WAV sine tone, written with PyAV."""
    rate = 16_000
    count = int(rate * seconds)
    samples = array(
        "h", (int(amplitude * 32767 * math.sin(2 * math.pi * hz * i / rate)) for i in range(count))
    )
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout="mono")
        frame = av.AudioFrame(format="s16", layout="mono", samples=count)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = rate
        frame.pts = 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return str(path)


@pytest.fixture
async def live() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox() as running:
        yield running


async def sign_in_to(live: RunningSandbox, email: str, **options: Any) -> str:
    """An access token through the Google consent flow of the running sandbox."""
    state = live.sandbox.google
    emulator = GoogleEmulator(
        base_url=live.base_url, state=state, control=GoogleControl(state=state)
    )
    tokens, _ = await sign_in(emulator, live.client, email=email, **options)
    return tokens.access_token


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
async def peers(live: RunningSandbox) -> AsyncIterator[Callable[..., MediaPeer]]:
    made: list[MediaPeer] = []

    def make(**options: Any) -> MediaPeer:
        made.append(MediaPeer(**options))
        return made[-1]

    yield make
    for peer in made:
        await peer.close()


async def control(live: RunningSandbox, method: str, path: str, body: Any = None) -> Any:
    status, answer = await live.call(method, path, body)
    assert status == 200, answer
    return answer


async def start_call(live: RunningSandbox, space: SpaceRecord, **people: Any) -> None:
    participants = [{"name": name, **spec} for name, spec in people.items()]
    await control(
        live, "POST", "meet/conferences", {"space": space.name, "participants": participants}
    )


async def joined(live: RunningSandbox, peer: MediaPeer, url: str, token: str) -> MediaPeer:
    status, answer = await peer.connect(live.client, url, token)
    assert status == 200, answer

    async def is_joined() -> bool:
        return any(s["connectionState"] == "STATE_JOINED" for s in peer.statuses())

    await eventually(is_joined, what="STATE_JOINED")
    return peer


async def ended(live: RunningSandbox, peer: MediaPeer) -> dict[str, Any]:
    async def disconnected() -> dict[str, Any] | None:
        last = peer.statuses()[-1:]
        return last[0] if last and last[0]["connectionState"] == "STATE_DISCONNECTED" else None

    return await eventually(disconnected, what="STATE_DISCONNECTED")


def error_of(body: dict[str, Any]) -> tuple[int, str, str]:
    error = body["error"]
    return error["code"], error["status"], error["details"][0]["reason"]


async def test_join_then_roster_and_attributed_audio(
    live, media_token, space, url, peers, tmp_path
):
    loud = write_tone(tmp_path / "ann.wav", hz=440, seconds=1.2, amplitude=0.5)
    quiet = write_tone(tmp_path / "bob.wav", hz=660, seconds=1.2, amplitude=0.05)
    await start_call(live, space, Cy={})
    await control(live, "POST", "meet/media/faults", {"space": space.name, "consent_delay": 0.3})
    peer = await joined(live, peers(), url, media_token)
    await control(
        live,
        "POST",
        "meet/conferences/participants",
        {
            "space": space.name,
            "join": [{"name": "Ann", "audio": loud}, {"name": "Bob", "audio": quiet}],
        },
    )

    async def entries() -> list[dict[str, Any]]:
        found = peer.resources("media-entries", "mediaEntry")
        return found if len(found) == 3 else []

    async def persons() -> list[dict[str, Any]]:
        found = peer.resources("participants", "participant")
        return found if len(found) == 3 else []

    media = {
        e["mediaEntry"]["participantKey"]: e["mediaEntry"]
        for e in await eventually(entries, what="3 media entries")
    }
    await eventually(persons, what="3 participants")
    people = {
        p["participant"]["signedInUser"]["displayName"]: p["participant"]
        for p in peer.resources("participants", "participant")
    }
    csrc = {name: media[p["participantKey"]].get("audioCsrc") for name, p in people.items()}

    async def both_spoke() -> bool:
        heard = {p.csrc for p in peer.packets}
        return {(csrc["Ann"], 42), (csrc["Bob"],)} <= heard

    await eventually(both_spoke, what="audio from Ann and Bob")

    assert [s["connectionState"] for s in peer.statuses()] == ["STATE_WAITING", "STATE_JOINED"]
    assert set(people) == {"Ann", "Bob", "Cy"}
    assert csrc["Cy"] is None
    assert csrc["Ann"] != csrc["Bob"]
    assert all(p["participantKey"].startswith("participants/") for p in people.values())
    silent = [i for i, p in enumerate(peer.packets) if not p.csrc]
    assert silent  # pre-join silence carries no CSRC
    assert silent == list(range(len(silent)))
    ann = {p.csrc for p in peer.packets if csrc["Ann"] in p.csrc}
    bob = {p.csrc for p in peer.packets if csrc["Bob"] in p.csrc}
    assert ann == {(csrc["Ann"], 42)}  # the loudest whenever she talks
    assert (csrc["Bob"],) in bob  # Bob is only the loudest when Ann is silent
    assert bob <= {(csrc["Bob"],), (csrc["Bob"], 42)}
    assert len({p.ssrc for p in peer.packets}) == 3
    for ssrc in {p.ssrc for p in peer.packets}:
        mine = [p for p in peer.packets if p.ssrc == ssrc]
        pairs = list(zip(mine, mine[1:], strict=False))
        assert {(b.sequence_number - a.sequence_number) % 65536 for a, b in pairs} <= {1}
        assert {(b.timestamp - a.timestamp) % (1 << 32) % 960 for a, b in pairs} <= {0}

    await control(
        live, "POST", "meet/conferences/participants", {"space": space.name, "leave": ["Bob"]}
    )

    async def bob_deleted() -> bool:
        deleted = [d for m in peer.messages["participants"] for d in m.get("deletedResources", [])]
        return any(d["id"] == people_ids(peer)["Bob"] for d in deleted)

    async def ann_spoke_a_while() -> dict[str, Any] | None:
        sessions = (await control(live, "GET", f"meet/media?space={space.name}"))["sessions"]
        return sessions[0] if sessions[0]["frames_by_participant"]["Ann"] > 10 else None

    await eventually(bob_deleted, what="Bob's deletion")
    session = await eventually(ann_spoke_a_while, what="Ann's frames")
    assert session["state"] == "joined"
    assert session["packets_sent"] >= sum(session["frames_by_participant"].values())


def people_ids(peer: MediaPeer) -> dict[str, int]:
    return {
        p["participant"]["signedInUser"]["displayName"]: p["id"]
        for p in peer.resources("participants", "participant")
    }


async def test_stats_configuration_uploads_then_leave(live, media_token, space, url, peers):
    await start_call(live, space, Ann={})
    await control(live, "POST", "meet/media/faults", {"space": space.name, "stats_interval": 3})
    peer = await joined(live, peers(), url, media_token)
    snake = {"sections": [{"id": "IT01", "inbound_rtp": {"ssrc": 1, "packets_received": 5}}]}
    hyphen = {"sections": [{"id": "IT01", "inbound-rtp": {"ssrc": "1", "packetsReceived": "5"}}]}

    peer.channels["media-stats"].send("{not json")
    peer.send("media-stats", {"request": {"requestId": 1, "uploadMediaStats": snake}})
    peer.send("media-stats", {"request": {"requestId": 2, "uploadMediaStats": hyphen}})
    peer.send("session-control", {"request": {"requestId": 1, "leave": {}}})
    final = await ended(live, peer)

    configuration = peer.messages["media-stats"][0]["resources"][0]["configuration"]
    responses = [m["response"] for m in peer.messages["media-stats"][1:]]
    leave = peer.messages["session-control"][-1]["response"]
    sessions = (await control(live, "GET", "meet/media"))["sessions"]
    assert configuration["uploadIntervalSeconds"] == 3
    assert "packetsReceived" in configuration["allowlist"]["inbound-rtp"]["keys"]
    assert [(r["requestId"], r["uploadMediaStats"]) for r in responses] == [(1, {}), (2, {})]
    assert (leave["requestId"], leave["leave"]) == (1, {})
    assert final == {
        "connectionState": "STATE_DISCONNECTED",
        "disconnectReason": "REASON_CLIENT_LEFT",
    }
    assert (sessions[0]["stats_uploads"], sessions[0]["ended_reason"]) == (2, "CLIENT_LEFT")


async def test_conference_end_then_stop_user_stopped(live, media_token, space, url, peers):
    await start_call(live, space, Ann={})
    first = await joined(live, peers(), url, media_token)
    await control(live, "POST", "meet/conferences/end", {"space": space.name})
    await start_call(live, space, Ann={})
    second = await joined(live, peers(), url, media_token)
    await control(live, "POST", "meet/media/stop", {"space": space.name, "reason": "USER_STOPPED"})

    assert (await ended(live, first))["disconnectReason"] == "REASON_CONFERENCE_ENDED"
    assert (await ended(live, second))["disconnectReason"] == "REASON_USER_STOPPED"


async def test_one_client_per_conference_and_drop_window(live, media_token, space, url, peers):
    await start_call(live, space, Ann={})
    await joined(live, peers(), url, media_token)

    busy, busy_body = await peers().connect(live.client, url, media_token)
    await control(live, "POST", "meet/media/stop", {"space": space.name, "reason": "DROP"})
    after_drop, drop_body = await peers().connect(live.client, url, media_token)
    await control(live, "POST", "meet/media/faults", {"space": space.name, "exhausted_window": 0})
    retry, _ = await peers().connect(live.client, url, media_token)

    assert error_of(busy_body) == (400, "FAILED_PRECONDITION", "CONNECTIONS_EXHAUSTED")
    assert busy == after_drop == 400
    assert error_of(drop_body)[2] == "CONNECTIONS_EXHAUSTED"
    assert retry == 200
    reasons = [s["ended_reason"] for s in (await control(live, "GET", "meet/media"))["sessions"]]
    assert reasons == ["DROP", None]


async def test_strip_ssrc_answer_has_no_ssrc_lines(live, media_token, space, url, peers):
    await start_call(live, space, Ann={})
    await control(live, "POST", "meet/media/faults", {"space": space.name, "strip_ssrc": True})
    by_id = url.replace(space.meeting_code, space.name.removeprefix("spaces/"))

    status, body = await peers().connect(live.client, by_id, media_token)

    assert status == 200
    assert "a=ssrc" not in body["answer"]
    assert "a=msid:" not in body["answer"]
    assert body["answer"].count("a=sendonly") == 3
    assert body["traceId"]


async def test_missing_media_stats_channel_is_unhealthy(live, media_token, space, url, peers):
    live.sandbox.google.media.channel_timeout = 0.3
    await start_call(live, space, Ann={})
    peer = peers(labels=("session-control",))

    status, _ = await peer.connect(live.client, url, media_token)

    assert status == 200
    assert (await ended(live, peer))["disconnectReason"] == "REASON_SESSION_UNHEALTHY"


def _mutations() -> dict[str, Callable[[str], str]]:
    def only_two_audio(sdp: str) -> str:
        head, *sections = sdp.split("m=")
        return "m=".join([head, *sections[1:]])

    return {
        "missing": lambda sdp: "",
        "two audio": only_two_audio,
        "sendrecv": lambda sdp: sdp.replace("a=recvonly", "a=sendrecv", 1),
        "no bundle": lambda sdp: sdp.replace("a=group:BUNDLE", "a=group:LS"),
        "no rtcp-mux": lambda sdp: sdp.replace("a=rtcp-mux\r\n", ""),
        "no datachannel": lambda sdp: sdp[: sdp.index("m=application")],
        "no opus": lambda sdp: sdp.replace("opus/48000/2", "foo/48000/2"),
    }


@pytest.mark.parametrize("case", list(_mutations()))
async def test_invalid_offers(live, media_token, space, url, peers, case):
    await start_call(live, space, Ann={})
    peer = peers()
    offer = _mutations()[case](await peer.offer())

    status, body = await peer.connect(live.client, url, media_token, body={"offer": offer})

    assert (status, *error_of(body)) == (400, 400, "INVALID_ARGUMENT", "INVALID_OFFER")
    assert body["error"]["details"][0]["domain"] == "meet.googleapis.com"


async def test_video_before_audio_and_too_much_video_are_invalid(
    live, media_token, space, url, peers
):
    await start_call(live, space, Ann={})
    interleaved = peers(audio=0, video=1)
    interleaved.pc.addTransceiver("audio", direction="recvonly")
    too_much = peers(audio=3, video=4)

    first, first_body = await interleaved.connect(live.client, url, media_token)
    second, second_body = await too_much.connect(live.client, url, media_token)

    assert (first, error_of(first_body)[2]) == (400, "INVALID_OFFER")
    assert (second, error_of(second_body)[2]) == (400, "INVALID_OFFER")


async def test_no_active_conference_and_request_errors(live, media_token, space, url, peers):
    peer = peers()
    offer = await peer.offer()
    scoped = await sign_in_to(live, "ro@corp.test", scopes=("openid", SCOPE_READONLY))

    idle = await peer.connect(live.client, url, media_token, body={"offer": offer})
    await start_call(live, space, Ann={})
    anonymous = await peer.connect(live.client, url, "nope", body={"offer": offer})
    narrow = await peer.connect(live.client, url, scoped, body={"offer": offer})
    unknown = await peer.connect(
        live.client,
        url.replace(space.meeting_code, "zzz-zzzz-zzz"),
        media_token,
        body={"offer": offer},
    )
    too_long = await peer.connect(
        live.client,
        url,
        media_token,
        body={"offer": offer, "config": {"confirmationTimeout": "301s"}},
    )
    negative = await peer.connect(
        live.client,
        url,
        media_token,
        body={"offer": offer, "config": {"confirmationTimeout": "-1s"}},
    )

    assert (idle[0], *error_of(idle[1])) == (
        400,
        400,
        "FAILED_PRECONDITION",
        "NO_ACTIVE_CONFERENCE",
    )
    assert (anonymous[0], anonymous[1]["error"]["status"]) == (401, "UNAUTHENTICATED")
    assert (narrow[0], narrow[1]["error"]["status"]) == (403, "PERMISSION_DENIED")
    assert unknown[0] == 404
    assert too_long[0] == negative[0] == 400
    assert too_long[1]["error"]["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("reason", list(REFUSALS))
async def test_injected_refusals(live, media_token, space, url, peers, reason):
    await start_call(live, space, Ann={})
    await control(live, "POST", "meet/media/faults", {"space": space.name, "refuse": reason})

    status, body = await peers().connect(live.client, url, media_token)

    assert (status, *error_of(body)) == (REFUSALS[reason][0], *REFUSALS[reason], reason)


async def test_control_refuses_bad_media_calls(live, space):
    bad_fault = await live.call(
        "POST", "meet/media/faults", {"space": space.name, "refuse": "NOPE"}
    )
    unknown_key = await live.call("POST", "meet/media/faults", {"space": space.name, "colour": 1})
    no_session = await live.call("POST", "meet/media/stop", {"space": space.name, "reason": "DROP"})
    bad_reason = await live.call("POST", "meet/media/stop", {"space": space.name, "reason": "X"})
    no_call = await live.call(
        "POST", "meet/conferences/participants", {"space": space.name, "leave": ["A"]}
    )

    assert [bad_fault[0], unknown_key[0], no_session[0], bad_reason[0]] == [400, 400, 409, 400]
    assert no_call[0] == 409


def test_mixer_is_sticky_and_replaces_the_quietest() -> None:
    mixer: StreamMixer[str] = StreamMixer()

    first = mixer.assign({"a": 30, "b": 20, "c": 40})
    crowded = mixer.assign({"a": 30, "b": 20, "c": 40, "d": 10})
    quiet_newcomer = mixer.assign({"a": 30, "b": 20, "d": 10, "e": 60})

    assert [(s.stream, s.speaker, s.loudest) for s in first] == [
        (0, "b", True),
        (1, "a", False),
        (2, "c", False),
    ]
    assert [s.speaker for s in crowded] == ["b", "a", "d"]
    assert crowded[2].loudest
    assert [s.speaker for s in quiet_newcomer] == ["b", "a", "d"]


def test_aiortc_internals_used_by_the_rtp_hook_exist() -> None:
    assert missing_internals() == []


async def test_consent_slower_than_confirmation_timeout_is_unhealthy(
    live, media_token, space, url, peers
):
    await start_call(live, space, Ann={})
    await control(live, "POST", "meet/media/faults", {"space": space.name, "consent_delay": 5})
    peer = peers()
    body = {"offer": await peer.offer(), "config": {"confirmationTimeout": "0.2s"}}

    status, _ = await peer.connect(live.client, url, media_token, body=body)
    final = await ended(live, peer)

    assert status == 200
    assert [s["connectionState"] for s in peer.statuses()] == [
        "STATE_WAITING",
        "STATE_DISCONNECTED",
    ]
    assert final["disconnectReason"] == "REASON_SESSION_UNHEALTHY"


async def test_rest_fault_injection_applies(live, media_token, space, url, peers):
    live.sandbox.google.inject_fault(path_regex=":connectActiveConference", status=429, count=1)

    status, body = await peers().connect(live.client, url, media_token)

    assert (status, body["error"]["status"]) == (429, "RESOURCE_EXHAUSTED")
