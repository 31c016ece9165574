"""The Meet emulator's spaces and conferences, with the lifecycle the REST and control APIs share.

Meet's own artifacts (recordings, transcripts, smart notes) live in `MeetArtifacts`, told
here when calls start, gain participants and end.
"""

from __future__ import annotations

import logging
import secrets
import string
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from sandbox.meet_rest.artifacts import MeetArtifacts
from sandbox.meet_rest.records import (
    MEET_URI,
    ConferenceRecordState,
    Json,
    ParticipantRecord,
    ParticipantSpec,
    SessionRecord,
    SpaceRecord,
)

logger = logging.getLogger(__name__)

_ID_CHARS = string.ascii_letters + string.digits


class ConferenceStateError(Exception):
    """A conference lifecycle request that does not fit the space's state."""


class NoActiveConference(ConferenceStateError):
    """Ending a space that has no active conference."""


class ConferenceAlreadyActive(ConferenceStateError):
    """Starting a conference in a space that already has one."""


class ParticipantAlreadyPresent(ConferenceStateError):
    """Joining a participant who is in the call already."""


class UnknownParticipant(LookupError):
    """Removing a participant who is not in the call."""


class MeetStore:
    """Spaces and conferences, with the lifecycle the REST and control APIs share."""

    def __init__(self, *, now: Callable[[], datetime]) -> None:
        self.now = now
        self.spaces: dict[str, SpaceRecord] = {}
        self.conferences: dict[str, ConferenceRecordState] = {}
        self.artifacts = MeetArtifacts(now=now)

    def create_space(self, *, owner: str, client_id: str, config: Json) -> SpaceRecord:
        name = "spaces/" + "".join(secrets.choice(_ID_CHARS) for _ in range(12))
        space = SpaceRecord(name, self._new_meeting_code(), owner, client_id, config)
        self.spaces[name] = space
        logger.info("sandbox Meet space %s created for %s", name, owner)
        return space

    def find_space(self, ref: str) -> SpaceRecord | None:
        """By ``spaces/{id}``, ``spaces/{meetingCode}``, a bare id or code, or a meeting URI."""
        key = ref.removeprefix(MEET_URI).removeprefix("spaces/")
        space = self.spaces.get("spaces/" + key)
        if space is not None:
            return space
        code = key.lower()
        return next((s for s in self.spaces.values() if s.meeting_code == code), None)

    def start_conference(
        self, space: SpaceRecord, specs: Sequence[ParticipantSpec]
    ) -> ConferenceRecordState:
        if space.active_conference is not None:
            raise ConferenceAlreadyActive(f"{space.name} already has an active conference")
        now = self.now()
        record = ConferenceRecordState(f"conferenceRecords/{uuid.uuid4()}", space.name, now)
        for spec in specs:
            record.participants.append(self._join(record, spec, now))
        self.conferences[record.name] = record
        space.active_conference = record.name
        self.artifacts.participants_present(record, space.config)
        logger.info("sandbox conference %s started in %s", record.name, space.name)
        return record

    def end_conference(self, space: SpaceRecord) -> ConferenceRecordState:
        if space.active_conference is None:
            raise NoActiveConference(f"{space.name} has no active conference")
        record = self.conferences[space.active_conference]
        now = self.now()
        record.end_time = now
        for participant in record.participants:
            participant.latest_end_time = participant.latest_end_time or now
            for session in participant.sessions:
                session.end_time = session.end_time or now
        space.active_conference = None
        self.artifacts.conference_ended(record)
        logger.info("sandbox conference %s ended", record.name)
        return record

    def join_participants(
        self, space: SpaceRecord, specs: Sequence[ParticipantSpec]
    ) -> ConferenceRecordState:
        """Participants join the active call; one who left before rejoins (a new session)."""
        record = self._active(space)
        present = {p.spec.name for p in record.participants if p.latest_end_time is None}
        names = [spec.name for spec in specs]
        clash = present.intersection(names) or {n for n in names if names.count(n) > 1}
        if clash:
            raise ParticipantAlreadyPresent(f"already in the call: {sorted(clash)}")
        now = self.now()
        for spec in specs:
            earlier = next((p for p in record.participants if p.spec.name == spec.name), None)
            if earlier is None:
                record.participants.append(self._join(record, spec, now))
                continue
            earlier.spec = spec
            earlier.latest_end_time = None
            session = f"{earlier.name}/participantSessions/{uuid.uuid4().hex}"
            earlier.sessions.append(SessionRecord(session, now))
        self.artifacts.participants_present(record, space.config)
        logger.info("sandbox conference %s: %d joined", record.name, len(specs))
        return record

    def leave_participants(self, space: SpaceRecord, names: Sequence[str]) -> ConferenceRecordState:
        """Participants (by display name) leave the active call; their sessions end."""
        record = self._active(space)
        present = {p.spec.name: p for p in record.participants if p.latest_end_time is None}
        missing = sorted(set(names) - set(present))
        if missing:
            raise UnknownParticipant(f"not in the call: {missing}")
        now = self.now()
        for name in names:
            participant = present[name]
            participant.latest_end_time = now
            for session in participant.sessions:
                session.end_time = session.end_time or now
        logger.info("sandbox conference %s: %d left", record.name, len(names))
        return record

    def _active(self, space: SpaceRecord) -> ConferenceRecordState:
        if space.active_conference is None:
            raise NoActiveConference(f"{space.name} has no active conference")
        return self.conferences[space.active_conference]

    def _join(
        self, record: ConferenceRecordState, spec: ParticipantSpec, now: datetime
    ) -> ParticipantRecord:
        name = f"{record.name}/participants/{secrets.randbelow(10**18):018d}"
        account = spec.account_id or str(uuid.uuid5(uuid.NAMESPACE_URL, spec.name).int)[:21]
        user = f"users/{account}"
        session = SessionRecord(f"{name}/participantSessions/{uuid.uuid4().hex}", now)
        return ParticipantRecord(name, user, spec, now, sessions=[session])

    def _new_meeting_code(self) -> str:
        taken = {space.meeting_code for space in self.spaces.values()}
        while True:
            letters = "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))
            code = f"{letters[:3]}-{letters[3:7]}-{letters[7:]}"
            if code not in taken:
                return code
