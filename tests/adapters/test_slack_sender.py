"""Signed requests from the Slack emulator to a stand-in bot, and response_url semantics."""

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
from tests.adapters.sandbox_server import RunningSandbox, running_sandbox


class StandInBot:
    """A real aiohttp handler at ``/slack/events`` that verifies signatures, then answers."""

    def __init__(self, *, secret: str | None = None) -> None:
        self.secret = secret
        self.received: list[dict[str, Any]] = []

    def routes(self, app: web.Application, sandbox: Sandbox) -> None:
        verifier = SignatureVerifier(self.secret or sandbox.slack.app.signing_secret)

        async def events(request: web.Request) -> web.Response:
            raw = await request.read()
            if not verifier.is_valid(
                body=raw,
                timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
                signature=request.headers.get("X-Slack-Signature", ""),
            ):
                return web.json_response({"error": "invalid request"}, status=401)
            if request.content_type == "application/json":
                self.received.append(json.loads(raw))
                return web.Response()
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            if "payload" in form:
                self.received.append(json.loads(form["payload"]))
                return web.Response()
            self.received.append(form)
            public = form["text"].startswith("public")
            reply = {"text": f"Got `{form['text']}`"}
            return web.json_response({**reply, "response_type": "in_channel"} if public else reply)

        app.router.add_post("/slack/events", events)


@pytest.fixture
def bot() -> StandInBot:
    return StandInBot()


@pytest.fixture
async def live(bot: StandInBot) -> AsyncIterator[RunningSandbox]:
    async with running_sandbox(bot_routes=bot.routes) as running:
        yield running


async def command(live: RunningSandbox, text: str, user: str = "U0ALICE") -> dict[str, Any]:
    status, body = await live.call(
        "POST", "slack/commands", {"text": text, "user": user, "channel": "C0GENERAL"}
    )
    assert status == 200, body
    return dict(body)


async def respond(url: str, live: RunningSandbox, payload: dict[str, Any]) -> tuple[int, Any]:
    async with live.client.post(url, json=payload) as response:
        return response.status, await response.json()


async def test_slash_command_is_signed_and_ack_shown(live: RunningSandbox, bot: StandInBot) -> None:
    result = await command(live, "new standup")
    assert result["status"] == 200
    assert result["ack"] == {"text": "Got `new standup`"}
    assert result["elapsed_ms"] > 0
    sent = bot.received[0]
    assert (sent["command"], sent["text"], sent["user_id"]) == ("/meet", "new standup", "U0ALICE")
    assert (sent["team_id"], sent["channel_id"], sent["channel_name"]) == (
        "T0SANDBOX",
        "C0GENERAL",
        "general",
    )
    assert sent["response_url"].startswith(f"{live.base_url}/sandbox/slack/response/")
    assert sent["trigger_id"]
    shown = await live.messages("C0GENERAL")
    assert [(m["text"], m["ephemeral_to"]) for m in shown] == [("Got `new standup`", "U0ALICE")]
    await command(live, "public hello")
    assert (await live.messages("C0GENERAL"))[1]["ephemeral_to"] is None


async def test_wrong_secret_is_refused_by_the_bot() -> None:
    bot = StandInBot(secret="not-the-sandbox-secret")
    async with running_sandbox(bot_routes=bot.routes) as live:
        result = await command(live, "help")
    assert result["status"] == 401
    assert result["ack"] == {"error": "invalid request"}
    assert bot.received == []


async def test_fixed_signing_secret_from_config() -> None:
    bot = StandInBot(secret="fixed-secret")
    config = SandboxConfig(seed=1, signing_secret="fixed-secret")
    async with running_sandbox(bot_routes=bot.routes, config=config) as live:
        assert (await command(live, "help"))["status"] == 200
        status, body = await live.call("GET", "config")
        assert (status, body["signing_secret"]) == (200, "fixed-secret")


async def test_app_mention_event(live: RunningSandbox, bot: StandInBot) -> None:
    for _ in range(2):
        status, body = await live.call(
            "POST",
            "slack/mentions",
            {"text": "new standup", "user": "U0BOB", "channel": "C0GENERAL"},
        )
        assert (status, body["status"]) == (200, 200)
    first, second = bot.received
    assert first["type"] == "event_callback"
    assert first["event_id"] != second["event_id"]
    event = first["event"]
    assert (event["type"], event["text"], event["user"]) == (
        "app_mention",
        "<@U0MEETBOT> new standup",
        "U0BOB",
    )
    typed = await live.messages("C0GENERAL", all="1")
    assert typed[0]["ts"] == event["ts"]
    assert typed[0]["user"] == "U0BOB"
    assert await live.messages("C0GENERAL") == []


