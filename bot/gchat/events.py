"""Google Chat interaction events, classic (``type``) or add-on (``chat.*Payload``), as one type."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot.core.commands import strip_mention

Json = Mapping[str, Any]


class EventFormat(StrEnum):
    """Which of Chat's two request formats an event came in (and must be answered in)."""

    CLASSIC = "classic"
    ADDON = "addon"


class EventKind(StrEnum):
    """What happened."""

    COMMAND = "command"
    MENTION = "mention"
    MESSAGE = "message"
    CLICK = "click"
    ADDED = "added"
    REMOVED = "removed"


class MalformedEvent(ValueError):
    """The body is not a Chat interaction event we can read (answered with 400)."""


class UnsupportedEvent(Exception):
    """A well-formed event of a type meetbot does not handle (e.g. ``WIDGET_UPDATED``)."""


@dataclass(frozen=True, slots=True)
class ChatPerson:
    """The user who caused the event (``users/…``)."""

    name: str
    display_name: str = ""
    email: str = ""
    type: str = "HUMAN"


@dataclass(frozen=True, slots=True)
class ChatSpace:
    """Where it happened (``spaces/…``); ``type`` is ``SPACE``, ``GROUP_CHAT`` or a DM."""

    name: str
    type: str = "SPACE"

    @property
    def direct(self) -> bool:
        """A 1:1 conversation with the app: everything in it is already private."""
        return self.type == "DIRECT_MESSAGE"


@dataclass(frozen=True, slots=True)
class ChatEvent:
    """One interaction, whatever format it came in.

    Attributes:
        format: classic or add-on; the synchronous answer must use the same one.
        kind: command, mention, message, click, added or removed.
        user: who did it.
        space: where.
        message_name: ``spaces/S/messages/M`` of the message typed or clicked, if any.
        thread_name: ``spaces/S/threads/T`` of that message, if any.
        text: the command text with the app's mention or the ``/meet`` removed.
        command_id: the slash or quick command id, for commands.
        action: the clicked button's action id.
        parameters: the clicked button's parameters.
    """

    format: EventFormat
    kind: EventKind
    user: ChatPerson
    space: ChatSpace
    message_name: str | None = None
    thread_name: str | None = None
    text: str = ""
    command_id: int | None = None
    action: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)


_CLASSIC_KINDS = {
    "ADDED_TO_SPACE": EventKind.ADDED,
    "REMOVED_FROM_SPACE": EventKind.REMOVED,
    "CARD_CLICKED": EventKind.CLICK,
    "APP_COMMAND": EventKind.COMMAND,
    "MESSAGE": EventKind.MESSAGE,
}
_ADDON_KINDS = {
    "addedToSpacePayload": EventKind.ADDED,
    "removedFromSpacePayload": EventKind.REMOVED,
    "buttonClickedPayload": EventKind.CLICK,
    "appCommandPayload": EventKind.COMMAND,
    "messagePayload": EventKind.MESSAGE,
}
_SLASH = re.compile(r"^\s*/\S+")
# Add-on buttons must name the endpoint URL as their function; the intent is a parameter.
ACTION_PARAMETER = "action"


def parse_event(body: object) -> ChatEvent:
    """Read a Chat request body in either format.

    Raises:
        MalformedEvent: not a readable interaction event.
        UnsupportedEvent: a readable event meetbot does not handle.
    """
    if not isinstance(body, Mapping):
        raise MalformedEvent("the body is not a JSON object")
    if isinstance(body.get("chat"), Mapping):
        return _addon(body, body["chat"])
    if "type" in body:
        return _classic(body)
    raise MalformedEvent("neither a classic event (type) nor an add-on event (chat)")


def _classic(body: Json) -> ChatEvent:
    if not isinstance(body["type"], str):
        raise MalformedEvent("type is not a string")
    kind = _CLASSIC_KINDS.get(body["type"])
    if kind is None:
        raise UnsupportedEvent(f"event type {body['type']!r}")
    message = _optional_obj(body, "message")
    if kind is EventKind.CLICK:
        action, params = _classic_click(body)
        return _event(EventFormat.CLASSIC, kind, body["user"], body, message, action, params)
    event = _event(EventFormat.CLASSIC, kind, body.get("user"), body, message, None, {})
    return _with_command(event, message, _optional_obj(body, "appCommandMetadata"))


def _addon(body: Json, chat: Json) -> ChatEvent:
    found = [(key, kind) for key, kind in _ADDON_KINDS.items() if key in chat]
    if not found:
        payloads = sorted(k for k in chat if k.endswith("Payload"))
        if not payloads:
            raise MalformedEvent("an add-on event without a chat payload")
        raise UnsupportedEvent(f"add-on payload {payloads}")
    key, kind = found[0]
    payload = _optional_obj(chat, key)
    message = _optional_obj(payload, "message")
    action, params = None, {}
    if kind is EventKind.CLICK:
        params = _string_map(_optional_obj(body, "commonEventObject").get("parameters"))
        action = params.get(ACTION_PARAMETER) or _invoked(body)
        if not action:
            raise MalformedEvent("a button click without an action")
    event = _event(EventFormat.ADDON, kind, chat.get("user"), payload, message, action, params)
    return _with_command(event, message, _optional_obj(payload, "appCommandMetadata"))


