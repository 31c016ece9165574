"""``POST /chat/events`` against the sandbox's Chat emulator: tokens, formats, answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.gchat.verify import ChatTokenVerifier
from bot.settings import GChatSettings
from sandbox.gchat.keys import CHAT_ISSUER, SigningKey
from sandbox.gchat.state import PROJECT_NUMBER
from tests.fixtures_gchat import GENERAL, ChatDriver, valid_message

USER = {"name": "users/alice", "displayName": "Alice", "type": "HUMAN"}
SPACE = {"name": GENERAL, "spaceType": "SPACE"}
HELP_HEAD = "*Google Meet from chat*"


def event(text: str = "help") -> dict[str, Any]:
    message = {
        "name": f"{GENERAL}/messages/x1",
        "text": f"/meet {text}",
        "argumentText": f" {text}",
        "slashCommand": {"commandId": "1"},
    }
    return {"type": "MESSAGE", "user": USER, "space": SPACE, "message": message}


async def post(chat: ChatDriver, body: Any, token: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with chat.bot.http.post(f"{chat.bot.url}/chat/events", data=data, headers=headers) as r:
        return r.status, await r.json()


def chat_token(chat: ChatDriver, **overrides: Any) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": CHAT_ISSUER,
        "aud": PROJECT_NUMBER,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        **overrides,
    }
    return chat.bot.sandbox.chat.keys.chat.sign_jwt(claims)


async def test_a_verified_command_is_answered_in_the_response(chat: ChatDriver) -> None:
    status, body = await post(chat, event("help"), chat_token(chat))
    assert status == 200
    assert body["text"].startswith(HELP_HEAD)
    assert body["actionResponse"] == {"type": "NEW_MESSAGE"}
    assert body["privateMessageViewer"] == {"name": "users/alice"}
    valid_message(body)


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "garbage",
        "expired",
        "wrong-audience",
        "wrong-issuer",
        "forged",
        "ten-years",
    ],
)
async def test_bad_tokens_get_401_and_nothing_runs(chat: ChatDriver, token: str | None) -> None:
    now = int(datetime.now(UTC).timestamp())
    tokens = {
        "expired": lambda: chat_token(chat, iat=now - 7200, exp=now - 3600),
        "wrong-audience": lambda: chat_token(chat, aud="111111111111"),
        "wrong-issuer": lambda: chat_token(chat, iss="mallory@example.iam.gserviceaccount.com"),
        "forged": lambda: _forged(chat),
        "ten-years": lambda: chat_token(chat, iat=now, exp=now + 10 * 365 * 24 * 3600),
    }
    bearer = tokens[token]() if token in tokens else token
    before = await chat.messages()
    status, body = await post(chat, event("new Standup"), bearer)
    assert (status, body) == (401, {"error": "unauthorized"})
    assert chat.bot.runtime.supervisor.pending == 0
    assert await chat.messages() == before


def _forged(chat: ChatDriver) -> str:
    """Right claims and key id, signed with a key Chat does not publish."""
    now = datetime.now(UTC)
    claims = {"iss": CHAT_ISSUER, "aud": PROJECT_NUMBER, "iat": int(now.timestamp())}
    claims["exp"] = claims["iat"] + 300
    stranger = SigningKey.generate("stranger")
    real_kid = chat.bot.sandbox.chat.keys.chat.kid
    return SigningKey(stranger.private_key, stranger.certificate_pem, real_kid).sign_jwt(claims)


@pytest.mark.parametrize(
    "body", [b"{not json", b"\xff\xfe", [], {"type": "MESSAGE"}, {"chat": {"user": USER}}]
)
async def test_malformed_events_get_400(chat: ChatDriver, body: Any) -> None:
    status, answer = await post(chat, body, chat_token(chat))
    assert (status, answer) == (400, {"error": "malformed event"})


async def test_unknown_command_id_and_text_get_help(chat: ChatDriver) -> None:
    await chat.bot.api("POST", "chat/config", {"command_id": 5})
    result = await chat.command("/meet list")
    assert result["response"]["text"].startswith("I don't know that command.")
    await chat.bot.api("POST", "chat/config", {"command_id": 1})
    result = await chat.command("/meet frobnicate")
    assert result["response"]["text"].startswith("I don't know the command `frobnicate`.")
    assert HELP_HEAD in result["message"]["text"]


@pytest.mark.parametrize("event_format", ["classic", "addon"])
async def test_mentions_and_dms_in_both_formats(chat: ChatDriver, event_format: str) -> None:
    result = await chat.command("@meetbot help", format=event_format)
    stored = result["message"]
    assert stored["text"].startswith(HELP_HEAD)
    assert stored["privateMessageViewer"] == {"name": "users/alice"}
    dm = await chat.command("list", space="spaces/DMalice", format=event_format)
    assert "There's no meeting in this channel yet" in dm["message"]["text"]
    assert "privateMessageViewer" not in dm["message"]
    if event_format == "addon":
        inner = result["response"]["hostAppDataAction"]["chatDataAction"]["createMessageAction"]
        valid_message(inner["message"])


async def test_added_gets_a_welcome_and_removed_gets_nothing(chat: ChatDriver) -> None:
    added = await chat.space_event("ADDED_TO_SPACE", space="spaces/DMbob", user="bob")
    assert added["status"] == 200
    assert added["message"]["text"].startswith(HELP_HEAD)
    removed = await chat.space_event("REMOVED_FROM_SPACE", space="spaces/DMbob", user="bob")
    assert (removed["status"], removed["response"]) == (200, {})


async def test_endpoint_url_tokens_are_refused_in_project_number_mode(chat: ChatDriver) -> None:
    await chat.bot.api("POST", "chat/config", {"audience_mode": "endpoint_url"})
    result = await chat.command("/meet help")
    assert result["status"] == 401


async def test_the_emulators_id_tokens_verify_in_endpoint_url_mode(chat: ChatDriver) -> None:
    audience = f"{chat.bot.url}/chat/events"
    config = await chat.bot.api("GET", "chat/config")
    settings = GChatSettings(
        audience_mode="endpoint_url",
        audience=audience,
        id_token_certs_url=config["bot_settings"]["id_token_certs_url"],
    )
    verifier = ChatTokenVerifier(settings=settings, session=chat.bot.http)
    keys = chat.bot.sandbox.chat.keys
    token = keys.id_token(audience=audience, email=CHAT_ISSUER, now=datetime.now(UTC))
    assert (await verifier.verify(f"Bearer {token}"))["email"] == CHAT_ISSUER


async def test_a_refused_post_is_told_privately(connected_chat: ChatDriver) -> None:
    chat = connected_chat
    await chat.bot.api(
        "POST", "chat/faults", {"status": 403, "count": 1, "path_regex": "/messages$"}
    )
    await chat.command("/meet new Standup")  # told in the response, or later through the API
    texts = await chat.private_texts()
    assert any("couldn't post its card here" in t and "PERMISSION_DENIED" in t for t in texts)
    assert await chat.cards() == []
