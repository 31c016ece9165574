"""Linking a chat user to a Google account: issue a single-use state, complete, disconnect."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.errors import OAuthError
from bot.core.model import ChatUser, GoogleIdentity, GoogleLink, PendingConnect
from bot.core.ports.chat import Notifier
from bot.core.ports.google import GoogleOAuth
from bot.core.ports.storage import AccountRepo, ConnectStateRepo
from bot.core.replies import Reply
from bot.core.texts import meetings as messages

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConnectResult:
    """What the OAuth callback page tells the browser."""

    ok: bool
    message: str
    identity: GoogleIdentity | None = None


class ConnectFlow:
    """Issues connect links and completes the OAuth callback."""

    def __init__(
        self,
        *,
        states: ConnectStateRepo,
        accounts: AccountRepo,
        oauth: GoogleOAuth,
        notifiers: dict[str, Notifier],
        ttl_seconds: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._states = states
        self._accounts = accounts
        self._oauth = oauth
        self._notifiers = notifiers
        self._ttl = ttl_seconds
        self._clock = clock

    @property
    def ttl_minutes(self) -> int:
        return self._ttl // 60

    async def start(self, *, user: ChatUser, channel_id: str) -> str:
        """Issue a state bound to ``user`` and return the consent URL."""
        state = secrets.token_urlsafe(24)
        expires = self._clock() + timedelta(seconds=self._ttl)
        pending = PendingConnect(state=state, user=user, channel_id=channel_id, expires_at=expires)
        await self._states.issue(pending=pending)
        return self._oauth.authorization_url(state=state)

    async def current_email(self, user: ChatUser) -> str | None:
        link = await self._accounts.get(user=user)
        return link.identity.email if link else None

    async def complete(self, *, state: str, code: str | None, error: str | None) -> ConnectResult:
        """Handle Google's redirect back to us."""
        pending = await self._states.consume(state=state, now=self._clock())
        if pending is None:
            return ConnectResult(
                False, "This sign-in link is invalid, used or expired. Run /meet connect again."
            )
        if error or not code:
            await self._tell(pending, Reply(text="Google sign-in was cancelled; nothing changed."))
            return ConnectResult(False, f"Google sign-in was not completed ({error or 'no code'}).")
        try:
            tokens, identity = await self._oauth.exchange_code(code=code)
        except OAuthError as exc:
            logger.warning("code exchange refused: %s", exc.error)
            return ConnectResult(False, f"Google refused the sign-in ({exc.error}). Try again.")
        await self._accounts.save(
            link=GoogleLink(user=pending.user, identity=identity, tokens=tokens)
        )
        logger.info("google account linked")
        await self._tell(pending, messages.connected(identity.email))
        return ConnectResult(
            True, f"Connected as {identity.email}. You can close this tab.", identity
        )

    async def disconnect(self, *, user: ChatUser) -> str | None:
        """Revoke and delete the user's link; return the email that was linked, if any."""
        link = await self._accounts.get(user=user)
        if link is None:
            return None
        try:
            await self._oauth.revoke(token=link.tokens.refresh_token or link.tokens.access_token)
        except OAuthError as exc:
            # Already revoked on Google's side is fine: the tokens are deleted either way.
            logger.info("revoke refused (%s); deleting the tokens anyway", exc.error)
        await self._accounts.delete(user=user)
        return link.identity.email

    async def _tell(self, pending: PendingConnect, reply: Reply) -> None:
        notifier = self._notifiers.get(pending.user.platform)
        if notifier is None:
            return
        try:
            await notifier.notify(user=pending.user, channel_id=pending.channel_id, reply=reply)
        except Exception:
            logger.exception("could not tell the user about their Google sign-in")
