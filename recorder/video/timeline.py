"""Who is the active speaker at each moment of the call, from who talks when.

The active speaker is whoever talks now; when several do, the one who started most recently
(the new voice is the one viewers look for). A speaker stays active for at least `HOLD`
seconds so the picture does not flicker between people talking over each other, and stays
active through silence until someone else talks. Only candidates count: the speakers shown
at that moment (a picture, or a placeholder tile), as the composer says.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Mapping, Sequence

HOLD = 1.5
"""Seconds a speaker stays active at least, once chosen."""


class SpeakerTimeline:
    """The active speaker over time; ask in increasing time order (it remembers the last)."""

    def __init__(
        self, activity: Mapping[str, Sequence[tuple[float, float]]], *, hold: float = HOLD
    ) -> None:
        """Index the speech intervals.

        Args:
            activity: Speaker key to speech intervals (start, end) in seconds; ``start <= t
                < end`` counts as talking. Any order; overlapping intervals are fine.
            hold: Seconds a speaker stays active at least.
        """
        self._hold = hold
        self._starts: dict[str, list[float]] = {}
        self._ends: dict[str, list[float]] = {}
        for key, intervals in activity.items():
            merged = _merge(intervals)
            if merged:
                self._starts[key] = [start for start, _ in merged]
                self._ends[key] = [end for _, end in merged]
        self._current: str | None = None
        self._since = 0.0

    @property
    def speakers(self) -> frozenset[str]:
        """Everyone who talks at some point."""
        return frozenset(self._starts)

    def span(self, key: str) -> tuple[float, float] | None:
        """When ``key`` first starts and last stops talking; None if they never do."""
        if key not in self._starts:
            return None
        return self._starts[key][0], self._ends[key][-1]

    def talking_since(self, key: str, t: float) -> float | None:
        """Since when ``key`` has been talking without a break at ``t``; None if silent."""
        starts = self._starts.get(key)
        if not starts:
            return None
        i = bisect.bisect_right(starts, t) - 1
        if i < 0 or t >= self._ends[key][i]:
            return None
        return starts[i]

    def last_talked(self, key: str, t: float) -> float | None:
        """When ``key`` last stopped talking at or before ``t`` (``t`` if talking now)."""
        starts = self._starts.get(key)
        if not starts:
            return None
        i = bisect.bisect_right(starts, t) - 1
        if i < 0:
            return None
        return min(t, self._ends[key][i])

    def at(self, t: float, candidates: Collection[str]) -> str | None:
        """The active speaker at ``t`` among ``candidates`` (None if none ever talked).

        Args:
            t: Seconds since call t=0, not less than in the previous call.
            candidates: Speaker keys shown at ``t``.
        """
        current = self._current if self._current in candidates else None
        preferred = self._preferred(t, candidates)
        if current is None:
            chosen = preferred if preferred is not None else self._latest(t, candidates)
            self._switch(chosen, t)
        elif preferred not in (None, current) and t - self._since >= self._hold:
            self._switch(preferred, t)
        return self._current

    def _preferred(self, t: float, candidates: Collection[str]) -> str | None:
        """Who talks now, the most recent starter first (ties: the smallest key)."""
        talking = []
        for key in candidates:
            since = self.talking_since(key, t)
            if since is not None:
                talking.append((since, key))
        if not talking:
            return None
        return min(talking, key=lambda item: (-item[0], item[1]))[1]

    def _latest(self, t: float, candidates: Collection[str]) -> str | None:
        """The candidate who talked most recently, when nobody talks now."""
        past = [(last, key) for key in candidates if (last := self.last_talked(key, t)) is not None]
        if not past:
            return None
        return min(past, key=lambda item: (-item[0], item[1]))[1]

    def _switch(self, key: str | None, t: float) -> None:
        if key != self._current:
            self._current, self._since = key, t


def _merge(intervals: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sort ``intervals``, drop empty ones, and join those that overlap or touch."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted((float(s), float(e)) for s, e in intervals if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
