"""Drives the sandbox's Google Chat emulator: commands, clicks, messages, Google sign-in."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from google.apps import chat_v1

from sandbox.google.oauth import consent_url
from tests.fixtures_bot import SandboxBot

GENERAL = "spaces/AAAAsandbox"
_AUTH_URL = re.compile(r"https?://[^\s<>|\"\\]+/o/oauth2/(?:v2/)?auth\?[^\s<>|\"\\]+")


def valid_message(message: dict[str, Any]) -> chat_v1.Message:
    """The client-settable part of a stored message parses as Chat's ``Message``."""
    settable = {k: message[k] for k in ("text", "cardsV2", "fallbackText") if k in message}
    return chat_v1.Message.from_json(json.dumps(settable), ignore_unknown_fields=False)


def is_card(message: dict[str, Any]) -> bool:
    return any(str(c.get("cardId", "")).startswith("meeting-") for c in message.get("cardsV2", []))


def button_actions(message: dict[str, Any]) -> list[str]:
    """The ``action`` parameter of every action button on a message."""
    found: list[str] = []
    for card in message.get("cardsV2", []):
        for section in card["card"].get("sections", []):
            for widget in section["widgets"]:
                for button in widget.get("buttonList", {}).get("buttons", []):
                    params = button["onClick"].get("action", {}).get("parameters", [])
                    found += [p["value"] for p in params if p["key"] == "action"]
    return found


@dataclass
class ChatDriver:
    """The Chat side of the sandbox, through its control API."""

    bot: SandboxBot

    async def command(
        self, text: str, *, user: str = "alice", space: str = GENERAL, **extra: Any
    ) -> dict[str, Any]:
        body = {"text": text, "user": user, "space": space, **extra}
        result: dict[str, Any] = await self.bot.api("POST", "chat/commands", body)
        return result

    async def click(
        self, message: str, action: str, *, user: str = "alice", space: str = GENERAL
    ) -> dict[str, Any]:
        body = {"space": space, "message": message, "action": action, "user": user}
        result: dict[str, Any] = await self.bot.api("POST", "chat/actions", body)
        return result

    async def space_event(self, kind: str, *, user: str = "alice", space: str) -> dict[str, Any]:
        body = {"type": kind, "user": user, "space": space}
        result: dict[str, Any] = await self.bot.api("POST", "chat/space-events", body)
        return result

    async def messages(self, space: str = GENERAL) -> list[dict[str, Any]]:
        await self.bot.settle()
        data = await self.bot.api("GET", f"chat/messages?space={space}")
        return list(data["messages"])

    async def cards(self, space: str = GENERAL) -> list[dict[str, Any]]:
        return [m for m in await self.messages(space) if is_card(m)]

    async def private_texts(self, user: str = "alice", space: str = GENERAL) -> list[str]:
        viewer = f"users/{user}"
        return [
            m.get("text", "")
            for m in await self.messages(space)
            if m.get("privateMessageViewer", {}).get("name") == viewer
        ]

    async def connect(self, user: str = "alice", space: str = GENERAL) -> str:
        """``/meet connect`` in Chat, then Google's consent as the user's browser would."""
        result = await self.command("connect", user=user, space=space)
        match = _AUTH_URL.search(json.dumps(result["response"]))
        assert match, f"no sign-in link in {result['response']}"
        email = f"{user}@sandbox.example"
        url = consent_url(match.group(0), email=email)
        async with self.bot.http.get(url) as resp:  # follows the redirect to the bot
            assert resp.status == 200, await resp.text()
        return email


@pytest.fixture
def chat(sandbox_bot: SandboxBot) -> ChatDriver:
    """The sandbox bot, driven from Google Chat."""
    return ChatDriver(bot=sandbox_bot)


@pytest.fixture
async def connected_chat(chat: ChatDriver) -> ChatDriver:
    """A sandbox where the Chat user alice has linked her Google account."""
    await chat.connect("alice")
    return chat