async def test_mention_needs_the_bot_in_channel(live: RunningSandbox) -> None:
    body = {"text": "hi", "user": "U0BOB", "channel": "C0RANDOM"}
    status, answer = await live.call("POST", "slack/mentions", body)
    assert status == 409
    assert "invite" in answer["error"]
    assert (await live.call("POST", "slack/invite", {"channel": "C0RANDOM"}))[0] == 200
    assert (await live.call("POST", "slack/mentions", body))[1]["status"] == 200


async def post_card(live: RunningSandbox) -> str:
    token = live.sandbox.slack.issue_bot_token(scopes=("chat:write",))
    client = AsyncWebClient(token=token, base_url=f"{live.base_url}/sandbox/slack/api/")
    record = {
        "type": "button",
        "action_id": "meet_record",
        "value": "spaces/abc",
        "style": "primary",
        "text": {"type": "plain_text", "text": "Record"},
    }
    posted = await client.chat_postMessage(
        channel="C0GENERAL",
        text="Standup",
        blocks=[{"type": "actions", "block_id": "meet", "elements": [record]}],
    )
    return str(posted["ts"])


async def click(live: RunningSandbox, ts: str, action_id: str = "meet_record") -> tuple[int, Any]:
    body = {"channel": "C0GENERAL", "message_ts": ts, "action_id": action_id, "user": "U0CAROL"}
    return await live.call("POST", "slack/actions", body)


async def test_block_actions(live: RunningSandbox, bot: StandInBot) -> None:
    ts = await post_card(live)
    status, body = await click(live, ts)
    assert (status, body["status"]) == (200, 200)
    payload = bot.received[0]
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == "U0CAROL"
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C0GENERAL",
        "is_ephemeral": False,
    }
    assert payload["message"]["ts"] == ts
    assert payload["message"]["blocks"][0]["block_id"] == "meet"
    action = payload["actions"][0]
    assert (action["action_id"], action["value"], action["block_id"]) == (
        "meet_record",
        "spaces/abc",
        "meet",
    )
    assert payload["response_url"].startswith(live.base_url)
    assert (await click(live, ts, "meet_nope"))[0] == 404
    assert (await click(live, "1.000001"))[0] == 404


async def test_response_url_from_action_replaces_and_deletes(
    live: RunningSandbox, bot: StandInBot
) -> None:
    ts = await post_card(live)
    await click(live, ts)
    url = bot.received[0]["response_url"]
    assert await respond(url, live, {"replace_original": True, "text": "Recording"}) == (
        200,
        {"ok": True},
    )
    card = (await live.messages("C0GENERAL"))[0]
    assert (card["ts"], card["text"], card["updated"], card["blocks"]) == (ts, "Recording", 1, [])
    await respond(url, live, {"delete_original": True})
    assert await live.messages("C0GENERAL") == []


async def test_response_url_from_command(live: RunningSandbox, bot: StandInBot) -> None:
    ts = await post_card(live)
    await command(live, "status")
    url = bot.received[0]["response_url"]
    await respond(url, live, {"text": "only you"})
    await respond(url, live, {"text": "everyone", "response_type": "in_channel"})
    await respond(url, live, {"text": "in thread", "response_type": "in_channel", "thread_ts": ts})
    await respond(url, live, {"text": "again", "replace_original": True})
    shown = [
        (m["text"], m["ephemeral_to"], m["thread_ts"]) for m in await live.messages("C0GENERAL")
    ]
    assert shown[2:] == [
        ("only you", "U0ALICE", None),
        ("everyone", None, None),
        ("in thread", None, ts),
        ("again", "U0ALICE", None),
    ]
    assert await respond(url, live, {"text": "fifth"}) == (200, {"ok": True})
    assert await respond(url, live, {"text": "sixth"}) == (404, {"ok": False, "error": "used_url"})


async def test_response_url_expires_after_30_minutes(live: RunningSandbox, bot: StandInBot) -> None:
    await command(live, "status")
    url = bot.received[0]["response_url"]
    assert (await respond(url, live, {}))[1]["error"] == "no_text"
    workspace = live.sandbox.slack
    now = workspace.clock()
    workspace.clock = lambda: now + 30 * 60 + 1
    assert await respond(url, live, {"text": "late"}) == (
        404,
        {"ok": False, "error": "expired_url"},
    )
