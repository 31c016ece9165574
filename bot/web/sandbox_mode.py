"""Sandbox mode: the real bot, pointed at the local Slack and Google stand-ins in one process."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import SecretStr

from bot.settings import ArtifactsSettings, GChatSettings, GoogleSettings, Settings, SlackSettings
from bot.web import server
from sandbox.app import SandboxConfig, add_sandbox_routes, build_sandbox
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


async def start_sandbox(
    settings: Settings, *, data_dir: Path | None = None
) -> server.RunningServer:
    """Start bot + stand-ins on one port and install the app through its real OAuth routes."""
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
    running = await server.start(
        bot_settings,
        sock=sock,
        base_url=base_url,
        extend=lambda app: add_sandbox_routes(app, sandbox),
    )
    try:
        await sandbox.install(bot_base_url=base_url)
    except BaseException:
        await running.close()
        raise
    logger.info("sandbox workspace installed the app")
    return running
