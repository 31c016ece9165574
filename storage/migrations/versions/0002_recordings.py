"""Recordings: one row per recorded conference, its files and its lifecycle events.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(255)
STATE = sa.String(32)


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create recordings, recording_files and recording_events."""
    _create_recordings()
    _create_recording_files()
    _create_recording_events()


def downgrade() -> None:
    """Drop the recording tables."""
    for table in ("recording_events", "recording_files", "recordings"):
        op.drop_table(table)


def _create_recordings() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("meeting_id", sa.String(36), nullable=True),
        sa.Column("space_name", sa.String(255), nullable=False),
        sa.Column("conference_record", sa.String(255), nullable=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("team_id", ID, nullable=False),
        sa.Column("channel_id", ID, nullable=False),
        sa.Column("started_by", ID, nullable=False),
        sa.Column("state", STATE, nullable=False),
        sa.Column("partial", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("active_key", sa.String(255), nullable=True),
        _ts("started_at"),
        _ts("joined_at", nullable=True),
        _ts("ended_at", nullable=True),
        sa.Column("duration", sa.Double(), nullable=True),
        sa.Column("work_dir", sa.Text(), nullable=False),
        sa.Column("speakers", sa.Text(), nullable=False),
        sa.Column("thread_channel", ID, nullable=True),
        sa.Column("thread_message_id", ID, nullable=True),
        sa.Column("notice_message_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_recordings"),
        sa.UniqueConstraint("active_key", name="uq_recordings_active_key"),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name="fk_recordings_meeting_id_meetings",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_recordings_meeting_id", "recordings", ["meeting_id"])
    op.create_index("ix_recordings_state", "recordings", ["state"])


def _create_recording_files() -> None:
    op.create_table(
        "recording_files",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recording_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("blob_key", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("duration", sa.Double(), nullable=False),
        sa.Column("speaker_key", sa.String(255), nullable=True),
        sa.Column("speaker_name", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recording_files"),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name="fk_recording_files_recording_id_recordings",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_recording_files_recording_id_position",
        "recording_files",
        ["recording_id", "position"],
    )


def _create_recording_events() -> None:
    op.create_table(
        "recording_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recording_id", sa.String(36), nullable=False),
        sa.Column("old_state", STATE, nullable=True),
        sa.Column("new_state", STATE, nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("actor", ID, nullable=True),
        _ts("at"),
        sa.PrimaryKeyConstraint("id", name="pk_recording_events"),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name="fk_recording_events_recording_id_recordings",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_recording_events_recording_id_at", "recording_events", ["recording_id", "at"]
    )
