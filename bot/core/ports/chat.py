"""Chat ports: replies to a request, notices to a user, a recording's thread outside requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core.model import (
    CardRef,
    ChatUser,
)
from bot.core.replies import MeetingCard, Reply


class ChatReply(Protocol):
    """Talks back to the chat platform for one invocation (bound to its channel and user)."""

    async def ephemeral(self, *, reply: Reply) -> None:
        """Only the person who asked sees it."""
        ...

    async def post_card(self, *, card: MeetingCard) -> CardRef:
        """Post the meeting card where the command was typed; return where it landed."""
        ...

    async def update_card(self, *, ref: CardRef, card: MeetingCard) -> None:
        """Edit the card in place."""
        ...

    async def in_thread(self, *, ref: CardRef, reply: Reply) -> None:
        """Post in the card's thread, visible to the channel."""
        ...

    async def invoker_is_admin(self) -> bool:
        """Whether the person who asked administers the workspace."""
        ...

    async def invoker_is_member(self, *, channel_id: str) -> bool:
        """Whether the person who asked is a member of ``channel_id`` (False when unknown)."""
        ...


class Notifier(Protocol):
    """Reaches a chat user outside any request (e.g. after the Google OAuth callback)."""

    async def notify(self, *, user: ChatUser, channel_id: str, reply: Reply) -> None: ...


@dataclass(frozen=True, slots=True)
class ThreadTarget:
    """Where a recording's messages go: a channel (space) and, usually, a thread in it."""

    platform: str
    team_id: str
    channel_id: str
    thread_id: str | None


@dataclass(frozen=True, slots=True)
class Upload:
    """One file to share in a thread (Slack files upload v2)."""

    filename: str
    title: str
    data: bytes


class ChatThreads(Protocol):
    """Posts and edits messages in a workspace outside any request (background work)."""

    async def post(
        self, *, team_id: str, channel_id: str, thread_id: str | None, reply: Reply
    ) -> CardRef:
        """Post ``reply`` (in ``thread_id``'s thread when given); return where it landed."""
        ...

    async def update(self, *, team_id: str, ref: CardRef, reply: Reply) -> None:
        """Edit a message posted by `post` in place."""
        ...

    async def update_card(self, *, team_id: str, ref: CardRef, card: MeetingCard) -> None:
        """Edit a meeting card in place."""
        ...

    async def upload(
        self,
        *,
        team_id: str,
        channel_id: str,
        thread_id: str | None,
        files: tuple[Upload, ...],
        comment: str,
    ) -> bool:
        """Share ``files`` in the thread with ``comment``; False when the platform cannot
        (Google Chat apps post links instead). Raises `ChatPlatformError` on failure."""
        ...
