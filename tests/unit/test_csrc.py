"""Picking the speaker's CSRC."""

from __future__ import annotations

import pytest

from recorder.csrc import LOUDEST_CSRC, CsrcInfo, pick_csrc


@pytest.mark.parametrize(
    ("csrcs", "expected"),
    [
        ([], CsrcInfo(csrc=None, loudest=False)),
        ([LOUDEST_CSRC], CsrcInfo(csrc=None, loudest=True)),
        ([1111], CsrcInfo(csrc=1111, loudest=False)),
        ([42, 1111], CsrcInfo(csrc=1111, loudest=True)),
        ([1111, 42], CsrcInfo(csrc=1111, loudest=True)),
        ([1111, 2222], CsrcInfo(csrc=1111, loudest=False)),
        ((2222, 42, 1111), CsrcInfo(csrc=2222, loudest=True)),
    ],
)
def test_pick_csrc(csrcs: list[int], expected: CsrcInfo) -> None:
    assert pick_csrc(csrcs) == expected
