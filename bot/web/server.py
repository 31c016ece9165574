"""Runs the aiohttp application on a socket bound first, so the base URL is known up front."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from bot.settings import Settings
from bot.web.app import create_app

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunningServer:
    """A started server; `close` stops it and releases everything it owned."""

    runner: web.AppRunner
    base_url: str
    port: int
    sock: socket.socket

    @property
    def app(self) -> web.Application:
        return self.runner.app

    async def close(self) -> None:
        if self.runner.server is None:
            return  # closed already
        await _stop_accepting(self.sock)
        await self.runner.cleanup()


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
    return await listen(create_app(settings, base_url=url, extend=extend), sock, base_url=url)


async def listen(
    app: web.Application, sock: socket.socket, *, base_url: str | None = None
) -> RunningServer:
    """Serve ``app`` on the bound ``sock`` (see `bind`); ``base_url`` defaults to its address."""
    host, port = sock.getsockname()[:2]
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    url = base_url or f"http://{f'[{host}]' if ':' in host else host}:{port}"
    return RunningServer(runner=runner, base_url=url, port=int(port), sock=sock)


async def run_forever(server: RunningServer) -> None:
    """Serve until cancelled (Ctrl-C), then shut down cleanly."""
    try:
        await asyncio.Event().wait()
    finally:
        await server.close()
