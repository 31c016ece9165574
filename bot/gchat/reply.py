"""The ChatReply and Notifier ports for Google Chat: the synchronous answer, else the API."""

from __future__ import annotations

import logging
from typing import Any

from bot.ack_window import AnswerWindow
from bot.core.errors import ChatPlatformError
from bot.core.model import CardRef, ChatUser
from bot.core.replies import MeetingCard, Reply
from bot.gchat import render, responses
from bot.gchat.client import ChatApi
from bot.gchat.events import ChatEvent

logger = logging.getLogger(__name__)

TEAM = "chat"  # Chat user and space names are global: one "team" for the whole app


SyncWindow = AnswerWindow[dict[str, Any]]
"""Chat takes one synchronous answer per event: the first private answer within the window."""


def chat_user(event: ChatEvent) -> ChatUser:
    """The core's identity for the event's user."""
    return ChatUser("gchat", TEAM, event.user.name)


class GChatReply:
    """Replies for one Chat event: its space, its user, its format."""

    def __init__(
        self,
        *,
        api: ChatApi,
        event: ChatEvent,
        target: render.ButtonTarget,
        window: SyncWindow | None = None,
    ) -> None:
        self._api = api
        self._event = event
        self._target = target
        self._window = window

    async def ephemeral(self, *, reply: Reply) -> None:
        message = responses.private(render.reply_message(reply), self._event)
        if self._window and self._window.offer(responses.new_message(self._event, message)):
            return
        await self._api.create(
            space=self._event.space.name, message=message, thread=self._event.thread_name
        )

    async def post_card(self, *, card: MeetingCard) -> CardRef:
        message = render.card_message(card, target=self._target)
        sent = await self._api.create(space=self._event.space.name, message=message)
        return CardRef(channel_id=self._event.space.name, message_id=sent.name)

    async def update_card(self, *, ref: CardRef, card: MeetingCard) -> None:
        await self._api.update(
            name=ref.message_id, message=render.card_message(card, target=self._target)
        )

    async def in_thread(self, *, ref: CardRef, reply: Reply) -> None:
        thread = await self._api.thread_of(name=ref.message_id)
        message = render.reply_message(reply)
        await self._api.create(space=ref.channel_id, message=message, thread=thread)

    async def invoker_is_admin(self) -> bool:
        """Space managers administer their space; anyone else (or on error) is not an admin."""
        try:
            role = await self._api.member_role(
                space=self._event.space.name, user=self._event.user.name
            )
        except ChatPlatformError as exc:
            logger.info("membership not readable (%s): not an admin", exc.reason)
            return False
        return role == "ROLE_MANAGER"

    async def invoker_is_member(self, *, channel_id: str) -> bool:
        """A membership of the user in the space (``spaces.members.get``); none, or an error: no."""
        try:
            await self._api.member_role(space=channel_id, user=self._event.user.name)
        except ChatPlatformError as exc:
            logger.info("no membership in %s (%s)", channel_id, exc.reason)
            return False
        return True


class GChatNotifier:
    """Reaches a Chat user outside a request: a private message in the space they asked in."""

    def __init__(self, *, api: ChatApi) -> None:
        self._api = api

    async def notify(self, *, user: ChatUser, channel_id: str, reply: Reply) -> None:
        message = {
            **render.reply_message(reply),
            "privateMessageViewer": {"name": user.user_id},
        }
        await self._api.create(space=channel_id, message=message)
