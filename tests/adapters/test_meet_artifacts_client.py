"""The Meet artifacts client (google-api-python-client) against the Meet emulator over loopback."""

from __future__ import annotations

import pytest

from bot.core.errors import MeetAuthError, MeetUnavailable, SpaceNotFound
from bot.core.model import ConferenceRecordName
from bot.core.ports.google import ArtifactState
from bot.google.artifacts import MeetArtifactsClient
from tests.adapters.google_emulator import START, sign_in
from tests.adapters.meet_artifacts_calls import ended_call

OWNER = "ann@corp.test"  # the `token` fixture's account
MEDIA_ONLY = "https://www.googleapis.com/auth/meetings.conference.media.audio.readonly"


@pytest.fixture
def client(emulator, session) -> MeetArtifactsClient:
    return MeetArtifactsClient(settings=emulator.settings(), session=session, page_size=2)


async def test_fetch_reads_every_page_once_generated(client, token, emulator, clock) -> None:
    emulator.control.set_artifacts(changes={"delay": 0})
    people = [{"name": n, "says": [f"{n} says {i}." for i in range(3)]} for n in ("Ann", "Bo")]
    people.append({"name": "Cy"})
    record = ConferenceRecordName(await ended_call(emulator, clock, owner=OWNER, people=people))
    before = len(emulator.state.meet_requests)

    found = await client.fetch(token=token, record=record)

    lists = found.lists
    assert found.record.name == record
    assert (found.record.start_time, found.record.end_time) == (START, clock.now)
    assert sorted(p.display_name for p in found.participants) == ["Ann", "Bo", "Cy"]
    assert [len(x) for x in (lists.recordings, lists.transcripts, lists.smart_notes)] == [1, 1, 1]
    assert lists.pending == ()
    recording = lists.recordings[0]
    assert recording.state is ArtifactState.FILE_GENERATED
    assert recording.export_uri == f"https://drive.google.com/file/d/{recording.file_id}/view"
    assert (recording.start_time, recording.end_time) == (START, clock.now)
    notes = lists.smart_notes[0]
    assert notes.export_uri == f"https://docs.google.com/document/d/{notes.file_id}/view"
    entries = found.entries[lists.transcripts[0].name]
    names = {p.name: p.display_name for p in found.participants}
    assert [(names[e.participant], e.text) for e in entries] == [
        ("Ann", "Ann says 0."),
        ("Bo", "Bo says 0."),
        ("Ann", "Ann says 1."),
        ("Bo", "Bo says 1."),
        ("Ann", "Ann says 2."),
        ("Bo", "Bo says 2."),
    ]
    assert {e.language_code for e in entries} == {"en-US"}
    # record, 1 page per artifact list, 2 participant pages, 3 entry pages (page size 2)
    assert len(emulator.state.meet_requests) - before == 1 + 3 + 2 + 3


async def test_before_generation_no_links_and_no_entries(client, token, emulator, clock) -> None:
    emulator.control.set_artifacts(changes={"delay": 60})
    record = ConferenceRecordName(await ended_call(emulator, clock, owner=OWNER))

    found = await client.fetch(token=token, record=record)

    assert {a.state for a in found.lists.every} == {ArtifactState.ENDED}
    assert len(found.lists.pending) == 3
    assert all(a.export_uri is None and a.file_id is None for a in found.lists.every)
    assert found.entries == {}


async def test_unknown_record_is_not_found(client, token) -> None:
    with pytest.raises(SpaceNotFound):
        await client.fetch(token=token, record=ConferenceRecordName("conferenceRecords/nope"))


async def test_server_errors_are_retried_then_raised(client, token, emulator, clock) -> None:
    record = ConferenceRecordName(await ended_call(emulator, clock, owner=OWNER))
    emulator.state.inject_fault(path_regex=r"/transcripts$", status=503, count=2)

    found = await client.fetch(token=token, record=record)
    emulator.state.inject_fault(path_regex=r"/smartNotes$", status=500, count=3)
    with pytest.raises(MeetUnavailable):
        await client.fetch(token=token, record=record)

    assert len(found.lists.transcripts) == 1


async def test_missing_scope_is_an_auth_error(client, emulator, session, clock) -> None:
    tokens, _ = await sign_in(
        emulator, session, email="me@corp.test", scopes=("openid", "email", MEDIA_ONLY)
    )
    record = ConferenceRecordName(await ended_call(emulator, clock, owner="me@corp.test"))

    with pytest.raises(MeetAuthError) as caught:
        await client.fetch(token=tokens.access_token, record=record)

    assert caught.value.status == 403


async def test_default_page_size_is_meets_maximum(emulator, session, token, clock) -> None:
    emulator.control.set_artifacts(changes={"delay": 0})
    lines = [f"Line {n}." for n in range(150)]
    people = [{"name": "Ann", "says": lines}]
    record = ConferenceRecordName(await ended_call(emulator, clock, owner=OWNER, people=people))
    before = len(emulator.state.meet_requests)

    found = await MeetArtifactsClient(settings=emulator.settings(), session=session).fetch(
        token=token, record=record
    )

    assert [e.text for e in next(iter(found.entries.values()))] == lines
    assert len(emulator.state.meet_requests) - before == 1 + 3 + 1 + 2
