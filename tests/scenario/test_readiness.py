"""`/healthz` says ready only once a command can be served: in the sandbox, after the install."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app.sandbox_mode import SANDBOX_INSTALL, open_sandbox
from tests.fixtures_bot import eventually, sandbox_test_settings

SIGN_IN = "/sandbox/google/o/oauth2/auth?"


async def _health(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with http.get(f"{url}/healthz") as resp:
        return resp.status, await resp.json()


async def _connect(http: aiohttp.ClientSession, url: str) -> Any:
    body = {"text": "connect", "user": "U0ALICE", "channel": "C0GENERAL"}
    async with http.post(f"{url}/sandbox/api/slack/commands", json=body) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def test_not_ready_until_installed_then_a_command_is_answered_at_once(
    database_url: str, tmp_path: Path
) -> None:
    settings = sandbox_test_settings(database_url=database_url, data_dir=tmp_path / "data")
    starting = await open_sandbox(settings)
    url = starting.running.base_url
    try:
        async with aiohttp.ClientSession() as http:
            status, body = await _health(http, url)
            assert status == 503
            assert body == {"status": "starting", "waiting_for": [SANDBOX_INSTALL]}

            await starting.install()

            assert await _health(http, url) == (200, {"status": "ok"})
            result = await _connect(http, url)
            assert result["status"] == 200
            assert SIGN_IN in result["ack"]["text"]
    finally:
        await starting.running.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def sandbox_process(tmp_path: Path) -> AsyncIterator[str]:
    """`meetbot sandbox` in its own process, as a script would start it; yields its URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "sandbox", "--port", str(port)),
        *("--data-dir", str(tmp_path / "data")),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        await proc.wait()


async def test_a_script_that_waits_for_healthz_gets_a_real_answer(sandbox_process: str) -> None:
    url = sandbox_process
    seen: list[int | str] = []
    async with aiohttp.ClientSession() as http:

        async def ready() -> bool:
            try:
                status, _ = await _health(http, url)
            except aiohttp.ClientConnectionError:
                status = 0  # not listening yet
            if not seen or seen[-1] != status:
                seen.append(status)
            return status == 200

        await eventually(ready, within=60, what="the sandbox to be ready")
        result = await _connect(http, url)  # at once, as the script in issue 12 does

    assert result["status"] == 200
    assert SIGN_IN in result["ack"]["text"]
    assert seen[-1] == 200
    assert set(seen) <= {0, 503, 200}  # refused, then starting, then ready: never anything else
