"""Speaker reports: who is in the call, told to the host at most once per interval."""

from __future__ import annotations

import asyncio
import contextlib

from recorder.model import RecordingId, Speaker
from recorder.ports import RecordingEvents


class SpeakerReports:
    """Coalesces changes of who is present; `run` reports them until `close`."""

    def __init__(
        self, *, events: RecordingEvents, recording_id: RecordingId, stop: asyncio.Event
    ) -> None:
        self._events = events
        self._recording_id = recording_id
        self._stop = stop
        self._present: tuple[Speaker, ...] = ()
        self._dirty = asyncio.Event()
        self._reporting = True
        self.interval = 2.0

    def changed(self, present: tuple[Speaker, ...]) -> None:
        if present != self._present:
            self._present = present
            self._dirty.set()

    def close(self) -> None:
        """Report what is pending, then let `run` return."""
        self._reporting = False
        self._dirty.set()

    async def run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            if not self._reporting:
                return
            await self._events.speakers_changed(
                recording_id=self._recording_id, present=self._present
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
