"""The meeting transition table."""

from __future__ import annotations

import itertools

import pytest

from bot.core.meetings import lifecycle
from bot.core.model import MeetingState as S

ALLOWED = {
    (S.REQUESTED, S.SPACE_CREATED),
    (S.REQUESTED, S.FAILED),
    (S.SPACE_CREATED, S.ENDED),
}


@pytest.mark.parametrize(("old", "new"), sorted(itertools.product(S, S)))
def test_table(old: S, new: S) -> None:
    if (old, new) in ALLOWED:
        lifecycle.check(old, new)
    else:
        with pytest.raises(lifecycle.InvalidTransition, match=f"from {old.value} to {new.value}"):
            lifecycle.check(old, new)


def test_terminal_states() -> None:
    assert sorted(lifecycle.TERMINAL) == sorted({S.ENDED, S.FAILED})
    assert lifecycle.is_open(S.SPACE_CREATED)
    assert not lifecycle.is_open(S.REQUESTED)
