"""Value types the core works with: chat users, Google links, Meet spaces, meetings, recordings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal, NewType

from recorder import RecordingId, RecordingState, Speaker

MeetingId = NewType("MeetingId", str)
SpaceName = NewType("SpaceName", str)
ConferenceRecordName = NewType("ConferenceRecordName", str)

Platform = Literal["slack", "gchat"]


class AccessType(StrEnum):
    """Who may join without knocking (Meet ``SpaceConfig.accessType``)."""

    OPEN = "OPEN"
    TRUSTED = "TRUSTED"
    RESTRICTED = "RESTRICTED"
    UNSPECIFIED = "ACCESS_TYPE_UNSPECIFIED"


class MeetingState(StrEnum):
    """States of a meeting; the transition table is in `bot.core.meetings.lifecycle`."""

    REQUESTED = "requested"
    SPACE_CREATED = "space_created"
    ENDED = "ended"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ChatUser:
    """A person on a chat platform, unique by (platform, team_id, user_id)."""

    platform: Platform
    team_id: str
    user_id: str


@dataclass(frozen=True, slots=True)
class GoogleTokens:
    """OAuth tokens for one Google account (plaintext in memory, encrypted at rest)."""

    access_token: str
    refresh_token: str | None
    expires_at: datetime
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GoogleIdentity:
    """Who the tokens belong to, from the ID token's claims."""

    subject: str
    email: str


@dataclass(frozen=True, slots=True)
class GoogleLink:
    """A chat user linked to a Google account."""

    user: ChatUser
    identity: GoogleIdentity
    tokens: GoogleTokens


@dataclass(frozen=True, slots=True)
class PendingConnect:
    """An issued OAuth state: single use, bound to the chat user who asked, expiring."""

    state: str
    user: ChatUser
    channel_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Space:
    """A Meet space as the REST API returns it."""

    name: SpaceName
    meeting_uri: str
    meeting_code: str
    access_type: AccessType
    active_conference: ConferenceRecordName | None


@dataclass(frozen=True, slots=True)
class ConferenceRecord:
    """One call that happened (or is happening) in a space."""

    name: ConferenceRecordName
    space: SpaceName
    start_time: datetime
    end_time: datetime | None


@dataclass(frozen=True, slots=True)
class Participant:
    """Someone who joined a conference; ``user`` (``users/{id}``, the Google account id as in
    the ID token's ``sub``) for those signed in."""

    name: str
    display_name: str
    kind: Literal["signedin", "anonymous", "phone"]
    earliest_start_time: datetime | None
    latest_end_time: datetime | None
    user: str | None = None


@dataclass(frozen=True, slots=True)
class CardRef:
    """Where a meeting's card was posted, so it can be edited in place and threaded on."""

    channel_id: str
    message_id: str


@dataclass(frozen=True, slots=True)
class NewMeetingRow:
    """What the core stores when a meeting is requested."""

    platform: Platform
    team_id: str
    channel_id: str
    created_by: str
    title: str


@dataclass(frozen=True, slots=True)
class Meeting:
    """A meeting created from chat."""

    id: MeetingId
    platform: Platform
    team_id: str
    channel_id: str
    created_by: str
    title: str
    state: MeetingState
    space_name: SpaceName | None
    meeting_code: str | None
    meeting_uri: str | None
    access_type: AccessType | None
    card: CardRef | None
    created_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class MeetingEvent:
    """One lifecycle transition, as stored."""

    meeting_id: MeetingId
    old_state: MeetingState | None
    new_state: MeetingState
    cause: str
    actor: str | None
    at: datetime


class FileKind(StrEnum):
    """What a recording file holds."""

    MIXED = "mixed"
    SPEAKER = "speaker"
    TRANSCRIPT = "transcript"  # TXT, WebVTT, SRT or JSON of the live transcript


@dataclass(frozen=True, slots=True)
class RecordingFile:
    """One finished output of a recording, kept in the bot's blob store."""

    kind: FileKind
    blob_key: str
    filename: str
    content_type: str
    size: int
    duration: float
    speaker: Speaker | None = None


@dataclass(frozen=True, slots=True)
class Recording:
    """A recording as the bot stores it: who asked, from which chat (platform, team, channel),
    where its messages go and where it stands (the recorder knows only its id and state)."""

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
