"""The Slack stand-in as an Enterprise Grid org, and its event retries, seen by a stand-in bot."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.app import Sandbox, SandboxConfig
from sandbox.slack.state import Enterprise
from tests.adapters.sandbox_server import RunningSandbox, running_sandbox


class RecordingBot:
    """Verifies each request, keeps its body and retry headers; answers ``statuses`` in turn."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[dict[str, Any], str | None, str | None]] = []

    def routes(self, app: web.Application, sandbox: Sandbox) -> None:
        sandbox.slack.enterprise = Enterprise()
        sandbox.slack.event_retry_delays = (0.0, 0.0, 0.0)
        verifier = SignatureVerifier(sandbox.slack.app.signing_secret)

        async def events(request: web.Request) -> web.Response:
            raw = await request.read()
            headers = request.headers
            ok = verifier.is_valid(
                body=raw,
                timestamp=headers.get("X-Slack-Request-Timestamp", ""),
                signature=headers.get("X-Slack-Signature", ""),
            )
            assert ok
            if request.content_type == "application/json":
                body = json.loads(raw)
            else:
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                body = json.loads(form["payload"]) if "payload" in form else form
            retry = headers.get("X-Slack-Retry-Num"), headers.get("X-Slack-Retry-Reason")
            self.received.append((body, *retry))
            return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

        app.router.add_post("/slack/events", events)


@pytest.fixture
def bot() -> RecordingBot:
    return RecordingBot()


@pytest.fixture
async def live(bot: RecordingBot) -> AsyncIterator[RunningSandbox]:
    async with running_sandbox(bot_routes=bot.routes, config=SandboxConfig(seed=3)) as running:
        yield running


MENTION = {"text": "new standup", "user": "U0BOB", "channel": "C0GENERAL"}


async def test_grid_payloads_carry_the_org(live: RunningSandbox, bot: RecordingBot) -> None:
    await live.call("POST", "slack/commands", {**MENTION, "text": "help"})
    await live.call("POST", "slack/mentions", MENTION)
    (command, _, _), (envelope, _, _) = bot.received
    assert (command["enterprise_id"], command["is_enterprise_install"]) == ("E0SANDBOX", "true")
    assert command["enterprise_name"] == "Sandbox Org"
    assert envelope["enterprise_id"] == "E0SANDBOX"
    [authorization] = envelope["authorizations"]
    assert authorization["team_id"] is None  # org-wide install
    assert authorization["is_enterprise_install"] is True
    event = envelope["event"]
    [block] = event["blocks"]
    assert block["type"] == "rich_text"
    parts = block["elements"][0]["elements"]
    assert parts == [
        {"type": "user", "user_id": "U0MEETBOT"},
        {"type": "text", "text": " new standup"},
    ]
    assert (event["user_team"], event["source_team"]) == ("T0SANDBOX", "T0SANDBOX")


async def test_org_wide_install_answers_as_slack_does(live: RunningSandbox) -> None:
    token = live.sandbox.slack.issue_bot_token(scopes=("chat:write",))
    client = AsyncWebClient(token=token, base_url=f"{live.base_url}/sandbox/slack/api/")
    auth = await client.auth_test()
    assert (auth["enterprise_id"], auth["is_enterprise_install"]) == ("E0SANDBOX", True)
    teams = await client.auth_teams_list()
    assert [t["id"] for t in teams["teams"]] == ["T0SANDBOX"]


async def test_failed_event_is_retried_with_slack_headers() -> None:
    bot = RecordingBot(500, 503)
    async with running_sandbox(bot_routes=bot.routes) as running:
        status, body = await running.call("POST", "slack/mentions", MENTION)
    assert (status, body["status"]) == (200, 200)
    retries = [(num, reason) for _, num, reason in bot.received]
    assert retries == [(None, None), ("1", "http_error"), ("2", "http_error")]
    assert len({b["event_id"] for b, _, _ in bot.received}) == 1


async def test_retries_can_be_asked_for(live: RunningSandbox, bot: RecordingBot) -> None:
    status, _ = await live.call("POST", "slack/mentions", {**MENTION, "retries": 2})
    assert status == 200
    retries = [(num, reason) for _, num, reason in bot.received]
    assert retries == [(None, None), ("1", "http_timeout"), ("2", "http_timeout")]
