"""SqlTranscriptRepo against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.errors import StorageUnavailable
from bot.core.ports.storage import NewRecordingRow
from recorder.model import RecordingId, Speaker
from recorder.transcribe.model import Segment
from storage.db import make_sessionmaker
from storage.repos.recordings import SqlRecordingRepo
from storage.repos.transcripts import SqlTranscriptRepo
from storage.tables import TranscriptSegmentRow

ROW = NewRecordingRow(
    meeting_id=None,
    space_name="spaces/t",
    platform="slack",
    team_id="T1",
    channel_id="C1",
    started_by="U1",
    work_dir="/data/recordings/t",
    thread_channel=None,
    thread_message_id=None,
)
ALICE = Speaker(key="participants/a", display_name="Alice")
BOB = Speaker(key="participants/b", display_name="Bob Ünal <b>")
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _seg(speaker: Speaker, start: float, end: float, words: str) -> Segment:
    return Segment(speaker=speaker, start=start, end=end, text=words)


@pytest.fixture
def transcripts(engine: AsyncEngine) -> SqlTranscriptRepo:
    return SqlTranscriptRepo(sessions=make_sessionmaker(engine), clock=lambda: NOW)


@pytest.fixture
async def recording_id(engine: AsyncEngine) -> RecordingId:
    recording = await SqlRecordingRepo(sessions=make_sessionmaker(engine)).create(
        row=ROW, cause="record"
    )
    assert recording is not None
    return recording.id


async def test_segments_come_back_in_call_order(
    engine: AsyncEngine, transcripts: SqlTranscriptRepo, recording_id: RecordingId
) -> None:
    late = _seg(ALICE, 12.25, 14.0, "and then, 'quoted' — done.")
    early_bob = _seg(BOB, 0.5, 3.0, "hello there")
    early_alice = _seg(ALICE, 0.5, 2.0, "hi")
    middle = _seg(BOB, 4.123456789, 6.0, "overlap")

    await transcripts.add_segments(recording_id=recording_id, segments=[late, early_bob])
    await transcripts.add_segments(recording_id=recording_id, segments=[middle, early_alice])

    assert await transcripts.segments(recording_id=recording_id) == [
        early_alice,
        early_bob,
        middle,
        late,
    ]
    async with make_sessionmaker(engine)() as session:
        stamped = (await session.scalars(select(TranscriptSegmentRow.created_at))).all()
    assert stamped == [NOW] * 4


async def test_duplicates_are_ignored_within_and_across_calls(
    transcripts: SqlTranscriptRepo, recording_id: RecordingId
) -> None:
    first = _seg(ALICE, 1.5, 2.5, "one")
    await transcripts.add_segments(recording_id=recording_id, segments=[first])

    again = replace(first, text="one, re-delivered", end=3.0)
    second = _seg(ALICE, 3.0, 4.0, "two")
    await transcripts.add_segments(recording_id=recording_id, segments=[again, second, second])

    assert await transcripts.segments(recording_id=recording_id) == [first, second]


async def test_concurrent_writers_store_each_segment_once(
    engine: AsyncEngine, recording_id: RecordingId
) -> None:
    repos = [SqlTranscriptRepo(sessions=make_sessionmaker(engine)) for _ in range(4)]
    batch = [_seg(BOB, float(n), n + 0.5, f"word {n}") for n in range(20)]

    await asyncio.gather(
        *(repo.add_segments(recording_id=recording_id, segments=batch) for repo in repos)
    )

    assert await repos[0].segments(recording_id=recording_id) == batch


async def test_a_long_call_is_stored_in_batches(
    transcripts: SqlTranscriptRepo, recording_id: RecordingId
) -> None:
    many = [_seg(ALICE, n * 0.5, n * 0.5 + 0.4, f"w{n}") for n in range(600)]  # two INSERT batches

    await transcripts.add_segments(recording_id=recording_id, segments=many)

    assert await transcripts.segments(recording_id=recording_id) == many


async def test_recordings_are_kept_apart_and_delete_counts(
    engine: AsyncEngine, transcripts: SqlTranscriptRepo, recording_id: RecordingId
) -> None:
    other = await SqlRecordingRepo(sessions=make_sessionmaker(engine)).create(
        row=replace(ROW, space_name="spaces/other"), cause="record"
    )
    assert other is not None
    mine = [_seg(ALICE, 0.0, 1.0, "a"), _seg(BOB, 1.0, 2.0, "b")]
    theirs = [_seg(ALICE, 0.0, 1.0, "c")]
    await transcripts.add_segments(recording_id=recording_id, segments=mine)
    await transcripts.add_segments(recording_id=other.id, segments=theirs)

    assert await transcripts.delete(recording_id=recording_id) == 2
    assert await transcripts.delete(recording_id=recording_id) == 0
    assert await transcripts.segments(recording_id=recording_id) == []
    assert await transcripts.segments(recording_id=other.id) == theirs

    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM recordings"))
    assert await transcripts.segments(recording_id=other.id) == []


async def test_unknown_recording(transcripts: SqlTranscriptRepo) -> None:
    unknown = RecordingId("nope")

    with pytest.raises(LookupError):
        await transcripts.add_segments(recording_id=unknown, segments=[_seg(ALICE, 0, 1, "a")])
    await transcripts.add_segments(recording_id=unknown, segments=[])
    assert await transcripts.segments(recording_id=unknown) == []
    assert await transcripts.delete(recording_id=unknown) == 0


async def test_unreachable_database_raises_storage_unavailable(
    unreachable_engine: AsyncEngine,
) -> None:
    transcripts = SqlTranscriptRepo(sessions=make_sessionmaker(unreachable_engine))
    unknown = RecordingId("x")
    with pytest.raises(StorageUnavailable) as caught:
        await transcripts.add_segments(recording_id=unknown, segments=[_seg(ALICE, 0, 1, "a")])
    assert caught.value.__cause__ is not None
    with pytest.raises(StorageUnavailable):
        await transcripts.segments(recording_id=unknown)
    with pytest.raises(StorageUnavailable):
        await transcripts.delete(recording_id=unknown)
