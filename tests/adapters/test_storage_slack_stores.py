"""Slack's SQLAlchemy stores (tokens encrypted) on the migrated SQLite and PostgreSQL databases."""

from __future__ import annotations

import time

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.crypto import TokenCipher
from storage.slack_stores import build_slack_stores

INSTALLATION = Installation(
    app_id="A1",
    enterprise_id=None,
    team_id="T1",
    team_name="Acme",
    user_id="U1",
    bot_token="xoxb-secret",
    bot_id="B1",
    bot_user_id="UB1",
    bot_scopes=["commands", "chat:write"],
    bot_refresh_token="xoxe-1",
    bot_token_expires_in=43200,
    installed_at=time.time(),
)


async def test_installation_round_trips(engine: AsyncEngine, cipher: TokenCipher) -> None:
    installations, _ = build_slack_stores(engine=engine, client_id="111.222", cipher=cipher)

    await installations.async_save(INSTALLATION)
    bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
    found = await installations.async_find_installation(enterprise_id=None, team_id="T1")

    assert bot is not None
    assert bot.bot_token == "xoxb-secret"
    assert bot.bot_token_expires_at is not None
    assert found is not None
    assert found.user_id == "U1"
    assert await installations.async_find_bot(enterprise_id=None, team_id="T2") is None


async def test_installations_are_scoped_by_client_id(
    engine: AsyncEngine, cipher: TokenCipher
) -> None:
    installations, _ = build_slack_stores(engine=engine, client_id="111.222", cipher=cipher)
    other, _ = build_slack_stores(engine=engine, client_id="333.444", cipher=cipher)

    await installations.async_save(INSTALLATION)

    assert await other.async_find_bot(enterprise_id=None, team_id="T1") is None


async def test_delete_installation(engine: AsyncEngine, cipher: TokenCipher) -> None:
    installations, _ = build_slack_stores(engine=engine, client_id="111.222", cipher=cipher)
    await installations.async_save(INSTALLATION)

    await installations.async_delete_installation(enterprise_id=None, team_id="T1")
    await installations.async_delete_bot(enterprise_id=None, team_id="T1")

    assert await installations.async_find_installation(enterprise_id=None, team_id="T1") is None
    assert await installations.async_find_bot(enterprise_id=None, team_id="T1") is None


async def test_oauth_state_is_single_use(engine: AsyncEngine, cipher: TokenCipher) -> None:
    _, states = build_slack_stores(engine=engine, client_id="111.222", cipher=cipher)

    state = await states.async_issue()

    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False
    assert await states.async_consume("unknown") is False


async def test_oauth_state_expires(engine: AsyncEngine, cipher: TokenCipher) -> None:
    _, states = build_slack_stores(engine=engine, client_id="111.222", cipher=cipher, state_ttl=-1)

    state = await states.async_issue()

    assert await states.async_consume(state) is False
