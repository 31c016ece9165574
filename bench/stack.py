"""Shared by the benchmarks: `meetbot emulators` and `meetbot serve` as separate processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
MEETBOT = [sys.executable, "-m", "bot"]


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    """A process's resident memory in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _spawn(
    args: list[str], env: dict[str, str], ready: str, *, root: Path = ROOT
) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, cwd=root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        if not line:
            break
        if re.search(ready, line):
            return proc
    proc.kill()
    raise RuntimeError(f"{args[-1]} did not start")


@contextlib.asynccontextmanager
async def stack(
    data_dir: Path,
    *,
    extra_env: dict[str, str] | None = None,
    pids: list[int] | None = None,
    root: Path = ROOT,
) -> AsyncIterator[tuple[str, str]]:
    """Start emulators and bot; yield (bot_url, emulators_url).

    ``root`` is the checkout whose code runs (``python -m bot`` from there): another one
    measures another version of the bot with this benchmark.
    """
    emu_port, bot_port = free_port(), free_port()
    bot_url, emu_url = f"http://127.0.0.1:{bot_port}", f"http://127.0.0.1:{emu_port}"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
    base_env["MEETBOT_LOG_LEVEL"] = "WARNING"
    emu = await _spawn(
        [*MEETBOT, "emulators", "--port", str(emu_port), "--bot-url", bot_url],
        base_env,
        "emulators on",
        root=root,
    )
    procs = [emu]
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{emu_url}/sandbox/api/config") as resp,
        ):
            config = await resp.json()
        env = dict(base_env)
        for group, values in config["bot_settings"].items():
            for key, value in values.items():
                env[f"MEETBOT_{group.upper()}_{key.upper()}"] = value
        env["MEETBOT_STORAGE_DATA_DIR"] = str(data_dir)
        env["MEETBOT_STORAGE_TOKEN_KEY"] = _key()
        env["MEETBOT_HTTP_PUBLIC_URL"] = bot_url
        env.update(extra_env or {})
        serve = [*MEETBOT, "serve", "--port", str(bot_port)]
        bot = await _spawn(serve, env, "listening on", root=root)
        procs.append(bot)
        if pids is not None:
            pids[:] = [bot.pid, emu.pid]
        yield bot_url, emu_url
    finally:
        for proc in procs:
            proc.terminate()
            await proc.wait()


def _key() -> str:
    from storage.crypto import generate_key

    return generate_key()


async def prepare(http: aiohttp.ClientSession, emu_url: str) -> str:
    """Install the app, link a Google account; return the signing secret."""
    api = f"{emu_url}/sandbox/api"
    async with http.post(f"{api}/slack/install", json={}) as resp:
        assert resp.status == 200, await resp.text()
    async with http.post(f"{api}/google/consent", json={"user": "U0ALICE"}) as resp:
        assert resp.status == 200, await resp.text()
    async with http.get(f"{api}/config") as resp:
        return str((await resp.json())["signing_secret"])


class Api:
    """The sandbox's control API (DESIGN.md §4), as the benchmarks use it."""

    def __init__(self, http: aiohttp.ClientSession, emu_url: str) -> None:
        self.http, self.base = http, f"{emu_url}/sandbox/api"

    async def __call__(self, method: str, path: str, body: Any = None) -> Any:
        async with self.http.request(method, f"{self.base}/{path}", json=body) as resp:
            data = await resp.json()
            if resp.status >= 400:
                raise RuntimeError(f"{path}: {resp.status} {data}")
            return data

    async def command(self, text: str, channel: str = "C0GENERAL") -> Any:
        body = {"text": text, "user": "U0ALICE", "channel": channel}
        return await self("POST", "slack/commands", body)

    async def messages(self, channel: str = "C0GENERAL") -> list[dict[str, Any]]:
        return list((await self("GET", f"slack/messages?channel={channel}"))["messages"])


async def until(
    probe: Callable[[], Awaitable[Any]], *, within: float, what: str, step: float = 0.2
) -> Any:
    """Poll ``probe`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = await probe()
        if value:
            return value
        await asyncio.sleep(step)
    raise RuntimeError(f"timed out waiting for {what}")
