"""Slack's token columns become text: they hold `TokenCipher` ciphertext, longer than tokens.

The tokens themselves are encrypted at start-up (`storage.db.run_migrations` with the
cipher): migrations run without the token key.

Revision ID: 0004
Revises: 0003
Create Date: 2025-04-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = {
    "slack_installations": (
        "bot_token",
        "bot_refresh_token",
        "user_token",
        "user_refresh_token",
        "incoming_webhook_url",
    ),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}


def upgrade() -> None:
    """Widen the token columns to text."""
    _retype(old=sa.String(200), new=sa.Text())


def downgrade() -> None:
    """Narrow them back (fails on PostgreSQL while ciphertext longer than 200 is stored)."""
    _retype(old=sa.Text(), new=sa.String(200))


def _retype(*, old: sa.types.TypeEngine[str], new: sa.types.TypeEngine[str]) -> None:
    for table, columns in _COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, existing_type=old, type_=new)
