"""Slack tokens at rest: ciphertext in the rows, plain to Bolt, old plaintext rows migrated."""

from __future__ import annotations

import time
from typing import Any

import pytest
from alembic import command
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from sandbox.slack.state import TEAM_ID
from storage.crypto import TokenCipher, TokenDecryptError, generate_key, is_ciphertext
from storage.db import alembic_config, run_migrations
from storage.slack_stores import BOTS_TABLE, INSTALLATIONS_TABLE, build_slack_stores
from tests.adapters.sandbox_server import running_sandbox

CLIENT_ID = "111.222"
# A rotating token's length: its ciphertext is longer than the 200 characters of slack_sdk's
# columns, which PostgreSQL would refuse before migration 0004.
ROTATED = "xoxe.xoxb-1-" + "M" * 150
TOKENS = {
    "bot_token": "xoxb-1-bot-secret",
    "bot_refresh_token": "xoxe-1-" + "r" * 140,
    "user_token": "xoxp-1-user-secret",
    "user_refresh_token": "xoxe-1-user-refresh",
    "incoming_webhook_url": "https://hooks.slack.com/services/T1/B1/webhooksecret",
}


def _installation(**changes: Any) -> Installation:
    fields: dict[str, Any] = {
        "app_id": "A1",
        "enterprise_id": None,
        "team_id": "T1",
        "user_id": "U1",
        "bot_id": "B1",
        "bot_user_id": "UB1",
        "bot_scopes": ["commands"],
        "bot_token_expires_in": 43200,
        "installed_at": time.time(),
        **TOKENS,
        **changes,
    }
    return Installation(**fields)


async def _raw(engine: AsyncEngine, table: str) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        rows = await connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
        return [dict(row) for row in rows.mappings()]


async def test_rows_hold_ciphertext_and_finds_give_the_tokens(
    engine: AsyncEngine, cipher: TokenCipher
) -> None:
    installations, _ = build_slack_stores(engine=engine, client_id=CLIENT_ID, cipher=cipher)

    await installations.async_save(_installation())

    [row] = await _raw(engine, INSTALLATIONS_TABLE)
    [bot_row] = await _raw(engine, BOTS_TABLE)
    for name, token in TOKENS.items():
        assert is_ciphertext(row[name]), name
        assert cipher.decrypt(row[name]) == token
    assert is_ciphertext(bot_row["bot_token"])
    assert is_ciphertext(bot_row["bot_refresh_token"])
    found = await installations.async_find_installation(enterprise_id=None, team_id="T1")
    bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
    assert found is not None
    assert bot is not None
    assert {name: getattr(found, name) for name in TOKENS} == TOKENS
    assert (bot.bot_token, bot.bot_refresh_token) == (
        TOKENS["bot_token"],
        TOKENS["bot_refresh_token"],
    )


async def test_a_long_rotated_token_fits(engine: AsyncEngine, cipher: TokenCipher) -> None:
    installations, _ = build_slack_stores(engine=engine, client_id=CLIENT_ID, cipher=cipher)

    await installations.async_save(_installation(bot_token=ROTATED))

    bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None
    assert bot.bot_token == ROTATED
    assert len(cipher.encrypt(ROTATED)) > 200


async def test_finding_the_installation_of_a_user_takes_the_latest_bot_token(
    engine: AsyncEngine, cipher: TokenCipher
) -> None:
    installations, _ = build_slack_stores(engine=engine, client_id=CLIENT_ID, cipher=cipher)
    await installations.async_save(_installation(installed_at=time.time() - 60))
    newer = _installation(user_id="U2", bot_token="xoxb-1-newer")
    await installations.async_save(newer)

    found = await installations.async_find_installation(
        enterprise_id=None, team_id="T1", user_id="U1"
    )

    assert found is not None
    assert found.bot_token == "xoxb-1-newer"
    assert found.user_token == TOKENS["user_token"]


async def test_bolt_authorizes_with_the_plain_token(
    engine: AsyncEngine, cipher: TokenCipher
) -> None:
    installations, _ = build_slack_stores(engine=engine, client_id=CLIENT_ID, cipher=cipher)
    async with running_sandbox() as live:
        token = live.sandbox.slack.issue_bot_token()
        await installations.async_save(_installation(bot_token=token, team_id=TEAM_ID))
        context = AsyncBoltContext(
            client=AsyncWebClient(base_url=f"{live.base_url}/sandbox/slack/api/")
        )
        authorize = AsyncInstallationStoreAuthorize(
            logger=installations.logger,
            client_id=CLIENT_ID,
            client_secret="unused",
            installation_store=installations,
            bot_only=True,
        )

        result = await authorize(context=context, enterprise_id=None, team_id=TEAM_ID, user_id="U1")

    assert result is not None
    assert result.bot_token == token  # Bolt called auth.test with it, and Slack knew it


async def test_another_key_fails_clearly(engine: AsyncEngine, cipher: TokenCipher) -> None:
    installations, _ = build_slack_stores(engine=engine, client_id=CLIENT_ID, cipher=cipher)
    await installations.async_save(_installation())
    other, _ = build_slack_stores(
        engine=engine, client_id=CLIENT_ID, cipher=TokenCipher(key=generate_key())
    )

    with pytest.raises(TokenDecryptError, match="token key"):
        await other.async_find_bot(enterprise_id=None, team_id="T1")


async def _downgrade_to_0003(engine: AsyncEngine) -> None:
    def downgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")

    async with engine.begin() as connection:
        await connection.run_sync(downgrade)


@pytest.mark.parametrize("from_0003", [False, True], ids=["at head", "from 0003"])
async def test_plaintext_rows_read_as_they_are_then_are_encrypted_at_start(
    engine: AsyncEngine, cipher: TokenCipher, from_0003: bool
) -> None:
    if from_0003:  # the columns are still VARCHAR(200) when the old rows are written
        await _downgrade_to_0003(engine)
    # What an older meetbot wrote: slack_sdk's own store, tokens in plain text.
    legacy = AsyncSQLAlchemyInstallationStore(
        client_id=CLIENT_ID,
        engine=engine,
        bots_table_name=BOTS_TABLE,
        installations_table_name=INSTALLATIONS_TABLE,
    )
    await legacy.async_save(_installation())
    await legacy.async_save(_installation(team_id="T2", user_token=None, user_refresh_token=None))
    installations, _ = build_slack_stores(engine=engine, client_id=CLIENT_ID, cipher=cipher)
    bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None
    assert bot.bot_token == TOKENS["bot_token"]

    await run_migrations(engine, cipher=cipher)  # 0004 if needed, then the encryption

    rows = await _raw(engine, INSTALLATIONS_TABLE) + await _raw(engine, BOTS_TABLE)
    assert len(rows) == 4
    stored = [row[name] for row in rows for name in TOKENS if row.get(name) is not None]
    assert len(stored) == 5 + 3 + 2 + 2  # T2 has no user tokens
    assert all(is_ciphertext(value) for value in stored)
    for team in ("T1", "T2"):
        found = await installations.async_find_installation(enterprise_id=None, team_id=team)
        assert found is not None
        assert found.bot_token == TOKENS["bot_token"]

    await run_migrations(engine, cipher=cipher)  # once encrypted, nothing changes
    again = await _raw(engine, INSTALLATIONS_TABLE) + await _raw(engine, BOTS_TABLE)
    assert again == rows
