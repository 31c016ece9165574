"""Slack's tokens encrypted in Slack's own tables: a column type, and the start-up migration."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy.engine import Connection, Dialect

from storage.crypto import TokenCipher, is_ciphertext

logger = logging.getLogger(__name__)

# Credentials in slack_sdk's tables: OAuth tokens, and an incoming webhook's URL (whoever
# has it can post to the channel).
TOKEN_COLUMNS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)


class EncryptedToken(sa.types.TypeDecorator[str]):
    """A text column holding `TokenCipher` ciphertext; Python sees the plain token.

    A value written before encryption existed (not ciphertext-shaped) reads as it is, so a
    row from an older version keeps working until `encrypt_plaintext_tokens` rewrites it.
    """

    impl = sa.Text
    cache_ok = True

    def __init__(self, cipher: TokenCipher) -> None:
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.cipher.encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not is_ciphertext(value):
            return value
        return self.cipher.decrypt(value)


def encrypt_columns(table: sa.Table, cipher: TokenCipher) -> None:
    """Make ``table``'s token columns `EncryptedToken` (slack_sdk builds them as strings)."""
    for name in TOKEN_COLUMNS:
        if name in table.c:
            table.c[name].type = EncryptedToken(cipher)


def encrypt_plaintext_tokens(connection: Connection, *, cipher: TokenCipher) -> int:
    """Encrypt every Slack token still stored in plain text; returns how many rows changed.

    Idempotent: ciphertext is left alone, so running it at every start costs one read.
    """
    metadata = sa.MetaData()
    tables = (
        SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations"),
        SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots"),
    )
    changed = sum(_encrypt_table(connection, table, cipher) for table in tables)
    if changed:
        logger.info("encrypted the Slack tokens of %d stored installations", changed)
    return changed


def _encrypt_table(connection: Connection, table: sa.Table, cipher: TokenCipher) -> int:
    columns = [table.c[name] for name in TOKEN_COLUMNS if name in table.c]
    rows = connection.execute(sa.select(table.c.id, *columns)).mappings().all()
    changed = 0
    for row in rows:
        plain = {
            c.name: cipher.encrypt(row[c.name])
            for c in columns
            if row[c.name] is not None and not is_ciphertext(row[c.name])
        }
        if plain:
            connection.execute(table.update().where(table.c.id == row["id"]).values(**plain))
            changed += 1
    return changed
