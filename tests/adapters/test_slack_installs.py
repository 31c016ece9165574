"""Workspace clients: cached for a while, forgotten at once on install, revoke or uninstall."""

from __future__ import annotations

from pathlib import Path

from slack_sdk.oauth.installation_store import Bot, FileInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.installs import SlackClients


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _bot(token: str) -> Bot:
    return Bot(
        app_id="A0MEETBOT",
        enterprise_id=None,
        team_id="T0SANDBOX",
        bot_token=token,
        bot_id="B0MEETBOT",
        bot_user_id="U0MEETBOT",
        installed_at=1.0,
    )


def _token(client: AsyncWebClient | None) -> str | None:
    return None if client is None else client.token


async def test_token_is_cached_until_its_ttl_then_read_again(tmp_path: Path) -> None:
    inner = FileInstallationStore(base_dir=str(tmp_path), client_id="c")
    clock = Clock()
    clients = SlackClients(
        new_client=lambda token: AsyncWebClient(token=token),
        installations=inner,
        find_installs=None,
        ttl=60,
        clock=clock,
    )
    await inner.async_save_bot(_bot("xoxb-first"))
    assert _token(await clients.client_for("T0SANDBOX")) == "xoxb-first"
    await inner.async_save_bot(_bot("xoxb-second"))  # another process re-installed
    assert _token(await clients.client_for("T0SANDBOX")) == "xoxb-first"
    clock.now += 61
    assert _token(await clients.client_for("T0SANDBOX")) == "xoxb-second"


async def test_changes_through_the_store_forget_at_once(tmp_path: Path) -> None:
    inner = FileInstallationStore(base_dir=str(tmp_path), client_id="c")
    clients = SlackClients(
        new_client=lambda token: AsyncWebClient(token=token),
        installations=inner,
        find_installs=None,
    )
    await clients.installations.async_save_bot(_bot("xoxb-first"))
    assert _token(await clients.client_for("T0SANDBOX")) == "xoxb-first"
    await clients.installations.async_save_bot(_bot("xoxb-again"))  # a new install
    assert _token(await clients.client_for("T0SANDBOX")) == "xoxb-again"
    await clients.installations.async_delete_bot(enterprise_id=None, team_id="T0SANDBOX")
    assert await clients.client_for("T0SANDBOX") is None
    assert (
        await clients.installations.async_find_bot(enterprise_id=None, team_id="T0SANDBOX") is None
    )
