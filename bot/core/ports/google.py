"""Google ports: OAuth, Meet spaces, and Meet's own artifacts of a call (recordings, notes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.core.model import (
    AccessType,
    ConferenceRecord,
    ConferenceRecordName,
    GoogleIdentity,
    GoogleTokens,
    Participant,
    Space,
    SpaceName,
)


class GoogleOAuth(Protocol):
    """Google's OAuth 2.0 web-server flow."""

    def authorization_url(self, *, state: str) -> str: ...

    async def exchange_code(self, *, code: str) -> tuple[GoogleTokens, GoogleIdentity]:
        """Raises `bot.google.errors.OAuthError` on a refused code."""
        ...

    async def refresh(self, *, refresh_token: str) -> GoogleTokens:
        """Raises `bot.google.errors.OAuthError` (``invalid_grant``) when revoked."""
        ...

    async def revoke(self, *, token: str) -> None: ...


class MeetSpaces(Protocol):
    """Meet REST v2. Every call takes a valid access token; errors are `MeetApiError`s."""

    async def create_space(self, *, token: str, access_type: AccessType | None) -> Space: ...

    async def get_space(self, *, token: str, name: str) -> Space:
        """``name`` is ``spaces/{id}`` or ``spaces/{meetingCode}``."""
        ...

    async def set_access(self, *, token: str, name: SpaceName, access_type: AccessType) -> Space:
        """Patch ``config.accessType`` (update mask ``config.accessType``)."""
        ...

    async def end_active_conference(self, *, token: str, name: SpaceName) -> None: ...

    async def list_conference_records(
        self, *, token: str, filter: str | None
    ) -> Sequence[ConferenceRecord]:
        """All pages, newest first, as the API orders them."""
        ...

    async def list_participants(
        self, *, token: str, record: ConferenceRecordName
    ) -> Sequence[Participant]:
        """All pages."""
        ...


class ArtifactState(StrEnum):
    """Meet's ``state`` of a recording, transcript or smart notes."""

    STARTED = "STARTED"
    ENDED = "ENDED"
    FILE_GENERATED = "FILE_GENERATED"
    UNSPECIFIED = "STATE_UNSPECIFIED"


@dataclass(frozen=True, slots=True)
class MeetArtifact:
    """One recording (an MP4 in Drive), transcript or smart notes (a Google Doc).

    Attributes:
        name: ``conferenceRecords/{cr}/recordings/{id}`` (or ``transcripts``, ``smartNotes``).
        state: STARTED while the call runs, ENDED, then FILE_GENERATED once the file exists.
        start_time: when it started.
        end_time: when it ended, once it has.
        file_id: the Drive file id or Docs document id, once known.
        export_uri: the link to open it in the browser, once known.
    """

    name: str
    state: ArtifactState
    start_time: datetime | None
    end_time: datetime | None
    file_id: str | None
    export_uri: str | None

    @property
    def generated(self) -> bool:
        return self.state is ArtifactState.FILE_GENERATED


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    """One utterance in Meet's transcript; ``participant`` is a participant resource name."""

    name: str
    participant: str
    text: str
    language_code: str
    start_time: datetime | None
    end_time: datetime | None


@dataclass(frozen=True, slots=True)
class ArtifactLists:
    """A conference's recordings, transcripts and smart notes, each in start order."""

    recordings: tuple[MeetArtifact, ...] = ()
    transcripts: tuple[MeetArtifact, ...] = ()
    smart_notes: tuple[MeetArtifact, ...] = ()

    @property
    def every(self) -> tuple[MeetArtifact, ...]:
        return self.recordings + self.transcripts + self.smart_notes

    @property
    def pending(self) -> tuple[MeetArtifact, ...]:
        """Those whose file is not generated yet."""
        return tuple(item for item in self.every if not item.generated)


@dataclass(frozen=True, slots=True)
class ConferenceArtifacts:
    """Everything Meet keeps about one call (for 30 days after it ends).

    Attributes:
        record: the conference record (``end_time`` None while the call runs).
        participants: everyone who joined, in Meet's order.
        lists: the recordings, transcripts and smart notes.
        entries: per transcript name, its entries in time order (only generated transcripts
            are read; the others map to nothing).
    """

    record: ConferenceRecord
    participants: tuple[Participant, ...]
    lists: ArtifactLists
    entries: Mapping[str, tuple[TranscriptEntry, ...]] = field(default_factory=dict)


class MeetArtifactsSource(Protocol):
    """Meet REST v2 reads of one conference's artifacts. Errors are `MeetApiError`s."""

    async def fetch(self, *, token: str, record: ConferenceRecordName) -> ConferenceArtifacts:
        """The record, its participants, its artifacts, and the entries of every transcript
        whose file is generated (all pages of each)."""
        ...
