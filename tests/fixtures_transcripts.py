"""A transcript delivery stack on real parts: the Slack emulator (files upload v2), a SQLite
database, the local blob store and the real download route, all on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.model import Recording
from bot.core.ports.storage import NewRecordingRow
from bot.core.transcripts.delivery import TranscriptDelivery
from bot.slack.threads import SlackThreads
from bot.web import files
from bot.web.publisher import BlobPublisher
from recorder.model import RecordingId, RecordingState, Speaker
from recorder.transcribe.model import Segment
from sandbox.app import Sandbox
from storage.blobs import LocalBlobStore
from storage.db import create_engine, make_sessionmaker, run_migrations
from storage.links import LinkSigner
from storage.repos.recordings import SqlRecordingRepo
from storage.repos.transcripts import SqlTranscriptRepo
from tests.adapters.sandbox_server import RunningSandbox, running_sandbox

TEAM = "T0SANDBOX"
CHANNEL = "C0GENERAL"
SLACK_SCOPES = ("chat:write", "files:write", "users:read")
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

ANN = Speaker(key="participants/1", display_name="Ann")
BEN = Speaker(key="participants/2", display_name="Ben")
SEGMENTS = (
    Segment(speaker=ANN, start=1.0, end=3.5, text="Good morning, shall we start?"),
    Segment(speaker=BEN, start=3.0, end=5.0, text="Yes, the budget first."),
    Segment(speaker=ANN, start=6.25, end=9.0, text="Budget is on track."),
)


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class PageLinks:
    """`MeetingPageLinks` with a fixed form (the signed page is another module's work)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def link(self, *, recording_id: RecordingId) -> str:
        return f"{self.base_url}/meetings/{recording_id}?t=signed"


@dataclass
class Stack:
    """Everything `TranscriptDelivery` talks to, and ways to look at it."""

    live: RunningSandbox
    client: AsyncWebClient
    recordings: SqlRecordingRepo
    transcripts: SqlTranscriptRepo
    store: LocalBlobStore
    delivery: TranscriptDelivery
    clock: Clock

    async def parent(self, text: str = "standup card") -> str:
        """A message to thread under (the meeting card)."""
        posted = await self.client.chat_postMessage(channel=CHANNEL, text=text)
        return str(posted["ts"])

    async def recording(
        self,
        *,
        parent: str | None,
        started_by: str = "U0ALICE",
        segments: Sequence[Segment] = SEGMENTS,
        state: RecordingState = RecordingState.READY,
        ended_at: datetime = NOW,
        meeting_id: str | None = None,
        space: str = "spaces/abc",
    ) -> Recording:
        """A recording that went through the states to ``state``, with stored segments."""
        row = NewRecordingRow(
            meeting_id=meeting_id,
            space_name=space,
            platform="slack",
            team_id=TEAM,
            channel_id=CHANNEL,
            started_by=started_by,
            work_dir="",
            thread_channel=CHANNEL if parent else None,
            thread_message_id=parent,
        )
        created = await self.recordings.create(row=row, cause="test")
        assert created is not None
        recording = await finish(self.recordings, created, state=state, ended_at=ended_at)
        await self.transcripts.add_segments(recording_id=recording.id, segments=segments)
        return recording

    async def thread(self, parent: str) -> list[dict[str, Any]]:
        return [m for m in await self.live.messages(CHANNEL) if m.get("thread_ts") == parent]

    async def get(self, url: str) -> tuple[int, bytes]:
        async with self.live.client.get(url) as response:
            return response.status, await response.read()


async def finish(
    recordings: SqlRecordingRepo,
    recording: Recording,
    *,
    state: RecordingState,
    ended_at: datetime,
) -> Recording:
    """Move a new recording to ``state`` (READY by way of RECORDING, or FAILED at once)."""
    path = [RecordingState.RECORDING, RecordingState.FINALIZING, RecordingState.READY]
    if state is RecordingState.FAILED:
        path = [RecordingState.FAILED]
    elif state is not RecordingState.READY:
        path = path[: path.index(state) + 1]
    current = recording
    for new in path:
        final = new in (RecordingState.READY, RecordingState.FAILED)
        moved = await recordings.transition(
            recording_id=recording.id,
            expected={current.state},
            new_state=new,
            cause="test",
            ended_at=ended_at if final else None,
            duration=10.0 if new is RecordingState.READY else None,
            reason="the call was not running" if new is RecordingState.FAILED else None,
        )
        assert moved is not None
        current = moved
    return current


@asynccontextmanager
async def delivery_stack(
    tmp_path: Path, *, scopes: tuple[str, ...] = SLACK_SCOPES, pages: bool = True
) -> AsyncIterator[Stack]:
    """The stack, with the download route mounted beside the Slack emulator."""
    store = LocalBlobStore(root=tmp_path / "blobs")
    signer = LinkSigner(key=b"k" * 32, ttl=3600)

    def mount_files(app: web.Application, _sandbox: Sandbox) -> None:
        files.add_routes(app)
        app[files.FILE_SERVER] = files.FileServer(store=store, signer=signer)

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'meetbot.db'}")
    try:
        await run_migrations(engine)
        sessions = make_sessionmaker(engine)
        async with running_sandbox(bot_routes=mount_files) as live:
            token = live.sandbox.slack.issue_bot_token(scopes=scopes)
            client = AsyncWebClient(token=token, base_url=f"{live.base_url}/sandbox/slack/api/")

            async def client_for(team_id: str) -> AsyncWebClient | None:
                return client if team_id == TEAM else None

            recordings = SqlRecordingRepo(sessions=sessions)
            transcripts = SqlTranscriptRepo(sessions=sessions)
            clock = Clock()
            delivery = TranscriptDelivery(
                transcripts=transcripts,
                recordings=recordings,
                publisher=BlobPublisher(store=store, signer=signer, base_url=live.base_url),
                threads={"slack": SlackThreads(client_for=client_for)},
                pages=PageLinks(live.base_url) if pages else None,
                clock=clock,
            )
            yield Stack(live, client, recordings, transcripts, store, delivery, clock)
    finally:
        await engine.dispose()


def ago(**delta: float) -> datetime:
    """``NOW`` minus a `timedelta` of ``delta``."""
    return NOW - timedelta(**delta)
