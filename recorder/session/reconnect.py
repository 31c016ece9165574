"""Reconnecting: after lost media, and within Meet's CONNECTIONS_EXHAUSTED window; when to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from recorder.connection.client import MeetMediaClient
from recorder.connection.model import SessionEnd
from recorder.errors import ConnectRefused, MediaLost, RefusalReason
from recorder.ports import ConferenceProbe, VideoRequest
from recorder.session.options import GOODBYES, SessionOptions
from recorder.video.session_video import SessionVideo

logger = logging.getLogger(__name__)

_INVALID_OFFER = RefusalReason.INVALID_OFFER


async def until_goodbye(
    one_session: Callable[[bool], Awaitable[SessionEnd | None]],
    *,
    attempts: int,
    still_active: Callable[[], Awaitable[bool]],
    captured: Callable[[], bool],
) -> SessionEnd:
    """Run sessions (the argument: reconnecting) until a goodbye, or up to ``attempts``
    reconnects while the call still runs. Raises `MediaLost` if nothing was captured."""
    tried = 0
    while True:
        end = await one_session(tried > 0)
        if end is None or end.reason in GOODBYES:
            return end or SessionEnd(reason="REASON_CLIENT_LEFT")
        if tried >= attempts or not await still_active():
            if captured():
                return end
            raise MediaLost(f"the connection to Meet was lost ({end.reason})")
        tried += 1
        logger.warning("media lost (%s); reconnecting, attempt %d", end.reason, tried)


async def connect(
    open_client: Callable[[VideoRequest | None], Awaitable[MeetMediaClient]],
    *,
    video: SessionVideo | None,
    request: VideoRequest | None,
    options: SessionOptions,
    clock: Callable[[], float],
    stop: asyncio.Event,
    reconnecting: bool,
) -> MeetMediaClient | None:
    """A connected client; None if stopped, or the call ended while reconnecting.

    A refused offer with video is tried again at once without it (video never costs the
    audio); CONNECTIONS_EXHAUSTED on a reconnect is retried within the reconnect window.
    """
    deadline = clock() + options.reconnect_window
    while True:
        asked = request if video is not None and video.on else None
        try:
            return await open_client(asked)
        except ConnectRefused as exc:
            if (
                video is not None
                and asked is not None
                and exc.reason is RefusalReason.INVALID_OFFER
            ):
                video.stop(f"Meet refused the offer with video ({exc})")
                continue
            retry = retry_reconnect(exc, reconnecting, clock() < deadline)
            if retry is None:
                return None
            if not retry:
                raise
            delay = min(options.poll_interval, max(0.0, deadline - clock()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            if stop.is_set():
                return None


def retry_reconnect(exc: ConnectRefused, reconnecting: bool, in_window: bool) -> bool | None:
    """True: try again soon; False: give up (raise); None: the call is over (stop quietly)."""
    if exc.reason is RefusalReason.NO_ACTIVE_CONFERENCE and reconnecting:
        return None
    if exc.reason is RefusalReason.CONNECTIONS_EXHAUSTED:
        return in_window
    return False


async def still_active(probe: ConferenceProbe, space: str) -> bool:
    """Whether the call still runs (True when Meet cannot say: try to reconnect)."""
    try:
        return await probe.active_conference(space=space) is not None
    except Exception:
        logger.warning("could not check whether the call is still running", exc_info=True)
        return True
