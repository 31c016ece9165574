"""AccountRepo on SQLAlchemy: chat users linked to Google accounts, tokens encrypted."""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.model import ChatUser, GoogleIdentity, GoogleLink, GoogleTokens, Platform
from storage.crypto import TokenCipher
from storage.db import Clock, insert_or_conflict, transaction, utcnow
from storage.tables import GoogleAccountRow

logger = logging.getLogger(__name__)


class SqlAccountRepo:
    """`bot.core.ports.storage.AccountRepo` on SQLite or PostgreSQL; one transaction per call.

    Access and refresh tokens are stored only as `TokenCipher` ciphertext.

    Args:
        sessions: the session factory from `storage.db.make_sessionmaker`.
        cipher: encrypts tokens on write and decrypts them on read.
        clock: returns the current aware UTC time.
    """

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        cipher: TokenCipher,
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._clock = clock

    async def get(self, *, user: ChatUser) -> GoogleLink | None:
        """The user's link, tokens decrypted; None when not linked.

        Raises:
            storage.crypto.TokenDecryptError: the tokens were encrypted with another key.
        """
        async with transaction(self._sessions) as session:
            row = (await session.scalars(select(GoogleAccountRow).where(_is(user)))).first()
        return self._to_link(user, row) if row is not None else None

    async def save(self, *, link: GoogleLink) -> None:
        """Insert or replace the user's link."""
        now = self._clock()
        values = {
            "google_subject": link.identity.subject,
            "email": link.identity.email,
            **self._token_values(link.tokens),
            "updated_at": now,
        }
        async with transaction(self._sessions) as session:
            query = insert_or_conflict(session, GoogleAccountRow).values(
                platform=link.user.platform,
                team_id=link.user.team_id,
                user_id=link.user.user_id,
                created_at=now,
                **values,
            )
            await session.execute(
                query.on_conflict_do_update(
                    index_elements=["platform", "team_id", "user_id"], set_=values
                )
            )
        logger.info("google account linked for %s/%s", link.user.platform, link.user.user_id)

    async def update_tokens(self, *, user: ChatUser, tokens: GoogleTokens) -> None:
        """Replace the stored tokens after a refresh.

        A ``refresh_token`` of None keeps the stored one (Google omits it on refresh). Does
        nothing when the user is not linked.
        """
        values = {**self._token_values(tokens), "updated_at": self._clock()}
        if tokens.refresh_token is None:
            del values["refresh_token_ciphertext"]
        query = (
            update(GoogleAccountRow)
            .where(_is(user))
            .values(**values)
            .returning(GoogleAccountRow.id)
        )
        async with transaction(self._sessions) as session:
            updated = (await session.scalars(query)).first()
        if updated is None:
            logger.warning("token update for unlinked user %s/%s", user.platform, user.user_id)

    async def linked_users(self, *, limit: int) -> list[ChatUser]:
        """Up to ``limit`` linked chat users, oldest link first (the record CLI's default)."""
        query = (
            select(GoogleAccountRow.platform, GoogleAccountRow.team_id, GoogleAccountRow.user_id)
            .order_by(GoogleAccountRow.id)
            .limit(limit)
        )
        async with transaction(self._sessions) as session:
            rows = (await session.execute(query)).all()
        return [ChatUser(cast(Platform, platform), team, user) for platform, team, user in rows]

    async def delete(self, *, user: ChatUser) -> bool:
        """Remove the link; returns whether one existed."""
        query = delete(GoogleAccountRow).where(_is(user)).returning(GoogleAccountRow.id)
        async with transaction(self._sessions) as session:
            deleted = (await session.scalars(query)).first()
        return deleted is not None

    def _token_values(self, tokens: GoogleTokens) -> dict[str, Any]:
        refresh = tokens.refresh_token
        return {
            "access_token_ciphertext": self._cipher.encrypt(tokens.access_token),
            "refresh_token_ciphertext": self._cipher.encrypt(refresh) if refresh else None,
            "expires_at": tokens.expires_at,
            "scopes": " ".join(tokens.scopes),
        }

    def _to_link(self, user: ChatUser, row: GoogleAccountRow) -> GoogleLink:
        refresh = row.refresh_token_ciphertext
        tokens = GoogleTokens(
            access_token=self._cipher.decrypt(row.access_token_ciphertext),
            refresh_token=self._cipher.decrypt(refresh) if refresh is not None else None,
            expires_at=row.expires_at,
            scopes=tuple(row.scopes.split()),
        )
        identity = GoogleIdentity(subject=row.google_subject, email=row.email)
        return GoogleLink(user=user, identity=identity, tokens=tokens)


def _is(user: ChatUser) -> ColumnElement[bool]:
    return and_(
        GoogleAccountRow.platform == user.platform,
        GoogleAccountRow.team_id == user.team_id,
        GoogleAccountRow.user_id == user.user_id,
    )
