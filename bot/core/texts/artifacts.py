"""What the bot says about Meet's own artifacts: the links, an excerpt, or why there are none."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.core.model import Participant
from bot.core.ports.google import ConferenceArtifacts, MeetArtifact, TranscriptEntry
from bot.core.replies import LinkButton, Reply
from bot.core.texts.recording import clock

WHICH_IS_WHICH = (
    "Meet's transcript is Google's own, made by Meet. meetbot's live transcript, with each "
    "speaker's words taken from their own audio, is the one posted earlier in this thread. "
    "Meet keeps these records for 30 days; the files stay in the organizer's Google Drive."
)
_LINE_MAX = 160
_MAX_NAMES = 12
_UNKNOWN_SPEAKER = "Someone"
# (label in the list, link label, button label)
_KINDS = (
    ("Recording", "Watch in Google Drive", "Meet recording"),
    ("Transcript", "Open in Google Docs", "Meet transcript"),
    ("Notes by Gemini", "Open in Google Docs", "Meet notes"),
)


def artifacts(found: ConferenceArtifacts, *, excerpt_lines: int, waited: float) -> Reply:
    """Meet's recording, transcript and notes, who was there, and a transcript excerpt.

    Artifacts whose files are still not generated are named as such (``waited`` seconds).
    """
    record = found.record
    length = f" · {clock(_since(record.start_time, record.end_time))}" if record.end_time else ""
    lines = [f":movie_camera: *Meet's own recording and transcript* (made by Google){length}"]
    links: list[LinkButton] = []
    entries = [entry for batch in found.entries.values() for entry in batch]
    kinds = (found.lists.recordings, found.lists.transcripts, found.lists.smart_notes)
    for (label, link_label, button), items in zip(_KINDS, kinds, strict=True):
        for item in items:
            count = len(found.entries.get(item.name, ()))
            lines.append(_item_line(label, link_label, item, waited, entries=count))
            if item.generated and item.export_uri:
                links.append(LinkButton(label=button, url=item.export_uri))
    lines.extend(_people(found.participants, record.start_time))
    lines.extend(_excerpt(entries, found.participants, record.start_time, excerpt_lines))
    return Reply(text="\n".join(lines), links=tuple(links[:5]), context=WHICH_IS_WHICH)


def none_made() -> Reply:
    return Reply(text="Meet's own recording, transcript and notes were off for this call.")


def call_still_running(waited: float) -> Reply:
    return Reply(
        text=f":hourglass: Meet still showed this call as running after {_span(waited)}, so "
        "its own recording and transcript are not ready. If they were on, they will appear in "
        "the organizer's Google Drive."
    )


def reconnect(*, revoked: bool) -> Reply:
    """The user's Google link cannot read the call's records (revoked, or a scope missing)."""
    why = (
        "your Google sign-in is no longer valid"
        if revoked
        else "your Google account did not allow meetbot to read this call's records"
    )
    return Reply(
        text=f"I could not fetch Meet's own recording and transcript: {why}. Run "
        "`/meet connect` to sign in with Google again (with the account that organized the "
        "meeting); Meet keeps them for 30 days."
    )


def not_found() -> Reply:
    return Reply(
        text="Meet has no record of this call for your Google account (Meet keeps records for "
        "30 days), so there is no Meet recording or transcript to add."
    )


def unreachable(waited: float) -> Reply:
    return Reply(
        text=f":warning: I could not reach Google Meet for {_span(waited)} to fetch its own "
        "recording and transcript. If they were on, they are in the organizer's Google Drive."
    )


def failed() -> Reply:
    return Reply(
        text=":warning: Google Meet answered with something I could not read, so its own "
        "recording and transcript are not listed here. They are in the organizer's Google Drive."
    )


def _item_line(
    label: str, link_label: str, item: MeetArtifact, waited: float, *, entries: int
) -> str:
    if not item.generated:
        return (
            f"• {label}: not ready yet: Meet was still preparing it after {_span(waited)}. "
            "It will appear in the organizer's Google Drive."
        )
    if not item.export_uri:
        return f"• {label}: ready in the organizer's Google Drive."
    extra = f" ({entries} line{'' if entries == 1 else 's'})" if label == "Transcript" else ""
    return f"• {label}: <{item.export_uri}|{link_label}>{extra}"


def _people(participants: Sequence[Participant], start: datetime) -> list[str]:
    """Who was there, by when they joined, with join and leave times into the call."""
    if not participants:
        return []
    ordered = sorted(
        participants, key=lambda p: (_since(start, p.earliest_start_time), p.display_name)
    )
    shown = [_person(p, start) for p in ordered[:_MAX_NAMES]]
    more = len(participants) - len(shown)
    tail = f" · and {more} more" if more > 0 else ""
    return [f"*Who was there* ({len(participants)}): " + " · ".join(shown) + tail]


def _person(participant: Participant, start: datetime) -> str:
    joined = clock(_since(start, participant.earliest_start_time))
    left = (
        clock(_since(start, participant.latest_end_time)) if participant.latest_end_time else "end"
    )
    return f"{_plain(participant.display_name) or _UNKNOWN_SPEAKER} {joined}–{left}"


def _excerpt(
    entries: Sequence[TranscriptEntry],
    participants: Sequence[Participant],
    start: datetime,
    count: int,
) -> list[str]:
    if not entries or count <= 0:
        return []
    names: Mapping[str, str] = {p.name: p.display_name for p in participants}
    lines = ["*From Meet's transcript*"]
    for entry in entries[:count]:
        who = _plain(names.get(entry.participant, "")) or _UNKNOWN_SPEAKER
        at = clock(_since(start, entry.start_time))
        lines.append(f"• *{who}* {at}: {_plain(entry.text)}")
    more = len(entries) - count
    if more > 0:
        lines.append(f"_…and {more} more line{'' if more == 1 else 's'} in the document._")
    return lines


def _since(start: datetime, moment: datetime | None) -> float:
    return max(0.0, (moment - start).total_seconds()) if moment else 0.0


def _plain(text: str) -> str:
    """One line of someone's words or name, safe in mrkdwn (no links or mentions), shortened."""
    flat = " ".join(text.split()).replace("<", "‹").replace(">", "›")
    return flat if len(flat) <= _LINE_MAX else flat[: _LINE_MAX - 1].rstrip() + "…"


def _span(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
