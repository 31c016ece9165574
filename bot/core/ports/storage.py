"""Storage ports: meetings, Google links, connect states, event ids, recordings and transcripts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.model import (
    CardRef,
    ChatUser,
    GoogleLink,
    GoogleTokens,
    Meeting,
    MeetingEvent,
    MeetingId,
    MeetingState,
    NewMeetingRow,
    PendingConnect,
    Recording,
    RecordingFile,
    Space,
)
from recorder import RecordingId, RecordingState, Segment, Speaker


@dataclass(frozen=True, slots=True)
class NewRecordingRow:
    """What is known when a recording is requested.

    Attributes:
        meeting_id: our meeting, if the recording belongs to one.
        space_name: the Meet space (``spaces/x``); one live recording per space.
        platform: ``slack`` or ``gchat``.
        team_id: the workspace (Slack team id, or the Chat space's domain key).
        channel_id: where the recording was asked for.
        started_by: the chat user who asked.
        work_dir: the directory holding the crash-safe captures while recording.
        thread_channel: channel of the thread that gets status updates, if any.
        thread_message_id: the thread's parent message, if any.
    """

    meeting_id: str | None
    space_name: str
    platform: str
    team_id: str
    channel_id: str
    started_by: str
    work_dir: str
    thread_channel: str | None
    thread_message_id: str | None


RecordingEvent = tuple[RecordingState | None, RecordingState, str, datetime]
"""``(old_state, new_state, cause, at)``; ``old_state`` is None for the first event."""


class MeetingRepo(Protocol):
    """Meetings and their lifecycle events.

    Every method raises `bot.core.errors.StorageUnavailable` when the database cannot be
    reached; nothing is half-written in that case (one transaction per call).
    """

    async def create(self, *, row: NewMeetingRow, cause: str) -> Meeting:
        """Insert a meeting in state REQUESTED and its first event (old_state None)."""
        ...

    async def get(self, *, meeting_id: MeetingId) -> Meeting | None: ...

    async def find(self, *, platform: str, team_id: str, ref: str) -> Meeting | None:
        """Find by our id, space name (``spaces/x``), meeting code or meeting URI."""
        ...

    async def latest_in_channel(
        self, *, platform: str, team_id: str, channel_id: str
    ) -> Meeting | None: ...

    async def list_in_channel(
        self, *, platform: str, team_id: str, channel_id: str, limit: int
    ) -> Sequence[Meeting]:
        """Newest first."""
        ...

    async def set_space(self, *, meeting_id: MeetingId, space: Space) -> Meeting: ...

    async def set_card(self, *, meeting_id: MeetingId, card: CardRef) -> Meeting: ...

    async def transition(
        self,
        *,
        meeting_id: MeetingId,
        expected: MeetingState,
        new_state: MeetingState,
        cause: str,
        actor: str | None,
    ) -> Meeting | None:
        """Move from ``expected`` to ``new_state`` and write the event row, atomically.

        Returns None when the meeting is no longer in ``expected`` (someone else moved it).
        """
        ...

    async def events(self, *, meeting_id: MeetingId) -> Sequence[MeetingEvent]:
        """Oldest first."""
        ...


class AccountRepo(Protocol):
    """Chat users linked to Google accounts; tokens are encrypted by the implementation."""

    async def get(self, *, user: ChatUser) -> GoogleLink | None: ...

    async def save(self, *, link: GoogleLink) -> None:
        """Insert or replace the user's link."""
        ...

    async def update_tokens(self, *, user: ChatUser, tokens: GoogleTokens) -> None: ...

    async def delete(self, *, user: ChatUser) -> bool:
        """Returns whether a link existed."""
        ...


class ConnectStateRepo(Protocol):
    """OAuth ``state`` values for linking Google accounts."""

    async def issue(self, *, pending: PendingConnect) -> None: ...

    async def consume(self, *, state: str, now: datetime) -> PendingConnect | None:
        """Return and invalidate the state; None if unknown, used or expired."""
        ...


class EventDedupe(Protocol):
    """Remembers delivered platform event ids (Slack retries the same event)."""

    async def first_time(self, *, key: str) -> bool:
        """Record ``key``; True the first time it is seen, False after."""
        ...


class RecordingRepo(Protocol):
    """Recordings, their lifecycle events and files.

    Every method raises `bot.core.errors.StorageUnavailable` when the database cannot be
    reached; nothing is half-written in that case (one transaction per call).
    """

    async def create(self, *, row: NewRecordingRow, cause: str) -> Recording | None:
        """Insert a recording in state STARTING and its first event (old_state None).

        Returns:
            The recording, or None when a recording of the same space that is not final
            already exists (the database enforces one live recorder per space).
        """
        ...

    async def get(self, *, recording_id: RecordingId) -> Recording | None: ...

    async def active_for_space(self, *, space_name: str) -> Recording | None:
        """The space's recording that is neither READY nor FAILED, if any."""
        ...

    async def unfinished(self) -> Sequence[Recording]:
        """Recordings neither READY nor FAILED, oldest first (for recovery after a restart)."""
        ...

    async def latest_for_meeting(self, *, meeting_id: str) -> Recording | None:
        """The meeting's most recently started recording."""
        ...

    async def transition(
        self,
        *,
        recording_id: RecordingId,
        expected: Collection[RecordingState],
        new_state: RecordingState,
        cause: str,
        actor: str | None = None,
        partial: bool | None = None,
        reason: str | None = None,
        conference_record: str | None = None,
        joined_at: datetime | None = None,
        ended_at: datetime | None = None,
        duration: float | None = None,
    ) -> Recording | None:
        """Compare-and-set the state from one of ``expected`` to ``new_state``, atomically.

        Writes a ``recording_events`` row in the same transaction. Fields given (not None)
        are stored with the move; entering READY or FAILED frees the space for a new
        recording.

        Returns:
            The updated recording, or None when it is not in ``expected`` (or unknown).
        """
        ...

    async def set_speakers(self, *, recording_id: RecordingId, speakers: Sequence[Speaker]) -> None:
        """Replace the recording's participant list.

        Raises:
            LookupError: no recording has this id.
        """
        ...

    async def set_notice(self, *, recording_id: RecordingId, message_id: str) -> None:
        """Remember the thread message that shows the recording's status (edited in place).

        Raises:
            LookupError: no recording has this id.
        """
        ...

    async def notice(self, *, recording_id: RecordingId) -> str | None:
        """The status message's id, if one was posted."""
        ...

    async def thread(self, *, recording_id: RecordingId) -> tuple[str, str] | None:
        """``(thread_channel, thread_message_id)`` when the recording has a thread."""
        ...

    async def add_files(self, *, recording_id: RecordingId, files: Sequence[RecordingFile]) -> None:
        """Append finished files (kept in the order given).

        Raises:
            LookupError: no recording has this id.
        """
        ...

    async def files(self, *, recording_id: RecordingId) -> Sequence[RecordingFile]:
        """The mixed file(s) first, then the speakers' files in the order they were added."""
        ...

    async def events(self, *, recording_id: RecordingId) -> Sequence[RecordingEvent]:
        """Oldest first."""
        ...

    async def delete_files(self, *, recording_id: RecordingId) -> Sequence[RecordingFile]:
        """Remove the recording's file rows (one transaction) and return what they were, so the
        caller can delete the blobs. Returns an empty sequence for an unknown recording."""
        ...

    async def mark_deleted(self, *, recording_id: RecordingId, by: str, at: datetime) -> bool:
        """Record that the recording's files and transcript were deleted (``by`` a user id, or
        ``retention``), with a ``recording_events`` row; False when unknown or already deleted.
        """
        ...

    async def deleted_at(self, *, recording_id: RecordingId) -> datetime | None:
        """When the recording's files were deleted, if they were."""
        ...

    async def ended_before(self, *, cutoff: datetime, limit: int = 100) -> Sequence[Recording]:
        """READY or FAILED recordings that ended before ``cutoff`` and are not deleted yet,
        oldest first (the retention sweep)."""
        ...


class TranscriptRepo(Protocol):
    """Transcript segments of recordings.

    Every method raises `bot.core.errors.StorageUnavailable` when the database cannot be
    reached.
    """

    async def add_segments(self, *, recording_id: RecordingId, segments: Sequence[Segment]) -> None:
        """Append segments (one transaction); duplicates of (speaker, start) are ignored."""
        ...

    async def segments(self, *, recording_id: RecordingId) -> Sequence[Segment]:
        """The recording's transcript ordered by start time, then speaker."""
        ...

    async def delete(self, *, recording_id: RecordingId) -> int:
        """Remove every segment of the recording; returns how many there were."""
        ...
