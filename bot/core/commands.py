"""The one command grammar for Slack and Google Chat: text after `/meet` → a command object."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from bot.core.model import AccessType


@dataclass(frozen=True, slots=True)
class NewMeeting:
    title: str | None
    access: AccessType | None


@dataclass(frozen=True, slots=True)
class RecordMeeting:
    """``record [meeting] [--live] [--audio-only]``.

    ``live`` keeps a live transcript message in the thread; ``audio_only`` records no video.
    """

    target: str | None
    live: bool = False
    audio_only: bool = False


@dataclass(frozen=True, slots=True)
class StopRecording:
    target: str | None


@dataclass(frozen=True, slots=True)
class EndMeeting:
    target: str | None


@dataclass(frozen=True, slots=True)
class MeetingStatus:
    target: str | None


@dataclass(frozen=True, slots=True)
class ListMeetings:
    pass


@dataclass(frozen=True, slots=True)
class ShowTranscript:
    target: str | None


@dataclass(frozen=True, slots=True)
class DeleteMeeting:
    target: str | None


@dataclass(frozen=True, slots=True)
class ChangeSettings:
    args: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Connect:
    pass


@dataclass(frozen=True, slots=True)
class Disconnect:
    pass


@dataclass(frozen=True, slots=True)
class Help:
    """Help, optionally explaining what was wrong with the input."""

    problem: str | None = None


Command = (
    NewMeeting
    | RecordMeeting
    | StopRecording
    | EndMeeting
    | MeetingStatus
    | ListMeetings
    | ShowTranscript
    | DeleteMeeting
    | ChangeSettings
    | Connect
    | Disconnect
    | Help
)

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>|^@meetbot\b", re.IGNORECASE)
_MAX_TITLE = 120
_TARGETED: dict[
    str,
    type[
        RecordMeeting | StopRecording | EndMeeting | MeetingStatus | ShowTranscript | DeleteMeeting
    ],
] = {
    "record": RecordMeeting,
    "stop": StopRecording,
    "end": EndMeeting,
    "status": MeetingStatus,
    "transcript": ShowTranscript,
    "delete": DeleteMeeting,
}
_BARE: dict[str, type[ListMeetings | Connect | Disconnect]] = {
    "list": ListMeetings,
    "connect": Connect,
    "disconnect": Disconnect,
}


def strip_mention(text: str) -> str:
    """Remove bot mentions (``<@U123>`` or a leading ``@meetbot``) from a message."""
    return _MENTION.sub(" ", text).strip()


def parse(text: str) -> Command:
    """Parse what follows ``/meet`` (or a mention of the bot).

    Never raises: anything it cannot understand becomes `Help` with the problem.
    """
    try:
        words = shlex.split(strip_mention(text))
    except ValueError:
        return Help(problem="I couldn't read that: a quote is not closed.")
    if not words:
        return Help()
    verb, rest = words[0].lower(), words[1:]
    if verb in ("help", "?", "-h", "--help"):
        return Help()
    if verb in ("new", "create", "start"):
        return _parse_new(rest)
    if verb == "record":
        return _parse_record(rest)
    if verb in _TARGETED:
        return _parse_targeted(verb, rest)
    if verb in _BARE:
        if rest:
            return Help(problem=f"`{verb}` takes no arguments.")
        return _BARE[verb]()
    if verb == "settings":
        return ChangeSettings(args=tuple(rest))
    return Help(problem=f"I don't know the command `{words[0]}`.")


def _parse_targeted(verb: str, rest: list[str]) -> Command:
    if len(rest) > 1:
        return Help(problem=f"`{verb}` takes at most one meeting (a link, code or id).")
    return _TARGETED[verb](rest[0] if rest else None)


_RECORD_FLAGS = ("live", "audio-only")


def _parse_record(rest: list[str]) -> Command:
    flags = {_flag(word) for word in rest} & set(_RECORD_FLAGS)
    words = [word for word in rest if _flag(word) not in _RECORD_FLAGS]
    unknown = next((word for word in words if _flag(word) is not None), None)
    if unknown is not None:
        return Help(
            problem=f"Unknown option `{unknown}` for `record` (only `--live` and `--audio-only`)."
        )
    if len(words) > 1:
        return Help(problem="`record` takes at most one meeting (a link, code or id).")
    return RecordMeeting(
        target=words[0] if words else None, live="live" in flags, audio_only="audio-only" in flags
    )


def _flag(word: str) -> str | None:
    """``live`` for ``--live``, also as typed on clients that turn ``--`` into a dash
    (``—live``, ``–live``); None when ``word`` is not an option."""
    for dash in ("--", "\u2014", "\u2013"):
        if word.startswith(dash) and len(word) > len(dash):
            return word[len(dash) :].lower().replace("_", "-")
    return None


def _parse_new(rest: list[str]) -> Command:
    access: AccessType | None = None
    title: list[str] = []
    i = 0
    while i < len(rest):
        word = rest[i]
        if word.startswith("--access"):
            value, i = _option_value(rest, i)
            if value is None:
                return Help(problem="`--access` needs a value: open, trusted or restricted.")
            try:
                access = AccessType(value.upper())
            except ValueError:
                return Help(problem=f"Unknown access `{value}`: use open, trusted or restricted.")
            if access is AccessType.UNSPECIFIED:
                return Help(problem="Use open, trusted or restricted for `--access`.")
        elif word.startswith("--"):
            return Help(problem=f"Unknown option `{word}` for `new`.")
        else:
            title.append(word)
        i += 1
    joined = " ".join(title).strip()
    if len(joined) > _MAX_TITLE:
        return Help(problem=f"The title is too long ({len(joined)} characters, {_MAX_TITLE} max).")
    return NewMeeting(title=joined or None, access=access)


def _option_value(words: list[str], i: int) -> tuple[str | None, int]:
    word = words[i]
    if "=" in word:
        return word.split("=", 1)[1] or None, i
    if i + 1 < len(words):
        return words[i + 1], i + 1
    return None, i
