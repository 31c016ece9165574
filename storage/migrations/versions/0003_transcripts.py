"""Transcripts and retention: transcript_segments, and recordings.deleted_at.

Revision ID: 0003
Revises: 0002
Create Date: 2025-03-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add recordings.deleted_at and create transcript_segments."""
    op.add_column("recordings", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    _create_transcript_segments()


def downgrade() -> None:
    """Drop transcript_segments and recordings.deleted_at."""
    op.drop_table("transcript_segments")
    op.drop_column("recordings", "deleted_at")  # SQLite >= 3.35 drops columns in place


def _create_transcript_segments() -> None:
    op.create_table(
        "transcript_segments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recording_id", sa.String(36), nullable=False),
        sa.Column("speaker_key", sa.String(255), nullable=False),
        sa.Column("speaker_name", sa.Text(), nullable=False),
        sa.Column("start", sa.Double(), nullable=False),
        sa.Column("end", sa.Double(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transcript_segments"),
        sa.UniqueConstraint(
            "recording_id",
            "speaker_key",
            "start",
            name="uq_transcript_segments_recording_id_speaker_key_start",
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"],
            ["recordings.id"],
            name="fk_transcript_segments_recording_id_recordings",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_transcript_segments_recording_id_start",
        "transcript_segments",
        ["recording_id", "start"],
    )
