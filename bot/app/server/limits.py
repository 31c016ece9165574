"""What one request may cost the server: body size per route and time to send the body."""

from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.app.server.connections import ConnectionGuard
from bot.settings import HttpSettings

logger = logging.getLogger(__name__)

EVENT_PATHS = ("/slack/events", "/chat/events")
"""The routes Slack and Google Chat post to: small bodies, capped by ``event_body_bytes``."""
_FD_SHARE = 0.75  # of the descriptor limit, for client connections (the rest: DB, files, APIs)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerLimits:
    """The server's defences, from `HttpSettings` (see there for each field)."""

    header_timeout: float = 10.0
    body_timeout: float = 10.0
    idle_timeout: float = 60.0
    max_connections: int = 1000
    max_body_bytes: int = 2 * 1024 * 1024
    route_body_bytes: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, http: HttpSettings) -> ServerLimits:
        return cls(
            header_timeout=http.header_timeout,
            body_timeout=http.body_timeout,
            idle_timeout=http.idle_timeout,
            max_connections=_within_descriptors(http.max_connections),
            max_body_bytes=http.max_body_bytes,
            route_body_bytes=dict.fromkeys(EVENT_PATHS, http.event_body_bytes),
        )

    def body_cap(self, path: str) -> int:
        return self.route_body_bytes.get(path, self.max_body_bytes)


def _within_descriptors(wanted: int) -> int:
    """``wanted``, lowered so that connections cannot exhaust the file descriptors."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    allowed = max(1, int(soft * _FD_SHARE))
    if wanted > allowed:
        logger.warning(
            "max_connections lowered from %d to %d (the file-descriptor limit is %d)",
            wanted,
            allowed,
            soft,
        )
        return allowed
    return wanted


class BodyTooSlow(Exception):
    """A request body did not arrive within ``body_timeout`` (answered 408, then closed)."""


def limits_middleware(limits: ServerLimits, guard: ConnectionGuard) -> Middleware:
    """Marks each request's headers as read (for the guard's header deadline), refuses bodies
    over the route's cap (413), and answers 408 to a body not in after ``body_timeout``."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        guard.request_started(request.transport)
        try:
            return await _bounded(request, handler, limits)
        finally:
            guard.request_finished(request.transport)

    return middleware


async def _bounded(
    request: web.Request, handler: Handler, limits: ServerLimits
) -> web.StreamResponse:
    if not request.body_exists:
        return await handler(request)
    cap = limits.body_cap(request.path)
    if request.content_length is not None and request.content_length > cap:
        logger.info("refused a %d-byte body on %s", request.content_length, request.path)
        return web.json_response({"error": "request body too large"}, status=413)
    if cap < request.client_max_size:  # a chunked body is cut off at the cap as it is read
        request = request.clone(client_max_size=cap)
    deadline = asyncio.get_running_loop().call_later(limits.body_timeout, _body_overdue, request)
    try:
        return await handler(request)
    except BodyTooSlow:
        resp = web.json_response({"error": "request body too slow"}, status=408)
        resp.force_close()  # the rest of the body is not waited for (lingering_time is 0)
        return resp
    finally:
        deadline.cancel()


def _body_overdue(request: web.Request) -> None:
    """The body is still arriving after ``body_timeout``: the handler's read (now or later)
    raises `BodyTooSlow` instead of waiting on."""
    if request.content.is_eof():
        return  # all received: the handler may take its time
    logger.info("a body on %s was too slow", request.path)
    request.content.set_exception(BodyTooSlow())
