"""Slack's own installation store (tokens encrypted) and OAuth state store, on our database."""

from __future__ import annotations

import logging

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.crypto import TokenCipher
from storage.slack_tokens import encrypt_columns

# The SDK's stores log query results (OAuth states, tokens) at DEBUG: under slack_sdk's name,
# which `bot.logs.configure` keeps at WARNING.
_sdk_logger = logging.getLogger("slack_sdk.oauth.meetbot_stores")

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"
SLACK_TABLES = frozenset({INSTALLATIONS_TABLE, BOTS_TABLE, OAUTH_STATES_TABLE})


class EncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store whose token columns hold ciphertext.

    Saves encrypt and finds decrypt inside SQLAlchemy's column type, so everything the SDK
    and Bolt do (authorize, token rotation, ``client_for``) sees plain tokens unchanged.
    """

    def __init__(
        self,
        *,
        cipher: TokenCipher,
        client_id: str,
        engine: AsyncEngine,
        bots_table_name: str = BOTS_TABLE,
        installations_table_name: str = INSTALLATIONS_TABLE,
        logger: logging.Logger = _sdk_logger,
    ) -> None:
        super().__init__(
            client_id=client_id,
            engine=engine,
            bots_table_name=bots_table_name,
            installations_table_name=installations_table_name,
            logger=logger,
        )
        encrypt_columns(self.bots, cipher)
        encrypt_columns(self.installations, cipher)


def build_slack_stores(
    *, engine: AsyncEngine, client_id: str, cipher: TokenCipher, state_ttl: int = 600
) -> tuple[EncryptedInstallationStore, AsyncSQLAlchemyOAuthStateStore]:
    """Bind Slack's stores to ``engine``; their tables come from migrations 0001 and 0004.

    Args:
        engine: meetbot's engine (see `storage.db.create_engine`).
        client_id: the Slack app's client id; installations are stored per client id.
        cipher: encrypts the tokens (the same key as Google's tokens).
        state_ttl: seconds an OAuth ``state`` stays valid.

    Returns:
        The installation store and the OAuth state store, for Bolt's ``OAuthSettings``.
    """
    installations = EncryptedInstallationStore(
        cipher=cipher,
        client_id=client_id,
        engine=engine,
        bots_table_name=BOTS_TABLE,
        installations_table_name=INSTALLATIONS_TABLE,
    )
    states = AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=state_ttl,
        engine=engine,
        logger=_sdk_logger,
        table_name=OAUTH_STATES_TABLE,
    )
    return installations, states
