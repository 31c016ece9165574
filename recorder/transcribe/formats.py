"""A finished transcript as files (TXT, WebVTT, SRT, JSON), talk time and a short excerpt.

Pure functions of the segments: no IO, no clock. Segments are written in call order (by start
time; stable for equal starts), so every cue list is valid however they were produced. Times
are exact to the millisecond.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from recorder.model import Speaker
from recorder.transcribe.model import Segment

__all__ = [
    "excerpt",
    "labels",
    "talk_time",
    "to_json",
    "to_srt",
    "to_txt",
    "to_vtt",
]


def labels(segments: Iterable[Segment]) -> dict[Speaker, str]:
    """Each speaker's name as written in the files, in order of first appearance.

    Two different participants with the same display name get ``Ann``, ``Ann (2)``; a blank
    name becomes ``Unknown speaker``.
    """
    named: dict[Speaker, str] = {}
    taken: dict[str, int] = {}
    for segment in segments:
        speaker = segment.speaker
        if speaker in named:
            continue
        base = _one_line(speaker.display_name) or "Unknown speaker"
        taken[base] = taken.get(base, 0) + 1
        named[speaker] = base if taken[base] == 1 else f"{base} ({taken[base]})"
    return named


def talk_time(segments: Sequence[Segment]) -> dict[str, float]:
    """Seconds each speaker talked, most first (ties in order of first appearance).

    Overlapping or repeated segments of one speaker count once: the time is the length of
    the union of their intervals, measured on the millisecond timestamps the files show.
    """
    names = labels(_ordered(segments))
    spans: dict[Speaker, list[tuple[int, int]]] = {speaker: [] for speaker in names}
    for segment in segments:
        spans[segment.speaker].append((_millis(segment.start), _millis(_end(segment))))
    totals = {names[speaker]: _union(found) / 1000 for speaker, found in spans.items()}
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def to_txt(segments: Sequence[Segment]) -> str:
    """One line per segment: ``[HH:MM:SS] Name: text``."""
    ordered = _ordered(segments)
    names = labels(ordered)
    return "".join(
        f"[{_clock(s.start)}] {names[s.speaker]}: {_one_line(s.text)}\n" for s in ordered
    )


def to_vtt(segments: Sequence[Segment]) -> str:
    """WebVTT: numbered cues whose text carries the speaker as a ``<v Name>`` voice span."""
    ordered = _ordered(segments)
    names = labels(ordered)
    cues = [
        f"{i}\n{_stamp(s.start, '.')} --> {_stamp(_end(s), '.')}\n"
        f"<v {_vtt_escape(names[s.speaker])}>{_vtt_escape(_one_line(s.text))}</v>\n"
        for i, s in enumerate(ordered, start=1)
    ]
    return "\n".join(["WEBVTT\n", *cues])


def to_srt(segments: Sequence[Segment]) -> str:
    """SubRip: numbered cues, the speaker's name before the text (SRT has no voice tag)."""
    ordered = _ordered(segments)
    names = labels(ordered)
    return "\n".join(
        f"{i}\n{_stamp(s.start, ',')} --> {_stamp(_end(s), ',')}\n"
        f"{names[s.speaker]}: {_one_line(s.text)}\n"
        for i, s in enumerate(ordered, start=1)
    )


def to_json(segments: Sequence[Segment], *, duration: float) -> str:
    """The whole transcript as JSON.

    Shape::

        {"duration": 62.5,
         "speakers": [{"key": "participants/1", "name": "Ann", "talk_time": 12.3}, ...],
         "segments": [{"speaker": "participants/1", "name": "Ann",
                       "start": 1.0, "end": 2.5, "text": "Hello."}, ...]}

    Times are seconds since the recording's t=0, rounded to the millisecond; speakers are
    listed most talk time first.
    """
    ordered = _ordered(segments)
    names = labels(ordered)
    keys = {name: speaker.key for speaker, name in names.items()}
    body = {
        "duration": _seconds(duration),
        "speakers": [
            {"key": keys[name], "name": name, "talk_time": seconds}
            for name, seconds in talk_time(ordered).items()
        ],
        "segments": [
            {
                "speaker": s.speaker.key,
                "name": names[s.speaker],
                "start": _seconds(s.start),
                "end": _seconds(_end(s)),
                "text": _one_line(s.text),
            }
            for s in ordered
        ],
    }
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


def excerpt(segments: Sequence[Segment], limit: int) -> str:
    """The start of the conversation as ``Name: text`` lines, at most ``limit`` characters.

    Consecutive segments of one speaker make one line. Whole lines are kept while they fit;
    a first line longer than ``limit`` is cut at a word and ends with ``…``. Empty when
    there are no segments.
    """
    out: list[str] = []
    used = 0
    for line in _turns(_ordered(segments)):
        cost = len(line) + (1 if out else 0)
        if used + cost > limit:
            if not out:
                out.append(_cut(line, limit))
            break
        out.append(line)
        used += cost
    return "\n".join(out)


def _turns(ordered: Sequence[Segment]) -> list[str]:
    names = labels(ordered)
    turns: list[tuple[Speaker, list[str]]] = []
    for segment in ordered:
        if turns and turns[-1][0] == segment.speaker:
            turns[-1][1].append(_one_line(segment.text))
        else:
            turns.append((segment.speaker, [_one_line(segment.text)]))
    return [f"{names[speaker]}: {' '.join(words)}" for speaker, words in turns]


def _cut(line: str, limit: int) -> str:
    if limit <= 1:
        return "…"[:limit]
    head = line[: limit - 1]
    if line[limit - 1] != " " and " " in head:  # never end inside a word
        head = head[: head.rindex(" ")]
    return head.rstrip() + "…"


def _ordered(segments: Iterable[Segment]) -> list[Segment]:
    return sorted(segments, key=lambda s: s.start)


def _end(segment: Segment) -> float:
    return max(segment.start, segment.end)


def _union(spans: list[tuple[int, int]]) -> int:
    total = 0
    reach = -1
    for start, end in sorted(spans):
        if end <= reach:
            continue
        total += end - max(start, reach)
        reach = end
    return total


def _millis(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _seconds(seconds: float) -> float:
    """Seconds to the millisecond, rounded exactly as the cue timestamps are."""
    return _millis(seconds) / 1000


def _stamp(seconds: float, separator: str) -> str:
    """``HH:MM:SS.mmm`` (WebVTT) or ``HH:MM:SS,mmm`` (SRT)."""
    whole, millis = divmod(_millis(seconds), 1000)
    return f"{_hms(whole)}{separator}{millis:03d}"


def _clock(seconds: float) -> str:
    return _hms(_millis(seconds) // 1000)


def _hms(whole: int) -> str:
    hours, rest = divmod(whole, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _one_line(text: str) -> str:
    """Whitespace collapsed: a line break inside a cue would end it early."""
    return " ".join(text.split())


def _vtt_escape(text: str) -> str:
    """Cue text and voice annotations may not hold a raw ``&``, ``<`` or ``>``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
