"""Runs the sandbox routes, plus a test's own bot routes, on 127.0.0.1 port 0."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from bot.app.server import bind, listen
from sandbox.app import Sandbox, SandboxConfig, add_sandbox_routes, build_sandbox

T = TypeVar("T")
BotRoutes = Callable[[web.Application, Sandbox], None]


@dataclass
class RunningSandbox:
    """A live sandbox: its base URL, its state, and a client session for the test."""

    base_url: str
    sandbox: Sandbox
    client: aiohttp.ClientSession

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """A control API call (``path`` relative to ``/sandbox/api/``): ``(status, json)``."""
        url = f"{self.base_url}/sandbox/api/{path}"
        async with self.client.request(method, url, json=body) as response:
            return response.status, await response.json()

    async def messages(self, channel: str, **query: str) -> list[dict[str, Any]]:
        status, body = await self.call(
            "GET",
            f"slack/messages?channel={channel}" + "".join(f"&{k}={v}" for k, v in query.items()),
        )
        assert status == 200, body
        return list(body["messages"])


@asynccontextmanager
async def running_sandbox(
    *, bot_routes: BotRoutes | None = None, config: SandboxConfig | None = None
) -> AsyncIterator[RunningSandbox]:
    """Serves the sandbox (and ``bot_routes``, the stand-in bot) until the block exits."""
    app = web.Application()
    sandbox = build_sandbox(config or SandboxConfig(seed=7))
    add_sandbox_routes(app, sandbox)
    if bot_routes is not None:
        bot_routes(app, sandbox)
    running = await listen(app, bind("127.0.0.1", 0))
    try:
        async with aiohttp.ClientSession() as client:
            yield RunningSandbox(base_url=running.base_url, sandbox=sandbox, client=client)
    finally:
        await running.close()


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, within: float = 5.0, what: str = "condition"
) -> T:
    """Polls ``probe`` until it returns something truthy, failing after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
