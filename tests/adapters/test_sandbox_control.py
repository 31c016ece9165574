"""The sandbox control API: validation, config, message listing, Google sign-in, Meet calls."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.app import Sandbox, SandboxConfig
from tests.adapters.sandbox_server import RunningSandbox, running_sandbox


class ConnectBot:
    """Stand-in bot: answers ``/meet connect`` with a Google sign-in link, now or later."""

    def __init__(self, *, late: bool = False) -> None:
        self.late = late
        self.tasks: list[asyncio.Task[None]] = []
        self.tokens: dict[str, str] = {}

    def routes(self, app: web.Application, sandbox: Sandbox) -> None:
        verifier = SignatureVerifier(sandbox.slack.app.signing_secret)

        async def events(request: web.Request) -> web.Response:
            raw = await request.read()
            headers = request.headers
            if not verifier.is_valid(
                body=raw,
                timestamp=headers["X-Slack-Request-Timestamp"],
                signature=headers["X-Slack-Signature"],
            ):
                return web.Response(status=401)
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            link = self.auth_url(str(request.url.origin()), form.get("user_id", ""))
            # mrkdwn escapes "&" as "&amp;"
            text = f"<{link.replace('&', '&amp;')}|Connect Google>"
            if not self.late:
                return web.json_response({"text": text})
            self.tasks.append(asyncio.create_task(self.respond(form["response_url"], text)))
            return web.Response()

        async def callback(request: web.Request) -> web.Response:
            base = str(request.url.origin())
            form = {
                "grant_type": "authorization_code",
                "code": request.query["code"],
                "redirect_uri": f"{base}/oauth/google/callback",
                "client_id": "meetbot-sandbox.apps.googleusercontent.com",
                "client_secret": "meetbot-sandbox-client-secret",
            }
            async with aiohttp.ClientSession() as session:
                url = f"{base}/sandbox/google/oauth2/token"
                async with session.post(url, data=form) as response:
                    if response.status != 200:
                        return web.Response(status=400, text=await response.text())
                    self.tokens[request.query["state"]] = (await response.json())["access_token"]
            return web.Response(text="Connected")

        app.router.add_post("/slack/events", events)
        app.router.add_get("/oauth/google/callback", callback)

    @staticmethod
    def auth_url(base: str, user: str) -> str:
        query = {
            "client_id": "meetbot-sandbox.apps.googleusercontent.com",
            "redirect_uri": f"{base}/oauth/google/callback",
            "response_type": "code",
            "scope": "openid email https://www.googleapis.com/auth/meetings.space.created",
            "state": user,
        }
        return f"{base}/sandbox/google/o/oauth2/auth?{urlencode(query)}"

    async def respond(self, url: str, text: str) -> None:
        async with aiohttp.ClientSession() as session, session.post(url, json={"text": text}):
            pass


@pytest.fixture
async def live() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox(bot_routes=ConnectBot().routes) as running:
        yield running


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        ("slack/commands", {"text": "help", "channel": "C0GENERAL"}, "'user'"),
        ("slack/commands", {"text": "help", "user": "alice", "channel": "C0GENERAL"}, "user id"),
        ("slack/commands", {"text": 3, "user": "U0ALICE", "channel": "C0GENERAL"}, "'text'"),
        ("slack/commands", {"text": "help", "user": "U0ALICE", "channel": "C0NOPE"}, "channel"),
        ("slack/commands", ["not", "an", "object"], "JSON object"),
        ("slack/mentions", {"text": "hi", "user": "U0BOB"}, "'channel'"),
        ("slack/actions", {"channel": "C0GENERAL", "user": "U0BOB"}, "'message_ts'"),
        ("slack/faults", {"method": "chat.teleport"}, "unknown Web API method"),
        ("slack/faults", {"method": "chat.update", "count": 0}, "'count'"),
        ("slack/invite", {"channel": "C0NOPE"}, "unknown channel"),
        ("google/consent", {}, "'user'"),
        ("meet/conferences", {"space": "spaces/x", "participants": "Alice"}, "participants"),
        ("meet/conferences/end", {}, "'space'"),
    ],
)
async def test_malformed_requests_get_400(
    live: RunningSandbox, path: str, body: Any, needle: str
) -> None:
    status, answer = await live.call("POST", path, body)
    assert status == 400
    assert needle in answer["error"]


async def test_body_must_be_json(live: RunningSandbox) -> None:
    url = f"{live.base_url}/sandbox/api/slack/commands"
    async with live.client.post(url, data="text=help") as response:
        assert response.status == 400
        assert "JSON" in (await response.json())["error"]


async def test_messages_query_is_validated(live: RunningSandbox) -> None:
    assert (await live.call("GET", "slack/messages"))[0] == 400
    assert (await live.call("GET", "slack/messages?channel=C0NOPE"))[0] == 400


async def test_config(live: RunningSandbox) -> None:
    status, config = await live.call("GET", "config")
    assert status == 200
    app = live.sandbox.slack.app
    assert config["signing_secret"] == app.signing_secret
    assert (config["team_id"], config["bot_user_id"], config["app_id"]) == (
        "T0SANDBOX",
        "U0MEETBOT",
        "A0MEETBOT",
    )
    urls = config["urls"]
    assert urls["slack_api"] == f"{live.base_url}/sandbox/slack/api/"
    assert urls["bot"] == live.base_url
    assert urls["google_oauth"] == f"{live.base_url}/sandbox/google/o/oauth2/auth"
    assert urls["meet"].startswith(f"{live.base_url}/sandbox/google/")
    assert config["bot_settings"]["slack"]["client_id"] == app.client_id
    assert [c["id"] for c in config["channels"]] == ["C0GENERAL", "C0RANDOM"]
    assert [u["id"] for u in config["users"]] == ["U0ALICE", "U0BOB", "U0CAROL"]


async def test_messages_listing(live: RunningSandbox) -> None:
    token = live.sandbox.slack.issue_bot_token(scopes=("chat:write", "files:write"))
    client = AsyncWebClient(token=token, base_url=f"{live.base_url}/sandbox/slack/api/")
    card = await client.chat_postMessage(channel="C0GENERAL", text="card")
    await client.chat_update(channel="C0GENERAL", ts=card["ts"], text="card v2")
    await client.chat_postEphemeral(channel="C0GENERAL", user="U0BOB", text="psst")
    await client.files_upload_v2(
        channel="C0GENERAL", content="x", filename="t.txt", thread_ts=card["ts"]
    )
    await live.call(
        "POST", "slack/messages", {"channel": "C0GENERAL", "user": "U0BOB", "text": "hi"}
    )
    listed = await live.messages("C0GENERAL")
    assert [(m["text"], m["updated"], m["ephemeral_to"]) for m in listed] == [
        ("card v2", 1, None),
        ("psst", 0, "U0BOB"),
        ("", 0, None),
    ]
    assert listed[2]["thread_ts"] == card["ts"]
    assert listed[2]["files"][0]["name"] == "t.txt"
    assert listed[2]["files"][0]["mimetype"] == "text/plain"
    assert listed[2]["files"][0]["url"].startswith(live.base_url)
    assert listed[0]["user"] == "U0MEETBOT"
    everything = await live.messages("C0GENERAL", all="1")
    assert everything[-1]["user"] == "U0BOB"


async def test_bot_unreachable_is_502() -> None:
    config = SandboxConfig(seed=3, bot_url="http://127.0.0.1:1")
    async with running_sandbox(config=config) as live:
        body = {"text": "help", "user": "U0ALICE", "channel": "C0GENERAL"}
        status, answer = await live.call("POST", "slack/commands", body)
    assert status == 502
    assert "could not be reached" in answer["error"]


@pytest.mark.parametrize("late", [False, True])
async def test_google_consent_then_meet_calls(late: bool) -> None:
    bot = ConnectBot(late=late)
    async with running_sandbox(bot_routes=bot.routes) as live:
        status, answer = await live.call("POST", "google/consent", {"user": "U0DAVE"})
        assert (status, answer) == (200, {"status": 200, "email": "u0dave@sandbox.meetbot.test"})
        await asyncio.gather(*bot.tasks)
        headers = {"Authorization": f"Bearer {bot.tokens['U0DAVE']}"}
        meet = (await live.call("GET", "config"))[1]["urls"]["meet"]
        async with live.client.post(f"{meet}v2/spaces", json={}, headers=headers) as response:
            assert response.status == 200, await response.text()
            space = await response.json()
        status, listed = await live.call("GET", "meet/spaces")
        assert [s["name"] for s in listed["spaces"]] == [space["name"]]
        people = [{"name": n, "audio": None} for n in ("Alice", "Bob", "Carol")]
        body = {"space": space["meetingCode"], "participants": people}
        status, started = await live.call("POST", "meet/conferences", body)
        assert status == 200, started
        assert len(started["participants"]) == 3
        assert (await live.call("POST", "meet/conferences", body))[0] == 409
        status, ended = await live.call("POST", "meet/conferences/end", {"space": space["name"]})
        assert status == 200
        assert "endTime" in ended["conferenceRecord"]
        assert (await live.call("POST", "meet/conferences/end", {"space": "spaces/nope"}))[0] == 404


async def test_consent_without_link_is_502() -> None:
    def routes(app: web.Application, sandbox: Sandbox) -> None:
        async def events(request: web.Request) -> web.Response:
            return web.json_response({"text": "no link here"})

        app.router.add_post("/slack/events", events)

    config = SandboxConfig(seed=4, reply_timeout=0.2)
    async with running_sandbox(bot_routes=routes, config=config) as live:
        status, answer = await live.call("POST", "google/consent", {"user": "U0ALICE"})
    assert status == 502
    assert "no Google sign-in link" in answer["error"]


def test_auth_url_finder() -> None:
    from sandbox.control.google import find_auth_url

    text = json.dumps({"text": "<http://h/sandbox/google/o/oauth2/auth?a=1&amp;b=2|Connect>"})
    assert find_auth_url(text) == "http://h/sandbox/google/o/oauth2/auth?a=1&b=2"
    assert find_auth_url("https://accounts.google.com/o/oauth2/v2/auth?x=1 ok") == (
        "https://accounts.google.com/o/oauth2/v2/auth?x=1"
    )
    assert find_auth_url("nothing") is None
