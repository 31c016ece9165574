"""What the bot says about meetings: help, connecting, status, lists and errors with a way out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.errors import (
    MeetApiError,
    MeetAuthError,
    MeetPermissionDenied,
    MeetPreconditionFailed,
    RateLimited,
    SpaceNotFound,
)
from bot.core.model import AccessType, Meeting, MeetingState, Participant
from bot.core.replies import LinkButton, Reply

HELP_LINES = (
    "*Google Meet from chat*",
    "`/meet new [title] [--access open|trusted|restricted]` create a meeting and post its card",
    "`/meet end [meeting]` end the call for everyone",
    "`/meet status [meeting]` who is in the call right now",
    "`/meet list` recent meetings in this channel",
    "`/meet record [meeting] [--live] [--audio-only]` · `/meet stop` record the call; the"
    " video, audio and transcript follow in the thread (`--live`: a live transcript during"
    " the call; `--audio-only`: no video)",
    "`/meet transcript [meeting]` post the latest recording's transcript again",
    "`/meet delete [meeting]` delete the latest recording, its transcript and links"
    " (whoever started it, or an admin)",
    "`/meet connect` · `/meet disconnect` link or unlink your Google account",
    "`/meet help` this message",
    "A _meeting_ is a Meet link, a meeting code like `abc-defg-hij`, or left out for the"
    " latest meeting in this channel. You can also mention me: `@meetbot new standup`.",
)

ACCESS_WORDS = {
    AccessType.OPEN: "anyone with the link can join",
    AccessType.TRUSTED: "people in your organization join directly, others knock",
    AccessType.RESTRICTED: "only invited people join directly, others knock",
    AccessType.UNSPECIFIED: "your organization's default",
}


def help_reply(problem: str | None = None) -> Reply:
    text = "\n".join(HELP_LINES)
    if problem:
        text = f"{problem}\n\n{text}"
    return Reply(text=text)


def connect_reply(url: str, *, ttl_minutes: int, current_email: str | None) -> Reply:
    if current_email:
        text = (
            f"You're connected as *{current_email}*. To switch to another Google account,"
            " sign in again with the button."
        )
    else:
        text = "Connect your Google account so I can create and manage meetings as you."
    return Reply(
        text=text,
        links=(LinkButton(label="Connect Google account", url=url),),
        context=f"The link is yours alone, works once, and expires in {ttl_minutes} minutes.",
    )


def needs_connect(url: str, *, ttl_minutes: int) -> Reply:
    return Reply(
        text="First connect your Google account: meetings are created as you, in your Meet.",
        links=(LinkButton(label="Connect Google account", url=url),),
        context=f"Then run the command again. The link expires in {ttl_minutes} minutes.",
    )


def connected(email: str) -> Reply:
    return Reply(text=f"You're connected to Google as *{email}*. Try `/meet new standup`.")


def disconnected(email: str | None) -> Reply:
    if email is None:
        return Reply(text="You had no Google account connected; nothing to do.")
    return Reply(text=f"Disconnected *{email}*: I revoked my access and deleted its tokens.")


def link_expired() -> Reply:
    return Reply(
        text="Your Google access has expired or was revoked. Run `/meet connect` to sign in again."
    )


def google_signin_unavailable() -> Reply:
    return Reply(
        text="Google sign-in isn't answering right now, so nothing was changed. "
        "Please try again in a minute."
    )


def storage_unavailable() -> Reply:
    return Reply(
        text="I can't reach my database right now, so nothing was changed. "
        "Please try again in a minute."
    )


def internal_error() -> Reply:
    return Reply(text="Something went wrong on my side and nothing was changed. Please try again.")


def meet_error(exc: MeetApiError, *, doing: str) -> Reply:
    """A plain sentence for a Meet API failure while ``doing`` (e.g. "create the meeting")."""
    if isinstance(exc, RateLimited):
        wait = f" in about {round(exc.retry_after)} s" if exc.retry_after else " in a minute"
        why = f"Google Meet is rate-limiting requests right now. Please try again{wait}."
    elif isinstance(exc, MeetAuthError):
        why = (
            "Google refused my access for your account (the grant may lack the Meet "
            "permission or was revoked). Run `/meet connect` and allow access to Meet."
        )
    elif isinstance(exc, MeetPermissionDenied):
        why = "Your Google account isn't allowed to do that for this meeting."
    elif isinstance(exc, SpaceNotFound):
        why = "Google Meet doesn't know that meeting (check the link or code)."
    elif isinstance(exc, MeetPreconditionFailed):
        why = "Google Meet says the meeting isn't in a state that allows it."
    else:
        why = "Google Meet is unavailable right now. Please try again in a minute."
    return Reply(text=f"I couldn't {doing}. {why}")


def no_meeting(ref: str | None) -> Reply:
    if ref:
        return Reply(text=f"I don't know a meeting `{ref}` in this channel.")
    return Reply(text="There's no meeting in this channel yet. Start one with `/meet new`.")


def already_ended(meeting: Meeting) -> Reply:
    return Reply(text=f"*{meeting.title}* has already ended.")


def ended_note(actor: str, *, had_call: bool) -> str:
    if had_call:
        return f"Ended by <@{actor}>; everyone was removed from the call."
    return f"Closed by <@{actor}>; no call was in progress."


def not_allowed(action: str) -> Reply:
    return Reply(
        text=f"Only the person who created the meeting or a workspace admin can {action} it."
    )


def recording_unavailable() -> Reply:
    return Reply(
        text="Recording from chat isn't available in this version of meetbot yet, so nothing is"
        " being recorded. You can record from Meet itself (Activities → Recording) meanwhile."
    )


def not_available(what: str) -> Reply:
    return Reply(text=f"`/meet {what}` isn't available in this version of meetbot yet.")


def card_not_posted(meeting: Meeting, reason: str) -> Reply:
    link = f"<{meeting.meeting_uri}|{meeting.meeting_code}>" if meeting.meeting_uri else ""
    if reason in ("not_in_channel", "channel_not_found"):
        why = "I'm not a member of this channel: invite me with `/invite @meetbot`."
    else:
        why = f"The chat service refused the message ({reason})."
    return Reply(text=f"*{meeting.title}* is ready: {link}\nI couldn't post its card here. {why}")


def status_reply(
    meeting: Meeting, *, in_call: Sequence[Participant] | None, started: datetime | None
) -> Reply:
    head = f"*{meeting.title}* · {state_words(meeting.state)}"
    if meeting.meeting_uri:
        head += f" · <{meeting.meeting_uri}|{meeting.meeting_code}>"
    if in_call is None:
        return Reply(text=f"{head}\nNo call in progress.")
    names = ", ".join(p.display_name for p in in_call) or "nobody yet"
    since = f" since {started:%H:%M} UTC" if started else ""
    return Reply(text=f"{head}\nCall in progress{since}. In the call: {names}.")


def list_reply(meetings: Sequence[Meeting]) -> Reply:
    if not meetings:
        return no_meeting(None)
    rows = [
        f"• *{m.title}* · {state_words(m.state)} · {m.created_at:%b %d %H:%M} · "
        + (f"<{m.meeting_uri}|{m.meeting_code}>" if m.meeting_uri else "no link")
        for m in meetings
    ]
    return Reply(text="*Recent meetings in this channel*\n" + "\n".join(rows))


def state_words(state: MeetingState) -> str:
    return {
        MeetingState.REQUESTED: "being created",
        MeetingState.SPACE_CREATED: "open",
        MeetingState.ENDED: "ended",
        MeetingState.FAILED: "failed",
    }[state]
