"""The active speaker over time: who talks, who started last, held against flicker."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import pytest

from recorder.video.timeline import HOLD, SpeakerTimeline

ALL = ("ann", "bob", "cy")


def walk(
    activity: Mapping[str, Sequence[tuple[float, float]]],
    until: float,
    *,
    candidates: Collection[str] = ALL,
    step: float = 0.1,
) -> list[tuple[float, str | None]]:
    """The active speaker every ``step`` s, compressed to the moments it changes."""
    timeline = SpeakerTimeline(activity)
    changes: list[tuple[float, str | None]] = []
    for i in range(round(until / step) + 1):
        t = round(i * step, 6)
        active = timeline.at(t, candidates)
        if not changes or changes[-1][1] != active:
            changes.append((t, active))
    return changes


def test_nobody_has_talked_yet() -> None:
    assert walk({"ann": [(2.0, 3.0)]}, 1.0) == [(0.0, None)]
    assert walk({}, 1.0) == [(0.0, None)]


def test_turns_follow_the_speaker_and_silence_keeps_the_last() -> None:
    activity = {"ann": [(0.0, 2.0)], "bob": [(4.0, 6.0)]}
    assert walk(activity, 9.0) == [(0.0, "ann"), (4.0, "bob")]


def test_the_most_recent_starter_wins_an_overlap() -> None:
    activity = {"ann": [(0.0, 10.0)], "bob": [(3.0, 10.0)], "cy": [(6.0, 7.0)]}
    # cy stops at 7.0 but is held until 7.5; then bob, who still talks
    assert walk(activity, 10.0) == [(0.0, "ann"), (3.0, "bob"), (6.0, "cy"), (6.0 + HOLD, "bob")]


def test_a_new_speaker_is_held_against_flicker() -> None:
    # bob interrupts ann 0.5 s after she became active: he waits out her hold
    activity = {"ann": [(0.0, 5.0)], "bob": [(0.5, 5.0)]}
    assert walk(activity, 5.0) == [(0.0, "ann"), (HOLD, "bob")]
    # a short interjection after the hold switches, then is held itself
    activity = {"ann": [(0.0, 10.0)], "bob": [(3.0, 3.3)]}
    assert walk(activity, 10.0) == [(0.0, "ann"), (3.0, "bob"), (3.0 + HOLD, "ann")]
    # an interjection that ends inside the hold never shows
    activity = {"ann": [(0.0, 10.0)], "bob": [(0.2, 1.0)]}
    assert walk(activity, 10.0) == [(0.0, "ann")]


def test_only_candidates_count() -> None:
    activity = {"ann": [(0.0, 4.0)], "bob": [(1.0, 4.0)]}
    assert walk(activity, 4.0, candidates={"ann"}) == [(0.0, "ann")]
    assert walk(activity, 4.0, candidates={"cy"}) == [(0.0, None)]


def test_a_speaker_who_leaves_is_replaced_at_once() -> None:
    activity = {"ann": [(0.0, 1.0)], "bob": [(2.0, 2.5)]}
    timeline = SpeakerTimeline(activity)
    assert timeline.at(0.5, ALL) == "ann"
    assert timeline.at(0.6, {"bob", "cy"}) is None  # ann left; nobody else talked yet
    assert timeline.at(3.0, {"ann", "cy"}) == "ann"  # bob gone: the latest to talk
    assert timeline.at(3.1, {"cy"}) is None


def test_the_last_to_talk_takes_over_when_the_active_one_leaves() -> None:
    activity = {"ann": [(0.0, 1.0)], "bob": [(2.0, 3.0)], "cy": [(4.0, 5.0)]}
    timeline = SpeakerTimeline(activity)
    assert timeline.at(4.5, ALL) == "cy"
    assert timeline.at(6.0, {"ann", "bob"}) == "bob"


def test_intervals_are_merged_and_indexed() -> None:
    timeline = SpeakerTimeline({"ann": [(3.0, 4.0), (0.0, 1.0), (0.5, 2.0), (5.0, 5.0)]})
    assert timeline.speakers == {"ann"}
    assert timeline.span("ann") == (0.0, 4.0)
    assert timeline.span("bob") is None
    assert timeline.talking_since("ann", 1.5) == 0.0
    assert timeline.talking_since("ann", 2.0) is None  # ends are exclusive
    assert timeline.talking_since("ann", 3.5) == 3.0
    assert timeline.last_talked("ann", 2.5) == 2.0
    assert timeline.last_talked("ann", 3.5) == 3.5
    assert timeline.last_talked("ann", -1.0) is None


@pytest.mark.parametrize("hold", [0.0, 3.0])
def test_hold_is_configurable(hold: float) -> None:
    timeline = SpeakerTimeline({"ann": [(0.0, 9.0)], "bob": [(1.0, 9.0)]}, hold=hold)
    assert timeline.at(0.0, ALL) == "ann"
    assert timeline.at(1.0, ALL) == ("bob" if hold < 1.0 else "ann")
    assert timeline.at(3.0, ALL) == "bob"
