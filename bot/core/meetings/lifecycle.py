"""The meeting lifecycle: one transition table; an invalid transition raises.

requested ──▶ space_created ──▶ ended
    │               │
    └──▶ failed ◀───┘ (never: a created space is ended, not failed)
"""

from __future__ import annotations

from types import MappingProxyType

from bot.core.model import MeetingState

TRANSITIONS: MappingProxyType[MeetingState, frozenset[MeetingState]] = MappingProxyType(
    {
        MeetingState.REQUESTED: frozenset({MeetingState.SPACE_CREATED, MeetingState.FAILED}),
        MeetingState.SPACE_CREATED: frozenset({MeetingState.ENDED}),
        MeetingState.ENDED: frozenset(),
        MeetingState.FAILED: frozenset(),
    }
)

TERMINAL: frozenset[MeetingState] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


class InvalidTransition(ValueError):
    """A transition the table does not allow."""

    def __init__(self, old: MeetingState, new: MeetingState) -> None:
        super().__init__(f"meeting cannot go from {old.value} to {new.value}")
        self.old = old
        self.new = new


def check(old: MeetingState, new: MeetingState) -> None:
    """Raise `InvalidTransition` unless ``old → new`` is in the table."""
    if new not in TRANSITIONS[old]:
        raise InvalidTransition(old, new)


def is_open(state: MeetingState) -> bool:
    """A meeting people can still join and act on."""
    return state is MeetingState.SPACE_CREATED