def _event(
    fmt: EventFormat,
    kind: EventKind,
    user: object,
    holder: Json,
    message: Json,
    action: str | None,
    params: Mapping[str, str],
) -> ChatEvent:
    thread = _optional_obj(message, "thread") or _optional_obj(holder, "thread")
    return ChatEvent(
        format=fmt,
        kind=kind,
        user=_person(user),
        space=_space(_optional_obj(holder, "space") or _optional_obj(message, "space")),
        message_name=_name(message, "spaces/"),
        thread_name=_name(thread, "spaces/"),
        action=action,
        parameters=params,
    )


def _with_command(event: ChatEvent, message: Json, metadata: Json) -> ChatEvent:
    """Fill text and command id; a MESSAGE carrying ``slashCommand`` is a command."""
    if event.kind in (EventKind.ADDED, EventKind.REMOVED, EventKind.CLICK):
        return event
    slash = _optional_obj(message, "slashCommand")
    raw_id = metadata.get("appCommandId", slash.get("commandId"))
    kind = event.kind
    if raw_id is not None:
        kind = EventKind.COMMAND
    elif kind is EventKind.MESSAGE and not event.space.direct:
        kind = EventKind.MENTION  # in a space, Chat only sends messages that mention the app
    elif kind is EventKind.COMMAND:
        raise MalformedEvent("an app command without appCommandMetadata")
    return replace(event, kind=kind, text=_text(message, kind), command_id=_int(raw_id))


def _text(message: Json, kind: EventKind) -> str:
    argument = message.get("argumentText")
    if isinstance(argument, str):
        return argument.strip()
    text = message.get("text", "")
    if not isinstance(text, str):
        raise MalformedEvent("message.text is not a string")
    if kind is EventKind.COMMAND:
        return _SLASH.sub("", text).strip()
    return strip_mention(text)


def _classic_click(body: Json) -> tuple[str, dict[str, str]]:
    common = _optional_obj(body, "common")
    legacy = _optional_obj(body, "action")
    params = _string_map(common.get("parameters"))
    if not params and isinstance(legacy.get("parameters"), list):
        params = _pairs(legacy["parameters"])
    action = params.get(ACTION_PARAMETER) or _invoked(body) or legacy.get("actionMethodName")
    if not isinstance(action, str) or not action:
        raise MalformedEvent("a button click without an action")
    if "user" not in body:
        raise MalformedEvent("a button click without a user")
    return action, params


def _invoked(body: Json) -> str | None:
    common = _optional_obj(body, "common") or _optional_obj(body, "commonEventObject")
    value = common.get("invokedFunction")
    return value if isinstance(value, str) and not value.startswith("http") else None


def _person(raw: object) -> ChatPerson:
    if not isinstance(raw, Mapping):
        raise MalformedEvent("the event has no user")
    return ChatPerson(
        name=_required_name(raw, "users/", "user"),
        display_name=str(raw.get("displayName", "")),
        email=str(raw.get("email", "")),
        type=str(raw.get("type", "HUMAN")),
    )


def _space(raw: Json) -> ChatSpace:
    name = _required_name(raw, "spaces/", "space")
    kind = raw.get("spaceType") or {"DM": "DIRECT_MESSAGE", "ROOM": "SPACE"}.get(
        str(raw.get("type")), "SPACE"
    )
    return ChatSpace(name=name, type=str(kind))


def _required_name(raw: Json, prefix: str, what: str) -> str:
    name = _name(raw, prefix)
    if name is None:
        raise MalformedEvent(f"the event's {what} has no {prefix}… name")
    return name


def _name(raw: Json, prefix: str) -> str | None:
    name = raw.get("name")
    return name if isinstance(name, str) and name.startswith(prefix) else None


def _optional_obj(raw: Json, key: str) -> Json:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{key} is not an object")
    return value


def _string_map(raw: object) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise MalformedEvent("parameters is not an object")
    return {str(k): str(v) for k, v in raw.items()}


def _pairs(raw: list[Any]) -> dict[str, str]:
    if not all(isinstance(p, Mapping) and "key" in p for p in raw):
        raise MalformedEvent("action.parameters is not a list of {key, value}")
    return {str(p["key"]): str(p.get("value", "")) for p in raw}


def _int(raw: object) -> int | None:
    """Command ids: a string (int64) in classic MESSAGE events, an integer elsewhere."""
    if raw is None:
        return None
    try:
        return int(str(raw))
    except ValueError as exc:
        raise MalformedEvent("the command id is not a number") from exc
