"""SqlRecordingRepo against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.errors import StorageUnavailable
from bot.core.model import FileKind, NewMeetingRow, RecordingFile
from bot.core.ports.storage import NewRecordingRow
from recorder.model import RecordingId, RecordingState, Speaker
from storage.crypto import TokenCipher
from storage.db import make_sessionmaker
from storage.repos import Repos, build_repos
from storage.repos.recordings import SqlRecordingRepo

S = RecordingState
ROW = NewRecordingRow(
    meeting_id=None,
    space_name="spaces/jQCFfuBOdN5z",
    platform="slack",
    team_id="T1",
    channel_id="C1",
    started_by="U1",
    work_dir="/data/recordings/x",
    thread_channel="C1",
    thread_message_id="1712.0001",
)
ALICE = Speaker(key="participants/a", display_name="Alice")
BOB = Speaker(key="participants/b", display_name="Bob Ünal")


class Ticking:
    """A clock that moves one second per reading."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _file(kind: FileKind, name: str, speaker: Speaker | None = None) -> RecordingFile:
    return RecordingFile(
        kind=kind,
        blob_key=f"recordings/r/{name}",
        filename=name,
        content_type="audio/ogg",
        size=5_000_000_000,
        duration=61.5,
        speaker=speaker,
    )


@pytest.fixture
def recordings(engine: AsyncEngine) -> SqlRecordingRepo:
    return SqlRecordingRepo(sessions=make_sessionmaker(engine), clock=Ticking())


async def _to_ready(repo: SqlRecordingRepo, recording_id: RecordingId) -> None:
    for old, new in [
        (S.STARTING, S.RECORDING),
        (S.RECORDING, S.FINALIZING),
        (S.FINALIZING, S.READY),
    ]:
        assert await repo.transition(
            recording_id=recording_id, expected={old}, new_state=new, cause="test"
        )


async def test_factory_builds_the_recording_repo(repos: Repos) -> None:
    assert isinstance(repos.recordings, SqlRecordingRepo)
    assert await repos.recordings.create(row=ROW, cause="record command") is not None


async def test_create_stores_starting_recording_and_first_event(
    recordings: SqlRecordingRepo,
) -> None:
    recording = await recordings.create(row=ROW, cause="record command")

    assert recording is not None
    assert recording.state is S.STARTING
    assert (recording.space_name, recording.started_by, recording.work_dir) == (
        ROW.space_name,
        "U1",
        ROW.work_dir,
    )
    assert recording.partial is False
    assert recording.speakers == ()
    assert recording.started_at.tzinfo is not None
    assert await recordings.get(recording_id=recording.id) == recording
    assert await recordings.active_for_space(space_name=ROW.space_name) == recording
    [(old, new, cause, at)] = await recordings.events(recording_id=recording.id)
    assert (old, new, cause, at) == (None, S.STARTING, "record command", recording.started_at)
    assert await recordings.thread(recording_id=recording.id) == ("C1", "1712.0001")
    assert await recordings.notice(recording_id=recording.id) is None


async def test_unknown_recording(recordings: SqlRecordingRepo) -> None:
    unknown = RecordingId("nope")
    assert await recordings.get(recording_id=unknown) is None
    assert await recordings.thread(recording_id=unknown) is None
    assert await recordings.notice(recording_id=unknown) is None
    assert await recordings.files(recording_id=unknown) == []
    assert await recordings.events(recording_id=unknown) == []
    assert await recordings.active_for_space(space_name="spaces/none") is None
    moved = await recordings.transition(
        recording_id=unknown, expected={S.STARTING}, new_state=S.FAILED, cause="x"
    )
    assert moved is None
    with pytest.raises(LookupError):
        await recordings.set_notice(recording_id=unknown, message_id="m")
    with pytest.raises(LookupError):
        await recordings.set_speakers(recording_id=unknown, speakers=[ALICE])
    with pytest.raises(LookupError):
        await recordings.add_files(recording_id=unknown, files=[_file(FileKind.MIXED, "a.ogg")])


