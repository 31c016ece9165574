"""The ChatReply and Notifier ports for Slack, over the Web API and response_url."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import ChatPlatformError
from bot.core.model import CardRef, ChatUser
from bot.core.replies import MeetingCard, Reply
from bot.slack.render import card_blocks, reply_blocks, reply_text

logger = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]
ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]


_NO_READ_SCOPE = (
    "channel membership not checked: re-install the app to grant channels:read, groups:read "
    "and mpim:read (docs/recording.md, who may act on a meeting)"
)


def _reason(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "unknown_error"))


class SlackReply:
    """Replies for one Slack request: ephemeral via ``response_url`` when there is one."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        channel_id: str,
        user_id: str,
        respond: Respond | None,
    ) -> None:
        self._client = client
        self._channel = channel_id
        self._user = user_id
        self._respond = respond

    async def ephemeral(self, *, reply: Reply) -> None:
        text, blocks = reply_text(reply), reply_blocks(reply)
        if self._respond is not None:
            try:
                await self._respond(
                    text=text, blocks=blocks, response_type="ephemeral", replace_original=False
                )
                return
            except Exception as exc:  # expired or used-up response_url: fall back to the API
                logger.info("response_url refused (%s); using chat.postEphemeral", exc)
        try:
            await self._client.chat_postEphemeral(
                channel=self._channel, user=self._user, text=text, blocks=blocks
            )
        except SlackApiError as exc:
            raise ChatPlatformError("ephemeral reply refused", reason=_reason(exc)) from exc

    async def post_card(self, *, card: MeetingCard) -> CardRef:
        try:
            resp = await self._client.chat_postMessage(
                channel=self._channel, text=card.fallback_text, blocks=card_blocks(card)
            )
        except SlackApiError as exc:
            raise ChatPlatformError("card not posted", reason=_reason(exc)) from exc
        return CardRef(channel_id=str(resp["channel"]), message_id=str(resp["ts"]))

    async def update_card(self, *, ref: CardRef, card: MeetingCard) -> None:
        try:
            await self._client.chat_update(
                channel=ref.channel_id,
                ts=ref.message_id,
                text=card.fallback_text,
                blocks=card_blocks(card),
            )
        except SlackApiError as exc:
            raise ChatPlatformError("card not updated", reason=_reason(exc)) from exc

    async def in_thread(self, *, ref: CardRef, reply: Reply) -> None:
        try:
            await self._client.chat_postMessage(
                channel=ref.channel_id,
                thread_ts=ref.message_id,
                text=reply_text(reply),
                blocks=reply_blocks(reply),
            )
        except SlackApiError as exc:
            raise ChatPlatformError("thread reply refused", reason=_reason(exc)) from exc

    async def invoker_is_admin(self) -> bool:
        try:
            resp = await self._client.users_info(user=self._user)
        except SlackApiError as exc:
            logger.warning("users.info failed: %s", _reason(exc))
            return False
        user = resp.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner"))

    async def invoker_is_member(self, *, channel_id: str) -> bool:
        """Pages through ``conversations.members``; on an error the answer is no, except for an
        install older than the read scopes (it keeps working, with a warning, until re-installed).
        """
        cursor: str | None = None
        try:
            while True:
                resp = await self._client.conversations_members(
                    channel=channel_id, limit=1000, cursor=cursor
                )
                if self._user in (resp.get("members") or []):
                    return True
                cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
                if cursor is None:
                    return False
        except SlackApiError as exc:
            if _reason(exc) == "missing_scope":
                logger.warning(_NO_READ_SCOPE)
                return True
            logger.warning("conversations.members failed: %s", _reason(exc))
            return False


class SlackNotifier:
    """Reaches a Slack user outside a request, with their workspace's bot token."""

    def __init__(self, *, client_for: ClientFor) -> None:
        self._client_for = client_for

    async def notify(self, *, user: ChatUser, channel_id: str, reply: Reply) -> None:
        client = await self._client_for(user.team_id)
        if client is None:
            logger.warning("no Slack installation for team %s", user.team_id)
            return
        text, blocks = reply_text(reply), reply_blocks(reply)
        try:
            await client.chat_postEphemeral(
                channel=channel_id, user=user.user_id, text=text, blocks=blocks
            )
        except SlackApiError as exc:
            logger.info("ephemeral refused (%s); sending a direct message", _reason(exc))
            await client.chat_postMessage(channel=user.user_id, text=text, blocks=blocks)
