"""Calls in the Meet emulator that leave Meet's own artifacts behind, for the artifacts tests."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from sandbox.google.state import SANDBOX_CLIENT_ID
from tests.adapters.google_emulator import FakeClock, GoogleEmulator

ALL_ON: dict[str, Any] = {
    "artifactConfig": {
        "recordingConfig": {"autoRecordingGeneration": "ON"},
        "transcriptionConfig": {"autoTranscriptionGeneration": "ON"},
        "smartNotesConfig": {"autoSmartNotesGeneration": "ON"},
    }
}
TALK = (
    {"name": "Ann", "says": ["Good morning, everyone.", "Let us look at the numbers."]},
    {"name": "Bob", "says": ["The numbers look fine."], "speak_at": 4},
    {"name": "Cy"},
)


async def ended_call(
    emulator: GoogleEmulator,
    clock: FakeClock,
    *,
    owner: str,
    people: Sequence[dict[str, Any]] = TALK,
    config: dict[str, Any] | None = ALL_ON,
    minutes: float = 12,
) -> str:
    """A call of ``minutes`` in a new space of ``owner``'s, ended now; its record's name."""
    space = emulator.state.meet.create_space(
        owner=owner, client_id=SANDBOX_CLIENT_ID, config=copy.deepcopy(config or {})
    )
    started = await emulator.control.start_conference(space=space.name, participants=people)
    clock.advance(minutes=minutes)
    await emulator.control.end_conference(space=space.name)
    return str(started["conferenceRecord"]["name"])
