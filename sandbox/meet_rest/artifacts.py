"""Meet's own artifacts in the emulator: recordings, transcripts with entries, smart notes.

An artifact starts with the call when the space's ``artifactConfig`` (or the sandbox policy)
asks for it and someone is in the call; it ends with the call, and its file is "generated"
``delay`` seconds after the end, as Meet does some minutes later. States come from the
emulator's clock (STARTED while the call runs, ENDED until the file is generated,
FILE_GENERATED after), so tests drive them through the clock and nothing runs in the
background. Transcript entries are made at the end, from what each participant ``says``.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from sandbox.google.time import rfc3339
from sandbox.meet_rest.records import ConferenceRecordState, ParticipantRecord

logger = logging.getLogger(__name__)

Json = dict[str, Any]
ArtifactKind = Literal["recordings", "transcripts", "smartNotes"]
Mode = Literal["config", "on", "off"]
KINDS: tuple[ArtifactKind, ...] = get_args(ArtifactKind)
MODES: tuple[Mode, ...] = get_args(Mode)

DEFAULT_DELAY = 5.0
LANGUAGE = "en-US"
PLACEHOLDER = "(speech)"
# Control-API names of the kinds, and the space config switch behind each.
POLICY_KEYS: dict[str, ArtifactKind] = {
    "recording": "recordings",
    "transcript": "transcripts",
    "smart_notes": "smartNotes",
}
_SWITCHES: dict[ArtifactKind, tuple[str, str]] = {
    "recordings": ("recordingConfig", "autoRecordingGeneration"),
    "transcripts": ("transcriptionConfig", "autoTranscriptionGeneration"),
    "smartNotes": ("smartNotesConfig", "autoSmartNotesGeneration"),
}
_SECONDS_PER_WORD = 0.35
_MIN_LINE = 1.0
_GAP = 0.5


@dataclass(slots=True)
class ArtifactPolicy:
    """Which artifacts calls get and how long Meet "takes" to generate their files.

    Attributes:
        delay: seconds from the end of a call to FILE_GENERATED (taken when the call ends).
        modes: per kind, ``config`` (the space's ``artifactConfig`` at the call's start),
            ``on`` (always) or ``off`` (never).
    """

    delay: float = DEFAULT_DELAY
    modes: dict[ArtifactKind, Mode] = field(default_factory=lambda: dict.fromkeys(KINDS, "config"))

    def wants(self, kind: ArtifactKind, config: Json) -> bool:
        mode = self.modes[kind]
        if mode != "config":
            return mode == "on"
        section, switch = _SWITCHES[kind]
        return bool((config.get("artifactConfig") or {}).get(section, {}).get(switch) == "ON")

    def to_json(self) -> Json:
        return {"delay": self.delay, **{key: self.modes[k] for key, k in POLICY_KEYS.items()}}


@dataclass(frozen=True, slots=True)
class Artifact:
    """One recording (a Drive MP4), transcript or smart notes (a Google Doc)."""

    name: str
    kind: ArtifactKind
    file_id: str
    start_time: datetime


@dataclass(frozen=True, slots=True)
class Entry:
    """One transcript entry: a participant's utterance."""

    name: str
    participant: str
    text: str
    start_time: datetime
    end_time: datetime

    def to_json(self) -> Json:
        return {
            "name": self.name,
            "participant": self.participant,
            "text": self.text,
            "languageCode": LANGUAGE,
            "startTime": rfc3339(self.start_time),
            "endTime": rfc3339(self.end_time),
        }


