"""The Chat REST emulator through google-apps-chat, its errors, and the jwt-bearer grant."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import google.auth.exceptions
import pytest
from google.api_core import exceptions as api_exceptions
from google.api_core.client_options import ClientOptions
from google.apps import chat_v1
from google.auth.transport.requests import Request
from google.oauth2 import service_account

from sandbox.gchat.keys import SigningKey
from sandbox.gchat.state import GENERAL_SPACE
from tests.adapters.sandbox_server import RunningSandbox, running_sandbox
from tests.adapters.test_chat_emulator import card, ok

SCOPE = "https://www.googleapis.com/auth/chat.bot"
_REPLY = chat_v1.CreateMessageRequest.MessageReplyOption


@pytest.fixture
async def live() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox() as running:
        yield running


def offline(creds: service_account.Credentials) -> service_account.Credentials:
    """Skip google-auth's Regional Access Boundary lookup (iamcredentials.googleapis.com).

    google-auth >= 2.6x looks it up in a background thread for every service account in the
    default universe; a pre-set boundary keeps the test on loopback (C6).
    """
    expiry = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    return creds._set_regional_access_boundary({"encodedLocations": "0x0", "expiry": expiry})


def _client(
    settings: dict[str, str], *, scopes: list[str] | None = None
) -> chat_v1.ChatServiceClient:
    info = json.loads(settings["service_account_info"])
    info["token_uri"] = settings["token_uri"]
    creds = offline(
        service_account.Credentials.from_service_account_info(info, scopes=scopes or [SCOPE])
    )
    return chat_v1.ChatServiceClient(
        credentials=creds,
        transport="rest",
        client_options=ClientOptions(api_endpoint=settings["api_base_url"].rstrip("/")),
    )


async def test_rest_messages_through_google_apps_chat(live: RunningSandbox) -> None:
    settings = live.sandbox.bot_settings(base_url=live.base_url)["gchat"]
    client = _client(settings)

    def create(key: str, text: str, **extra: Any) -> chat_v1.Message:
        return client.create_message(
            request=chat_v1.CreateMessageRequest(
                parent=GENERAL_SPACE,
                message=chat_v1.Message(text=text, thread=chat_v1.Thread(thread_key=key)),
                message_reply_option=_REPLY.REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD,
                **extra,
            )
        )

    first = await asyncio.to_thread(create, "meet-abc", "card", message_id="client-meet-abc")
    reply = await asyncio.to_thread(create, "meet-abc", "recording ready", request_id="r1")
    again = await asyncio.to_thread(create, "meet-abc", "recording ready", request_id="r1")
    assert first.thread.name == reply.thread.name
    assert reply.thread_reply
    assert not first.thread_reply
    assert again.name == reply.name
    assert first.sender.type_ == chat_v1.User.Type.BOT

    message = chat_v1.Message(name=f"{GENERAL_SPACE}/messages/client-meet-abc", text="updated")
    message.cards_v2 = [chat_v1.CardWithId.from_json(json.dumps(card("end")))]
    updated = await asyncio.to_thread(
        client.update_message, message=message, update_mask="text,cardsV2"
    )
    assert updated.text == "updated"
    assert updated.cards_v2[0].card.header.title == "Standup"
    got = await asyncio.to_thread(client.get_message, name=first.name)
    assert got.text == "updated"
    assert got.last_update_time

    with pytest.raises(api_exceptions.NotFound):
        await asyncio.to_thread(client.get_message, name=f"{GENERAL_SPACE}/messages/nope")
    with pytest.raises(api_exceptions.NotFound):
        await asyncio.to_thread(
            client.create_message, parent="spaces/unknown", message=chat_v1.Message(text="x")
        )
    with pytest.raises(api_exceptions.NotFound):
        await asyncio.to_thread(
            client.create_message,
            request=chat_v1.CreateMessageRequest(
                parent=GENERAL_SPACE,
                message=chat_v1.Message(
                    text="x", thread=chat_v1.Thread(name=f"{GENERAL_SPACE}/threads/zz")
                ),
                message_reply_option=_REPLY.REPLY_MESSAGE_OR_FAIL,
            ),
        )
    await ok(live, "POST", "chat/faults", {"status": 429, "count": 1})
    with pytest.raises(api_exceptions.TooManyRequests):
        await asyncio.to_thread(create, "k", "x")
    member = await asyncio.to_thread(client.get_membership, name=f"{GENERAL_SPACE}/members/alice")
    assert member.role == chat_v1.Membership.MembershipRole.ROLE_MANAGER
    wrong_scope = _client(settings, scopes=["https://www.googleapis.com/auth/chat.messages"])
    with pytest.raises(api_exceptions.Forbidden):
        await asyncio.to_thread(wrong_scope.get_message, name=first.name)


async def test_jwt_bearer_grant_and_raw_errors(live: RunningSandbox) -> None:
    settings = live.sandbox.bot_settings(base_url=live.base_url)["gchat"]
    info = json.loads(settings["service_account_info"])
    assert info["type"] == "service_account"
    assert info["token_uri"] == settings["token_uri"]
    creds = offline(service_account.Credentials.from_service_account_info(info, scopes=[SCOPE]))
    await asyncio.to_thread(creds.refresh, Request())
    assert creds.token
    assert creds.token.startswith("ya29.")
    api = f"{settings['api_base_url']}v1/{GENERAL_SPACE}/messages"
    headers = {"Authorization": f"Bearer {creds.token}"}
    bad_card = {
        "cardsV2": [
            {
                "cardId": "x",
                "card": {
                    "sections": [
                        {"widgets": [{"buttonList": {"buttons": [{"text": "A", "onclick": {}}]}}]}
                    ]
                },
            }
        ]
    }
    async with live.client.post(api, json=bad_card, headers=headers) as response:
        error = (await response.json())["error"]
        assert response.status == 400
        assert error["status"] == "INVALID_ARGUMENT"
        assert "onclick" in error["message"]
    async with live.client.post(api, json={"text": "x", "bogus": 1}, headers=headers) as response:
        assert response.status == 400
    async with live.client.post(
        api, json={"text": "x"}, headers={"Authorization": "Bearer nope"}
    ) as response:
        assert response.status == 401
        assert (await response.json())["error"]["status"] == "UNAUTHENTICATED"
    async with live.client.post(api, json={"text": "hi"}, headers=headers) as response:
        assert response.status == 200
        assert (await response.json())["text"] == "hi"

    other = dict(info, private_key=SigningKey.generate("x").private_key_pem())
    forged = offline(service_account.Credentials.from_service_account_info(other, scopes=[SCOPE]))
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_grant"):
        await asyncio.to_thread(forged.refresh, Request())
