"""Per-connection defences aiohttp lacks: a header deadline, a connection cap, quiet accepts.

aiohttp's `RequestHandler` reads headers with no deadline of its own (its keep-alive timer
only closes a connection waiting for a request it has not begun to receive), so a client that
trickles a header line holds a connection for as long as it likes. `GuardedProtocol` wraps
each connection's handler: it counts the connection, refuses one over the cap with a 503, and
closes one whose request line and headers are not in within ``header_timeout`` of its
connection or of the request's first byte. The app middleware (`bot.app.server.limits`) tells it
when a request's headers are in (``request_started``) and when it was handled.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Callable
from typing import Any, cast

from aiohttp import web

logger = logging.getLogger(__name__)

_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n"
    b"Content-Length: 0\r\n\r\n"
)
ACCEPT_ERROR = "socket.accept() out of system resource"


class Throttle:
    """Lets one log line through per ``interval`` seconds and counts the ones held back."""

    def __init__(self, *, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._clock = clock
        self._next = float("-inf")
        self.suppressed = 0

    def allow(self) -> int | None:
        """The number suppressed since the last line allowed, or None to stay quiet."""
        now = self._clock()
        if now < self._next:
            self.suppressed += 1
            return None
        self._next = now + self._interval
        held, self.suppressed = self.suppressed, 0
        return held


class _State(enum.Enum):
    HEADERS = "awaiting a request's headers"  # the header deadline runs
    HANDLING = "handling a request"
    IDLE = "idle between requests"  # aiohttp's keep-alive timer runs


class ConnectionGuard:
    """Counts connections, builds each one's `GuardedProtocol`, and enforces the cap."""

    def __init__(self, *, header_timeout: float, max_connections: int) -> None:
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        self._open: dict[asyncio.BaseTransport, GuardedProtocol] = {}
        self._refusals = Throttle(interval=10.0)

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def factory(self, server: web.Server) -> Callable[[], asyncio.Protocol]:
        """The protocol factory for ``loop.create_server``, wrapping aiohttp's ``server``."""
        return lambda: GuardedProtocol(guard=self, server=server)

    def admit(self, transport: asyncio.BaseTransport, protocol: GuardedProtocol) -> bool:
        if len(self._open) >= self.max_connections:
            held = self._refusals.allow()
            if held is not None:
                logger.warning(
                    "refusing connections: %d open is the cap (%d more refused quietly)",
                    len(self._open),
                    held,
                )
            return False
        self._open[transport] = protocol
        return True

    def forget(self, transport: asyncio.BaseTransport) -> None:
        self._open.pop(transport, None)

    def request_started(self, transport: asyncio.BaseTransport | None) -> None:
        if transport is not None and (conn := self._open.get(transport)) is not None:
            conn.set_state(_State.HANDLING)

    def request_finished(self, transport: asyncio.BaseTransport | None) -> None:
        if transport is not None and (conn := self._open.get(transport)) is not None:
            conn.set_state(_State.IDLE)


class GuardedProtocol(asyncio.Protocol):
    """One connection: aiohttp's handler inside, the guard's deadline around it."""

    def __init__(self, *, guard: ConnectionGuard, server: web.Server) -> None:
        self._guard = guard
        self._server = server
        self._inner: asyncio.Protocol | None = None
        self._transport: asyncio.Transport | None = None
        self._state = _State.HEADERS
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # a stream server's transport
        if not self._guard.admit(transport, self):
            transport.write(_BUSY)
            transport.close()
            return
        self._transport = transport
        self._inner = self._server()
        self._inner.connection_made(transport)
        self.set_state(_State.HEADERS)

    def data_received(self, data: bytes) -> None:
        if self._inner is None:
            return
        if self._state is _State.IDLE:
            self.set_state(_State.HEADERS)  # a new request's first bytes
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._inner is None or self._transport is None:
            return  # refused at the cap
        self._cancel_deadline()
        self._guard.forget(self._transport)
        self._inner.connection_lost(exc)

    def set_state(self, state: _State) -> None:
        self._state = state
        self._cancel_deadline()
        if state is _State.HEADERS:
            loop = asyncio.get_running_loop()
            self._deadline = loop.call_later(self._guard.header_timeout, self._overdue)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _overdue(self) -> None:
        self._deadline = None
        if self._state is _State.HEADERS and self._transport is not None:
            logger.debug("closed a connection that sent no complete request in time")
            self._transport.close()


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Rate-limit asyncio's "socket.accept() out of system resource" report (one a minute,
    with the count held back) on ``loop``; returns the function that undoes it.

    When descriptors run out asyncio reports every failed accept, hundreds of thousands of
    lines a minute; the connection cap keeps us under the limit, this keeps the log usable
    when something else exhausts it.
    """
    previous = loop.get_exception_handler()
    throttle = Throttle(interval=60.0)

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") == ACCEPT_ERROR:
            held = throttle.allow()
            if held is not None:
                error = context.get("exception")
                logger.error("%s: %s (%d more held back)", ACCEPT_ERROR, error, held)
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handle)

    def undo() -> None:
        if loop.get_exception_handler() is handle:
            loop.set_exception_handler(previous)

    return undo
