"""Builds every repository from one engine and one token cipher."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.ports.storage import (
    AccountRepo,
    ConnectStateRepo,
    EventDedupe,
    MeetingRepo,
    RecordingRepo,
    TranscriptRepo,
)
from storage.crypto import TokenCipher
from storage.db import Clock, make_sessionmaker, utcnow
from storage.repos.accounts import SqlAccountRepo
from storage.repos.connect_states import SqlConnectStateRepo
from storage.repos.dedupe import SqlEventDedupe
from storage.repos.meetings import SqlMeetingRepo
from storage.repos.recordings import SqlRecordingRepo
from storage.repos.transcripts import SqlTranscriptRepo


@dataclass(frozen=True, slots=True)
class Repos:
    """The storage ports the core needs, all on the same database."""

    meetings: MeetingRepo
    accounts: AccountRepo
    connect_states: ConnectStateRepo
    dedupe: EventDedupe
    recordings: RecordingRepo
    transcripts: TranscriptRepo


def build_repos(*, engine: AsyncEngine, cipher: TokenCipher, clock: Clock = utcnow) -> Repos:
    """Create the repositories sharing one session factory on ``engine``.

    Args:
        engine: from `storage.db.create_engine`, already migrated.
        cipher: encrypts Google tokens at rest.
        clock: returns the current aware UTC time.
    """
    sessions = make_sessionmaker(engine)
    return Repos(
        meetings=SqlMeetingRepo(sessions=sessions, clock=clock),
        accounts=SqlAccountRepo(sessions=sessions, cipher=cipher, clock=clock),
        connect_states=SqlConnectStateRepo(sessions=sessions, clock=clock),
        dedupe=SqlEventDedupe(sessions=sessions, clock=clock),
        recordings=SqlRecordingRepo(sessions=sessions, clock=clock),
        transcripts=SqlTranscriptRepo(sessions=sessions, clock=clock),
    )
