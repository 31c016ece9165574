"""The Google Chat emulator: signed events in both formats and modes, REST calls, the JWT grant."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import google.auth.exceptions
import pytest
from aiohttp import web
from google.apps import chat_v1
from google.auth.transport.requests import Request
from google.oauth2 import id_token

from sandbox.app import Sandbox
from sandbox.gchat.keys import CHAT_ISSUER, SigningKey
from sandbox.gchat.state import GENERAL_SPACE
from tests.adapters.sandbox_server import RunningSandbox, running_sandbox

SCOPE = "https://www.googleapis.com/auth/chat.bot"
_REPLY = chat_v1.CreateMessageRequest.MessageReplyOption


def card(function: str) -> dict[str, Any]:
    button = {
        "text": "End",
        "onClick": {
            "action": {"function": function, "parameters": [{"key": "meeting", "value": "m1"}]}
        },
    }
    widgets = [
        {"decoratedText": {"topLabel": "Link", "text": "meet.google.com/abc-defg-hij"}},
        {"buttonList": {"buttons": [button]}},
    ]
    return {
        "cardId": "meet",
        "card": {"header": {"title": "Standup"}, "sections": [{"widgets": widgets}]},
    }


class StandInChatBot:
    """``/chat/events`` verifying the bearer token with google-auth, as the real bot does."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []

    def routes(self, app: web.Application, sandbox: Sandbox) -> None:
        async def events(request: web.Request) -> web.Response:
            base = str(request.url.origin())
            settings = sandbox.bot_settings(base_url=base)["gchat"]
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            try:
                claims = await asyncio.to_thread(_verify, token, settings)
            except (ValueError, google.auth.exceptions.GoogleAuthError):
                return web.json_response({"error": "unauthorized"}, status=401)
            event = await request.json()
            self.received.append(event)
            self.headers.append({"User-Agent": request.headers["User-Agent"], **claims})
            return web.json_response(_reply(event, endpoint=f"{base}/chat/events"))

        app.router.add_post("/chat/events", events)


def _verify(token: str, settings: dict[str, str]) -> dict[str, str]:
    if settings["audience_mode"] == "endpoint_url":
        claims = id_token.verify_token(
            token,
            Request(),
            audience=settings["audience"],
            certs_url=settings["id_token_certs_url"],
        )
        if claims["iss"] != "https://accounts.google.com" or claims["email"] != CHAT_ISSUER:
            raise ValueError("not from Chat")
    else:
        claims = id_token.verify_token(
            token, Request(), audience=settings["audience"], certs_url=settings["certs_url"]
        )
        if claims["iss"] != settings["issuer"]:
            raise ValueError("not from Chat")
    return {"iss": claims["iss"], "aud": claims["aud"]}


def _reply(event: dict[str, Any], *, endpoint: str) -> dict[str, Any]:
    if "chat" in event:  # add-on
        chat = event["chat"]
        if "buttonClickedPayload" in chat:
            action = {"updateMessageAction": {"message": {"text": "Ended"}}}
        elif "removedFromSpacePayload" in chat:
            return {}
        else:
            action = {"createMessageAction": {"message": {"cardsV2": [card(endpoint)]}}}
        return {"hostAppDataAction": {"chatDataAction": action}}
    if event["type"] == "CARD_CLICKED":
        return {"actionResponse": {"type": "UPDATE_MESSAGE"}, "text": "Ended", "cardsV2": []}
    if event["type"] == "REMOVED_FROM_SPACE":
        return {}
    return {
        "text": f"Got {event.get('message', {}).get('argumentText', '')!r}",
        "cardsV2": [card("end")],
    }


@pytest.fixture
def bot() -> StandInChatBot:
    return StandInChatBot()


@pytest.fixture
async def live(bot: StandInChatBot) -> AsyncIterator[RunningSandbox]:
    async with running_sandbox(bot_routes=bot.routes) as running:
        yield running


async def ok(live: RunningSandbox, method: str, path: str, body: Any = None) -> dict[str, Any]:
    status, answer = await live.call(method, path, body)
    assert status == 200, answer
    return dict(answer)


async def test_slash_command_classic_project_number(
    live: RunningSandbox, bot: StandInChatBot
) -> None:
    body = {"text": "/meet new standup", "user": "alice", "space": "general"}
    result = await ok(live, "POST", "chat/commands", body)
    assert result["status"] == 200
    assert result["response"]["text"] == "Got ' new standup'"
    event = bot.received[0]
    assert event["type"] == "MESSAGE"
    assert event["space"]["name"] == GENERAL_SPACE
    assert event["space"]["spaceType"] == "SPACE"
    assert event["user"]["email"] == "alice@sandbox.example"
    message = event["message"]
    assert message["slashCommand"] == {"commandId": "1"}
    assert message["argumentText"] == " new standup"
    assert message["annotations"][0]["type"] == "SLASH_COMMAND"
    assert bot.headers[0] == {
        "User-Agent": "Google-Dynamite",
        "iss": CHAT_ISSUER,
        "aud": "424242424242",
    }
    listed = await ok(live, "GET", f"chat/messages?space={GENERAL_SPACE}")
    [stored] = listed["messages"]
    assert stored["sender"]["type"] == "BOT"
    assert stored["cardsV2"][0]["card"]["header"]["title"] == "Standup"
    assert stored["thread"]["name"] == message["thread"]["name"]


