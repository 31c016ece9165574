"""Workspace clients: cached for a while, forgotten at once on install, revoke or uninstall."""

from __future__ import annotations

from pathlib import Path

from slack_sdk.oauth.installation_store import Bot, FileInstallationStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.slack.installs import SlackClients
from storage.crypto import TokenCipher
from storage.slack_orgs import InstallKey, installs_for_team
from storage.slack_stores import build_slack_stores


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


def _stored(enterprise_id: str | None, team_id: str | None, *, org_wide: bool) -> Bot:
    return Bot(
        app_id="A0MEETBOT",
        enterprise_id=enterprise_id,
        team_id=team_id,
        is_enterprise_install=org_wide,
        bot_token=f"xoxb-{enterprise_id}-{team_id}",
        bot_id="B0MEETBOT",
        bot_user_id="U0MEETBOT",
        installed_at=2.0,
    )


async def test_a_team_is_served_by_its_own_install_or_an_org_wide_one(
    engine: AsyncEngine, cipher: TokenCipher
) -> None:
    installations, _ = build_slack_stores(engine=engine, client_id="c", cipher=cipher)
    await installations.async_save_bot(_stored(None, "T0OWN", org_wide=False))
    await installations.async_save_bot(_stored("E0GRID", "T0GRIDWS", org_wide=False))
    await installations.async_save_bot(_stored("E0ORG", None, org_wide=True))
    own = await installs_for_team(engine, "T0OWN", client_id="c")
    assert own == [InstallKey(None, "T0OWN", False), InstallKey("E0ORG", None, True)]
    in_grid = await installs_for_team(engine, "T0GRIDWS", client_id="c")
    assert in_grid[0] == InstallKey("E0GRID", "T0GRIDWS", False)
    assert await installs_for_team(engine, "T0OWN", client_id="other") == []
