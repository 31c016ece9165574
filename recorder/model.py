"""Value types the recorder shares with its host: a recording's id and state, a speaker."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

RecordingId = NewType("RecordingId", str)


class RecordingState(StrEnum):
    """States of one recording; the transition table is in `recorder.lifecycle`.

    ``starting``: waiting for the call to be active and connecting; ``waiting``: connected,
    Meet has not admitted us yet (consent); ``recording``: joined and capturing;
    ``finalizing``: the call is over for us, files are being written; ``ready`` and ``failed``
    are final (a ``ready`` recording may be ``partial``).
    """

    STARTING = "starting"
    WAITING = "waiting"
    RECORDING = "recording"
    FINALIZING = "finalizing"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Speaker:
    """A participant as the Media API names them (``participants/{p}`` and display name)."""

    key: str
    display_name: str
