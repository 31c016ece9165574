"""What the bot says about recordings: notices, results and failures with a way forward."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.model import FileKind, RecordingFile
from bot.core.replies import LinkButton, Reply
from recorder import (
    CallNotActive,
    Cancelled,
    ConnectRefused,
    Disconnected,
    MediaAuthError,
    MediaLost,
    NoAudio,
    NotAdmitted,
    RecorderError,
    RecordingState,
    RefusalReason,
    Speaker,
)

STOP_HINT = "Anyone can stop it with *Stop* on the card or `/meet stop`."

_REFUSALS: dict[RefusalReason, tuple[str, str]] = {
    RefusalReason.NO_ACTIVE_CONFERENCE: (
        "the call is not running",
        "Start the call in Meet, then press *Record* again.",
    ),
    RefusalReason.CONSENTER_ABSENT: (
        "nobody who can allow recording is in the call",
        "Someone from the meeting's organization (or the host) must be in the call; "
        "then press *Record* again.",
    ),
    RefusalReason.CONNECTIONS_EXHAUSTED: (
        "another Media API app is already connected to this call (Meet allows one)",
        "Stop the other app, or try again in about 30 seconds.",
    ),
    RefusalReason.DISABLED_DUE_TO_ENCRYPTION: (
        "the meeting uses client-side encryption, which the Media API cannot record",
        "Use Meet's own recording for encrypted meetings.",
    ),
    RefusalReason.DISABLED_DUE_TO_WATERMARKING: (
        "the meeting is watermarked, which the Media API cannot record",
        "Turn watermarking off for this meeting, or use Meet's own recording.",
    ),
    RefusalReason.DISABLED_BY_ADMIN: (
        "your Workspace admin has turned off the Media API for apps",
        "An admin can allow it in the Admin console: Meet › Meet safety settings › Media API.",
    ),
    RefusalReason.DISABLED_BY_HOST_CONTROL: (
        "the host has turned off access for apps in this call",
        "The host can allow it in Meet's host controls.",
    ),
    RefusalReason.INCOMPATIBLE_DEVICE: (
        "someone in the call uses an account or device that cannot be recorded",
        "This happens with accounts registered to minors; such calls cannot be recorded.",
    ),
    RefusalReason.UNSUPPORTED_PLATFORM_PRESENT: (
        "someone in the call uses an unsupported or outdated Meet app",
        "Ask them to update Meet, then press *Record* again.",
    ),
    RefusalReason.INVALID_OFFER: (
        "Meet refused the recorder's connection request",
        "This is a meetbot bug; please report it with the time of the call.",
    ),
}


def requested(started_by: str) -> Reply:
    return Reply(
        text=f":red_circle: <@{started_by}> asked to record this meeting. I'll join as soon "
        f"as the call is running. {STOP_HINT}"
    )


def status_notice(
    state: RecordingState, *, started_by: str, present: Sequence[Speaker] = (), cause: str = ""
) -> Reply:
    """The thread message that follows the recording, edited in place."""
    who = f"In the call: {_names(present)}." if present else ""
    if state is RecordingState.STARTING:
        return requested(started_by)
    if state is RecordingState.WAITING:
        return Reply(
            text=f":hourglass: Joining the call for <@{started_by}>: waiting for "
            f"someone in the call to let the recorder in. {STOP_HINT}"
        )
    if state is RecordingState.RECORDING:
        return Reply(
            text=f":red_circle: *Recording*, started by <@{started_by}>. Everyone in "
            f"the call is told by Meet. {STOP_HINT} {who}".strip()
        )
    if state is RecordingState.FINALIZING:
        return Reply(text=f":hourglass: Recording stopped ({cause}). Preparing the files…")
    if state is RecordingState.READY:
        return Reply(text=f":white_check_mark: Recording finished ({cause}).")
    return Reply(text=f":x: Recording failed: {cause}")


def card_line(state: RecordingState, present: Sequence[Speaker]) -> str:
    """One line for the meeting card while a recording is live."""
    who = f" · in the call: {_names(present)}" if present else ""
    return {
        RecordingState.STARTING: "Recording requested: waiting for the call to start",
        RecordingState.WAITING: "Recording: waiting to be let in",
        RecordingState.RECORDING: f":red_circle: Recording{who}",
        RecordingState.FINALIZING: "Recording stopped: preparing the files",
    }.get(state, "")


def results(
    files: Sequence[tuple[RecordingFile, str]],
    *,
    duration: float,
    partial: bool,
    cause: str,
    video_follows: bool = False,
) -> Reply:
    """The download links, posted once the files are ready."""
    speakers = [f for f, _ in files if f.kind is FileKind.SPEAKER]
    head = ":warning: *Partial recording*" if partial else ":movie_camera: *Recording ready*"
    lines = [
        f"{head}: {clock(duration)}, {len(speakers)} speaker{'' if len(speakers) == 1 else 's'}."
    ]
    if partial:
        lines.append(f"It stopped early: {cause}. Everything captured until then is here.")
    for file, url in files:
        lines.append(f"• <{url}|{file.filename}> ({file_size(file.size)}, {clock(file.duration)})")
    if video_follows:
        lines.append("The video follows in this thread as soon as it is composed.")
    links = tuple(LinkButton(label=_label(file), url=url) for file, url in files[:5])
    return Reply(
        text="\n".join(lines),
        links=links,
        context="Download links are signed for this channel and expire.",
    )


def failure(error: RecorderError | None, cause: str) -> Reply:
    """Why the recording failed, in words, and what to do."""
    if isinstance(error, Cancelled):
        who = f" by <@{error.stopped_by}>" if error.stopped_by else ""
        return Reply(
            text=f"Recording cancelled{who} before the call started; nothing was recorded."
        )
    what, hint = explain(error, cause)
    return Reply(text=f":x: *The recording failed*: {what}.\n{hint}")


def explain(error: RecorderError | None, cause: str) -> tuple[str, str]:
    if isinstance(error, ConnectRefused):
        return _REFUSALS.get(error.reason, (cause, "Try again, or use Meet's own recording."))
    if isinstance(error, MediaAuthError):
        if error.status == 401:
            return (
                "Google did not accept the recorder's sign-in",
                "Run `/meet connect` to sign in with Google again.",
            )
        return (
            "Google refused access to the Media API (the Cloud project, your account and "
            "everyone in the call must be enrolled in the Developer Preview)",
            "Ask your admin to enroll them, or use Meet's own recording meanwhile.",
        )
    if isinstance(error, Cancelled):
        return ("it was cancelled before the call started", "Nothing was recorded.")
    if isinstance(error, CallNotActive):
        return ("nobody started the call while I waited", "Start the call, then press *Record*.")
    if isinstance(error, NotAdmitted):
        return ("nobody in the call let the recorder in", "Allow it in Meet, then *Record* again.")
    if isinstance(error, Disconnected | MediaLost):
        return (cause, "Press *Record* to try again.")
    if isinstance(error, NoAudio):
        return (
            "nobody spoke while the recorder was in the call, so there is nothing to keep",
            "Nothing was saved.",
        )
    return (cause or "an unexpected error", "Press *Record* to try again.")


def already_recording(started_by: str) -> Reply:
    return Reply(
        text=f"This call is already being recorded (asked by <@{started_by}>). "
        "There is one recorder per call."
    )


def not_recording() -> Reply:
    return Reply(text="Nothing is being recorded in this meeting right now.")


def cancelling(by: str) -> Reply:
    return Reply(
        text=f"Cancelling the recording for <@{by}>: the call had not started, so "
        "nothing was recorded."
    )


def stopping(by: str) -> Reply:
    return Reply(text=f"Stopping the recording for <@{by}>; the files follow in the thread.")


def needs_media_scope(url: str) -> Reply:
    return Reply(
        text="To record, meetbot needs permission to receive the call's audio. "
        "Sign in with Google again to grant it.",
        links=(LinkButton(label="Sign in with Google", url=url),),
    )


def busy() -> Reply:
    return Reply(
        text="I'm already recording as many calls as this server allows. Try again when one ends."
    )


def clock(seconds: float) -> str:
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _names(speakers: Sequence[Speaker]) -> str:
    return ", ".join(s.display_name for s in speakers)


def file_size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(1, size // 1000)} kB"


def _label(file: RecordingFile) -> str:
    if file.kind is FileKind.MIXED:
        return "Whole call (MP4)" if file.content_type.startswith("video/") else "Whole call (M4A)"
    return file.speaker.display_name if file.speaker else file.filename
