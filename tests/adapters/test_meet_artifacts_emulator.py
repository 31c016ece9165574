"""Meet's own artifacts in the emulator, over raw HTTP: generation, states, paging, 404s."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from sandbox.control.http import ControlError
from sandbox.meet_rest.artifacts import PLACEHOLDER
from sandbox.meet_rest.records import ParticipantSpec
from tests.adapters.google_emulator import START, FakeClock, GoogleEmulator, sign_in
from tests.adapters.meet_artifacts_calls import ALL_ON
from tests.adapters.sandbox_server import running_sandbox
from tests.adapters.test_meet_emulator import api, conforms

KINDS = ("recordings", "transcripts", "smartNotes")


async def new_space(
    session: aiohttp.ClientSession, emulator: GoogleEmulator, token: str, config: Any = None
) -> dict[str, Any]:
    body = {} if config is None else {"config": config}
    status, space, _ = await api(session, emulator, "POST", "spaces", token, json=body)
    assert status == 200, space
    return dict(space)


async def artifacts(
    session: aiohttp.ClientSession, emulator: GoogleEmulator, token: str, record: str
) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for kind in KINDS:
        status, body, _ = await api(session, emulator, "GET", f"{record}/{kind}", token)
        assert status == 200, body
        found[kind] = body.get(kind, [])
    return found


async def test_artifacts_start_end_and_are_generated_after_the_delay(
    session, emulator, token, clock: FakeClock
) -> None:
    emulator.control.set_artifacts(changes={"delay": 120})
    space = await new_space(session, emulator, token, ALL_ON)
    people = [{"name": "Ann", "says": ["Hello all.", "Let us start."]}, {"name": "Bob"}]
    started = await emulator.control.start_conference(space=space["name"], participants=people)
    record = started["conferenceRecord"]["name"]
    live = await artifacts(session, emulator, token, record)
    clock.advance(minutes=10)
    await emulator.control.end_conference(space=space["name"])
    ended = await artifacts(session, emulator, token, record)
    clock.advance(seconds=119)
    still = await artifacts(session, emulator, token, record)
    transcript = ended["transcripts"][0]["name"]
    _, early_entries, _ = await api(session, emulator, "GET", f"{transcript}/entries", token)
    clock.advance(seconds=1)
    done = await artifacts(session, emulator, token, record)
    _, entries, _ = await api(session, emulator, "GET", f"{transcript}/entries", token)

    def states(found: dict[str, list[dict[str, Any]]]) -> list[str]:
        return [item["state"] for kind in KINDS for item in found[kind]]

    assert states(live) == ["STARTED"] * 3
    assert all(
        "endTime" not in item and "driveDestination" not in item for item in live["recordings"]
    )
    assert states(ended) == states(still) == ["ENDED"] * 3
    assert early_entries == {}
    assert states(done) == ["FILE_GENERATED"] * 3
    recording, notes = done["recordings"][0], done["smartNotes"][0]
    drive = recording["driveDestination"]
    assert drive["exportUri"] == f"https://drive.google.com/file/d/{drive['file']}/view"
    assert notes["docsDestination"]["exportUri"].startswith("https://docs.google.com/document/d/")
    assert recording["startTime"] == "2030-05-17T09:00:00.000000Z"
    assert recording["endTime"] == "2030-05-17T09:10:00.000000Z"
    assert conforms(recording, "Recording")
    assert conforms(done["transcripts"][0], "Transcript")
    assert conforms(notes, "SmartNote")
    assert conforms(entries, "ListTranscriptEntriesResponse")
    ann = started["participants"][0]["name"]
    assert [(e["participant"], e["text"]) for e in entries["transcriptEntries"]] == [
        (ann, "Hello all."),
        (ann, "Let us start."),
    ]
    assert entries["transcriptEntries"][0]["languageCode"] == "en-US"


async def test_space_config_decides_unless_the_policy_overrides(
    session, emulator, token, clock
) -> None:
    plain = await new_space(session, emulator, token)
    configured = await new_space(session, emulator, token, ALL_ON)
    calls = []
    for policy in ({}, {"recording": "on", "smart_notes": "off"}):
        emulator.control.set_artifacts(changes=policy)
        for space in (plain, configured):
            started = await emulator.control.start_conference(
                space=space["name"], participants=[{"name": "Ann"}]
            )
            await emulator.control.end_conference(space=space["name"])
            calls.append(started["conferenceRecord"]["name"])
    empty_call = await emulator.control.start_conference(space=plain["name"], participants=[])

    made = [await artifacts(session, emulator, token, record) for record in calls]
    counts = [tuple(len(found[kind]) for kind in KINDS) for found in made]
    assert counts == [(0, 0, 0), (1, 1, 1), (1, 0, 0), (1, 1, 0)]
    nobody = await artifacts(session, emulator, token, empty_call["conferenceRecord"]["name"])
    assert nobody == {kind: [] for kind in KINDS}


async def test_transcript_entries_page_and_get_by_name(session, emulator, token, clock) -> None:
    emulator.control.set_artifacts(changes={"delay": 0})
    space = await new_space(session, emulator, token, ALL_ON)
    lines = [f"Line number {n}." for n in range(25)]
    started = await emulator.control.start_conference(
        space=space["name"], participants=[{"name": "Ann", "says": lines}]
    )
    clock.advance(minutes=30)
    await emulator.control.end_conference(space=space["name"])
    record = started["conferenceRecord"]["name"]
    transcript = (await artifacts(session, emulator, token, record))["transcripts"][0]["name"]

    pages, token_ = [], None
    while True:
        params = {"pageSize": "10", **({"pageToken": token_} if token_ else {})}
        status, body, _ = await api(
            session, emulator, "GET", f"{transcript}/entries", token, params=params
        )
        assert status == 200, body
        pages.append(body["transcriptEntries"])
        token_ = body.get("nextPageToken")
        if token_ is None:
            break
    _, default, _ = await api(session, emulator, "GET", f"{transcript}/entries", token)
    _, coerced, _ = await api(
        session, emulator, "GET", f"{transcript}/entries", token, params={"pageSize": "500"}
    )
    third = pages[0][3]["name"]
    _, one, _ = await api(session, emulator, "GET", third, token)

    assert [len(p) for p in pages] == [10, 10, 5]
    assert [e["text"] for p in pages for e in p] == lines
    starts = [e["startTime"] for p in pages for e in p]
    assert starts == sorted(starts)
    assert len(default["transcriptEntries"]) == 10
    assert "nextPageToken" in default
    assert len(coerced["transcriptEntries"]) == 25
    assert one == pages[0][3]


async def test_unknown_or_expired_artifacts_are_404_in_google_json(
    session, emulator, token, clock
) -> None:
    emulator.control.set_artifacts(changes={"delay": 0})
    space = await new_space(session, emulator, token, ALL_ON)
    started = await emulator.control.start_conference(
        space=space["name"], participants=[{"name": "Ann", "says": ["Hi."]}]
    )
    await emulator.control.end_conference(space=space["name"])
    record = started["conferenceRecord"]["name"]
    found = await artifacts(session, emulator, token, record)
    transcript = found["transcripts"][0]["name"]
    recording = found["recordings"][0]["name"]
    _, got, _ = await api(session, emulator, "GET", recording, token)

    missing = [
        f"{record}/recordings/nope",
        f"{record}/transcripts/nope",
        f"{record}/transcripts/nope/entries",
        f"{transcript}/entries/nope",
        f"{record}/smartNotes/nope",
        "conferenceRecords/nope/recordings",
    ]
    answers = [await api(session, emulator, "GET", path, token) for path in missing]
    clock.advance(days=30)
    fresh, _ = await sign_in(emulator, session, email="ann@corp.test")
    expired = [
        await api(session, emulator, "GET", path, fresh.access_token)
        for path in (record, recording, f"{transcript}/entries")
    ]
    _, listed, _ = await api(session, emulator, "GET", "conferenceRecords", fresh.access_token)

    assert got == found["recordings"][0]
    for status, body, _ in answers + expired:
        assert status == 404
        assert body["error"]["status"] == "NOT_FOUND"
        assert body["error"]["code"] == 404
    assert listed == {}


async def test_hold_keeps_files_ungenerated_for_backoff(session, emulator, token, clock) -> None:
    control = emulator.control
    control.set_artifacts(changes={"delay": 10})
    space = await new_space(session, emulator, token, ALL_ON)
    started = await control.start_conference(space=space["name"], participants=[{"name": "Ann"}])
    record = started["conferenceRecord"]["name"]
    await control.end_conference(space=space["name"])
    held = control.hold_artifacts(ref=space["meetingCode"], seconds=300)
    clock.advance(seconds=299)
    waiting = await artifacts(session, emulator, token, record)
    clock.advance(seconds=1)
    ready = await artifacts(session, emulator, token, record)

    with pytest.raises(ControlError) as generated:
        control.hold_artifacts(ref=record, seconds=5)
    with pytest.raises(ControlError) as unknown:
        control.hold_artifacts(ref="conferenceRecords/nope", seconds=5)

    assert held["generatedAt"] == "2030-05-17T09:05:00.000000Z"
    assert {item["state"] for kind in KINDS for item in waiting[kind]} == {"ENDED"}
    assert {item["state"] for kind in KINDS for item in ready[kind]} == {"FILE_GENERATED"}
    assert [generated.value.status, unknown.value.status] == [409, 404]


async def test_entries_from_says_audio_placeholder_and_late_joiners(emulator, clock) -> None:
    emulator.control.set_artifacts(changes={"delay": 0, "transcript": "on"})
    meet = emulator.state.meet
    space = meet.create_space(owner="ann@corp.test", client_id="c", config={})
    record = meet.start_conference(
        space,
        [
            ParticipantSpec(name="Ann", says=("One two three.",), speak_at=2),
            ParticipantSpec(name="Bob", audio="/nowhere/bob.wav"),
            ParticipantSpec(name="Cy"),
        ],
    )
    clock.advance(seconds=20)
    meet.join_participants(space, [ParticipantSpec(name="Di", says=("Sorry I am late.",) * 3)])
    clock.advance(seconds=2)
    meet.end_conference(space)
    transcript = meet.artifacts.listed(record.name, "transcripts")[0]["name"]

    entries = meet.artifacts.entries(record.name, transcript)

    assert entries is not None
    names = {p.name: p.spec.name for p in record.participants}
    said = [(names[e["participant"]], e["text"], e["startTime"][11:19]) for e in entries]
    assert said == [
        ("Bob", PLACEHOLDER, "09:00:00"),
        ("Ann", "One two three.", "09:00:02"),
        ("Di", "Sorry I am late.", "09:00:20"),
        ("Di", "Sorry I am late.", "09:00:20"),
        ("Di", "Sorry I am late.", "09:00:21"),
    ]
    assert all(e["endTime"] <= "2030-05-17T09:00:22.000000Z" for e in entries)
    assert record.start_time == START


async def test_control_api_over_http() -> None:
    async with running_sandbox() as live:
        meet = live.sandbox.google.meet
        space = meet.create_space(owner="alice@sandbox.example", client_id="c", config={})
        policy = {"delay": 0.5, "recording": "on", "transcript": "on", "smart_notes": "off"}
        status, set_policy = await live.call("POST", "meet/artifacts", policy)
        people = [{"name": "Ann", "says": ["Hello."]}]
        start = {"space": space.name, "participants": people}
        assert (await live.call("POST", "meet/conferences", start))[0] == 200
        await live.call("POST", "meet/conferences/end", {"space": space.name})
        hold = {"space": space.meeting_code, "seconds": 60}
        held_status, held = await live.call("POST", "meet/artifacts/hold", hold)
        _, listed = await live.call("GET", f"meet/artifacts?space={space.name}")
        refused = [
            await live.call("POST", "meet/artifacts", {"delay": -1}),
            await live.call("POST", "meet/artifacts", {"recording": "sometimes"}),
            await live.call("POST", "meet/artifacts", {"video": "on"}),
            await live.call("POST", "meet/artifacts/hold", {"space": space.name}),
            await live.call("POST", "meet/artifacts/hold", {"seconds": 3}),
            await live.call(
                "POST",
                "meet/conferences",
                {"space": space.name, "participants": [{"name": "Bo", "says": "hi"}]},
            ),
        ]

    assert status == 200
    assert set_policy == policy
    assert held_status == 200
    assert [item["state"] for item in held["recordings"] + held["transcripts"]] == ["ENDED"] * 2
    assert listed["policy"] == set_policy
    assert [c["entries"] for c in listed["conferences"]] == [1]
    assert [code for code, _ in refused] == [400] * 6
    assert all("error" in body for _, body in refused)
