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

    @property
    def app(self) -> web.Application:
        return self.runner.app

    async def close(self) -> None:
        await self.runner.cleanup()


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
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    return RunningServer(runner=runner, base_url=url, port=port)


async def run_forever(server: RunningServer) -> None:
    """Serve until cancelled (Ctrl-C), then shut down cleanly."""
    try:
        await asyncio.Event().wait()
    finally:
        await server.close()
