"""Value types the recorder shares with the bot and storage: recordings, speakers, files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NewType

RecordingId = NewType("RecordingId", str)


class RecordingState(StrEnum):
    """States of one recording; the transition table is in `recorder.lifecycle`.

    ``starting``: waiting for the call to be active and connecting; ``waiting``: connected,
    Meet has not admitted us yet (consent); ``recording``: joined and capturing;
    ``finalizing``: the call is over for us, files are being written; ``ready`` and ``failed``
    are final (a ``ready`` recording may be ``partial``).
    """

    STARTING = "starting"
    WAITING = "waiting"
    RECORDING = "recording"
    FINALIZING = "finalizing"
    READY = "ready"
    FAILED = "failed"


class FileKind(StrEnum):
    """What a recording file holds."""

    MIXED = "mixed"
    SPEAKER = "speaker"
    TRANSCRIPT = "transcript"  # TXT, WebVTT, SRT or JSON of the live transcript


@dataclass(frozen=True, slots=True)
class Speaker:
    """A participant as the Media API names them (``participants/{p}`` and display name)."""

    key: str
    display_name: str


@dataclass(frozen=True, slots=True)
class RecordingFile:
    """One finished output stored in the blob store."""

    kind: FileKind
    blob_key: str
    filename: str
    content_type: str
    size: int
    duration: float
    speaker: Speaker | None = None


@dataclass(frozen=True, slots=True)
class Recording:
    """A recording as stored: who asked, where it goes, where it stands."""

    id: RecordingId
    meeting_id: str | None
    space_name: str
    conference_record: str | None
    platform: str
    team_id: str
    channel_id: str
    started_by: str
    state: RecordingState
    partial: bool
    reason: str | None
    started_at: datetime
    joined_at: datetime | None
    ended_at: datetime | None
    duration: float | None
    work_dir: str
    speakers: tuple[Speaker, ...] = ()
