"""Ports the core calls: storage, Google, and the chat platform. Adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.model import (
    AccessType,
    CardRef,
    ChatUser,
    ConferenceRecord,
    ConferenceRecordName,
    GoogleIdentity,
    GoogleLink,
    GoogleTokens,
    Meeting,
    MeetingEvent,
    MeetingId,
    MeetingState,
    NewMeetingRow,
    Participant,
    PendingConnect,
    Space,
    SpaceName,
)
from bot.core.replies import MeetingCard, Reply


class MeetingRepo(Protocol):
    """Meetings and their lifecycle events.

    Every method raises `bot.core.errors.StorageUnavailable` when the database cannot be
    reached; nothing is half-written in that case (one transaction per call).
    """

    async def create(self, *, row: NewMeetingRow, cause: str) -> Meeting:
        """Insert a meeting in state REQUESTED and its first event (old_state None)."""
        ...

    async def get(self, *, meeting_id: MeetingId) -> Meeting | None: ...

    async def find(self, *, platform: str, team_id: str, ref: str) -> Meeting | None:
        """Find by our id, space name (``spaces/x``), meeting code or meeting URI."""
        ...

    async def latest_in_channel(
        self, *, platform: str, team_id: str, channel_id: str
    ) -> Meeting | None: ...

    async def list_in_channel(
        self, *, platform: str, team_id: str, channel_id: str, limit: int
    ) -> Sequence[Meeting]:
        """Newest first."""
        ...

    async def set_space(self, *, meeting_id: MeetingId, space: Space) -> Meeting: ...

    async def set_card(self, *, meeting_id: MeetingId, card: CardRef) -> Meeting: ...

    async def transition(
        self,
        *,
        meeting_id: MeetingId,
        expected: MeetingState,
        new_state: MeetingState,
        cause: str,
        actor: str | None,
    ) -> Meeting | None:
        """Move from ``expected`` to ``new_state`` and write the event row, atomically.

        Returns None when the meeting is no longer in ``expected`` (someone else moved it).
        """
        ...

    async def events(self, *, meeting_id: MeetingId) -> Sequence[MeetingEvent]:
        """Oldest first."""
        ...


class AccountRepo(Protocol):
    """Chat users linked to Google accounts; tokens are encrypted by the implementation."""

    async def get(self, *, user: ChatUser) -> GoogleLink | None: ...

    async def save(self, *, link: GoogleLink) -> None:
        """Insert or replace the user's link."""
        ...

    async def update_tokens(self, *, user: ChatUser, tokens: GoogleTokens) -> None: ...

    async def delete(self, *, user: ChatUser) -> bool:
        """Returns whether a link existed."""
        ...


class ConnectStateRepo(Protocol):
    """OAuth ``state`` values for linking Google accounts."""

    async def issue(self, *, pending: PendingConnect) -> None: ...

    async def consume(self, *, state: str, now: datetime) -> PendingConnect | None:
        """Return and invalidate the state; None if unknown, used or expired."""
        ...


class EventDedupe(Protocol):
    """Remembers delivered platform event ids (Slack retries the same event)."""

    async def first_time(self, *, key: str) -> bool:
        """Record ``key``; True the first time it is seen, False after."""
        ...


class GoogleOAuth(Protocol):
    """Google's OAuth 2.0 web-server flow."""

    def authorization_url(self, *, state: str) -> str: ...

    async def exchange_code(self, *, code: str) -> tuple[GoogleTokens, GoogleIdentity]:
        """Raises `bot.google.errors.OAuthError` on a refused code."""
        ...

    async def refresh(self, *, refresh_token: str) -> GoogleTokens:
        """Raises `bot.google.errors.OAuthError` (``invalid_grant``) when revoked."""
        ...

    async def revoke(self, *, token: str) -> None: ...


class MeetSpaces(Protocol):
    """Meet REST v2. Every call takes a valid access token; errors are `MeetApiError`s."""

    async def create_space(self, *, token: str, access_type: AccessType | None) -> Space: ...

    async def get_space(self, *, token: str, name: str) -> Space:
        """``name`` is ``spaces/{id}`` or ``spaces/{meetingCode}``."""
        ...

    async def set_access(self, *, token: str, name: SpaceName, access_type: AccessType) -> Space:
        """Patch ``config.accessType`` (update mask ``config.accessType``)."""
        ...

    async def end_active_conference(self, *, token: str, name: SpaceName) -> None: ...

    async def list_conference_records(
        self, *, token: str, filter: str | None
    ) -> Sequence[ConferenceRecord]:
        """All pages, newest first, as the API orders them."""
        ...

    async def list_participants(
        self, *, token: str, record: ConferenceRecordName
    ) -> Sequence[Participant]:
        """All pages."""
        ...


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
