"""Shutdown that closes every resource, in reverse order, even when one close fails."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

logger = logging.getLogger(__name__)

Close = Callable[[], Awaitable[object]]


class Resources:
    """What the composition root opened, closed last-opened first by its `AsyncExitStack`.

    A close that raises is logged and recorded in ``failed``; the others still run, so one
    broken port cannot leak the database engine, the HTTP sessions or the worker threads.
    """

    def __init__(self, stack: contextlib.AsyncExitStack) -> None:
        self._stack = stack
        self.closed: list[str] = []
        self.failed: list[str] = []

    def close_with(self, name: str, close: Close) -> None:
        """Run ``close()`` at shutdown, before everything registered earlier."""
        self._stack.push_async_callback(self._close, name, close)

    async def _close(self, name: str, close: Close) -> None:
        try:
            await close()
        except Exception:  # shutdown boundary: log it and close the rest
            logger.exception("closing %s failed", name)
            self.failed.append(name)
        else:
            self.closed.append(name)


RESOURCES = web.AppKey("resources", Resources)
# The one session for Google (Meet REST, Chat REST, OAuth, the Media API, Chat's keys).
GOOGLE_HTTP = web.AppKey("google_http", aiohttp.ClientSession)
