"""What the meeting page shows, computed from a stored recording, its files and transcript."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from bot.core.model import FileKind, Recording, RecordingFile
from recorder.model import RecordingState
from recorder.transcribe import formats
from recorder.transcribe.model import Segment

PALETTE_SIZE = 8
"""Speakers get colour classes ``c0`` … ``c7`` (cycling) in order of talk time."""


@dataclass(frozen=True, slots=True)
class SpeakerRow:
    """A participant with their talk time; ``spoke`` puts them on the timeline."""

    name: str
    talk: float
    color: int
    spoke: bool


@dataclass(frozen=True, slots=True)
class Line:
    """One transcript segment as shown: seconds on the recording's clock."""

    start: float
    end: float
    name: str
    color: int
    text: str


@dataclass(frozen=True, slots=True)
class Media:
    """The file the player plays (same-origin signed URL)."""

    url: str
    content_type: str
    video: bool


@dataclass(frozen=True, slots=True)
class Download:
    """One downloadable file."""

    label: str
    filename: str
    size: int
    url: str


@dataclass(frozen=True, slots=True)
class MeetingView:
    """Everything the page renders; strings are raw (the renderer escapes them)."""

    title: str
    date: datetime
    duration: float
    speakers: tuple[SpeakerRow, ...]
    lines: tuple[Line, ...]
    media: Media | None
    downloads: tuple[Download, ...]
    notice: str | None
    expires_at: datetime


def build_view(
    *,
    recording: Recording,
    title: str | None,
    segments: Sequence[Segment],
    files: Sequence[RecordingFile],
    link: Callable[[RecordingFile], str],
    expires_at: datetime,
) -> MeetingView:
    """The page's content.

    Args:
        recording: the stored recording.
        title: the meeting's title, when the recording belongs to a meeting that has one.
        segments: the transcript (any order).
        files: the recording's files, as `RecordingRepo.files` lists them.
        link: a signed download URL for a file.
        expires_at: when the page link stops working.
    """
    ordered = sorted(segments, key=lambda s: s.start)
    speakers = _speakers(recording, ordered)
    colors = {row.name: row.color for row in speakers if row.spoke}
    names = formats.labels(ordered)
    lines = tuple(
        Line(
            start=s.start,
            end=max(s.start, s.end),
            name=names[s.speaker],
            color=colors[names[s.speaker]],
            text=" ".join(s.text.split()),
        )
        for s in ordered
    )
    return MeetingView(
        title=(title or "").strip() or f"Recording of {recording.space_name}",
        date=recording.joined_at or recording.started_at,
        duration=_duration(recording, files, lines),
        speakers=speakers,
        lines=lines,
        media=_media(files, link),
        downloads=tuple(
            Download(label=_label(f), filename=f.filename, size=f.size, url=link(f)) for f in files
        ),
        notice=_notice(recording),
        expires_at=expires_at,
    )


def _speakers(recording: Recording, ordered: Sequence[Segment]) -> tuple[SpeakerRow, ...]:
    """Those who spoke, most talk first, then those present who never spoke."""
    talk = formats.talk_time(ordered)
    spoken_keys = {s.speaker.key for s in ordered}
    rows = [
        SpeakerRow(name=name, talk=seconds, color=i % PALETTE_SIZE, spoke=True)
        for i, (name, seconds) in enumerate(talk.items())
    ]
    silent = [s for s in recording.speakers if s.key not in spoken_keys]
    for speaker in silent:
        name = " ".join(speaker.display_name.split()) or "Unknown speaker"
        rows.append(SpeakerRow(name=name, talk=0.0, color=len(rows) % PALETTE_SIZE, spoke=False))
    return tuple(rows)


def _duration(recording: Recording, files: Sequence[RecordingFile], lines: Sequence[Line]) -> float:
    if recording.duration:
        return recording.duration
    mixed = [f.duration for f in files if f.kind is FileKind.MIXED]
    return max([*mixed, *(line.end for line in lines), 0.0])


def _media(files: Sequence[RecordingFile], link: Callable[[RecordingFile], str]) -> Media | None:
    """A mixed video when there is one, else the mixed audio."""
    mixed = [f for f in files if f.kind is FileKind.MIXED]
    mixed.sort(key=lambda f: not f.content_type.startswith("video/"))
    if not mixed:
        return None
    chosen = mixed[0]
    video = chosen.content_type.startswith("video/")
    return Media(url=link(chosen), content_type=chosen.content_type, video=video)


def _label(file: RecordingFile) -> str:
    kind = PurePosixPath(file.filename).suffix.lstrip(".").upper()
    suffix = f" ({kind})" if kind else ""
    if file.kind is FileKind.MIXED:
        return f"Whole call{suffix}"
    if file.kind is FileKind.TRANSCRIPT:
        return f"Transcript{suffix}"
    name = file.speaker.display_name if file.speaker else ""
    return f"{' '.join(name.split()) or 'Unknown speaker'}{suffix}"


def _notice(recording: Recording) -> str | None:
    reason = f": {recording.reason}" if recording.reason else ""
    if recording.state is RecordingState.FAILED:
        return f"This recording failed{reason}."
    if recording.state is not RecordingState.READY:
        return "This call is still being recorded or processed; reload the page for the rest."
    if recording.partial:
        return f"This recording is incomplete{reason}."
    return None