async def test_second_live_recording_of_a_space_is_refused(recordings: SqlRecordingRepo) -> None:
    first = await recordings.create(row=ROW, cause="record")
    assert first is not None

    assert await recordings.create(row=ROW, cause="record again") is None
    other = await recordings.create(row=replace(ROW, space_name="spaces/other"), cause="record")
    assert other is not None

    await _to_ready(recordings, first.id)
    again = await recordings.create(row=ROW, cause="record after ready")
    assert again is not None
    assert await recordings.active_for_space(space_name=ROW.space_name) == again


async def test_concurrent_creates_have_one_winner(engine: AsyncEngine) -> None:
    repos = [SqlRecordingRepo(sessions=make_sessionmaker(engine)) for _ in range(6)]

    results = await asyncio.gather(*(repo.create(row=ROW, cause="race") for repo in repos))

    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert await repos[0].active_for_space(space_name=ROW.space_name) == winners[0]
    assert await repos[0].unfinished() == winners


async def test_transition_sequence_fields_and_events(recordings: SqlRecordingRepo) -> None:
    recording = await recordings.create(row=ROW, cause="record")
    assert recording is not None
    joined = datetime(2025, 3, 1, 9, 5, tzinfo=UTC)
    ended = datetime(2025, 3, 1, 9, 50, tzinfo=UTC)

    waiting = await recordings.transition(
        recording_id=recording.id,
        expected={S.STARTING},
        new_state=S.WAITING,
        cause="connected",
        conference_record="conferenceRecords/r1",
    )
    live = await recordings.transition(
        recording_id=recording.id,
        expected=[S.STARTING, S.WAITING],
        new_state=S.RECORDING,
        cause="admitted",
        joined_at=joined,
    )
    finalizing = await recordings.transition(
        recording_id=recording.id,
        expected={S.WAITING, S.RECORDING},
        new_state=S.FINALIZING,
        cause="stop command",
        actor="U2",
        ended_at=ended,
    )
    ready = await recordings.transition(
        recording_id=recording.id,
        expected={S.FINALIZING},
        new_state=S.READY,
        cause="files stored",
        partial=True,
        reason="Disconnected: network",
        duration=2700.25,
    )

    assert waiting is not None
    assert waiting.conference_record == "conferenceRecords/r1"
    assert live is not None
    assert (live.state, live.joined_at, live.conference_record) == (
        S.RECORDING,
        joined,
        "conferenceRecords/r1",
    )
    assert finalizing is not None
    assert finalizing.ended_at == ended
    assert ready is not None
    assert (ready.state, ready.partial, ready.reason, ready.duration) == (
        S.READY,
        True,
        "Disconnected: network",
        2700.25,
    )
    assert await recordings.get(recording_id=recording.id) == ready
    assert await recordings.active_for_space(space_name=ROW.space_name) is None
    events = await recordings.events(recording_id=recording.id)
    assert [(old, new, cause) for old, new, cause, _ in events] == [
        (None, S.STARTING, "record"),
        (S.STARTING, S.WAITING, "connected"),
        (S.WAITING, S.RECORDING, "admitted"),
        (S.RECORDING, S.FINALIZING, "stop command"),
        (S.FINALIZING, S.READY, "files stored"),
    ]
    assert [at for *_, at in events] == sorted(at for *_, at in events)


async def test_transition_from_unexpected_state_changes_nothing(
    recordings: SqlRecordingRepo,
) -> None:
    recording = await recordings.create(row=ROW, cause="record")
    assert recording is not None

    lost = await recordings.transition(
        recording_id=recording.id,
        expected={S.RECORDING, S.FINALIZING},
        new_state=S.READY,
        cause="x",
        partial=True,
    )

    assert lost is None
    assert await recordings.get(recording_id=recording.id) == recording
    assert len(await recordings.events(recording_id=recording.id)) == 1


async def test_concurrent_transitions_have_one_winner(engine: AsyncEngine) -> None:
    repo = SqlRecordingRepo(sessions=make_sessionmaker(engine))
    recording = await repo.create(row=ROW, cause="record")
    assert recording is not None
    targets = [S.FAILED, S.WAITING, S.RECORDING] * 3

    results = await asyncio.gather(
        *(
            repo.transition(
                recording_id=recording.id, expected={S.STARTING}, new_state=t, cause="race"
            )
            for t in targets
        )
    )

    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert len(await repo.events(recording_id=recording.id)) == 2


