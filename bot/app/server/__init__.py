"""Runs the aiohttp application on a socket bound first, so the base URL is known up front."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.app.server.connections import ConnectionGuard, quiet_accept_errors
from bot.app.server.limits import ServerLimits, limits_middleware
from bot.app.wiring import create_app
from bot.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunningServer:
    """A started server; `close` stops it and releases everything it owned."""

    runner: web.AppRunner
    base_url: str
    port: int
    sock: socket.socket
    guard: ConnectionGuard
    undo_quiet_accepts: Callable[[], None]

    @property
    def app(self) -> web.Application:
        return self.runner.app

    async def close(self) -> None:
        if self.runner.server is None:
            return  # closed already
        await _stop_accepting(self.sock)
        await self.runner.cleanup()
        self.undo_quiet_accepts()


async def _stop_accepting(sock: socket.socket) -> None:
    """Take no new connection on ``sock``, and give those already taken their transport.

    asyncio (3.11) accepts a connection in one loop step and builds its transport in the next;
    if the server closes in between, the connection is dropped without closing its socket: its
    request is never answered and the socket leaks. aiohttp's cleanup closes the server at
    once, so stop accepting first (the listener stays open), then let the loop take what was
    accepted three steps further: transport built, handler connected, handler waiting for its
    request. The cleanup then closes those connections like any idle one, at once (a handler
    not yet waiting would hold the cleanup for its whole shutdown timeout).
    """
    asyncio.get_running_loop().remove_reader(sock.fileno())
    for _ in range(3):
        await asyncio.sleep(0)


def bind(host: str, port: int) -> socket.socket:
    """Bind (port 0 picks a free one) so the URL is known before the app is built."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    return sock


async def start(
    settings: Settings,
    *,
    sock: socket.socket | None = None,
    base_url: str | None = None,
    extend: Callable[[web.Application], None] | None = None,
) -> RunningServer:
    """Build and start the app; the database is migrated before the first request."""
    sock = sock or bind(settings.http.host, settings.http.port)
    port = int(sock.getsockname()[1])
    url = base_url or settings.http.base_url(port)
    app = create_app(settings, base_url=url, extend=extend)
    limits = ServerLimits.from_settings(settings.http)
    return await listen(app, sock, base_url=url, limits=limits)


async def listen(
    app: web.Application,
    sock: socket.socket,
    *,
    base_url: str | None = None,
    limits: ServerLimits | None = None,
) -> RunningServer:
    """Serve ``app`` on the bound ``sock`` (see `bind`); ``base_url`` defaults to its address.

    Every connection goes through a `ConnectionGuard` (header deadline, connection cap) and
    every request through the limits middleware (body caps and deadline); idle keep-alive
    connections close after ``idle_timeout``.
    """
    limits = limits or ServerLimits()
    guard = ConnectionGuard(
        header_timeout=limits.header_timeout, max_connections=limits.max_connections
    )
    app.middlewares.insert(0, limits_middleware(limits, guard))  # outermost: first to run
    host, port = sock.getsockname()[:2]
    runner = web.AppRunner(
        app,
        access_log=None,
        handle_signals=False,
        keepalive_timeout=limits.idle_timeout,
        lingering_time=0,  # a body left unread closes the connection; none is drained
    )
    await runner.setup()
    assert runner.server is not None  # set up just above
    await _GuardedSite(runner, sock, factory=guard.factory(runner.server)).start()
    url = base_url or f"http://{f'[{host}]' if ':' in host else host}:{port}"
    return RunningServer(
        runner=runner,
        base_url=url,
        port=int(port),
        sock=sock,
        guard=guard,
        undo_quiet_accepts=quiet_accept_errors(asyncio.get_running_loop()),
    )


class _GuardedSite(web.SockSite):
    """A `web.SockSite` whose connections are built by the guard's protocol factory."""

    __slots__ = ("_factory",)

    def __init__(
        self, runner: web.AppRunner, sock: socket.socket, *, factory: Callable[[], Any]
    ) -> None:
        super().__init__(runner, sock)
        self._factory = factory

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site with its runner
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._factory, sock=self._sock, backlog=512)


async def run_forever(server: RunningServer) -> None:
    """Serve until cancelled (Ctrl-C), then shut down cleanly."""
    try:
        await asyncio.Event().wait()
    finally:
        await server.close()
