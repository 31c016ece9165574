"""Socket Mode: the same bot, its requests arriving over Bolt's websocket instead of HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot.app.modes import connect_socket_mode
from bot.app.sandbox_mode import start_sandbox
from tests.fixtures_bot import SandboxBot, eventually, sandbox_test_settings

APP_TOKEN = "xapp-1-A0MEETBOT-1-sockettest"


@pytest.fixture
async def socket_bot(tmp_path: Path) -> AsyncIterator[SandboxBot]:
    base = sandbox_test_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", data_dir=tmp_path / "data"
    )
    slack = base.slack.model_copy(update={"app_token": SecretStr(APP_TOKEN)})
    server = await start_sandbox(base.model_copy(update={"slack": slack}))
    handler: Any = None
    try:
        handler = await connect_socket_mode(server, APP_TOKEN)
        async with aiohttp.ClientSession() as http:
            yield SandboxBot(server=server, http=http)
    finally:
        if handler is not None:
            await handler.close_async()
        await server.close()


async def test_command_and_button_over_socket_mode(socket_bot: SandboxBot) -> None:
    bot = socket_bot

    async def connected() -> bool:
        return bool((await bot.api("GET", "config"))["socket_mode_connected"])

    await eventually(connected, what="the Socket Mode connection")
    await bot.consent("U0ALICE")
    result = await bot.command("new over the socket")
    assert result["status"] == 200
    [card] = await eventually(bot.cards, what="the card")
    assert "*over the socket*" in str(card["blocks"])
    await bot.click(card["ts"], "meet_end")
    [ended] = await eventually(lambda: _ended(bot), what="the card edited to ended")
    assert ended["ts"] == card["ts"]


async def _ended(bot: SandboxBot) -> list[dict[str, Any]] | None:
    cards = await bot.cards()
    return cards if cards and "Ended at" in cards[0]["text"] else None


async def test_health_waits_for_the_socket(tmp_path: Path) -> None:
    """In Socket Mode commands arrive only over the socket: not ready until it is open."""
    base = sandbox_test_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", data_dir=tmp_path / "data"
    )
    slack = base.slack.model_copy(update={"app_token": SecretStr(APP_TOKEN)})
    server = await start_sandbox(base.model_copy(update={"slack": slack}))
    handler: Any = None
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.base_url}/healthz") as resp:
                assert resp.status == 503
                assert "the Slack Socket Mode connection" in (await resp.json())["waiting_for"]
            handler = await connect_socket_mode(server, APP_TOKEN)
            async with http.get(f"{server.base_url}/healthz") as resp:
                assert resp.status == 200
    finally:
        if handler is not None:
            await handler.close_async()
        await server.close()
