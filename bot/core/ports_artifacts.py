"""The port for Meet's own artifacts of a call: recordings, transcripts, smart notes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.core.model import ConferenceRecord, ConferenceRecordName, Participant


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
