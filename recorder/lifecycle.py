"""A recording's lifecycle: one transition table; an invalid transition raises.

starting ──▶ waiting ◀──▶ recording ──▶ finalizing ──▶ ready
    │           │             │              │
    └───────────┴─────────────┴──────────────┴───────▶ failed (and ▶ ready: recovered)

``starting → starting`` carries the conference record once the call is active;
``recording → waiting`` is a reconnect, ``waiting → waiting`` a second attempt at one.
Any live state may end ``ready`` (a capture recovered after a crash) or ``failed``.
"""

from __future__ import annotations

from types import MappingProxyType

from recorder.model import RecordingState

_END = frozenset({RecordingState.READY, RecordingState.FAILED})

TRANSITIONS: MappingProxyType[RecordingState, frozenset[RecordingState]] = MappingProxyType(
    {
        RecordingState.STARTING: _END | {RecordingState.STARTING, RecordingState.WAITING},
        RecordingState.WAITING: _END
        | {RecordingState.WAITING, RecordingState.RECORDING, RecordingState.FINALIZING},
        RecordingState.RECORDING: _END | {RecordingState.WAITING, RecordingState.FINALIZING},
        RecordingState.FINALIZING: _END,
        RecordingState.READY: frozenset(),
        RecordingState.FAILED: frozenset(),
    }
)

TERMINAL_STATES: frozenset[RecordingState] = frozenset(
    s for s, nxt in TRANSITIONS.items() if not nxt
)
LIVE_STATES: frozenset[RecordingState] = frozenset(TRANSITIONS) - TERMINAL_STATES
"""States of a recording still under way (in this process or, after a crash, in none)."""


class InvalidTransition(ValueError):
    """A transition the table does not allow."""

    def __init__(self, old: RecordingState, new: RecordingState) -> None:
        super().__init__(f"recording cannot go from {old.value} to {new.value}")
        self.old = old
        self.new = new


def check(old: RecordingState, new: RecordingState) -> None:
    """Raise `InvalidTransition` unless ``old → new`` is in the table."""
    if new not in TRANSITIONS[old]:
        raise InvalidTransition(old, new)
