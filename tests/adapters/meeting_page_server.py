"""A stored recording (SQLite, blob files, transcript) behind the meeting page and file routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import numpy as np
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.model import FileKind, NewMeetingRow, RecordingFile
from bot.core.ports.storage import NewRecordingRow
from bot.web import files, meeting_page
from bot.web.meeting_page import MEETING_PAGES, MeetingPages
from recorder.model import RecordingId, RecordingState, Speaker
from recorder.transcribe.model import Segment
from storage.blobs import LocalBlobStore
from storage.crypto import TokenCipher, generate_key
from storage.db import create_engine, make_sessionmaker, run_migrations
from storage.links import LinkSigner
from storage.repos.factory import build_repos
from storage.repos.recordings import SqlRecordingRepo
from storage.repos.transcripts import SqlTranscriptRepo

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
TTL = 3600
RATE = 48_000
S = RecordingState


class Clock:
    """A settable clock shared by the signer and the repositories."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Stored:
    """Everything a test needs to reach what was stored."""

    pages: MeetingPages
    store: LocalBlobStore
    clock: Clock
    engine: AsyncEngine
    recordings: SqlRecordingRepo
    transcripts: SqlTranscriptRepo


def write_m4a(path: Path, *, seconds: float, freqs: Sequence[float] = (440.0,)) -> Path:
    """AAC in MP4 (as the recorder's mixed file): consecutive tones, one per ``freqs``."""
    t = np.arange(int(seconds * RATE)) / RATE
    tone = np.repeat(np.asarray(freqs), int(np.ceil(len(t) / len(freqs))))[: len(t)]
    samples = (0.3 * np.sin(2 * np.pi * tone * t)).astype(np.float32)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=RATE, layout="mono")
        frame_size = 1024
        for first in range(0, len(samples), frame_size):
            chunk = samples[first : first + frame_size].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate = RATE
            frame.pts = first
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@asynccontextmanager
async def stored_world(tmp_path: Path) -> AsyncIterator[Stored]:
    """A migrated SQLite file, a blob store, and the page's ports on them."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db' / 'meetbot.db'}")
    try:
        await run_migrations(engine)
        clock = Clock()
        repos = build_repos(engine=engine, cipher=TokenCipher(key=generate_key()), clock=clock)
        sessions = make_sessionmaker(engine)
        recordings = SqlRecordingRepo(sessions=sessions, clock=clock)
        transcripts = SqlTranscriptRepo(sessions=sessions, clock=clock)
        pages = MeetingPages(
            recordings=recordings,
            transcripts=transcripts,
            meetings=repos.meetings,
            signer=LinkSigner(key=b"p" * 32, ttl=TTL, clock=clock),
            base_url="https://meetbot.example.com",
        )
        store = LocalBlobStore(root=tmp_path / "blobs")
        yield Stored(pages, store, clock, engine, recordings, transcripts)
    finally:
        await engine.dispose()


def page_app(world: Stored) -> web.Application:
    """The meeting page and the download route, as the bot mounts them."""
    app = web.Application()
    app[MEETING_PAGES] = world.pages
    app[files.FILE_SERVER] = files.FileServer(store=world.store, signer=world.pages.signer)
    meeting_page.add_routes(app)
    files.add_routes(app)
    return app


async def store_recording(
    world: Stored,
    *,
    title: str | None,
    speakers: Sequence[Speaker],
    segments: Sequence[Segment],
    blobs: Sequence[tuple[RecordingFile, Path]],
    duration: float,
    space: str = "spaces/jQCFfuBOdN5z",
) -> RecordingId:
    """A READY recording with its files in the blob store and its transcript."""
    meeting_id = None
    if title is not None:
        meeting = await world.pages.meetings.create(
            row=NewMeetingRow(
                platform="slack", team_id="T1", channel_id="C1", created_by="U1", title=title
            ),
            cause="test",
        )
        meeting_id = meeting.id
    row = NewRecordingRow(
        meeting_id=meeting_id,
        space_name=space,
        platform="slack",
        team_id="T1",
        channel_id="C1",
        started_by="U1",
        work_dir="/data/recordings/t",
        thread_channel="C1",
        thread_message_id="1712.0001",
    )
    recording = await world.recordings.create(row=row, cause="test")
    assert recording is not None
    for file, source in blobs:
        await world.store.put_file(key=file.blob_key, source=source, content_type=file.content_type)
    await world.recordings.add_files(recording_id=recording.id, files=[f for f, _ in blobs])
    await world.recordings.set_speakers(recording_id=recording.id, speakers=speakers)
    await world.transcripts.add_segments(recording_id=recording.id, segments=segments)
    for old, new in [(S.STARTING, S.RECORDING), (S.RECORDING, S.FINALIZING)]:
        await world.recordings.transition(
            recording_id=recording.id, expected={old}, new_state=new, cause="test", joined_at=NOW
        )
    await world.recordings.transition(
        recording_id=recording.id,
        expected={S.FINALIZING},
        new_state=S.READY,
        cause="test",
        duration=duration,
    )
    return recording.id


def blob(
    source: Path,
    *,
    kind: FileKind,
    content_type: str,
    duration: float,
    speaker: Speaker | None = None,
) -> tuple[RecordingFile, Path]:
    """A file description for `store_recording`, keyed under ``recordings/t/``."""
    file = RecordingFile(
        kind=kind,
        blob_key=f"recordings/t/{source.name}",
        filename=source.name,
        content_type=content_type,
        size=source.stat().st_size,
        duration=duration,
        speaker=speaker,
    )
    return file, source
