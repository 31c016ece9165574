"""After a call: wait for Meet's own recording, transcript and notes, then post them once.

Meet generates its files minutes after the end (longer for long calls), so each followed
conference gets an owned task that waits, fetches, and while the call has not ended or any
file is not yet generated, tries again with exponential backoff. It posts exactly one reply:
the artifacts, a line saying Meet made none, or why they could not be fetched.

The delays are Meet's schedule for generating files, not transport retries: a 429, 5xx or
lost connection is retried inside the client by the one retry policy (`recorder.retry`), and
only what is still failing after that waits here for the next fetch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.core.accounts.google_access import GoogleAccess
from bot.core.errors import (
    MeetApiError,
    MeetAuthError,
    MeetPermissionDenied,
    MeetUnavailable,
    NotConnected,
    OAuthError,
    RateLimited,
    SpaceNotFound,
    StorageUnavailable,
)
from bot.core.model import ChatUser, ConferenceRecordName
from bot.core.ports.google import ConferenceArtifacts, MeetArtifactsSource
from bot.core.replies import Reply
from bot.core.texts import artifacts as texts
from bot.logs import log_context

logger = logging.getLogger(__name__)

Post = Callable[[Reply], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]

# Waits before each fetch, in seconds: 1 min after the end, doubling, ~2 h in all.
DEFAULT_DELAYS: tuple[float, ...] = (60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3600.0)
DEFAULT_EXCERPT_LINES = 6
_TRANSIENT = (MeetUnavailable, RateLimited, OAuthError, StorageUnavailable)


class ArtifactsFlow:
    """Follows conferences until Meet's artifacts are ready, and posts them in the thread."""

    def __init__(
        self,
        *,
        google: GoogleAccess,
        client: MeetArtifactsSource,
        delays: Sequence[float] = DEFAULT_DELAYS,
        excerpt_lines: int = DEFAULT_EXCERPT_LINES,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Set up the flow; nothing runs until `follow`.

        Args:
            google: the user's Google tokens (refreshed, one retry on 401).
            client: Meet REST reads of a conference's artifacts.
            delays: the wait before each fetch; their count is the number of fetches.
            excerpt_lines: transcript entries quoted in the reply.
            sleep: how to wait (tests inject one that moves their clock).

        Raises:
            ValueError: no delays, or a negative one.
        """
        if not delays or any(delay < 0 for delay in delays):
            raise ValueError("delays must be a non-empty list of seconds >= 0")
        self._google = google
        self._client = client
        self._delays = tuple(delays)
        self._excerpt_lines = excerpt_lines
        self._sleep = sleep
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closing = False

    @property
    def following(self) -> int:
        """Conferences still being followed."""
        return len(self._tasks)

    def follow(self, *, user: ChatUser, conference_record: str, post: Post) -> None:
        """Start following ``conference_record`` as ``user``; ``post`` gets the one reply.

        A conference already followed is not followed twice.

        Raises:
            RuntimeError: after `aclose`.
        """
        if self._closing:
            raise RuntimeError("shutting down: not following new conferences")
        if conference_record in self._tasks:
            logger.info("Meet artifacts of %s already followed", conference_record)
            return
        record = ConferenceRecordName(conference_record)
        # owner: this flow; `aclose` cancels and awaits it (before the Google session closes)
        task = asyncio.create_task(
            self._follow(user, record, post), name=f"meet-artifacts {conference_record}"
        )
        self._tasks[conference_record] = task
        task.add_done_callback(lambda done: self._forget(conference_record, done))

    async def wait_idle(self) -> None:
        """Return once every followed conference has had its reply (tests, benchmarks)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop following: cancel every task and wait for them to finish."""
        self._closing = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _forget(self, conference_record: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(conference_record) is task:
            del self._tasks[conference_record]

    async def _follow(self, user: ChatUser, record: ConferenceRecordName, post: Post) -> None:
        with log_context(conference_record=record, platform=user.platform, user=user.user_id):
            try:
                reply = await self._outcome(user, record)
            except Exception:  # task boundary: say something rather than nothing
                logger.exception("following Meet's artifacts failed")
                reply = texts.failed()
            try:
                await post(reply)
            except Exception:  # task boundary: the chat platform refused; log it
                logger.exception("could not post Meet's artifacts")

    async def _outcome(self, user: ChatUser, record: ConferenceRecordName) -> Reply:
        """Fetch with backoff until the reply is known, or the delays run out."""
        waited = 0.0
        last: ConferenceArtifacts | None = None
        for attempt, delay in enumerate(self._delays, start=1):
            await self._sleep(delay)
            waited += delay
            found = await self._attempt(user, record)
            if isinstance(found, Reply):
                return found
            if found is not None:
                last = found
                reply = self._final(found, waited)
                if reply is not None:
                    return reply
            logger.info(
                "Meet artifacts not ready (attempt %d/%d, waited %.0fs)",
                attempt,
                len(self._delays),
                waited,
            )
        if last is None:
            return texts.unreachable(waited)
        if last.record.end_time is None:
            return texts.call_still_running(waited)
        logger.warning("Meet artifacts still not generated after %.0fs", waited)
        return texts.artifacts(last, excerpt_lines=self._excerpt_lines, waited=waited)

    def _final(self, found: ConferenceArtifacts, waited: float) -> Reply | None:
        """The reply once the call has ended and every file is generated (or none exist)."""
        if found.record.end_time is None:
            return None
        if not found.lists.every:
            logger.info("Meet made no artifacts for this call")
            return texts.none_made()
        if found.lists.pending:
            return None
        logger.info("Meet artifacts ready: %d", len(found.lists.every))
        return texts.artifacts(found, excerpt_lines=self._excerpt_lines, waited=waited)

    async def _attempt(
        self, user: ChatUser, record: ConferenceRecordName
    ) -> ConferenceArtifacts | Reply | None:
        """One fetch: the artifacts, a final reply (refused, unknown), or None (try again)."""

        async def fetch(token: str) -> ConferenceArtifacts:
            return await self._client.fetch(token=token, record=record)

        try:
            return await self._google.call(user, fetch)
        except NotConnected:
            return texts.reconnect(revoked=True)
        except MeetAuthError as exc:
            return texts.reconnect(revoked=exc.status == 401)
        except MeetPermissionDenied:
            return texts.reconnect(revoked=False)
        except SpaceNotFound:
            return texts.not_found()
        except _TRANSIENT as exc:
            logger.warning("Meet artifacts fetch failed, will retry: %s", exc)
            return None
        except MeetApiError as exc:
            logger.warning("Meet artifacts fetch refused: %s", exc)
            return texts.failed()
