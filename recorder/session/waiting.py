"""Waiting: for someone to start the call (polling ``spaces.get``), then for Meet to admit us."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from recorder.connection.client import MeetMediaClient
from recorder.errors import CallNotActive, Disconnected, MediaLost, NotAdmitted
from recorder.ports import ConferenceProbe
from recorder.session.options import GOODBYES


async def wait_for_call(
    *,
    probe: ConferenceProbe,
    space: str,
    stop: asyncio.Event,
    clock: Callable[[], float],
    within: float,
    poll_interval: float,
) -> str | None:
    """The active conference record once the call runs; None if stopped first.

    Raises `CallNotActive` when nobody starts the call within ``within`` seconds.
    """
    deadline = clock() + within
    while not stop.is_set():
        record = await probe.active_conference(space=space)
        if record is not None:
            return record
        if clock() >= deadline:
            raise CallNotActive("nobody started the call in time")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll_interval)
    return None


async def wait_joined(client: MeetMediaClient, *, stop: asyncio.Event, within: float) -> bool:
    """True once Meet admits ``client``; False if stopped first (the client has left).

    Raises `NotAdmitted` when nobody consents in time, `Disconnected` or `MediaLost` when
    the session ends before.
    """
    stopped = asyncio.ensure_future(stop.wait())
    joined = asyncio.ensure_future(client.wait_joined(within=within))
    try:
        await asyncio.wait({stopped, joined}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stopped
    if not joined.done():
        joined.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await joined
        await client.leave()
        return False
    if joined.result():
        return True
    if client.ended.done():
        end = client.ended.result()
        if end.reason in GOODBYES:
            raise Disconnected(end.reason)
        raise MediaLost(f"the connection ended before Meet admitted us ({end.reason})")
    raise NotAdmitted("Meet did not let the recorder in (nobody consented in time)")
