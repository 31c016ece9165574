"""Meet's virtual audio streams: which (up to 3) talking participants each stream carries."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

LOUDEST_CSRC = 42  # the CSRC Meet adds on the stream carrying the loudest speaker
STREAMS = 3


@dataclass(frozen=True, slots=True)
class Slot(Generic[K]):
    """What one virtual stream carries in one 20 ms frame."""

    stream: int
    speaker: K
    loudest: bool


class StreamMixer(Generic[K]):
    """Sticky assignment of talking participants to a fixed number of streams.

    A participant keeps its stream while it talks. Newcomers take free streams, loudest
    first; when every stream is busy, a newcomer louder than the quietest assigned
    participant replaces it.
    """

    def __init__(self, *, streams: int = STREAMS) -> None:
        self._slots: list[K | None] = [None] * streams

    def assign(self, levels: Mapping[K, int]) -> list[Slot[K]]:
        """This frame's streams, given each talking participant's level (-dBov, 0 loudest).

        Args:
            levels: only the participants talking in this frame.

        Returns:
            The busy streams, in stream order; exactly one is marked loudest if any.
        """
        slots = self._slots
        for index, held in enumerate(slots):
            if held is not None and held not in levels:
                slots[index] = None
        waiting = sorted((k for k in levels if k not in slots), key=lambda k: levels[k])
        for speaker in waiting:
            if None in slots:
                slots[slots.index(None)] = speaker
                continue
            busy_now = [k for k in slots if k is not None]  # every stream is busy here
            quietest = max(busy_now, key=lambda k: levels[k])
            if levels[speaker] < levels[quietest]:
                slots[slots.index(quietest)] = speaker
        busy = [(index, held) for index, held in enumerate(slots) if held is not None]
        if not busy:
            return []
        loudest = min(busy, key=lambda pair: levels[pair[1]])[0]
        return [Slot(index, held, index == loudest) for index, held in busy]