async def test_failed_frees_the_space_and_unfinished_lists_oldest_first(
    recordings: SqlRecordingRepo,
) -> None:
    first = await recordings.create(row=ROW, cause="record")
    second = await recordings.create(row=replace(ROW, space_name="spaces/b"), cause="record")
    third = await recordings.create(row=replace(ROW, space_name="spaces/c"), cause="record")
    assert first is not None
    assert second is not None
    assert third is not None

    await recordings.transition(
        recording_id=second.id, expected={S.STARTING}, new_state=S.FAILED, cause="no call"
    )

    assert [r.id for r in await recordings.unfinished()] == [first.id, third.id]
    assert await recordings.create(row=replace(ROW, space_name="spaces/b"), cause="retry")


async def test_latest_for_meeting_and_meeting_deletion(
    repos: Repos, engine: AsyncEngine, recordings: SqlRecordingRepo
) -> None:
    meeting = await repos.meetings.create(
        row=NewMeetingRow(
            platform="slack", team_id="T1", channel_id="C1", created_by="U1", title="x"
        ),
        cause="command",
    )
    row = replace(ROW, meeting_id=meeting.id)
    first = await recordings.create(row=row, cause="record")
    assert first is not None
    await _to_ready(recordings, first.id)
    second = await recordings.create(row=row, cause="record")
    assert second is not None

    assert await recordings.latest_for_meeting(meeting_id=meeting.id) == second
    assert await recordings.latest_for_meeting(meeting_id="other") is None

    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM meetings"))
    orphan = await recordings.get(recording_id=second.id)
    assert orphan is not None
    assert orphan.meeting_id is None


async def test_speakers_notice_and_files(recordings: SqlRecordingRepo) -> None:
    recording = await recordings.create(row=ROW, cause="record")
    assert recording is not None

    await recordings.set_speakers(recording_id=recording.id, speakers=[ALICE, BOB])
    await recordings.set_notice(recording_id=recording.id, message_id="1712.0002")
    bob = _file(FileKind.SPEAKER, "bob.ogg", BOB)
    alice = _file(FileKind.SPEAKER, "alice.ogg", ALICE)
    mixed = _file(FileKind.MIXED, "mixed.ogg")
    await recordings.add_files(recording_id=recording.id, files=[bob, mixed])
    await recordings.add_files(recording_id=recording.id, files=[alice])

    stored = await recordings.get(recording_id=recording.id)
    assert stored is not None
    assert stored.speakers == (ALICE, BOB)
    assert await recordings.notice(recording_id=recording.id) == "1712.0002"
    assert await recordings.files(recording_id=recording.id) == [mixed, bob, alice]
    await recordings.set_speakers(recording_id=recording.id, speakers=[BOB])
    again = await recordings.get(recording_id=recording.id)
    assert again is not None
    assert again.speakers == (BOB,)


async def test_without_thread(recordings: SqlRecordingRepo) -> None:
    row = replace(ROW, thread_channel=None, thread_message_id=None)
    recording = await recordings.create(row=row, cause="record")
    assert recording is not None
    assert await recordings.thread(recording_id=recording.id) is None


async def test_unreachable_database_raises_storage_unavailable(
    unreachable_engine: AsyncEngine, cipher: TokenCipher
) -> None:
    recordings = build_repos(engine=unreachable_engine, cipher=cipher).recordings
    with pytest.raises(StorageUnavailable) as caught:
        await recordings.create(row=ROW, cause="record")
    assert caught.value.__cause__ is not None
    with pytest.raises(StorageUnavailable):
        await recordings.get(recording_id=RecordingId("x"))
    with pytest.raises(StorageUnavailable):
        await recordings.unfinished()
    with pytest.raises(StorageUnavailable):
        await recordings.transition(
            recording_id=RecordingId("x"), expected={S.STARTING}, new_state=S.FAILED, cause="x"
        )


