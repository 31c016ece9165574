"""Valid Google access tokens for chat users: refresh when close to expiry, retry once on 401."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from bot.core.errors import MeetAuthError, NotConnected, OAuthError
from bot.core.model import ChatUser, GoogleIdentity, GoogleLink
from bot.core.ports.google import GoogleOAuth
from bot.core.ports.storage import AccountRepo

logger = logging.getLogger(__name__)

T = TypeVar("T")
_EARLY = timedelta(seconds=60)


class GoogleAccess:
    """Runs Meet calls as a chat user, keeping their tokens fresh."""

    def __init__(
        self,
        *,
        accounts: AccountRepo,
        oauth: GoogleOAuth,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._accounts = accounts
        self._oauth = oauth
        self._clock = clock

    async def call(self, user: ChatUser, fn: Callable[[str], Awaitable[T]]) -> T:
        """Call ``fn(access_token)`` as ``user``.

        Raises:
            NotConnected: no link, or Google refused to refresh it.
        """
        link = await self._link(user)
        if link.tokens.expires_at - _EARLY <= self._clock():
            link = await self._refresh(link)
        try:
            return await fn(link.tokens.access_token)
        except MeetAuthError as exc:
            if exc.status != 401:
                raise
            logger.info("access token refused; refreshing once")
            link = await self._refresh(link)
            return await fn(link.tokens.access_token)

    async def token(self, user: ChatUser, *, force_refresh: bool = False) -> str:
        """A valid access token for ``user`` (refreshed when close to expiry or forced).

        Raises:
            NotConnected: no link, or Google refused to refresh it.
        """
        link = await self._link(user)
        if force_refresh or link.tokens.expires_at - _EARLY <= self._clock():
            link = await self._refresh(link)
        return link.tokens.access_token

    async def scopes(self, user: ChatUser) -> tuple[str, ...]:
        """The scopes ``user`` granted (NotConnected without a link)."""
        return (await self._link(user)).tokens.scopes

    async def identity(self, user: ChatUser) -> GoogleIdentity | None:
        """The Google account ``user`` linked, if any."""
        link = await self._accounts.get(user=user)
        return link.identity if link is not None else None

    async def require(self, user: ChatUser) -> None:
        """Raise `NotConnected` unless ``user`` has linked a Google account."""
        await self._link(user)

    async def _link(self, user: ChatUser) -> GoogleLink:
        link = await self._accounts.get(user=user)
        if link is None:
            raise NotConnected("no Google account linked")
        return link

    async def _refresh(self, link: GoogleLink) -> GoogleLink:
        if not link.tokens.refresh_token:
            raise NotConnected("the access token expired and there is no refresh token")
        try:
            tokens = await self._oauth.refresh(refresh_token=link.tokens.refresh_token)
        except OAuthError as exc:
            if exc.error == "invalid_grant":
                await self._accounts.delete(user=link.user)
                raise NotConnected("Google revoked the grant") from exc
            raise
        await self._accounts.update_tokens(user=link.user, tokens=tokens)
        return replace(link, tokens=tokens)
