"""The ChatThreads port for Google Chat: thread posts and edits outside any request (files are
linked, not uploaded)."""

from __future__ import annotations

from bot.core.model import CardRef
from bot.core.ports.chat import Upload
from bot.core.replies import MeetingCard, Reply
from bot.gchat import render
from bot.gchat.client import ChatApi


class GChatThreads:
    """Posts under a card (by its message name) and edits messages in place, as the app."""

    def __init__(self, *, api: ChatApi, targets: render.ButtonTargets) -> None:
        self._api = api
        self._targets = targets

    async def post(
        self, *, team_id: str, channel_id: str, thread_id: str | None, reply: Reply
    ) -> CardRef:
        """Post ``reply`` in the thread of message ``thread_id`` (a new thread without one)."""
        thread = await self._api.thread_of(name=thread_id) if thread_id else None
        sent = await self._api.create(
            space=channel_id, message=render.reply_message(reply), thread=thread
        )
        return CardRef(channel_id=channel_id, message_id=sent.name)

    async def update(self, *, team_id: str, ref: CardRef, reply: Reply) -> None:
        await self._api.update(name=ref.message_id, message=render.reply_message(reply))

    async def update_card(self, *, team_id: str, ref: CardRef, card: MeetingCard) -> None:
        message = render.card_message(card, target=self._targets.latest())
        await self._api.update(name=ref.message_id, message=message)

    async def upload(
        self,
        *,
        team_id: str,
        channel_id: str,
        thread_id: str | None,
        files: tuple[Upload, ...],
        comment: str,
    ) -> bool:
        """Chat apps cannot attach files to their own messages (media upload needs user
        authentication), so nothing is uploaded: the summary message links the files."""
        return False
