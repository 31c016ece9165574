"""The ways meetbot runs: production, sandbox (bot + stand-ins), emulators alone, db upgrade."""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import server
from bot.app.runtime import RUNTIME
from bot.settings import Settings
from bot.web.pages import READINESS, SOCKET_MODE
from storage.crypto import TokenCipher
from storage.db import create_engine, run_migrations

logger = logging.getLogger(__name__)


async def upgrade_database(settings: Settings) -> None:
    """Apply migrations up to head (they also run at every start); with the token key set,
    Slack tokens an older version stored in plain text are encrypted too."""
    key = settings.storage.token_key
    cipher = TokenCipher(key=key.get_secret_value()) if key is not None else None
    engine = create_engine(settings.storage.resolved_database_url())
    try:
        await run_migrations(engine, cipher=cipher)
    finally:
        await engine.dispose()
    logger.info("database is at the latest migration")


@dataclass(frozen=True, slots=True)
class Production:
    """A started production bot: the HTTP server and, in Socket Mode, Slack's connection."""

    server: server.RunningServer
    socket_mode: Any | None = None

    @property
    def base_url(self) -> str:
        return self.server.base_url

    async def close(self) -> None:
        """Close the Socket Mode connection, then the server (even if the first fails)."""
        try:
            if self.socket_mode is not None:
                await self.socket_mode.close_async()
        finally:
            await self.server.close()


async def start_production(settings: Settings, *, sock: socket.socket | None = None) -> Production:
    """What `meetbot serve` runs in every mode: the app on HTTP, plus the Socket Mode
    connection when an app-level token is set. ``sock`` is a socket bound beforehand."""
    return await _with_socket_mode(await server.start(settings, sock=sock), settings)


async def run_production(settings: Settings) -> None:
    """`meetbot serve`: start (see `start_production`), then serve until cancelled."""
    production = await start_production(settings)
    print(f"meetbot is listening on {production.base_url}", flush=True)
    await _serve_forever(production)


async def _with_socket_mode(running: server.RunningServer, settings: Settings) -> Production:
    token = settings.slack.app_token
    if token is None:
        return Production(server=running)
    try:
        handler = await connect_socket_mode(running, token.get_secret_value())
    except BaseException:
        await running.close()
        raise
    return Production(server=running, socket_mode=handler)


async def _serve_forever(production: Production) -> None:
    """Serve until cancelled (Ctrl-C), then close everything."""
    if production.socket_mode is not None:
        print("connected to Slack over Socket Mode", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await production.close()


async def connect_socket_mode(running: server.RunningServer, app_token: str) -> Any:
    """Open Bolt's Socket Mode connection for the running app; the caller closes it."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    bolt = running.app[RUNTIME].slack
    if bolt is None:
        raise RuntimeError("Socket Mode needs the Slack side (MEETBOT_SLACK_* settings)")
    handler = AsyncSocketModeHandler(bolt, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    running.app[READINESS].release(SOCKET_MODE)
    return handler


async def run_sandbox(settings: Settings, *, data_dir: Path | None) -> None:
    """The bot and the Slack/Google stand-ins in one process; prints the page's URL."""
    from bot.app.sandbox_mode import start_sandbox

    running = await start_sandbox(settings, data_dir=data_dir)
    print(f"meetbot sandbox: open {running.base_url}/sandbox/", flush=True)
    await _serve_forever(await _with_socket_mode(running, settings))


async def run_emulators(settings: Settings, *, bot_url: str, grid: bool = False) -> None:
    """Only the stand-ins, for measuring the bot in its own process (``grid``: the Slack
    workspace belongs to an Enterprise Grid org)."""
    from sandbox.app import SandboxConfig, sandbox_app

    sock = server.bind(settings.http.host, settings.http.port)
    app = sandbox_app(bot_url, config=SandboxConfig(enterprise=grid))
    running = await server.listen(app, sock)
    print(f"meetbot emulators on {running.base_url}/sandbox/", flush=True)
    await server.run_forever(running)
