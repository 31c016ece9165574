"""What the thread says about a recording's video: composing, ready, or why there is none."""

from __future__ import annotations

from bot.core.replies import LinkButton, Reply
from bot.core.texts.recording import clock, file_size

_AUDIO_ONLY_SCOPE = (
    "Recording audio only: your Google account allowed meetbot the call's audio but not its"
    " video. Run `/meet connect` again to allow both."
)


def composing(duration: float, *, resumed: bool = False) -> Reply:
    """Posted with the results while the MP4 is being made (then edited in place)."""
    again = " (started again: meetbot restarted while making it)" if resumed else ""
    return Reply(
        text=f":movie_camera: Composing the video of the call ({clock(duration)})…{again}",
        context="It appears here when it is ready; the audio and transcript are above.",
    )


def ready(
    *,
    filename: str,
    url: str,
    size: int,
    duration: float,
    page_url: str | None,
    uploaded: bool,
    upload_problem: str | None = None,
) -> Reply:
    """The MP4 is ready: its link (and the meeting page, which plays it)."""
    lines = [
        f":movie_camera: *Video ready*: <{url}|{filename}> ({file_size(size)}, {clock(duration)})."
    ]
    if uploaded:
        lines.append("The file is also shared in this thread.")
    elif upload_problem:
        lines.append(f"It could not be shared as a file ({upload_problem}); use the link.")
    links = [LinkButton(label="Video (MP4)", url=url)]
    if page_url:
        links.append(LinkButton(label="Meeting page", url=page_url))
    return Reply(
        text="\n".join(lines),
        links=tuple(links),
        context="Download links are signed for this channel and expire.",
    )


def failed(reason: str) -> Reply:
    """No MP4: why, in plain words (the audio and transcript are still above)."""
    return Reply(
        text=f":warning: The video could not be made: {reason}.",
        context="The audio recording and the transcript above are complete.",
    )


def audio_only_scope() -> str:
    """Why a recording is audio only although video is on."""
    return _AUDIO_ONLY_SCOPE


def upload_comment() -> str:
    return "The video of the call (MP4)."
