"""Initial schema: meetbot's tables and Slack's installation and OAuth state stores.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(255)
STATE = sa.String(32)


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create every table."""
    _create_google_accounts()
    _create_connect_states()
    _create_meetings()
    _create_meeting_events()
    _create_processed_events()
    _create_slack_installations()
    _create_slack_bots()
    _create_slack_oauth_states()


def downgrade() -> None:
    """Drop every table."""
    for table in (
        "slack_oauth_states",
        "slack_bots",
        "slack_installations",
        "processed_events",
        "meeting_events",
        "meetings",
        "connect_states",
        "google_accounts",
    ):
        op.drop_table(table)


def _create_google_accounts() -> None:
    op.create_table(
        "google_accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("team_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("google_subject", sa.String(255), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("access_token_ciphertext", sa.Text(), nullable=False),
        sa.Column("refresh_token_ciphertext", sa.Text(), nullable=True),
        _ts("expires_at"),
        sa.Column("scopes", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_google_accounts"),
        sa.UniqueConstraint(
            "platform", "team_id", "user_id", name="uq_google_accounts_platform_team_id_user_id"
        ),
    )


def _create_connect_states() -> None:
    op.create_table(
        "connect_states",
        sa.Column("state", sa.String(128), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("team_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("channel_id", ID, nullable=False),
        _ts("expires_at"),
        _ts("consumed_at", nullable=True),
        sa.PrimaryKeyConstraint("state", name="pk_connect_states"),
    )
    op.create_index("ix_connect_states_expires_at", "connect_states", ["expires_at"])


def _create_meetings() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("team_id", ID, nullable=False),
        sa.Column("channel_id", ID, nullable=False),
        sa.Column("created_by", ID, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("state", STATE, nullable=False),
        sa.Column("space_name", sa.String(255), nullable=True),
        sa.Column("meeting_code", sa.String(255), nullable=True),
        sa.Column("meeting_uri", sa.Text(), nullable=True),
        sa.Column("access_type", sa.String(32), nullable=True),
        sa.Column("card_channel", ID, nullable=True),
        sa.Column("card_message_id", ID, nullable=True),
        _ts("created_at"),
        _ts("ended_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_meetings"),
    )
    op.create_index(
        "ix_meetings_platform_team_id_channel_id_created_at",
        "meetings",
        ["platform", "team_id", "channel_id", "created_at"],
    )
    op.create_index("ix_meetings_space_name", "meetings", ["space_name"])
    op.create_index("ix_meetings_meeting_code", "meetings", ["meeting_code"])


def _create_meeting_events() -> None:
    op.create_table(
        "meeting_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("meeting_id", sa.String(36), nullable=False),
        sa.Column("old_state", STATE, nullable=True),
        sa.Column("new_state", STATE, nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("actor", ID, nullable=True),
        _ts("at"),
        sa.PrimaryKeyConstraint("id", name="pk_meeting_events"),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name="fk_meeting_events_meeting_id_meetings",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_meeting_events_meeting_id_at", "meeting_events", ["meeting_id", "at"])


def _create_processed_events() -> None:
    op.create_table(
        "processed_events",
        sa.Column("key", sa.String(255), nullable=False),
        _ts("seen_at"),
        sa.PrimaryKeyConstraint("key", name="pk_processed_events"),
    )
    op.create_index("ix_processed_events_seen_at", "processed_events", ["seen_at"])


# Slack's tables copy slack_sdk 3.x `SQLAlchemyInstallationStore.build_installations_table`,
# `build_bots_table` and `SQLAlchemyOAuthStateStore.build_oauth_states_table`; their
# timestamps are naive UTC because slack_sdk strips the zone before writing.


def _slack_bot_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        sa.Column("bot_token", sa.String(200)),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", sa.String(200)),
        sa.Column("bot_token_expires_at", sa.DateTime()),
    ]


def _create_slack_installations() -> None:
    op.create_table(
        "slack_installations",
        *_slack_bot_columns(),
        sa.Column("enterprise_url", sa.String(200)),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("user_token", sa.String(200)),
        sa.Column("user_scopes", sa.String(1000)),
        sa.Column("user_refresh_token", sa.String(200)),
        sa.Column("user_token_expires_at", sa.DateTime()),
        sa.Column("incoming_webhook_url", sa.String(200)),
        sa.Column("incoming_webhook_channel", sa.String(200)),
        sa.Column("incoming_webhook_channel_id", sa.String(200)),
        sa.Column("incoming_webhook_configuration_url", sa.String(200)),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("token_type", sa.String(32)),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_installations"),
    )
    op.create_index(
        "slack_installations_idx",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )


def _create_slack_bots() -> None:
    op.create_table(
        "slack_bots",
        *_slack_bot_columns(),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_bots"),
    )
    op.create_index(
        "slack_bots_idx", "slack_bots", ["client_id", "enterprise_id", "team_id", "installed_at"]
    )


def _create_slack_oauth_states() -> None:
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("state", sa.String(200), nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_oauth_states"),
    )
