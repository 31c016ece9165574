"""Which media entries the virtual video streams carry: Meet's "relevant" layout, sticky.

Screenshares come first, then participants by how recently they talked. An entry keeps its
stream while it is present; a new screenshare, or someone who starts talking, takes a free
stream or replaces the least relevant entry shown (never a screenshare for a camera, never
someone talking as recently). Free streams are filled by relevance.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Candidate(Generic[K]):
    """A media entry with video: its key, whose speech it follows, and whether it is shared."""

    key: K
    speaker: Hashable
    screenshare: bool = False


class VideoSelector(Generic[K]):
    """Sticky assignment of the most relevant entries to a fixed number of streams."""

    def __init__(self) -> None:
        self._held: list[K | None] = []
        self._last_talk: dict[Hashable, int] = {}
        self._clock = 0

    @property
    def held(self) -> list[K | None]:
        """What each stream carries now (None: nothing)."""
        return list(self._held)

    def assign(
        self, candidates: Sequence[Candidate[K]], *, talking: Collection[Hashable], streams: int
    ) -> list[K | None]:
        """This moment's streams.

        Args:
            candidates: the entries with video, in the order they joined.
            talking: speakers (`Candidate.speaker`) talking now.
            streams: how many streams there are (a new layout may change it).

        Returns:
            The entry key of each stream, None where it carries nothing.
        """
        self._clock += 1
        for speaker in talking:
            self._last_talk[speaker] = self._clock
        present = {c.key: c for c in candidates}
        held = [k if k in present else None for k in self._held[:streams]]
        held += [None] * (streams - len(held))
        joined = {c.key: i for i, c in enumerate(candidates)}

        def rank(c: Candidate[K]) -> tuple[bool, int]:
            return c.screenshare, self._last_talk.get(c.speaker, 0)

        waiting = [c for c in candidates if c.key not in held]
        waiting.sort(key=lambda c: (rank(c), -joined[c.key]), reverse=True)
        for candidate in waiting:
            if None in held:
                held[held.index(None)] = candidate.key
                continue
            shown = [present[k] for k in held if k is not None]
            weakest = min(shown, key=lambda c: (rank(c), -joined[c.key]))
            urgent = candidate.screenshare or candidate.speaker in talking
            if urgent and rank(candidate) > rank(weakest):
                held[held.index(weakest.key)] = candidate.key
        self._held = held
        return list(held)
