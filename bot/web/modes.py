"""The ways meetbot runs: production, sandbox (bot + stand-ins), emulators alone, db upgrade."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bot.settings import Settings
from bot.web import server
from bot.web.runtime import RUNTIME
from storage.db import create_engine, run_migrations

logger = logging.getLogger(__name__)


async def upgrade_database(settings: Settings) -> None:
    """Apply migrations up to head (they also run at every start)."""
    engine = create_engine(settings.storage.resolved_database_url())
    try:
        await run_migrations(engine)
    finally:
        await engine.dispose()
    logger.info("database is at the latest migration")


async def run_production(settings: Settings) -> None:
    """Serve Slack over HTTP, or over Socket Mode when an app token is set."""
    running = await server.start(settings)
    print(f"meetbot is listening on {running.base_url}", flush=True)
    await _serve(running, settings)


async def _serve(running: server.RunningServer, settings: Settings) -> None:
    if settings.slack.app_token is None:
        await server.run_forever(running)
        return
    handler = await connect_socket_mode(running, settings.slack.app_token.get_secret_value())
    print("connected to Slack over Socket Mode", flush=True)
    try:
        await server.run_forever(running)
    finally:
        await handler.close_async()


async def connect_socket_mode(running: server.RunningServer, app_token: str) -> Any:
    """Open Bolt's Socket Mode connection for the running app; the caller closes it."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(running.app[RUNTIME].slack, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    return handler


async def run_sandbox(settings: Settings, *, data_dir: Path | None) -> None:
    """The bot and the Slack/Google stand-ins in one process; prints the page's URL."""
    from bot.web.sandbox_mode import start_sandbox

    running = await start_sandbox(settings, data_dir=data_dir)
    print(f"meetbot sandbox: open {running.base_url}/sandbox/", flush=True)
    await _serve(running, settings)


async def run_emulators(settings: Settings, *, bot_url: str) -> None:
    """Only the stand-ins, for measuring the bot in its own process."""
    from sandbox.app import sandbox_app

    sock = server.bind(settings.http.host, settings.http.port)
    running = await server.listen(sandbox_app(bot_url), sock)
    print(f"meetbot emulators on {running.base_url}/sandbox/", flush=True)
    await server.run_forever(running)
