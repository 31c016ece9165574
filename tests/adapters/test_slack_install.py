"""Installing the app through the bot's OAuth routes (Bolt's own flow) and the authorize page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.app import Sandbox
from sandbox.slack.install import InstallError, install_app
from tests.adapters.sandbox_server import BotRoutes, RunningSandbox, running_sandbox

BOT_SCOPES = ("commands", "chat:write", "chat:write.public", "files:write", "users:read")


@pytest.fixture
async def live() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox() as running:
        yield running


def bolt_install_routes(tmp_path: Path) -> BotRoutes:
    """The bot's install routes through Bolt's own OAuth flow, built on the first request."""
    apps: dict[str, AsyncApp] = {}

    def bolt(request: web.Request, sandbox: Sandbox) -> AsyncApp:
        if "app" not in apps:
            base = str(request.url.origin())
            apps["app"] = AsyncApp(
                signing_secret=sandbox.slack.app.signing_secret,
                client=AsyncWebClient(base_url=f"{base}/sandbox/slack/api/"),
                oauth_settings=AsyncOAuthSettings(
                    client_id=sandbox.slack.app.client_id,
                    client_secret=sandbox.slack.app.client_secret,
                    scopes=list(BOT_SCOPES),
                    installation_store=FileInstallationStore(base_dir=str(tmp_path / "i")),
                    state_store=FileOAuthStateStore(
                        expiration_seconds=600, base_dir=str(tmp_path / "s")
                    ),
                    authorization_url=f"{base}/sandbox/slack/oauth/v2/authorize",
                ),
            )
        return apps["app"]

    def add(app: web.Application, sandbox: Sandbox) -> None:
        async def install(request: web.Request) -> web.Response:
            flow = bolt(request, sandbox).oauth_flow
            assert flow is not None
            return await to_aiohttp_response(
                await flow.handle_installation(await to_bolt_request(request))
            )

        async def callback(request: web.Request) -> web.Response:
            flow = bolt(request, sandbox).oauth_flow
            assert flow is not None
            return await to_aiohttp_response(
                await flow.handle_callback(await to_bolt_request(request))
            )

        app.router.add_get("/slack/install", install)
        app.router.add_get("/slack/oauth_redirect", callback)

    return add


# slack_sdk 3.47 builds aiohttp.BasicAuth for oauth.v2.access, deprecated in aiohttp 3.14
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_install_app_through_bolt_oauth(tmp_path: Path) -> None:
    async with running_sandbox(bot_routes=bolt_install_routes(tmp_path)) as live:
        await install_app(bot_base_url=live.base_url, session=live.sandbox.client_session())
        store = FileInstallationStore(base_dir=str(tmp_path / "i"))
        client_id = live.sandbox.slack.app.client_id
        store.client_id = client_id
        installation = await store.async_find_installation(enterprise_id=None, team_id="T0SANDBOX")
        assert installation is not None
        assert installation.bot_user_id == "U0MEETBOT"
        assert installation.user_id == "U0ALICE"
        client = AsyncWebClient(
            token=installation.bot_token, base_url=f"{live.base_url}/sandbox/slack/api/"
        )
        assert (await client.auth_test())["user_id"] == "U0MEETBOT"
        status, body = await live.call("POST", "slack/install")
        assert (status, body) == (200, {"installed": True})


async def test_install_app_fails_without_bot() -> None:
    async with running_sandbox() as live:
        with pytest.raises(InstallError):
            await install_app(bot_base_url=live.base_url, session=live.sandbox.client_session())


async def test_authorize_page_checks_client_and_can_deny(live: RunningSandbox) -> None:
    url = f"{live.base_url}/sandbox/slack/oauth/v2/authorize"
    async with live.client.get(url, params={"client_id": "nope"}) as response:
        assert response.status == 400
    client_id = live.sandbox.slack.app.client_id
    params = {"client_id": client_id, "state": "s1", "redirect_uri": "http://127.0.0.1:9/cb"}
    async with live.client.get(url, params={**params, "interactive": "1"}) as response:
        assert "Allow" in await response.text()
    async with live.client.get(url, params={**params, "deny": "1"}, allow_redirects=False) as r:
        assert r.headers["Location"] == "http://127.0.0.1:9/cb?error=access_denied&state=s1"