@dataclass(slots=True)
class ConferenceArtifacts:
    """The artifacts of one conference record and when their files are generated."""

    record: str
    items: list[Artifact] = field(default_factory=list)
    entries: dict[str, list[Entry]] = field(default_factory=dict)
    end_time: datetime | None = None
    ready_at: datetime | None = None
    hold_until: datetime | None = None

    def state(self, now: datetime) -> str:
        if self.end_time is None:
            return "STARTED"
        generated = self.generated_at()
        return "ENDED" if generated is None or now < generated else "FILE_GENERATED"

    def generated_at(self) -> datetime | None:
        """When the files are (or were) generated; None while the call runs."""
        if self.ready_at is None:
            return None
        return max(self.ready_at, self.hold_until or self.ready_at)

    def of_kind(self, kind: ArtifactKind) -> list[Artifact]:
        return [item for item in self.items if item.kind == kind]

    def render(self, item: Artifact, now: datetime) -> Json:
        state = self.state(now)
        data: Json = {"name": item.name, "state": state, "startTime": rfc3339(item.start_time)}
        if self.end_time is not None:
            data["endTime"] = rfc3339(self.end_time)
        if state == "FILE_GENERATED":
            data.update(_destination(item))
        return data

    def visible_entries(self, transcript: str, now: datetime) -> list[Entry] | None:
        """The transcript's entries once its file is generated; None for no such transcript."""
        if transcript not in self.entries:
            return None
        return self.entries[transcript] if self.state(now) == "FILE_GENERATED" else []


def _destination(item: Artifact) -> Json:
    if item.kind == "recordings":
        uri = f"https://drive.google.com/file/d/{item.file_id}/view"
        return {"driveDestination": {"file": item.file_id, "exportUri": uri}}
    uri = f"https://docs.google.com/document/d/{item.file_id}/view"
    return {"docsDestination": {"document": item.file_id, "exportUri": uri}}


class MeetArtifacts:
    """Every conference's artifacts, and the policy that decides which are made."""

    def __init__(self, *, now: Callable[[], datetime]) -> None:
        self.now = now
        self.policy = ArtifactPolicy()
        self.by_record: dict[str, ConferenceArtifacts] = {}

    def configure(self, changes: Mapping[str, Any]) -> ArtifactPolicy:
        """Change the policy: ``delay`` and/or ``recording``/``transcript``/``smart_notes``.

        Raises:
            ValueError: an unknown key or a bad value; nothing is changed then.
        """
        unknown = set(changes) - {"delay", *POLICY_KEYS}
        if unknown:
            raise ValueError(f"unknown artifact settings: {sorted(unknown)}")
        delay = changes.get("delay", self.policy.delay)
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
            raise ValueError("delay must be a number of seconds >= 0")
        modes = dict(self.policy.modes)
        for key, kind in POLICY_KEYS.items():
            mode = changes.get(key, modes[kind])
            if mode not in MODES:
                raise ValueError(f"{key} must be one of {list(MODES)}")
            modes[kind] = mode
        self.policy = ArtifactPolicy(delay=float(delay), modes=modes)
        logger.info("sandbox Meet artifacts policy: %s", self.policy.to_json())
        return self.policy

    def participants_present(self, record: ConferenceRecordState, config: Json) -> None:
        """Auto-recording and the rest start once someone is in the call (once per call)."""
        if record.name in self.by_record or record.end_time is not None:
            return
        if not any(p.latest_end_time is None for p in record.participants):
            return
        now = self.now()
        made = ConferenceArtifacts(record.name)
        for kind in KINDS:
            if self.policy.wants(kind, config):
                name = f"{record.name}/{kind}/{secrets.token_urlsafe(12)}"
                made.items.append(Artifact(name, kind, _file_id(), now))
        self.by_record[record.name] = made
        for transcript in made.of_kind("transcripts"):
            made.entries[transcript.name] = []
        logger.info("sandbox %s: %d Meet artifacts started", record.name, len(made.items))

    def conference_ended(self, record: ConferenceRecordState) -> None:
        """Artifacts end with the call; files follow ``policy.delay`` seconds later."""
        made = self.by_record.get(record.name)
        if made is None or record.end_time is None:
            return
        made.end_time = record.end_time
        made.ready_at = record.end_time + timedelta(seconds=self.policy.delay)
        for transcript in made.of_kind("transcripts"):
            made.entries[transcript.name] = transcript_entries(record, transcript)

    def hold(self, record: str, seconds: float) -> ConferenceArtifacts:
        """Keep the record's files "not yet generated" until ``seconds`` from now.

        Raises:
            LookupError: the record has no artifacts.
            ValueError: its files are generated already.
        """
        made = self.by_record.get(record)
        if made is None:
            raise LookupError(f"{record} has no Meet artifacts")
        now = self.now()
        if made.state(now) == "FILE_GENERATED":
            raise ValueError(f"the artifacts of {record} are generated already")
        made.hold_until = now + timedelta(seconds=seconds)
        return made

    def listed(self, record: str, kind: ArtifactKind) -> list[Json]:
        made = self.by_record.get(record)
        if made is None:
            return []
        now = self.now()
        return [made.render(item, now) for item in made.of_kind(kind)]

    def find(self, record: str, kind: ArtifactKind, name: str) -> Json | None:
        return next((item for item in self.listed(record, kind) if item["name"] == name), None)

    def entries(self, record: str, transcript: str) -> list[Json] | None:
        """A transcript's entries as JSON (empty until generated); None if no such one."""
        made = self.by_record.get(record)
        found = made.visible_entries(transcript, self.now()) if made else None
        return None if found is None else [entry.to_json() for entry in found]

    def describe(self, record: str) -> Json:
        """What the control API shows about one record's artifacts."""
        made = self.by_record.get(record)
        data: Json = {"conferenceRecord": record}
        if made is None:
            return {**data, **{kind: [] for kind in KINDS}}
        generated = made.generated_at()
        data["generatedAt"] = rfc3339(generated) if generated else None
        for kind in KINDS:
            data[kind] = self.listed(record, kind)
        data["entries"] = sum(len(found) for found in made.entries.values())
        return data


