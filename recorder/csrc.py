"""Pick the speaker's CSRC out of an audio packet's CSRC list (Meet Media API rules)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

LOUDEST_CSRC = 42


@dataclass(frozen=True, slots=True)
class CsrcInfo:
    """The speaker's CSRC (None for pre-audio silence) and whether the stream is the loudest."""

    csrc: int | None
    loudest: bool


def pick_csrc(csrcs: Sequence[int]) -> CsrcInfo:
    """Find who speaks on an audio stream from the RTP CSRC list.

    The magic CSRC 42 marks the loudest stream and is skipped; of the rest the first one
    (most recent) is the speaker, per the reference client fix 874aa2d.

    Args:
        csrcs: The packet's or frame's contributing sources, in RTP order.

    Returns:
        The speaker's CSRC, None when there is none (pre-audio silence, to be dropped).
    """
    loudest = LOUDEST_CSRC in csrcs
    speaker = next((csrc for csrc in csrcs if csrc != LOUDEST_CSRC), None)
    return CsrcInfo(csrc=speaker, loudest=loudest)
