"""Fixtures that run the whole bot in sandbox mode: the real app against the stand-ins."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest

from bot.app.runtime import RUNTIME, Runtime
from bot.app.sandbox_mode import start_sandbox
from bot.app.server import RunningServer
from bot.core.model import Recording
from bot.core.ports.storage import NewRecordingRow
from bot.settings import (
    GoogleSettings,
    HttpSettings,
    RecorderSettings,
    Settings,
    StorageSettings,
)
from sandbox.app import SANDBOX_KEY, Sandbox

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, within: float = 5.0, what: str = "condition"
) -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class SandboxBot:
    """The running sandbox, driven through its control API over loopback HTTP."""

    server: RunningServer
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def runtime(self) -> Runtime:
        return self.server.app[RUNTIME]

    @property
    def sandbox(self) -> Sandbox:
        return self.server.app[SANDBOX_KEY]

    async def api(self, method: str, path: str, body: Any = None) -> Any:
        async with self.http.request(method, f"{self.url}/sandbox/api/{path}", json=body) as r:
            data = await r.json()
            if r.status >= 400:
                raise AssertionError(f"{path}: {r.status} {data}")
            return data

    async def command(self, text: str, *, user: str = "U0ALICE", channel: str = "C0GENERAL") -> Any:
        return await self.api(
            "POST", "slack/commands", {"text": text, "user": user, "channel": channel}
        )

    async def mention(self, text: str, *, user: str = "U0ALICE", channel: str = "C0GENERAL") -> Any:
        return await self.api(
            "POST", "slack/mentions", {"text": text, "user": user, "channel": channel}
        )

    async def click(
        self, ts: str, action_id: str, *, user: str = "U0ALICE", channel: str = "C0GENERAL"
    ) -> Any:
        body = {"channel": channel, "message_ts": ts, "action_id": action_id, "user": user}
        return await self.api("POST", "slack/actions", body)

    async def messages(self, channel: str = "C0GENERAL") -> list[dict[str, Any]]:
        data = await self.api("GET", f"slack/messages?channel={channel}")
        return list(data["messages"])

    async def consent(self, user: str = "U0ALICE") -> Any:
        return await self.api("POST", "google/consent", {"user": user})

    async def settle(self) -> None:
        """Wait for the work the bot does after its acks."""
        await self.runtime.supervisor.join()

    async def cards(self, channel: str = "C0GENERAL") -> list[dict[str, Any]]:
        await self.settle()
        return [m for m in await self.messages(channel) if _is_card(m)]

    async def ephemerals(self, user: str = "U0ALICE", channel: str = "C0GENERAL") -> list[str]:
        await self.settle()
        return [m["text"] for m in await self.messages(channel) if m.get("ephemeral_to") == user]


async def recording_under_card(bot: SandboxBot, work: Path) -> tuple[Recording, dict[str, Any]]:
    """``/meet new standup``, then a recording row (``starting``) in its card's thread, its
    capture in ``work``, as `RecordingFlow.start` would store it; returns it and the card."""
    await bot.command("new standup")
    [card] = await bot.cards()
    meeting = await bot.runtime.repos.meetings.latest_in_channel(
        platform="slack", team_id="T0SANDBOX", channel_id="C0GENERAL"
    )
    assert meeting is not None
    assert meeting.space_name is not None
    row = NewRecordingRow(
        meeting_id=meeting.id,
        space_name=meeting.space_name,
        platform="slack",
        team_id="T0SANDBOX",
        channel_id="C0GENERAL",
        started_by="U0ALICE",
        work_dir=str(work),
        thread_channel="C0GENERAL",
        thread_message_id=card["ts"],
    )
    recording = await bot.runtime.repos.recordings.create(row=row, cause="asked in a test")
    assert recording is not None
    return recording, card


def _is_card(message: dict[str, Any]) -> bool:
    return any(str(b.get("block_id", "")).startswith("meeting:") for b in message["blocks"] or [])


def sandbox_test_settings(*, database_url: str, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        storage=StorageSettings(data_dir=data_dir, database_url=database_url),
        http=HttpSettings(host="127.0.0.1", port=0),
        google=GoogleSettings(retry_base_delay=0.01, retry_attempts=3),
        recorder=RecorderSettings(
            ice_servers=(),
            poll_interval=0.05,
            call_timeout=20,
            admit_timeout=10,
            reconnect_window=5,
        ),
        log_format="text",
    )


@contextlib.asynccontextmanager
async def running_sandbox_bot(settings: Settings) -> AsyncIterator[SandboxBot]:
    """The sandbox started with ``settings`` (the app installed), closed on exit."""
    server = await start_sandbox(settings)
    try:
        async with aiohttp.ClientSession() as http:
            yield SandboxBot(server=server, http=http)
    finally:
        await server.close()


@pytest.fixture
async def sandbox_bot(database_url: str, tmp_path: Path) -> AsyncIterator[SandboxBot]:
    """The bot and its stand-ins on one loopback port, on SQLite and on PostgreSQL."""
    settings = sandbox_test_settings(database_url=database_url, data_dir=tmp_path / "data")
    async with running_sandbox_bot(settings) as bot:
        yield bot


@pytest.fixture
async def connected_bot(sandbox_bot: SandboxBot) -> SandboxBot:
    """A sandbox where Alice has linked her Google account."""
    result = await sandbox_bot.consent("U0ALICE")
    assert result["status"] == 200
    return sandbox_bot
