"""What the bot says about Meet's own artifacts: names, excerpt, safety of quoted words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.model import ConferenceRecord, ConferenceRecordName, Participant, SpaceName
from bot.core.ports.google import (
    ArtifactLists,
    ArtifactState,
    ConferenceArtifacts,
    MeetArtifact,
    TranscriptEntry,
)
from bot.core.texts import artifacts as texts

START = datetime(2030, 5, 17, 9, 0, tzinfo=UTC)
RECORD = ConferenceRecord(
    name=ConferenceRecordName("conferenceRecords/cr"),
    space=SpaceName("spaces/s"),
    start_time=START,
    end_time=START + timedelta(hours=1, minutes=2),
)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def person(n: int, *, left: float | None = 3600) -> Participant:
    return Participant(
        name=f"conferenceRecords/cr/participants/{n}",
        display_name=f"P{n:02d}",
        kind="signedin",
        earliest_start_time=at(n),
        latest_end_time=None if left is None else at(left),
    )


def transcript(state: ArtifactState, uri: str | None) -> MeetArtifact:
    return MeetArtifact("conferenceRecords/cr/transcripts/t", state, START, at(60), "d", uri)


def entry(n: int, who: str, text: str) -> TranscriptEntry:
    return TranscriptEntry(f"e{n}", who, text, "en-US", at(n * 10), at(n * 10 + 5))


def test_excerpt_names_speakers_and_neutralises_their_words() -> None:
    words = "see <https://evil.test|here> and <@U0BOSS>  now\nplease " + "very " * 50
    entries = (
        entry(1, "conferenceRecords/cr/participants/1", words),
        entry(2, "conferenceRecords/cr/participants/404", "Hi."),
        *(entry(n, "conferenceRecords/cr/participants/2", f"Line {n}.") for n in range(3, 9)),
    )
    found = ConferenceArtifacts(
        record=RECORD,
        participants=(person(1), person(2, left=None)),
        lists=ArtifactLists(transcripts=(transcript(ArtifactState.FILE_GENERATED, "https://d/t"),)),
        entries={"conferenceRecords/cr/transcripts/t": entries},
    )

    reply = texts.artifacts(found, excerpt_lines=3, waited=60)

    lines = reply.text.splitlines()
    assert lines[0].endswith("(made by Google) · 1:02:00")
    assert "• Transcript: <https://d/t|Open in Google Docs> (8 lines)" in lines
    assert "*Who was there* (2): P01 0:01–1:00:00 · P02 0:02–end" in lines
    quoted = next(line for line in lines if line.startswith("• *P01* 0:10: "))
    assert "<" not in quoted
    assert ">" not in quoted
    assert "‹@U0BOSS›" in quoted
    assert len(quoted) < 200
    assert quoted.endswith("…")
    assert "• *Someone* 0:20: Hi." in lines
    assert lines[-1] == "_…and 5 more lines in the document._"


def test_long_participant_lists_are_cut_and_pending_files_are_named() -> None:
    found = ConferenceArtifacts(
        record=RECORD,
        participants=tuple(person(n) for n in range(15, 0, -1)),
        lists=ArtifactLists(
            recordings=(MeetArtifact("r", ArtifactState.FILE_GENERATED, START, at(60), "f", None),),
            transcripts=(transcript(ArtifactState.ENDED, None),),
        ),
    )

    reply = texts.artifacts(found, excerpt_lines=6, waited=2 * 3600 + 5 * 60)

    assert "• Recording: ready in the organizer's Google Drive." in reply.text
    assert "• Transcript: not ready yet: Meet was still preparing it after 2 h 5 min." in reply.text
    who = next(line for line in reply.text.splitlines() if line.startswith("*Who"))
    assert who.startswith("*Who was there* (15): P01 0:01–1:00:00 · P02")
    assert who.endswith("P12 0:12–1:00:00 · and 3 more")
    assert reply.links == ()
