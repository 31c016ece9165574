"""The database as every entry point opens it: private data dir, engine, migrations, cipher."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings, SettingsError
from storage.crypto import TokenCipher
from storage.db import create_engine, run_migrations
from storage.files import private_dir


@dataclass(frozen=True, slots=True)
class Database:
    """A migrated engine (the caller disposes it) and the cipher of every stored token."""

    engine: AsyncEngine
    cipher: TokenCipher


def token_cipher(settings: Settings) -> TokenCipher:
    """The cipher of every token stored (Google's and Slack's), from the token key.

    Raises:
        SettingsError: the token key is not set.
    """
    key = settings.storage.token_key
    if key is None:
        raise SettingsError("MEETBOT_STORAGE_TOKEN_KEY is required")
    return TokenCipher(key=key.get_secret_value())


async def open_database(settings: Settings) -> Database:
    """The data directory made private (0700) before anything is written in it, then the
    engine on the configured URL, migrated to head (stored Slack tokens encrypted).

    Raises:
        SettingsError: the token key is not set.
    """
    cipher = token_cipher(settings)
    private_dir(settings.storage.data_dir)
    engine = create_engine(settings.storage.resolved_database_url())
    try:
        await run_migrations(engine, cipher=cipher)
    except BaseException:
        await engine.dispose()
        raise
    return Database(engine=engine, cipher=cipher)
