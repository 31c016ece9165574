"""The ChatThreads port for Slack: thread posts, in-place edits and file uploads outside any
request."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import ChatPlatformError
from bot.core.model import CardRef
from bot.core.ports.chat import Upload
from bot.core.replies import MeetingCard, Reply
from bot.slack.render import card_blocks, reply_blocks, reply_text
from bot.slack.reply import ClientFor


class SlackThreads:
    """Uses each workspace's bot token (single-workspace token or the OAuth installation)."""

    def __init__(self, *, client_for: ClientFor) -> None:
        self._client_for = client_for

    async def post(
        self, *, team_id: str, channel_id: str, thread_id: str | None, reply: Reply
    ) -> CardRef:
        client = await self._client(team_id)
        try:
            resp = await client.chat_postMessage(
                channel=channel_id,
                thread_ts=thread_id,
                text=reply_text(reply),
                blocks=reply_blocks(reply),
                unfurl_links=False,
            )
        except (SlackApiError, SlackClientError, aiohttp.ClientError) as exc:
            raise ChatPlatformError("message not posted", reason=_reason(exc)) from exc
        return CardRef(channel_id=str(resp["channel"]), message_id=str(resp["ts"]))

    async def update(self, *, team_id: str, ref: CardRef, reply: Reply) -> None:
        client = await self._client(team_id)
        try:
            await client.chat_update(
                channel=ref.channel_id,
                ts=ref.message_id,
                text=reply_text(reply),
                blocks=reply_blocks(reply),
            )
        except (SlackApiError, SlackClientError, aiohttp.ClientError) as exc:
            raise ChatPlatformError("message not updated", reason=_reason(exc)) from exc

    async def update_card(self, *, team_id: str, ref: CardRef, card: MeetingCard) -> None:
        client = await self._client(team_id)
        try:
            await client.chat_update(
                channel=ref.channel_id,
                ts=ref.message_id,
                text=card.fallback_text,
                blocks=card_blocks(card),
            )
        except (SlackApiError, SlackClientError, aiohttp.ClientError) as exc:
            raise ChatPlatformError("card not updated", reason=_reason(exc)) from exc

    async def upload(
        self,
        *,
        team_id: str,
        channel_id: str,
        thread_id: str | None,
        files: tuple[Upload, ...],
        comment: str,
    ) -> bool:
        """Share ``files`` in one message through files upload v2 (needs ``files:write``)."""
        if not files:
            return False
        client = await self._client(team_id)
        try:
            await client.files_upload_v2(
                channel=channel_id,
                thread_ts=thread_id,
                initial_comment=comment,
                file_uploads=[
                    {"content": f.data, "filename": f.filename, "title": f.title} for f in files
                ],
            )
        except (SlackApiError, SlackClientError, aiohttp.ClientError) as exc:
            raise ChatPlatformError("files not uploaded", reason=_reason(exc)) from exc
        return True

    async def _client(self, team_id: str) -> AsyncWebClient:
        client = await self._client_for(team_id)
        if client is None:
            raise ChatPlatformError("no installation", reason="not_installed")
        return client


def _reason(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error", "unknown_error"))
    return f"unreachable: {exc}"
