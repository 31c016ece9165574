"""The Meet emulator's resources (spaces, conference records, participants) and their JSON."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sandbox.google.time import rfc3339

Json = dict[str, Any]

MEET_URI = "https://meet.google.com/"
RECORD_TTL = timedelta(days=30)


def default_config() -> Json:
    """What Meet gives a new space when the request does not say (policy defaults)."""
    return {
        "accessType": "TRUSTED",
        "entryPointAccess": "ALL",
        "moderation": "OFF",
        "attendanceReportGenerationType": "DO_NOT_GENERATE",
        "artifactConfig": {
            "recordingConfig": {"autoRecordingGeneration": "OFF"},
            "transcriptionConfig": {"autoTranscriptionGeneration": "OFF"},
            "smartNotesConfig": {"autoSmartNotesGeneration": "OFF"},
        },
    }


@dataclass(frozen=True, slots=True)
class ParticipantSpec:
    """How a simulated participant behaves: who, which audio file, video, when to speak.

    ``video`` turns its camera on, ``screenshare`` adds a presented screen (its own media
    entry). ``says`` are the lines Meet's transcript gives them (the media side ignores them).
    """

    name: str
    audio: str | None = None
    video: bool = False
    screenshare: bool = False
    speak_at: float = 0.0
    says: tuple[str, ...] = ()
    account_id: str | None = None
    """The Google account id (an ID token's ``sub``) they signed in with; else made up."""


@dataclass(slots=True)
class SpaceRecord:
    name: str
    meeting_code: str
    owner: str
    client_id: str
    config: Json
    active_conference: str | None = None

    def to_json(self) -> Json:
        data: Json = {
            "name": self.name,
            "meetingUri": MEET_URI + self.meeting_code,
            "meetingCode": self.meeting_code,
            "config": copy.deepcopy(self.config),
        }
        if self.active_conference is not None:
            data["activeConference"] = {"conferenceRecord": self.active_conference}
        return data


@dataclass(slots=True)
class SessionRecord:
    name: str
    start_time: datetime
    end_time: datetime | None = None

    def to_json(self) -> Json:
        data: Json = {"name": self.name, "startTime": rfc3339(self.start_time)}
        if self.end_time is not None:
            data["endTime"] = rfc3339(self.end_time)
        return data


@dataclass(slots=True)
class ParticipantRecord:
    """A signed-in participant; ``spec`` keeps the simulated behaviour for the media side."""

    name: str
    user: str
    spec: ParticipantSpec
    earliest_start_time: datetime
    latest_end_time: datetime | None = None
    sessions: list[SessionRecord] = field(default_factory=list)

    def to_json(self) -> Json:
        data: Json = {
            "name": self.name,
            "signedinUser": {"user": self.user, "displayName": self.spec.name},
            "earliestStartTime": rfc3339(self.earliest_start_time),
        }
        if self.latest_end_time is not None:
            data["latestEndTime"] = rfc3339(self.latest_end_time)
        return data


@dataclass(slots=True)
class ConferenceRecordState:
    name: str
    space: str
    start_time: datetime
    end_time: datetime | None = None
    participants: list[ParticipantRecord] = field(default_factory=list)

    def to_json(self) -> Json:
        data: Json = {"name": self.name, "startTime": rfc3339(self.start_time), "space": self.space}
        if self.end_time is not None:
            data["endTime"] = rfc3339(self.end_time)
            data["expireTime"] = rfc3339(self.end_time + RECORD_TTL)
        return data

    def expired(self, now: datetime) -> bool:
        """Meet deletes a record, and its artifacts, 30 days after the call ends."""
        return self.end_time is not None and self.end_time + RECORD_TTL <= now
