"""Sandbox mode: the real bot, pointed at the local Slack and Google stand-ins in one process."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from pydantic import SecretStr

from bot.app import server
from bot.settings import ArtifactsSettings, GChatSettings, GoogleSettings, Settings, SlackSettings
from bot.web.pages import READINESS
from sandbox.app import Sandbox, SandboxConfig, add_sandbox_routes, build_sandbox
from storage.crypto import generate_key
from storage.files import write_private

logger = logging.getLogger(__name__)


def _token_key(data_dir: Path) -> str:
    """The sandbox's own token key, kept beside its database so restarts can read tokens."""
    path = data_dir / "sandbox-token.key"
    if path.exists():
        return path.read_text().strip()
    key = generate_key()
    write_private(path, key)  # 0600 before the key is written; the data dir 0700
    return key


def sandbox_settings(
    settings: Settings, *, groups: dict[str, dict[str, str]], data_dir: Path
) -> Settings:
    """``settings`` with Slack and Google pointed at the stand-ins; only URLs and secrets differ."""
    storage = settings.storage.model_copy(
        update={
            "data_dir": data_dir,
            "token_key": settings.storage.token_key or SecretStr(_token_key(data_dir)),
        }
    )
    return settings.model_copy(
        update={
            "sandbox": True,
            "slack": SlackSettings.model_validate(
                {**settings.slack.model_dump(), **groups["slack"]}
            ),
            "google": GoogleSettings.model_validate(
                {**settings.google.model_dump(), **groups["google"]}
            ),
            **_gchat(settings, groups),
            "storage": storage,
            # loopback WebRTC with the Meet emulator: no STUN
            "recorder": settings.recorder.model_copy(update={"ice_servers": ()}),
            "artifacts": _artifacts(settings),
        }
    )


SANDBOX_ARTIFACT_DELAYS = (3.0, 2.0, 4.0, 8.0, 16.0)
"""The Meet emulator generates its artifacts 5 s after a call, not minutes as Meet does."""


def _artifacts(settings: Settings) -> ArtifactsSettings:
    if settings.artifacts.delays != ArtifactsSettings().delays:
        return settings.artifacts  # the operator chose
    return settings.artifacts.model_copy(update={"delays": SANDBOX_ARTIFACT_DELAYS})


def _gchat(settings: Settings, groups: dict[str, dict[str, str]]) -> dict[str, GChatSettings]:
    """The Chat emulator's ``gchat`` group, when the sandbox provides one."""
    if "gchat" not in groups:
        return {}
    merged = {**settings.gchat.model_dump(), **groups["gchat"]}
    return {"gchat": GChatSettings.model_validate(merged)}


SANDBOX_INSTALL = "the sandbox workspace installing the app"


@dataclass(frozen=True, slots=True)
class StartingSandbox:
    """Bot and stand-ins serving, the app not installed yet: `/healthz` answers 503."""

    running: server.RunningServer
    sandbox: Sandbox

    async def install(self) -> None:
        """Install the app through its real OAuth routes; the bot is ready after it."""
        await self.sandbox.install(bot_base_url=self.running.base_url)
        self.running.app[READINESS].release(SANDBOX_INSTALL)
        logger.info("sandbox workspace installed the app")


async def open_sandbox(settings: Settings, *, data_dir: Path | None = None) -> StartingSandbox:
    """Start bot + stand-ins on one port, not ready until `StartingSandbox.install`."""
    sock = server.bind(settings.http.host, settings.http.port)
    base_url = settings.http.base_url(int(sock.getsockname()[1]))
    app_token = settings.slack.app_token
    sandbox = build_sandbox(
        SandboxConfig(
            bot_url=base_url,
            base_url=base_url,
            app_token=app_token.get_secret_value() if app_token else None,
        )
    )
    bot_settings = sandbox_settings(
        settings,
        groups=sandbox.bot_settings(base_url=base_url),
        data_dir=data_dir or settings.storage.data_dir,
    )

    def extend(app: web.Application) -> None:
        add_sandbox_routes(app, sandbox)
        app[READINESS].hold(SANDBOX_INSTALL)  # before the server listens

    running = await server.start(bot_settings, sock=sock, base_url=base_url, extend=extend)
    return StartingSandbox(running=running, sandbox=sandbox)


async def start_sandbox(
    settings: Settings, *, data_dir: Path | None = None
) -> server.RunningServer:
    """Start bot + stand-ins on one port and install the app: ready when it returns."""
    starting = await open_sandbox(settings, data_dir=data_dir)
    try:
        await starting.install()
    except BaseException:
        await starting.running.close()
        raise
    return starting.running
