"""Builds the meeting card for each lifecycle state."""

from __future__ import annotations

from bot.core.model import Meeting, MeetingState
from bot.core.replies import Action, CardButton, MeetingCard
from bot.core.texts.meetings import ACCESS_WORDS, state_words


def meeting_card(
    meeting: Meeting, *, notes: tuple[str, ...] = (), recording: str | None = None
) -> MeetingCard:
    """The card for ``meeting`` as it is now.

    Args:
        meeting: the meeting.
        notes: extra lines (e.g. who ended it).
        recording: the live recording's status line; the card then offers Stop, not Record.
    """
    value = str(meeting.id)
    status = _status(meeting)
    buttons: tuple[CardButton, ...] = ()
    if recording:
        notes = (recording, *notes)
    if meeting.state is MeetingState.SPACE_CREATED and meeting.meeting_uri:
        record = (
            CardButton(Action.STOP, "Stop recording", value, style="danger")
            if recording
            else CardButton(Action.RECORD, "Record", value)
        )
        buttons = (
            CardButton(Action.JOIN, "Join", value, url=meeting.meeting_uri, style="primary"),
            record,
            CardButton(Action.STATUS, "Status", value),
            CardButton(Action.END, "End", value, style="danger"),
        )
    fallback = f"{meeting.title}: {status}"
    if meeting.meeting_uri:
        fallback += f" {meeting.meeting_uri}"
    return MeetingCard(
        meeting_id=value,
        title=meeting.title,
        status=status,
        created_by=meeting.created_by,
        fallback_text=fallback,
        link=meeting.meeting_uri,
        code=meeting.meeting_code,
        access=ACCESS_WORDS[meeting.access_type] if meeting.access_type else None,
        buttons=buttons,
        notes=notes,
    )


def _status(meeting: Meeting) -> str:
    if meeting.state is MeetingState.SPACE_CREATED:
        return "Open: join with the link or the button"
    if meeting.state is MeetingState.ENDED and meeting.ended_at:
        return f"Ended at {meeting.ended_at:%H:%M} UTC"
    return state_words(meeting.state).capitalize()