async def test_delete_files_returns_them_and_leaves_none(recordings: SqlRecordingRepo) -> None:
    recording = await recordings.create(row=ROW, cause="record")
    other = await recordings.create(row=replace(ROW, space_name="spaces/o"), cause="record")
    assert recording is not None
    assert other is not None
    bob = _file(FileKind.SPEAKER, "bob.ogg", BOB)
    mixed = _file(FileKind.MIXED, "mixed.ogg")
    txt = _file(FileKind.TRANSCRIPT, "transcript.txt")
    await recordings.add_files(recording_id=recording.id, files=[bob, mixed, txt])
    await recordings.add_files(recording_id=other.id, files=[mixed])

    assert await recordings.delete_files(recording_id=recording.id) == [mixed, bob, txt]
    assert await recordings.files(recording_id=recording.id) == []
    assert await recordings.delete_files(recording_id=recording.id) == []
    assert await recordings.delete_files(recording_id=RecordingId("nope")) == []
    assert await recordings.files(recording_id=other.id) == [mixed]


async def test_mark_deleted_once_with_an_event(recordings: SqlRecordingRepo) -> None:
    recording = await recordings.create(row=ROW, cause="record")
    assert recording is not None
    await _to_ready(recordings, recording.id)
    at = datetime(2025, 4, 1, 12, 0, tzinfo=UTC)
    assert await recordings.deleted_at(recording_id=recording.id) is None

    assert await recordings.mark_deleted(recording_id=recording.id, by="U9", at=at) is True
    assert await recordings.mark_deleted(recording_id=recording.id, by="retention", at=at) is False
    assert await recordings.mark_deleted(recording_id=RecordingId("nope"), by="U9", at=at) is False

    assert await recordings.deleted_at(recording_id=recording.id) == at
    assert await recordings.deleted_at(recording_id=RecordingId("nope")) is None
    *_, last = await recordings.events(recording_id=recording.id)
    assert last == (S.READY, S.READY, "deleted by U9", at)
    stored = await recordings.get(recording_id=recording.id)
    assert stored is not None
    assert stored.state is S.READY


async def test_ended_before_lists_final_undeleted_oldest_first(
    recordings: SqlRecordingRepo,
) -> None:
    def at(hour: int) -> datetime:
        return datetime(2025, 3, 1, hour, 0, tzinfo=UTC)

    made = []
    for name in "abcdef":
        recording = await recordings.create(
            row=replace(ROW, space_name=f"spaces/{name}"), cause="r"
        )
        assert recording is not None
        made.append(recording.id)
    a, b, c, d, e, f = made
    for recording_id, ended, final in [
        (a, at(11), S.READY),
        (b, at(10), S.FAILED),
        (c, at(13), S.READY),
        (d, at(9), S.READY),
    ]:
        assert await recordings.transition(
            recording_id=recording_id,
            expected={S.STARTING},
            new_state=final,
            cause="t",
            ended_at=ended,
        )
    await recordings.transition(
        recording_id=e, expected={S.STARTING}, new_state=S.FAILED, cause="t"
    )
    await recordings.mark_deleted(recording_id=d, by="U1", at=at(14))  # f stays unfinished

    found = await recordings.ended_before(cutoff=at(12))

    assert [r.id for r in found] == [e, b, a]  # e never ended: its start (09:00:0x) counts
    assert [r.id for r in await recordings.ended_before(cutoff=at(12), limit=2)] == [e, b]
    assert [r.id for r in await recordings.ended_before(cutoff=at(8))] == []
    assert f not in [r.id for r in await recordings.ended_before(cutoff=at(23))]


async def test_unreachable_database_fails_the_retention_methods(
    unreachable_engine: AsyncEngine, cipher: TokenCipher
) -> None:
    recordings = build_repos(engine=unreachable_engine, cipher=cipher).recordings
    at = datetime(2025, 4, 1, tzinfo=UTC)
    with pytest.raises(StorageUnavailable):
        await recordings.delete_files(recording_id=RecordingId("x"))
    with pytest.raises(StorageUnavailable):
        await recordings.mark_deleted(recording_id=RecordingId("x"), by="U1", at=at)
    with pytest.raises(StorageUnavailable):
        await recordings.deleted_at(recording_id=RecordingId("x"))
    with pytest.raises(StorageUnavailable):
        await recordings.ended_before(cutoff=at)
