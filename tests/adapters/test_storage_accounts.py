"""SqlAccountRepo against real SQLite and PostgreSQL databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.errors import StorageUnavailable
from bot.core.model import ChatUser, GoogleIdentity, GoogleLink, GoogleTokens
from storage.crypto import TokenCipher, TokenDecryptError, generate_key
from storage.db import make_sessionmaker
from storage.repos import Repos, build_repos
from storage.repos.accounts import SqlAccountRepo

USER = ChatUser(platform="slack", team_id="T1", user_id="U1")
TOKENS = GoogleTokens(
    access_token="ya29.access-secret",
    refresh_token="1//refresh-secret",
    expires_at=datetime(2025, 3, 1, 10, 0, tzinfo=UTC),
    scopes=("openid", "https://www.googleapis.com/auth/meetings.space.created"),
)
LINK = GoogleLink(
    user=USER, identity=GoogleIdentity(subject="1234", email="ada@example.com"), tokens=TOKENS
)


async def test_save_then_get_round_trips(repos: Repos) -> None:
    await repos.accounts.save(link=LINK)

    assert await repos.accounts.get(user=USER) == LINK
    assert await repos.accounts.get(user=replace(USER, team_id="T2")) is None


async def test_expiry_read_back_in_utc(repos: Repos) -> None:
    paris = timezone(timedelta(hours=1))
    tokens = replace(TOKENS, expires_at=datetime(2025, 3, 1, 11, 0, tzinfo=paris))
    await repos.accounts.save(link=replace(LINK, tokens=tokens))

    link = await repos.accounts.get(user=USER)

    assert link is not None
    assert link.tokens.expires_at == TOKENS.expires_at
    assert link.tokens.expires_at.utcoffset() == timedelta(0)


async def test_tokens_are_not_stored_in_plaintext(repos: Repos, engine: AsyncEngine) -> None:
    await repos.accounts.save(link=LINK)

    async with engine.connect() as connection:
        row = (await connection.execute(text("SELECT * FROM google_accounts"))).mappings().one()

    raw = " ".join(str(value) for value in row.values())
    assert "access-secret" not in raw
    assert "refresh-secret" not in raw
    assert row["email"] == "ada@example.com"


async def test_save_replaces_existing_link(repos: Repos) -> None:
    await repos.accounts.save(link=LINK)
    other = GoogleLink(
        user=USER,
        identity=GoogleIdentity(subject="999", email="bob@example.com"),
        tokens=replace(TOKENS, access_token="new", refresh_token=None, scopes=()),
    )

    await repos.accounts.save(link=other)

    assert await repos.accounts.get(user=USER) == other


async def test_update_tokens_keeps_refresh_token_when_absent(repos: Repos) -> None:
    await repos.accounts.save(link=LINK)
    later = TOKENS.expires_at + timedelta(hours=1)

    await repos.accounts.update_tokens(
        user=USER,
        tokens=replace(TOKENS, access_token="fresh", refresh_token=None, expires_at=later),
    )

    link = await repos.accounts.get(user=USER)
    assert link is not None
    assert link.tokens.access_token == "fresh"
    assert link.tokens.refresh_token == TOKENS.refresh_token
    assert link.tokens.expires_at == later
    assert link.identity == LINK.identity


async def test_update_tokens_replaces_refresh_token_when_given(repos: Repos) -> None:
    await repos.accounts.save(link=LINK)

    await repos.accounts.update_tokens(user=USER, tokens=replace(TOKENS, refresh_token="r2"))

    link = await repos.accounts.get(user=USER)
    assert link is not None
    assert link.tokens.refresh_token == "r2"


async def test_update_tokens_for_unlinked_user_does_nothing(repos: Repos) -> None:
    await repos.accounts.update_tokens(user=USER, tokens=TOKENS)

    assert await repos.accounts.get(user=USER) is None


async def test_delete_reports_whether_link_existed(repos: Repos) -> None:
    await repos.accounts.save(link=LINK)

    assert await repos.accounts.delete(user=USER) is True
    assert await repos.accounts.delete(user=USER) is False
    assert await repos.accounts.get(user=USER) is None


async def test_reading_with_another_key_fails_clearly(repos: Repos, engine: AsyncEngine) -> None:
    await repos.accounts.save(link=LINK)
    other = build_repos(engine=engine, cipher=TokenCipher(key=generate_key()))

    with pytest.raises(TokenDecryptError, match="token key"):
        await other.accounts.get(user=USER)


async def test_unreachable_database_raises_storage_unavailable(
    unreachable_engine: AsyncEngine, cipher: TokenCipher
) -> None:
    accounts = build_repos(engine=unreachable_engine, cipher=cipher).accounts
    with pytest.raises(StorageUnavailable):
        await accounts.save(link=LINK)
    with pytest.raises(StorageUnavailable):
        await accounts.get(user=USER)


async def test_linked_users_lists_the_oldest_links_first(
    engine: AsyncEngine, cipher: TokenCipher
) -> None:
    accounts = SqlAccountRepo(sessions=make_sessionmaker(engine), cipher=cipher)
    assert await accounts.linked_users(limit=2) == []
    other = ChatUser(platform="gchat", team_id="", user_id="users/42")
    third = replace(USER, user_id="U3")
    for user in (USER, other, third):
        await accounts.save(link=replace(LINK, user=user))

    assert await accounts.linked_users(limit=2) == [USER, other]
    assert await accounts.linked_users(limit=5) == [USER, other, third]