async def test_mention_and_click_addon_endpoint_url(
    live: RunningSandbox, bot: StandInChatBot
) -> None:
    await ok(live, "POST", "chat/config", {"audience_mode": "endpoint_url", "format": "addon"})
    body = {"text": "@meetbot new standup", "user": "users/bob", "space": GENERAL_SPACE}
    result = await ok(live, "POST", "chat/commands", body)
    assert result["status"] == 200, result
    event = bot.received[0]
    assert "type" not in event
    payload = event["chat"]["messagePayload"]
    assert payload["message"]["argumentText"] == " new standup"
    assert payload["message"]["annotations"][0]["type"] == "USER_MENTION"
    assert event["authorizationEventObject"]["systemIdToken"]
    assert bot.headers[0]["iss"] == "https://accounts.google.com"
    assert bot.headers[0]["aud"] == f"{live.base_url}/chat/events"
    stored = result["message"]
    button = stored["cardsV2"][0]["card"]["sections"][0]["widgets"][1]["buttonList"]["buttons"][0]
    assert button["onClick"]["action"]["function"] == f"{live.base_url}/chat/events"

    click = {"space": GENERAL_SPACE, "message": stored["name"], "action": "End", "user": "bob"}
    result = await ok(live, "POST", "chat/actions", click)
    clicked = bot.received[1]
    assert clicked["commonEventObject"]["parameters"] == {"meeting": "m1"}
    assert clicked["chat"]["buttonClickedPayload"]["message"]["name"] == stored["name"]
    assert result["message"]["text"] == "Ended"
    assert result["message"]["name"] == stored["name"]


async def test_classic_click_updates_card(live: RunningSandbox, bot: StandInChatBot) -> None:
    result = await ok(
        live, "POST", "chat/commands", {"text": "new", "user": "U0ALICE", "space": "general"}
    )
    name = result["message"]["name"]
    await ok(
        live,
        "POST",
        "chat/actions",
        {
            "space": "general",
            "message": name,
            "action": "end",
            "user": "carol",
            "parameters": {"extra": "1"},
        },
    )
    event = bot.received[1]
    assert event["type"] == "CARD_CLICKED"
    assert event["action"]["actionMethodName"] == "end"
    assert {"key": "meeting", "value": "m1"} in event["action"]["parameters"]
    assert event["common"]["invokedFunction"] == "end"
    assert event["common"]["parameters"] == {"meeting": "m1", "extra": "1"}
    [stored] = (await ok(live, "GET", "chat/messages?space=general"))["messages"]
    assert stored["text"] == "Ended"
    assert "cardsV2" not in stored
    assert "lastUpdateTime" in stored


async def test_space_events_and_bad_tokens(live: RunningSandbox, bot: StandInChatBot) -> None:
    dm = "spaces/DMcarol"
    result = await ok(
        live,
        "POST",
        "chat/space-events",
        {"space": dm, "type": "REMOVED_FROM_SPACE", "user": "carol"},
    )
    assert bot.received[0]["type"] == "REMOVED_FROM_SPACE"
    assert result["message"] is None
    status, body = await live.call(
        "POST", "chat/commands", {"text": "help", "user": "carol", "space": dm}
    )
    assert status == 409, body
    await ok(
        live,
        "POST",
        "chat/space-events",
        {"space": dm, "type": "ADDED_TO_SPACE", "user": "carol", "format": "addon"},
    )
    assert "addedToSpacePayload" in bot.received[1]["chat"]
    result = await ok(live, "POST", "chat/commands", {"text": "help", "user": "carol", "space": dm})
    assert bot.received[2]["type"] == "MESSAGE"
    assert bot.received[2]["message"]["argumentText"] == "help"
    # a token signed by another key is refused by the stand-in (google-auth with our certs)
    claims = {"iss": CHAT_ISSUER, "aud": "424242424242", "iat": 0, "exp": 2**31}
    forged = SigningKey.generate(CHAT_ISSUER).sign_jwt(claims)
    async with live.client.post(
        f"{live.base_url}/chat/events", json={}, headers={"Authorization": f"Bearer {forged}"}
    ) as response:
        assert response.status == 401


async def test_cert_endpoints(live: RunningSandbox) -> None:
    settings = live.sandbox.bot_settings(base_url=live.base_url)["gchat"]
    for url in (settings["certs_url"], settings["id_token_certs_url"]):
        async with live.client.get(url) as response:
            certs = await response.json()
        [(kid, pem)] = certs.items()
        assert len(kid) == 40
        assert pem.startswith("-----BEGIN CERTIFICATE-----")
