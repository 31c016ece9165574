"""The recording transition table (the recorder's own)."""

from __future__ import annotations

import itertools

import pytest

from recorder import lifecycle
from recorder.model import RecordingState as S

LIVE = (S.STARTING, S.WAITING, S.RECORDING, S.FINALIZING)
ALLOWED = {
    (S.STARTING, S.STARTING),  # the conference record, once the call is active
    (S.STARTING, S.WAITING),
    (S.WAITING, S.WAITING),  # another attempt at a reconnect
    (S.WAITING, S.RECORDING),
    (S.WAITING, S.FINALIZING),  # stopped while reconnecting
    (S.RECORDING, S.WAITING),  # reconnecting
    (S.RECORDING, S.FINALIZING),
} | {(live, end) for live in LIVE for end in (S.READY, S.FAILED)}


@pytest.mark.parametrize(("old", "new"), sorted(itertools.product(S, S)))
def test_table(old: S, new: S) -> None:
    if (old, new) in ALLOWED:
        lifecycle.check(old, new)
    else:
        with pytest.raises(lifecycle.InvalidTransition, match=f"from {old.value} to {new.value}"):
            lifecycle.check(old, new)


def test_terminal_and_live_states() -> None:
    assert sorted(lifecycle.TERMINAL_STATES) == sorted({S.READY, S.FAILED})
    assert sorted(lifecycle.LIVE_STATES) == sorted(LIVE)
