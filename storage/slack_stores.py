"""Slack's own async installation and OAuth state stores, on meetbot's database."""

from __future__ import annotations

import logging

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

# The SDK's stores log query results (OAuth states, tokens) at DEBUG: under slack_sdk's name,
# which `bot.logs.configure` keeps at WARNING.
_sdk_logger = logging.getLogger("slack_sdk.oauth.meetbot_stores")

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"
SLACK_TABLES = frozenset({INSTALLATIONS_TABLE, BOTS_TABLE, OAUTH_STATES_TABLE})


def build_slack_stores(
    *, engine: AsyncEngine, client_id: str, state_ttl: int = 600
) -> tuple[AsyncSQLAlchemyInstallationStore, AsyncSQLAlchemyOAuthStateStore]:
    """Bind Slack's stores to ``engine``; their tables come from migration 0001.

    Args:
        engine: meetbot's engine (see `storage.db.create_engine`).
        client_id: the Slack app's client id; installations are stored per client id.
        state_ttl: seconds an OAuth ``state`` stays valid.

    Returns:
        The installation store and the OAuth state store, for Bolt's ``OAuthSettings``.
    """
    installations = AsyncSQLAlchemyInstallationStore(
        client_id=client_id,
        engine=engine,
        bots_table_name=BOTS_TABLE,
        installations_table_name=INSTALLATIONS_TABLE,
        logger=_sdk_logger,
    )
    states = AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=state_ttl,
        engine=engine,
        logger=_sdk_logger,
        table_name=OAUTH_STATES_TABLE,
    )
    return installations, states
