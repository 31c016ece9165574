"""Sends signed Google Chat events to the bot's ``/chat/events`` and keeps its replies."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from sandbox.errors import SendError
from sandbox.gchat.events import (
    APP_MENTION,
    Interaction,
    addon_event,
    classic_event,
    find_button,
    mention_annotation,
    slash_annotation,
)
from sandbox.gchat.keys import CHAT_ISSUER
from sandbox.gchat.rules import SETTABLE, parse_message, settable
from sandbox.gchat.state import (
    APP_USER,
    ChatMessage,
    ChatSpace,
    ChatState,
    ChatUser,
    EventFormat,
    rfc3339,
)
from sandbox.google.errors import ApiError

logger = logging.getLogger(__name__)

Json = dict[str, Any]
EVENTS_PATH = "/chat/events"


@dataclass(frozen=True, slots=True)
class ChatSendResult:
    """The bot's answer and what Chat made of it.

    Attributes:
        status: the bot's HTTP status.
        response: its body, parsed when it is JSON.
        elapsed_ms: time to answer.
        message: the reply stored as posted (or updated) by the app, as ``Message`` JSON.
        error: why a synchronous reply was refused (Chat shows "not responding").
    """

    status: int
    response: Any
    elapsed_ms: float
    message: Json | None = None
    error: str | None = None

    def to_json(self) -> Json:
        return {
            "status": self.status,
            "response": self.response,
            "elapsed_ms": self.elapsed_ms,
            "message": self.message,
            "error": self.error,
        }


class ChatSender:
    """Plays Google Chat towards the bot, per the state's audience mode and event format."""

    def __init__(
        self,
        *,
        state: ChatState,
        session: aiohttp.ClientSession,
        bot_url: str,
        event_format: EventFormat | None = None,
    ) -> None:
        self._state = state
        self._format = event_format
        self._session = session
        self.events_url = bot_url.rstrip("/") + EVENTS_PATH

    def _resolve(self, user_ref: str, space_ref: str) -> tuple[ChatUser, ChatSpace]:
        user = self._state.user(user_ref)
        if user is None:
            raise SendError(f"unknown Chat user {user_ref!r}")
        space = self._state.space(space_ref)
        if space is None:
            raise SendError(f"unknown Chat space {space_ref!r}")
        space.members.add(user.name)
        return user, space

    async def command(
        self, *, text: str, user: str, space: str, thread: str | None = None
    ) -> ChatSendResult:
        """``/meet <text>``, or a message mentioning the app when ``text`` starts with it."""
        who, where = self._resolve(user, space)
        if not where.app_is_member:
            raise SendError(f"the app is not in {where.name}; add it first", status=409)
        command_id = self._state.config.command_id
        if (
            text.startswith(APP_MENTION)
            or where.space_type == "DIRECT_MESSAGE"
            and not (text.startswith("/"))
        ):
            argument = text.removeprefix(APP_MENTION)
            extra: Json = {"argumentText": argument}
            if text.startswith(APP_MENTION):
                extra["annotations"] = [mention_annotation(text)]
            kind, full, private = "MESSAGE", text, None
        else:
            rest = text.removeprefix("/meet").strip()
            argument = f" {rest}" if rest else ""
            full = "/meet" + argument
            extra = {
                "argumentText": argument,
                "annotations": [slash_annotation(command_id)],
                "slashCommand": {"commandId": str(command_id)},
            }
            kind, private = "APP_COMMAND", who.name
        posted = self._state.new_message(
            space=where, sender=who.name, body={"text": full}, thread=thread, private_to=private
        )
        posted.extra = extra
        interaction = Interaction(kind, who, where, posted, command_id=command_id)
        return await self.deliver(interaction)

    async def action(
        self,
        *,
        space: str,
        message: str,
        action: str,
        user: str,
        parameters: dict[str, str] | None = None,
    ) -> ChatSendResult:
        """``user`` clicks the button ``action`` (function, text or actionName) on ``message``."""
        who, where = self._resolve(user, space)
        name = message if message.startswith("spaces/") else f"{where.name}/messages/{message}"
        card = self._state.message(name)
        if card is None or card.space != where.name or card.private_to not in (None, who.name):
            raise SendError(f"no message {message!r} in {where.name} for {who.name}", status=404)
        button = find_button(card.body, action)
        if button is None:
            raise SendError(f"no button {action!r} on {card.name}", status=404)
        rendered = button["onClick"]["action"]
        params = {p["key"]: p.get("value", "") for p in rendered.get("parameters", [])}
        params.update(parameters or {})
        interaction = Interaction(
            "CARD_CLICKED", who, where, card, function=rendered.get("function"), parameters=params
        )
        return await self.deliver(interaction)

    async def space_event(self, *, space: str, kind: str, user: str) -> ChatSendResult:
        """The app is added to (``ADDED_TO_SPACE``) or removed from a space by ``user``."""
        if kind not in ("ADDED_TO_SPACE", "REMOVED_FROM_SPACE"):
            raise SendError("'type' must be ADDED_TO_SPACE or REMOVED_FROM_SPACE")
        who, where = self._resolve(user, space)
        if kind == "ADDED_TO_SPACE":
            where.members.add(APP_USER)
        else:
            where.members.discard(APP_USER)
        return await self.deliver(Interaction(kind, who, where))

    def token(self) -> str:
        """The bearer token for the configured audience mode."""
        config, now = self._state.config, self._state.clock()
        if config.audience_mode == "endpoint_url":
            audience = config.endpoint_url or self.events_url
            return self._state.keys.id_token(audience=audience, email=CHAT_ISSUER, now=now)
        return self._state.keys.project_number_token(audience=config.project_number, now=now)

    async def deliver(self, interaction: Interaction) -> ChatSendResult:
        """POST the event in the configured format, then apply a synchronous reply."""
        token = self.token()
        event_time = rfc3339(self._state.clock())
        addon = (self._format or self._state.config.event_format) == "addon"
        if addon:
            event = addon_event(
                self._state, interaction, event_time=event_time, system_id_token=token
            )
        else:
            event = classic_event(self._state, interaction, event_time=event_time)
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "User-Agent": "Google-gsuiteaddons" if addon else "Google-Dynamite",
        }
        started = time.perf_counter()
        async with self._session.post(
            self.events_url, data=json.dumps(event).encode(), headers=headers
        ) as response:
            raw = await response.text()
            status = response.status
        elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
        body = _parse(raw)
        logger.debug("sandbox chat: bot answered %d in %.1f ms", status, elapsed_ms)
        stored, error = None, None
        if status == 200 and interaction.kind != "REMOVED_FROM_SPACE":
            try:
                stored = self._apply_reply(interaction, body, addon=addon)
            except ApiError as exc:
                error = exc.message
        return ChatSendResult(status, body, elapsed_ms, stored, error)

    def _apply_reply(self, interaction: Interaction, body: Any, *, addon: bool) -> Json | None:
        """Store a synchronous reply as the app's message (new, or the clicked one updated)."""
        if not isinstance(body, dict) or not body:
            return None
        update = False
        if addon:
            data = body.get("hostAppDataAction", {}).get("chatDataAction", {})
            if "updateMessageAction" in data:
                reply, update = data["updateMessageAction"].get("message"), True
            elif "createMessageAction" in data:
                reply = data["createMessageAction"].get("message")
            else:
                return None  # a bare classic body is ignored in add-on mode
        else:
            reply = body
        message = parse_message(reply)
        kind = message.get("actionResponse", {}).get("type", "NEW_MESSAGE")
        update = update or kind == "UPDATE_MESSAGE"
        if kind not in ("NEW_MESSAGE", "UPDATE_MESSAGE"):
            return None
        fields = settable(message)
        clicked = interaction.message
        if update:
            if clicked is None or not clicked.by_app:
                raise ApiError(400, "Only a message the app created can be updated.")
            # the reply replaces the message: fields it leaves out are cleared
            self._state.update_message(clicked, {key: fields.get(key) for key in SETTABLE})
            return clicked.to_json(self._state)
        stored = self._state.new_message(
            space=interaction.space,
            sender=APP_USER,
            body=fields,
            thread=_thread_of(clicked),
            private_to=message.get("privateMessageViewer", {}).get("name"),
        )
        return stored.to_json(self._state)


def _thread_of(message: ChatMessage | None) -> str | None:
    return message.thread if message is not None else None


def _parse(raw: str) -> Any:
    if not raw:
        return ""
    try:
        return json.loads(raw)
    except ValueError:
        return raw
