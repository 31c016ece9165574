"""What the bot says about transcripts: the summary in the thread, deletions, and the answers
to ``/meet transcript`` and ``/meet delete``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.core.model import RecordingFile
from bot.core.replies import LinkButton, Reply
from bot.core.texts.recording import clock

RETENTION = "retention"
"""The ``by`` of deletions made by the retention sweep."""

_FORMAT_NAMES = {".txt": "TXT", ".vtt": "WebVTT", ".srt": "SRT", ".json": "JSON"}
_SHOWN_SPEAKERS = 10


def escape(text: str) -> str:
    """Make what people said inert in Slack mrkdwn (and Chat's subset of it)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def files_comment() -> str:
    """The comment on the uploaded transcript files."""
    return ":page_facing_up: Transcript of the call: text, WebVTT and SRT subtitles, and JSON."


def summary(
    *,
    excerpt: str,
    duration: float,
    talk: Mapping[str, float],
    links: Sequence[tuple[RecordingFile, str]],
    page: str | None,
    problems: Sequence[str] = (),
) -> Reply:
    """The transcript in short: who spoke how long, how it starts, where the files are.

    Args:
        excerpt: the first lines (``Name: text``), not yet escaped.
        duration: the call's length in seconds.
        talk: seconds of speech per speaker, most first.
        links: the transcript files and their signed links.
        page: a signed link to the meeting page, if there is one.
        problems: what went wrong with the files (not stored, not attached), if anything.
    """
    people = len(talk)
    lines = [
        f":memo: *Transcript ready*: {clock(duration)} call, "
        f"{people} speaker{'' if people == 1 else 's'}."
    ]
    lines.extend(f"> {escape(line)}" for line in excerpt.splitlines())
    lines.append(f"*Talk time*: {_talk_line(talk, duration)}")
    if links:
        shown = " · ".join(f"<{url}|{_format_name(file.filename)}>" for file, url in links)
        lines.append(f"*Download*: {shown}")
    lines.extend(f":warning: {problem}" for problem in problems)
    buttons = (LinkButton(label="Meeting page", url=page),) if page else ()
    return Reply(
        text="\n".join(lines),
        links=buttons,
        context="Links are signed and expire; `/meet transcript` posts them again.",
    )


def upload_failed(reason: str, *, linked: bool) -> str:
    fallback = "; the download links above work" if linked else ""
    return f"I couldn't attach the transcript files here ({escape(reason)}){fallback}."


def not_stored() -> str:
    return "I couldn't save the transcript files just now; `/meet transcript` tries again."


def no_speech() -> Reply:
    return Reply(
        text=":mute: Nobody was heard speaking during the recording, so there is no transcript "
        "(and no empty transcript files)."
    )


def transcription_failed(reason: str) -> Reply:
    return Reply(
        text=f":warning: *The transcript could not be made*: {escape(reason)}.\n"
        "The audio recording is kept; its download links are in this thread."
    )


def incomplete(reason: str) -> str:
    return (
        f"Transcription stopped part-way ({escape(reason)}), so the transcript may be "
        "incomplete. The audio recording is kept."
    )


def deleted_note(by: str) -> Reply:
    """The thread's line once a recording is deleted."""
    if by == RETENTION:
        return Reply(
            text=":wastebasket: The recording, transcript and download links were deleted "
            "automatically at the end of this workspace's retention period."
        )
    return Reply(
        text=f":wastebasket: <@{by}> deleted the recording, transcript and download links."
    )


# --- answers to the asker (ephemeral) ------------------------------------------------------


def transcript_posted() -> Reply:
    return Reply(text="I posted the transcript again in the meeting's thread.")


def transcript_not_posted() -> Reply:
    return Reply(
        text="I couldn't post in the meeting's thread just now (is meetbot still in the "
        "channel?). Please try again."
    )


def not_recorded() -> Reply:
    return Reply(
        text="This meeting hasn't been recorded, so there is no transcript. "
        "Start one with *Record* on the card or `/meet record`."
    )


def still_recording() -> Reply:
    return Reply(
        text="The call is still being recorded. The transcript is posted in the thread "
        "seconds after it ends."
    )


def was_deleted(at: datetime) -> Reply:
    return Reply(
        text=f"The recording and its transcript were deleted on {at:%b %d, %Y at %H:%M} UTC."
    )


def recording_failed(reason: str | None) -> Reply:
    why = f" ({escape(reason)})" if reason else ""
    return Reply(text=f"The latest recording failed{why}, so there is no transcript.")


def no_transcript() -> Reply:
    return Reply(
        text="The latest recording has no transcript: nobody was heard speaking, or "
        "transcription was off."
    )


def nothing_to_delete() -> Reply:
    return Reply(text="This meeting has no recording to delete.")


def stop_first() -> Reply:
    return Reply(
        text="The call is still being recorded. Stop it first (*Stop* on the card or "
        "`/meet stop`), then delete the recording."
    )


def delete_not_allowed(started_by: str) -> Reply:
    return Reply(
        text=f"Only <@{started_by}>, who started the recording, or a workspace admin can delete it."
    )


def deleted_for_you() -> Reply:
    return Reply(
        text="Deleted the recording, its transcript and download links; the links now say "
        "the files are no longer available."
    )


def _talk_line(talk: Mapping[str, float], duration: float) -> str:
    parts = [
        f"{escape(name)} {clock(seconds)}" + (f" ({_share(seconds, duration)})" if duration else "")
        for name, seconds in list(talk.items())[:_SHOWN_SPEAKERS]
    ]
    if len(talk) > _SHOWN_SPEAKERS:
        parts.append(f"and {len(talk) - _SHOWN_SPEAKERS} more")
    return " · ".join(parts)


def _share(seconds: float, duration: float) -> str:
    return f"{min(100, int(100 * seconds / duration + 0.5))} %"


def _format_name(filename: str) -> str:
    suffix = filename[filename.rfind(".") :].lower() if "." in filename else ""
    return _FORMAT_NAMES.get(suffix, filename)
