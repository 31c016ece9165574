"""One deployment mode, as an operator runs it: MEETBOT_* variables pointing at the stand-ins
(`meetbot emulators`, served apart), `load_settings`, `check_production`, `start_production`."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app.modes import Production, start_production
from bot.app.runtime import RUNTIME, Runtime
from bot.app.server import RunningServer, bind, listen
from bot.settings import SlackSettings, check_production, load_settings
from sandbox.app import SANDBOX_KEY, Sandbox, SandboxConfig, sandbox_app
from sandbox.control.chat import bot_gchat_settings
from sandbox.control.google import bot_google_settings
from sandbox.control.slack import bot_slack_settings
from storage.crypto import generate_key

Env = dict[str, str]


@dataclass(frozen=True, slots=True)
class Mode:
    """A documented deployment mode: which settings groups an operator sets."""

    name: str
    slack: tuple[str, ...] = ()
    bot_token: bool = False
    gchat: str | None = None  # the Chat audience mode
    grid: bool = False
    socket: bool = False

    @property
    def signed_http(self) -> bool:
        return "signing_secret" in self.slack

    @property
    def oauth(self) -> bool:
        return "client_id" in self.slack


HTTP_OAUTH = ("signing_secret", "client_id", "client_secret", "api_base_url", "authorize_url")
SOCKET_OAUTH = ("client_id", "client_secret", "api_base_url", "authorize_url")
MODES = [
    Mode("slack-oauth", slack=HTTP_OAUTH),
    Mode("slack-grid-org", slack=HTTP_OAUTH, grid=True),
    Mode("slack-bot-token", slack=("signing_secret", "api_base_url"), bot_token=True),
    Mode("socket-bot-token", slack=("api_base_url",), bot_token=True, socket=True),
    Mode("socket-oauth", slack=SOCKET_OAUTH, socket=True),
    Mode(
        "socket-with-signing-secret",
        slack=("signing_secret", "api_base_url"),
        bot_token=True,
        socket=True,
    ),
    Mode("chat-project-number", gchat="project_number"),
    Mode("chat-endpoint-url", gchat="endpoint_url"),
    Mode("slack-and-chat", slack=HTTP_OAUTH, gchat="project_number"),
]


@dataclass
class Stack:
    """The bot started as `meetbot serve` does, and the stand-ins it talks to."""

    mode: Mode
    bot: Production
    emulators: RunningServer
    http: aiohttp.ClientSession

    @property
    def sandbox(self) -> Sandbox:
        return self.emulators.app[SANDBOX_KEY]

    @property
    def runtime(self) -> Runtime:
        return self.bot.server.app[RUNTIME]

    async def api(self, method: str, path: str, body: Any = None) -> Any:
        url = f"{self.emulators.base_url}/sandbox/api/{path}"
        async with self.http.request(method, url, json=body) as resp:
            data = await resp.json()
            assert resp.status < 400, f"{path}: {resp.status} {data}"
            return data

    async def post_bot(self, path: str, body: str, headers: dict[str, str]) -> int:
        async with self.http.post(f"{self.bot.base_url}{path}", data=body, headers=headers) as r:
            return r.status

    async def slack_messages(self, channel: str = "C0GENERAL") -> list[dict[str, Any]]:
        await self.runtime.supervisor.join()
        return list((await self.api("GET", f"slack/messages?channel={channel}"))["messages"])

    async def chat_messages(self, space: str = "spaces/AAAAsandbox") -> list[dict[str, Any]]:
        await self.runtime.supervisor.join()
        return list((await self.api("GET", f"chat/messages?space={space}"))["messages"])


def _group(prefix: str, values: dict[str, str], keys: tuple[str, ...] | None = None) -> Env:
    return {
        f"MEETBOT_{prefix}_{k.upper()}": v for k, v in values.items() if keys is None or k in keys
    }


def mode_env(mode: Mode, *, sandbox: Sandbox, emulators_url: str, bot_url: str, data: Path) -> Env:
    """The variables an operator sets for ``mode`` (the stand-ins' URLs and secrets)."""
    env: Env = {
        "MEETBOT_STORAGE_DATA_DIR": str(data),
        "MEETBOT_STORAGE_TOKEN_KEY": generate_key(),
        "MEETBOT_HTTP_PUBLIC_URL": bot_url,
        "MEETBOT_RECORDER_ICE_SERVERS": "[]",
        "MEETBOT_TRANSCRIPTION_ENABLED": "false",
        "MEETBOT_VIDEO_ENABLED": "false",
        "MEETBOT_ARTIFACTS_ENABLED": "false",
        "MEETBOT_LOG_FORMAT": "text",
        **_group("GOOGLE", bot_google_settings(base_url=emulators_url)),
        **_group("SLACK", bot_slack_settings(sandbox.slack, base_url=emulators_url), mode.slack),
    }
    if mode.bot_token:
        scopes = SlackSettings().scopes
        env["MEETBOT_SLACK_BOT_TOKEN"] = sandbox.slack.issue_bot_token(scopes=scopes)
    if mode.socket:
        env["MEETBOT_SLACK_APP_TOKEN"] = sandbox.slack.app_token
    if mode.gchat is not None:
        chat = sandbox.chat
        chat.config.audience_mode = mode.gchat  # type: ignore[assignment]
        chat.config.endpoint_url = f"{bot_url}/chat/events"
        gchat = bot_gchat_settings(base_url=emulators_url, config=chat.config, keys=chat.keys)
        env.update(_group("GCHAT", gchat))
    return env


@asynccontextmanager
async def running_mode(
    mode: Mode, *, data: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Stack]:
    """Stand-ins on their own port, then the bot from the environment through
    `start_production` (the OAuth modes install through the bot's real routes)."""
    bot_sock = bind("127.0.0.1", 0)
    bot_url = f"http://127.0.0.1:{bot_sock.getsockname()[1]}"
    app = sandbox_app(bot_url, config=SandboxConfig(seed=12, enterprise=mode.grid))
    emulators = await listen(app, bind("127.0.0.1", 0))
    try:
        env = mode_env(
            mode,
            sandbox=app[SANDBOX_KEY],
            emulators_url=emulators.base_url,
            bot_url=bot_url,
            data=data,
        )
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        async with _bot(bot_sock) as bot, aiohttp.ClientSession() as http:
            stack = Stack(mode=mode, bot=bot, emulators=emulators, http=http)
            if mode.oauth:
                await stack.api("POST", "slack/install")
            yield stack
    finally:
        await emulators.close()


@asynccontextmanager
async def _bot(sock: socket.socket) -> AsyncIterator[Production]:
    settings = load_settings()
    check_production(settings)
    bot = await start_production(settings, sock=sock)
    try:
        yield bot
    finally:
        await bot.close()


def find_link(ack: Any, pattern: Callable[[str], bool]) -> str | None:
    """The first URL in a reply (JSON) that ``pattern`` accepts."""
    for token in json.dumps(ack).replace('"', " ").replace("|", " ").split():
        if token.startswith("http") and pattern(token):
            return token.rstrip(">")
    return None
