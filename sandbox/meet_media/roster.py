"""A conference as the SFU sees it: present participant sessions, their CSRCs and media."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sandbox.meet_media.audio import EncodedAudio
from sandbox.meet_media.streams import LOUDEST_CSRC
from sandbox.meet_rest.records import ConferenceRecordState, ParticipantRecord


def csrc_for(session: str) -> int:
    """A stable 32-bit CSRC for a participant session, never 0 nor the loudest marker."""
    value = int.from_bytes(hashlib.sha256(session.encode()).digest()[:4], "big")
    return value if value not in (0, LOUDEST_CSRC) else value + 1000


def video_csrc_for(session: str, *, screenshare: bool = False) -> int:
    """The CSRC of a session's camera (or screenshare) video, distinct from its audio CSRC."""
    value = csrc_for(session + ("#screen" if screenshare else "#camera"))
    return value if value != csrc_for(session) else value ^ 1


@dataclass(slots=True)
class MediaParticipant:
    """One present participant session; its CSRCs last until it leaves.

    Attributes:
        speak_from: when (monotonic seconds) its audio file starts playing.
        video: whether its camera is on (a moving test picture with its name).
        screenshare: whether it also presents a screen (a second media entry).
        audio: the pre-encoded file once ready; None while encoding or without audio.
    """

    display_name: str
    participant: str
    session: str
    user: str
    audio_path: str | None
    speak_from: float
    video: bool = False
    screenshare: bool = False
    audio: EncodedAudio | None = None

    @property
    def csrc(self) -> int:
        """The audio CSRC."""
        return csrc_for(self.session)

    @property
    def video_csrc(self) -> int:
        """The camera's video CSRC."""
        return video_csrc_for(self.session)

    @property
    def screenshare_csrc(self) -> int:
        """The screenshare's video CSRC."""
        return video_csrc_for(self.session, screenshare=True)

    @property
    def key(self) -> str:
        """``participants/{p}``, as the data channels name it."""
        return "participants/" + self.participant.rsplit("/", 1)[1]

    @property
    def session_name(self) -> str:
        """``participants/{p}/participantSessions/{s}``."""
        return self.key + "/participantSessions/" + self.session.rsplit("/", 1)[1]

    @property
    def participant_id(self) -> int:
        return int(self.participant.rsplit("/", 1)[1]) % (1 << 31)


@dataclass(frozen=True, slots=True)
class VideoSource:
    """A published media entry with video: a participant's camera or its screenshare."""

    entry_id: int
    participant: MediaParticipant
    screenshare: bool = False

    @property
    def csrc(self) -> int:
        """The video CSRC its RTP carries (the entry's ``videoCsrcs``)."""
        p = self.participant
        return p.screenshare_csrc if self.screenshare else p.video_csrc

    @property
    def label(self) -> str:
        """Who it shows, as ``GET meet/media`` counts frames: ``Ann`` or ``Ann (screen)``."""
        name = self.participant.display_name
        return f"{name} (screen)" if self.screenshare else name


class ConferenceMedia:
    """The media view of one conference record, kept in step with the store."""

    def __init__(self, *, record: ConferenceRecordState, started_at: float) -> None:
        self.record = record
        self.started_at = started_at
        self.present: dict[str, MediaParticipant] = {}
        self._synced = False

    @property
    def ended(self) -> bool:
        return self.record.end_time is not None

    def sync(self, *, now: float) -> tuple[list[MediaParticipant], list[MediaParticipant]]:
        """Catch up with the record's present participants: ``(joined, left)``."""
        current = {
            p.sessions[-1].name: p
            for p in self.record.participants
            if p.latest_end_time is None and p.sessions and not self.ended
        }
        left = [self.present.pop(name) for name in list(self.present) if name not in current]
        # those present at the first sync joined with the conference; later ones join now
        joined_at = now if self._synced else self.started_at
        self._synced = True
        joined = []
        for name, record in current.items():
            if name not in self.present:
                self.present[name] = self._participant(record, joined_at=joined_at)
                joined.append(self.present[name])
        return joined, left

    def _participant(self, record: ParticipantRecord, *, joined_at: float) -> MediaParticipant:
        # speak_at counts from the conference's start; nobody speaks before joining
        start = max(self.started_at + record.spec.speak_at, joined_at)
        return MediaParticipant(
            display_name=record.spec.name,
            participant=record.name,
            session=record.sessions[-1].name,
            user=record.user,
            audio_path=record.spec.audio,
            speak_from=start,
            video=record.spec.video,
            screenshare=record.spec.screenshare,
        )
