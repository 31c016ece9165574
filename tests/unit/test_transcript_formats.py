"""Transcript files: exact TXT, WebVTT, SRT and JSON; talk time; the excerpt."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest

from recorder.model import Speaker
from recorder.transcribe.formats import (
    excerpt,
    labels,
    talk_time,
    to_json,
    to_srt,
    to_txt,
    to_vtt,
)
from recorder.transcribe.model import Segment

ANN = Speaker(key="participants/1", display_name="Ann")
BEN = Speaker(key="participants/2", display_name="Ben")
ANN_TOO = Speaker(key="participants/3", display_name="Ann")

CALL = (
    Segment(speaker=ANN, start=0.5, end=2.25, text="Hello everyone."),
    Segment(speaker=BEN, start=2.0, end=3.5, text="Hi Ann, <all> good & you?"),
    Segment(speaker=ANN, start=3661.007, end=3662.9995, text="Fine,\nthanks."),
)


def test_txt() -> None:
    assert to_txt(CALL) == (
        "[00:00:00] Ann: Hello everyone.\n"
        "[00:00:02] Ben: Hi Ann, <all> good & you?\n"
        "[01:01:01] Ann: Fine, thanks.\n"
    )


def test_vtt() -> None:
    assert to_vtt(CALL) == (
        "WEBVTT\n"
        "\n"
        "1\n"
        "00:00:00.500 --> 00:00:02.250\n"
        "<v Ann>Hello everyone.</v>\n"
        "\n"
        "2\n"
        "00:00:02.000 --> 00:00:03.500\n"
        "<v Ben>Hi Ann, &lt;all&gt; good &amp; you?</v>\n"
        "\n"
        "3\n"
        "01:01:01.007 --> 01:01:03.000\n"
        "<v Ann>Fine, thanks.</v>\n"
    )


def test_srt() -> None:
    assert to_srt(CALL) == (
        "1\n"
        "00:00:00,500 --> 00:00:02,250\n"
        "Ann: Hello everyone.\n"
        "\n"
        "2\n"
        "00:00:02,000 --> 00:00:03,500\n"
        "Ben: Hi Ann, <all> good & you?\n"
        "\n"
        "3\n"
        "01:01:01,007 --> 01:01:03,000\n"
        "Ann: Fine, thanks.\n"
    )


def test_json() -> None:
    assert json.loads(to_json(CALL, duration=3663.25)) == {
        "duration": 3663.25,
        "speakers": [
            {"key": "participants/1", "name": "Ann", "talk_time": 3.743},
            {"key": "participants/2", "name": "Ben", "talk_time": 1.5},
        ],
        "segments": [
            {
                "speaker": "participants/1",
                "name": "Ann",
                "start": 0.5,
                "end": 2.25,
                "text": "Hello everyone.",
            },
            {
                "speaker": "participants/2",
                "name": "Ben",
                "start": 2.0,
                "end": 3.5,
                "text": "Hi Ann, <all> good & you?",
            },
            {
                "speaker": "participants/1",
                "name": "Ann",
                "start": 3661.007,
                "end": 3663.0,
                "text": "Fine, thanks.",
            },
        ],
    }


def test_files_are_in_call_order_whatever_the_input_order() -> None:
    shuffled = (CALL[2], CALL[0], CALL[1])
    assert to_vtt(shuffled) == to_vtt(CALL)
    assert to_srt(shuffled) == to_srt(CALL)
    assert to_txt(shuffled) == to_txt(CALL)


def test_talk_time_counts_a_speakers_overlap_once() -> None:
    segments = [
        Segment(speaker=ANN, start=0.0, end=4.0, text="a"),
        Segment(speaker=ANN, start=1.0, end=2.0, text="b"),  # inside the first
        Segment(speaker=ANN, start=3.0, end=5.5, text="c"),  # overlaps its end
        Segment(speaker=ANN, start=7.0, end=8.0, text="d"),
        Segment(speaker=BEN, start=1.0, end=9.0, text="e"),  # others overlapping count
    ]
    assert talk_time(segments) == {"Ben": 8.0, "Ann": 6.5}
    assert list(talk_time(segments)) == ["Ben", "Ann"]
    assert talk_time([]) == {}


def test_same_display_name_two_people_are_told_apart() -> None:
    segments = [
        Segment(speaker=ANN, start=0.0, end=1.0, text="one"),
        Segment(speaker=ANN_TOO, start=1.0, end=3.0, text="two"),
        Segment(speaker=Speaker(key="participants/9", display_name="  "), start=4, end=5, text="x"),
    ]
    assert list(labels(segments).values()) == ["Ann", "Ann (2)", "Unknown speaker"]
    assert talk_time(segments) == {"Ann (2)": 2.0, "Ann": 1.0, "Unknown speaker": 1.0}
    assert "<v Ann (2)>two</v>" in to_vtt(segments)


def test_excerpt_merges_turns_and_keeps_whole_lines() -> None:
    segments = [
        Segment(speaker=ANN, start=0.0, end=1.0, text="Morning."),
        Segment(speaker=ANN, start=1.0, end=2.0, text="Shall we start?"),
        Segment(speaker=BEN, start=2.0, end=3.0, text="Yes."),
        Segment(speaker=ANN, start=3.0, end=4.0, text="Item one is the budget."),
    ]
    full = "Ann: Morning. Shall we start?\nBen: Yes.\nAnn: Item one is the budget."
    assert excerpt(segments, limit=500) == full
    assert excerpt(segments, limit=len(full)) == full
    assert excerpt(segments, limit=len(full) - 1) == "Ann: Morning. Shall we start?\nBen: Yes."
    assert excerpt(segments, limit=20) == "Ann: Morning. Shall…"
    assert excerpt([], limit=100) == ""


# --- a small strict WebVTT reader: the files must parse back to what went in ------------------

_TIMING = re.compile(
    r"(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})"
)
_VOICE = re.compile(r"<v ([^>&<]*(?:&(?:amp|lt|gt);[^>&<]*)*)>([^<>]*)</v>")


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    voice: str
    text: str


def _ms(hours: str, minutes: str, seconds: str, millis: str) -> int:
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


def _unescape(text: str) -> str:
    if re.search(r"&(?!amp;|lt;|gt;)", text):
        raise ValueError(f"bare ampersand in {text!r}")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse_vtt(document: str) -> list[Cue]:
    """Strict: signature line, blank-line separated cues of id, timing and one voiced line."""
    if not document.endswith("\n") or "\r" in document:
        raise ValueError("lines end with LF and the file with a line break")
    header, *blocks = document.rstrip("\n").split("\n\n")
    if header != "WEBVTT":
        raise ValueError(f"bad signature {header!r}")
    cues: list[Cue] = []
    for number, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        if len(lines) != 3 or lines[0] != str(number):
            raise ValueError(f"cue {number} is malformed: {block!r}")
        timing, voice = _TIMING.fullmatch(lines[1]), _VOICE.fullmatch(lines[2])
        if timing is None or voice is None:
            raise ValueError(f"cue {number} is malformed: {block!r}")
        start, end = _ms(*timing.groups()[:4]), _ms(*timing.groups()[4:])
        if end < start or (cues and start < cues[-1].start_ms):
            raise ValueError(f"cue {number} is out of order")
        cues.append(Cue(start, end, _unescape(voice.group(1)), _unescape(voice.group(2))))
    return cues


def test_vtt_round_trip() -> None:
    segments = [
        *CALL,
        Segment(
            speaker=Speaker("participants/4", "Zoë <ops> & co"), start=5.0, end=6.0, text="-->"
        ),
        Segment(speaker=BEN, start=36000.0, end=36001.25, text="Ten hours in."),
    ]
    cues = parse_vtt(to_vtt(segments))
    expected = [
        Cue(
            round(s.start * 1000),
            round(max(s.start, s.end) * 1000),
            label,
            " ".join(s.text.split()),
        )
        for s, label in zip(
            sorted(segments, key=lambda s: s.start),
            ["Ann", "Ben", "Zoë <ops> & co", "Ann", "Ben"],
            strict=True,
        )
    ]
    assert cues == expected


def test_the_strict_reader_rejects_broken_files() -> None:
    good = to_vtt(CALL)
    with pytest.raises(ValueError, match="signature"):
        parse_vtt(good.replace("WEBVTT", "WEBVT"))
    with pytest.raises(ValueError, match="malformed"):
        parse_vtt(good.replace("00:00:02.250", "00:00:02,250"))
    with pytest.raises(ValueError, match="out of order"):
        parse_vtt(good.replace("01:01:01.007", "00:00:00.007"))
    with pytest.raises(ValueError, match="malformed"):
        parse_vtt(good.replace("&lt;all&gt;", "<all>"))
