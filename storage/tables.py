"""SQLAlchemy table definitions for meetbot's own data (Slack's stores live in slack_stores)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    PostgreSQL keeps ``timestamptz``; SQLite has no zone, so values are stored as naive UTC
    and the zone is restored on read. Naive datetimes are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value)!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base holding meetbot's metadata (constraint names are deterministic)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime}


class GoogleAccountRow(Base):
    """A chat user's linked Google account; token columns hold Fernet ciphertext."""

    __tablename__ = "google_accounts"
    __table_args__ = (UniqueConstraint("platform", "team_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    google_subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320))
    access_token_ciphertext: Mapped[str] = mapped_column(Text)
    refresh_token_ciphertext: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime]
    scopes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ConnectStateRow(Base):
    """An issued OAuth ``state`` for linking a Google account (single use)."""

    __tablename__ = "connect_states"
    __table_args__ = (Index(None, "expires_at"),)

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]


class MeetingRow(Base):
    """A meeting created from chat, with its Meet space once created."""

    __tablename__ = "meetings"
    __table_args__ = (
        Index(None, "platform", "team_id", "channel_id", "created_at"),
        Index(None, "space_name"),
        Index(None, "meeting_code"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str] = mapped_column(String(255))
    created_by: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(32))
    space_name: Mapped[str | None] = mapped_column(String(255))
    meeting_code: Mapped[str | None] = mapped_column(String(255))
    meeting_uri: Mapped[str | None] = mapped_column(Text)
    access_type: Mapped[str | None] = mapped_column(String(32))
    card_channel: Mapped[str | None] = mapped_column(String(255))
    card_message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class MeetingEventRow(Base):
    """One lifecycle transition of a meeting."""

    __tablename__ = "meeting_events"
    __table_args__ = (Index(None, "meeting_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("meetings.id", ondelete="CASCADE")
    )
    old_state: Mapped[str | None] = mapped_column(String(32))
    new_state: Mapped[str] = mapped_column(String(32))
    cause: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime]


class ProcessedEventRow(Base):
    """A delivered platform event id, remembered to drop retries."""

    __tablename__ = "processed_events"
    __table_args__ = (Index(None, "seen_at"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_at: Mapped[datetime]


class RecordingRow(Base):
    """A recording of one conference; ``active_key`` holds the space name until it is final.

    The unique ``active_key`` lets the database refuse a second live recorder for the same
    space; final recordings set it to NULL, and NULLs never collide.
    """

    __tablename__ = "recordings"
    __table_args__ = (Index(None, "meeting_id"), Index(None, "state"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    meeting_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("meetings.id", ondelete="SET NULL")
    )
    space_name: Mapped[str] = mapped_column(String(255))
    conference_record: Mapped[str | None] = mapped_column(String(255))
    platform: Mapped[str] = mapped_column(String(16))
    team_id: Mapped[str] = mapped_column(String(255))
    channel_id: Mapped[str] = mapped_column(String(255))
    started_by: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(32))
    partial: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(Text)
    active_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    started_at: Mapped[datetime]
    joined_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    duration: Mapped[float | None]
    work_dir: Mapped[str] = mapped_column(Text)
    speakers: Mapped[str] = mapped_column(Text)
    thread_channel: Mapped[str | None] = mapped_column(String(255))
    thread_message_id: Mapped[str | None] = mapped_column(String(255))
    notice_message_id: Mapped[str | None] = mapped_column(String(255))
    deleted_at: Mapped[datetime | None]


class RecordingFileRow(Base):
    """One finished output of a recording, stored in the blob store under ``blob_key``."""

    __tablename__ = "recording_files"
    __table_args__ = (Index(None, "recording_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("recordings.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))
    blob_key: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    duration: Mapped[float]
    speaker_key: Mapped[str | None] = mapped_column(String(255))
    speaker_name: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)


class TranscriptSegmentRow(Base):
    """One utterance of one speaker in a recording's transcript (seconds on the call clock).

    The unique (recording, speaker, start) makes re-delivered segments harmless.
    """

    __tablename__ = "transcript_segments"
    __table_args__ = (
        UniqueConstraint("recording_id", "speaker_key", "start"),
        Index(None, "recording_id", "start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("recordings.id", ondelete="CASCADE")
    )
    speaker_key: Mapped[str] = mapped_column(String(255))
    speaker_name: Mapped[str] = mapped_column(Text)
    start: Mapped[float]
    end: Mapped[float]
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class RecordingEventRow(Base):
    """One lifecycle transition of a recording."""

    __tablename__ = "recording_events"
    __table_args__ = (Index(None, "recording_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("recordings.id", ondelete="CASCADE")
    )
    old_state: Mapped[str | None] = mapped_column(String(32))
    new_state: Mapped[str] = mapped_column(String(32))
    cause: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime]
