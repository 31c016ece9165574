"""Every documented deployment mode starts the way `meetbot serve` starts it, serves one real
command against the stand-ins, and lets no unsigned or forged request in."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.app.runtime import SETTINGS
from bot.core.replies import Reply
from bot.slack import app as slack_app
from sandbox.google.oauth import consent_url
from storage.db import create_engine
from storage.slack_orgs import installs_for_team
from tests.fixtures_bot import eventually
from tests.modes_stack import MODES, Mode, Stack, running_mode

_AUTH_URL = re.compile(r"https?://[^\s<>|\"\\]+/o/oauth2/(?:v2/)?auth\?[^\s<>|\"\\]+")
SPACE = "spaces/AAAAsandbox"


def _signed(secret: str, body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def _command(text: str) -> str:
    fields = {"team_id": "T0SANDBOX", "channel_id": "C0GENERAL", "user_id": "U0ALICE"}
    return urlencode({**fields, "command": "/meet", "text": text, "api_app_id": "A0MEETBOT"})


def _cards(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if "meeting:" in json.dumps(m.get("blocks") or [])]


def _chat_cards(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if "meeting-" in json.dumps(m.get("cardsV2") or [])]


def _slack_routes(stack: Stack) -> set[str]:
    resources = stack.bot.server.app.router.resources()
    return {r.canonical for r in resources if r.canonical.startswith("/slack/")}


async def _forged_requests_run_nothing(stack: Stack) -> None:
    """Unsigned and forged requests to each route: 401, or 404 where it is not mounted."""
    expected = {"/slack/events"} if stack.mode.signed_http else set()
    if stack.mode.oauth:
        expected |= {"/slack/install", "/slack/oauth_redirect"}
    assert _slack_routes(stack) == expected
    before = (await stack.slack_messages(), await _chat_all(stack))
    body = _command("new forged")
    slack = 401 if stack.mode.signed_http else 404
    assert await stack.post_bot("/slack/events", body, {}) == slack
    assert await stack.post_bot("/slack/events", body, _signed("forged", body)) == slack
    event = json.dumps({"type": "MESSAGE", "message": {"text": "/meet new forged"}})
    chat = 401 if stack.mode.gchat else 404
    json_type = {"Content-Type": "application/json"}
    assert await stack.post_bot("/chat/events", event, json_type) == chat
    forged = {**json_type, "Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}
    assert await stack.post_bot("/chat/events", event, forged) == chat
    assert (await stack.slack_messages(), await _chat_all(stack)) == before


async def _chat_all(stack: Stack) -> list[dict[str, Any]]:
    return await stack.chat_messages() if stack.mode.gchat else []


async def _slack_command_lands(stack: Stack) -> None:
    """Google sign-in (its notice is posted outside any request), then `/meet new`."""
    consent = await stack.api("POST", "google/consent", {"user": "U0ALICE"})
    assert consent["status"] == 200

    async def connected() -> bool:
        texts = [m["text"] for m in await stack.slack_messages() if m.get("ephemeral_to")]
        return any("connected" in t.lower() for t in texts)

    await eventually(connected, what="the connected notice")
    await _forged_requests_run_nothing(stack)
    body = {"text": "new standup", "user": "U0ALICE", "channel": "C0GENERAL"}
    result = await stack.api("POST", "slack/commands", body)
    assert result["status"] == 200
    [card] = await eventually(lambda: _slack_cards(stack), what="the card")
    assert "standup" in json.dumps(card["blocks"])


async def _slack_cards(stack: Stack) -> list[dict[str, Any]]:
    return _cards(await stack.slack_messages())


async def _chat_command_lands(stack: Stack) -> None:
    body = {"text": "connect", "user": "alice", "space": SPACE}
    result = await stack.api("POST", "chat/commands", body)
    match = _AUTH_URL.search(json.dumps(result["response"]))
    assert match, result
    async with stack.http.get(consent_url(match.group(0), email="alice@sandbox.example")) as r:
        assert r.status == 200
    await _forged_requests_run_nothing(stack)
    body["text"] = "new planning"
    assert (await stack.api("POST", "chat/commands", body))["status"] == 200

    async def cards() -> list[dict[str, Any]]:
        return _chat_cards(await stack.chat_messages())

    [card] = await eventually(cards, what="the Chat card")
    assert "planning" in json.dumps(card)


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.name)
async def test_mode_starts_and_serves_a_signed_command(
    mode: Mode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_mode(mode, data=tmp_path / "data", monkeypatch=monkeypatch) as stack:
        if mode.socket:  # the stand-in then sends everything over the websocket, not HTTP

            async def connected() -> bool:
                return bool((await stack.api("GET", "config"))["socket_mode_connected"])

            await eventually(connected, what="the Socket Mode connection")
        if mode.slack:
            await _slack_command_lands(stack)
        if mode.gchat:
            await _chat_command_lands(stack)


GRID = next(m for m in MODES if m.grid)


async def test_grid_org_wide_install_serves_its_workspace_in_and_out_of_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    async with running_mode(GRID, data=data, monkeypatch=monkeypatch) as stack:
        ports = stack.runtime.slack_ports
        assert ports is not None
        bot = await ports.stores.installations.async_find_bot(
            enterprise_id="E0SANDBOX", team_id=None, is_enterprise_install=True
        )
        assert bot is not None
        assert bot.team_id is None  # org-wide: no team, as Slack answers
        await _slack_command_lands(stack)
        [card] = await _slack_cards(stack)
        click = {"channel": "C0GENERAL", "message_ts": card["ts"], "action_id": "meet_end"}
        assert (await stack.api("POST", "slack/actions", {**click, "user": "U0ALICE"}))[
            "status"
        ] == 200

        async def ended() -> bool:
            return any("Ended" in c["text"] for c in await _slack_cards(stack))

        await eventually(ended, what="the card edited to ended")
        # a thread post outside any request, by a bot that has seen no request from this
        # team (as after a restart): the team's org is found with auth.teams.list
        settings = stack.bot.server.app[SETTINGS]
        engine = create_engine(settings.storage.resolved_database_url())
        fresh = slack_app.ports(
            settings.slack,
            session=ports.session,
            stores=ports.stores,
            find_installs=partial(
                installs_for_team, engine, client_id=str(settings.slack.client_id)
            ),
        )
        try:
            notice = Reply(text="Recording stopped by the org")
            await fresh.threads.post(
                team_id="T0SANDBOX", channel_id="C0GENERAL", thread_id=card["ts"], reply=notice
            )
        finally:
            await engine.dispose()
        in_thread = [m for m in await stack.slack_messages() if m["thread_ts"] == card["ts"]]
        assert [m["text"] for m in in_thread] == ["Recording stopped by the org"]


OAUTH = next(m for m in MODES if m.name == "slack-oauth")


@pytest.mark.parametrize(
    "event",
    [
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0MEETBOT"]}},
        {"type": "app_uninstalled"},
    ],
    ids=["tokens_revoked", "app_uninstalled"],
)
async def test_revoked_or_uninstalled_workspace_loses_its_cached_client(
    event: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_mode(OAUTH, data=tmp_path / "data", monkeypatch=monkeypatch) as stack:
        ports = stack.runtime.slack_ports
        assert ports is not None
        assert await ports.clients.client_for("T0SANDBOX") is not None  # cached from here on
        envelope = {
            "type": "event_callback",
            "team_id": "T0SANDBOX",
            "api_app_id": "A0MEETBOT",
            "event_id": f"Ev0{event['type'].upper()}",
            "event_time": int(time.time()),
            "event": {**event, "event_ts": f"{time.time():.6f}"},
            "authorizations": [{"team_id": "T0SANDBOX", "user_id": "U0MEETBOT", "is_bot": True}],
        }
        body = json.dumps(envelope)
        secret = stack.sandbox.slack.app.signing_secret
        headers = {**_signed(secret, body), "Content-Type": "application/json"}
        assert await stack.post_bot("/slack/events", body, headers) == 200

        async def gone() -> bool:
            return await ports.clients.client_for("T0SANDBOX") is None

        await eventually(gone, what="the workspace's client to be forgotten")


def test_meetbot_serve_names_what_a_mode_misses(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
    env |= {
        "MEETBOT_GCHAT_AUDIENCE_MODE": "endpoint_url",
        "MEETBOT_GCHAT_AUDIENCE": "424242424242",
        "MEETBOT_GOOGLE_CLIENT_ID": "id",
        "MEETBOT_GOOGLE_CLIENT_SECRET": "secret",
        "MEETBOT_STORAGE_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--port", "0"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = [line.strip() for line in done.stderr.splitlines()[1:]]
    assert lines == [
        "MEETBOT_STORAGE_TOKEN_KEY (generate one with `meetbot keygen`)",
        "Google Chat needs MEETBOT_GCHAT_SERVICE_ACCOUNT_FILE (or _SERVICE_ACCOUNT_INFO)",
        "Google Chat endpoint_url mode needs MEETBOT_GCHAT_AUDIENCE = the endpoint URL "
        "(https://.../chat/events)",
    ]