def transcript_entries(record: ConferenceRecordState, transcript: Artifact) -> list[Entry]:
    """What each participant said, laid out in time from when they started speaking.

    A participant's lines follow each other from ``max(call start + speak_at, join)``, each
    lasting by its word count; when they would run past the end, they are squeezed in.
    Participants with audio but no ``says`` get one placeholder line; silent ones none.
    """
    assert record.end_time is not None
    timed: list[tuple[datetime, datetime, str, str]] = []
    for participant in record.participants:
        for start, end, text in _lines(record, participant, transcript.start_time):
            timed.append((start, end, participant.name, text))
    timed.sort(key=lambda line: line[0])
    return [
        Entry(f"{transcript.name}/entries/{uuid.uuid4().hex[:16]}", who, text, start, end)
        for start, end, who, text in timed
    ]


def _lines(
    record: ConferenceRecordState, participant: ParticipantRecord, since: datetime
) -> list[tuple[datetime, datetime, str]]:
    assert record.end_time is not None
    spec = participant.spec
    texts = spec.says or ((PLACEHOLDER,) if spec.audio else ())
    start = max(
        record.start_time + timedelta(seconds=spec.speak_at),
        participant.earliest_start_time,
        since,
    )
    start = min(start, record.end_time)
    lengths = [max(_MIN_LINE, _SECONDS_PER_WORD * len(text.split())) for text in texts]
    needed = sum(lengths) + _GAP * len(lengths)
    room = (record.end_time - start).total_seconds()
    scale = min(1.0, room / needed) if needed else 1.0
    lines = []
    for text, length in zip(texts, lengths, strict=True):
        end = start + timedelta(seconds=length * scale)
        lines.append((start, end, text))
        start = end + timedelta(seconds=_GAP * scale)
    return lines


def _file_id() -> str:
    """A Drive-like file id (33 characters, starting with ``1``)."""
    return "1" + secrets.token_urlsafe(24)[:32]
