"""Both Chat event formats parse into one ChatEvent; bad bodies raise typed errors."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from bot.gchat.events import (
    ChatEvent,
    EventFormat,
    EventKind,
    MalformedEvent,
    UnsupportedEvent,
    parse_event,
)

USER = {"name": "users/123", "displayName": "Ann", "email": "ann@example.com", "type": "HUMAN"}
SPACE = {"name": "spaces/AAA", "spaceType": "SPACE", "displayName": "general"}
DM = {"name": "spaces/DM1", "spaceType": "DIRECT_MESSAGE", "singleUserBotDm": True}
THREAD = {"name": "spaces/AAA/threads/TTT"}
DISCOVERY = json.loads(
    (
        resources.files("googleapiclient") / "discovery_cache" / "documents" / "chat.v1.json"
    ).read_text(encoding="utf-8")
)


def _check_schema(value: Any, schema: dict[str, Any], path: str = "$") -> None:
    """Walk the discovery document's DeprecatedEvent schema: every field must exist there."""
    if "$ref" in schema:
        schema = DISCOVERY["schemas"][schema["$ref"]]
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        assert isinstance(value, dict), path
        for key, item in value.items():
            assert key in schema["properties"], f"{path}.{key} is not in the Chat schema"
            _check_schema(item, schema["properties"][key], f"{path}.{key}")
    elif kind == "object" and "additionalProperties" in schema:
        for key, item in value.items():
            _check_schema(item, schema["additionalProperties"], f"{path}.{key}")
    elif kind == "array":
        for i, item in enumerate(value):
            _check_schema(item, schema["items"], f"{path}[{i}]")
    elif "enum" in schema:
        assert value in schema["enum"], f"{path}: {value!r}"


def classic(kind: str, **fields: Any) -> dict[str, Any]:
    body = {"type": kind, "eventTime": "2026-04-23T10:00:00Z", "user": USER, "space": SPACE}
    body.update(fields)
    _check_schema(body, {"$ref": "DeprecatedEvent"})
    return body


def addon(payload_key: str, payload: dict[str, Any], **common: Any) -> dict[str, Any]:
    return {
        "commonEventObject": {"hostApp": "CHAT", "platform": "WEB", **common},
        "authorizationEventObject": {"systemIdToken": "not-checked-here"},
        "chat": {"user": USER, "eventTime": "2026-04-23T10:00:00Z", payload_key: payload},
    }


def test_classic_slash_command_as_message() -> None:
    message = {
        "name": "spaces/AAA/messages/BBB",
        "text": "/meet new Standup",
        "argumentText": " new Standup",
        "slashCommand": {"commandId": "1"},
        "thread": THREAD,
        "space": SPACE,
        "sender": USER,
    }
    event = parse_event(classic("MESSAGE", message=message))
    assert event == ChatEvent(
        format=EventFormat.CLASSIC,
        kind=EventKind.COMMAND,
        user=event.user,
        space=event.space,
        message_name="spaces/AAA/messages/BBB",
        thread_name="spaces/AAA/threads/TTT",
        text="new Standup",
        command_id=1,
    )
    assert (event.user.name, event.user.display_name, event.user.email) == (
        "users/123",
        "Ann",
        "ann@example.com",
    )
    assert (event.space.name, event.space.type, event.space.direct) == (
        "spaces/AAA",
        "SPACE",
        False,
    )


def test_classic_app_command_with_integer_id() -> None:
    metadata = {"appCommandId": 7, "appCommandType": "SLASH_COMMAND"}
    message = {"name": "spaces/AAA/messages/B", "text": "/meet list", "thread": THREAD}
    event = parse_event(classic("APP_COMMAND", appCommandMetadata=metadata, message=message))
    assert (event.kind, event.command_id, event.text) == (EventKind.COMMAND, 7, "list")


def test_classic_mention_in_a_space_uses_argument_text() -> None:
    message = {"name": "spaces/AAA/messages/C", "text": "@meetbot new x", "argumentText": " new x"}
    event = parse_event(classic("MESSAGE", message=message))
    assert (event.kind, event.text, event.command_id) == (EventKind.MENTION, "new x", None)


def test_classic_mention_without_argument_text_strips_the_mention() -> None:
    message = {"name": "spaces/AAA/messages/C", "text": "@meetbot status"}
    assert parse_event(classic("MESSAGE", message=message)).text == "status"


def test_direct_message_is_a_message() -> None:
    message = {"name": "spaces/DM1/messages/D", "text": "help", "argumentText": "help"}
    event = parse_event(classic("MESSAGE", space={**DM, "type": "DM"}, message=message))
    assert (event.kind, event.space.direct, event.text) == (EventKind.MESSAGE, True, "help")


def test_deprecated_space_type_is_understood() -> None:
    event = parse_event(classic("ADDED_TO_SPACE", space={"name": "spaces/DM1", "type": "DM"}))
    assert event.space.direct


def test_classic_card_click_reads_common_parameters() -> None:
    body = classic(
        "CARD_CLICKED",
        message={"name": "spaces/AAA/messages/CARD", "thread": THREAD},
        action={"actionMethodName": "meet_end", "parameters": [{"key": "meeting", "value": "m1"}]},
        common={
            "invokedFunction": "meet_end",
            "parameters": {"meeting": "m1", "action": "meet_end"},
        },
    )
    event = parse_event(body)
    assert (event.kind, event.action, event.parameters["meeting"]) == (
        EventKind.CLICK,
        "meet_end",
        "m1",
    )
    assert (event.message_name, event.thread_name) == ("spaces/AAA/messages/CARD", THREAD["name"])


def test_classic_card_click_with_only_the_legacy_action() -> None:
    body = classic(
        "CARD_CLICKED",
        action={
            "actionMethodName": "meet_status",
            "parameters": [{"key": "meeting", "value": "m"}],
        },
    )
    event = parse_event(body)
    assert (event.action, dict(event.parameters)) == ("meet_status", {"meeting": "m"})


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("ADDED_TO_SPACE", EventKind.ADDED), ("REMOVED_FROM_SPACE", EventKind.REMOVED)],
)
def test_classic_membership_events(kind: str, expected: EventKind) -> None:
    event = parse_event(classic(kind))
    assert (event.kind, event.format, event.text) == (expected, EventFormat.CLASSIC, "")


def test_addon_app_command() -> None:
    payload = {
        "appCommandMetadata": {"appCommandId": "1", "appCommandType": "SLASH_COMMAND"},
        "message": {
            "name": "spaces/AAA/messages/BBB",
            "text": "/meet new Standup",
            "argumentText": " new Standup",
            "thread": THREAD,
        },
        "space": SPACE,
    }
    event = parse_event(addon("appCommandPayload", payload))
    assert (event.format, event.kind, event.command_id, event.text) == (
        EventFormat.ADDON,
        EventKind.COMMAND,
        1,
        "new Standup",
    )
    assert event.thread_name == THREAD["name"]


def test_addon_message_and_button_click() -> None:
    message = {"name": "spaces/AAA/messages/M", "text": "@meetbot list", "argumentText": " list"}
    event = parse_event(addon("messagePayload", {"message": message, "space": SPACE}))
    assert (event.kind, event.text) == (EventKind.MENTION, "list")
    click = addon(
        "buttonClickedPayload",
        {"message": {"name": "spaces/AAA/messages/CARD", "thread": THREAD}, "space": SPACE},
        parameters={"action": "meet_record", "meeting": "m9"},
        invokedFunction="https://bot.example/chat/events",
    )
    event = parse_event(click)
    assert (event.kind, event.action, event.parameters["meeting"]) == (
        EventKind.CLICK,
        "meet_record",
        "m9",
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [("addedToSpacePayload", EventKind.ADDED), ("removedFromSpacePayload", EventKind.REMOVED)],
)
def test_addon_membership_events(key: str, expected: EventKind) -> None:
    assert parse_event(addon(key, {"space": SPACE})).kind is expected


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {},
        {"type": 3},
        {"type": "MESSAGE", "space": SPACE, "message": {"text": "x"}},  # no user
        {"type": "MESSAGE", "user": USER, "message": {"text": "x"}},  # no space
        {"type": "MESSAGE", "user": {"name": "bob"}, "space": SPACE, "message": {}},
        {"type": "MESSAGE", "user": USER, "space": {"name": "rooms/x"}, "message": {}},
        {"type": "MESSAGE", "user": USER, "space": SPACE, "message": "hi"},
        {"type": "MESSAGE", "user": USER, "space": SPACE, "message": {"text": 5}},
        {"type": "APP_COMMAND", "user": USER, "space": SPACE, "message": {"text": "/meet"}},
        {
            "type": "MESSAGE",
            "user": USER,
            "space": SPACE,
            "message": {"text": "/meet", "slashCommand": {"commandId": "one"}},
        },
        {"type": "CARD_CLICKED", "user": USER, "space": SPACE, "common": {}},
        {"type": "CARD_CLICKED", "user": USER, "space": SPACE, "common": {"parameters": []}},
        {"chat": {"user": USER, "buttonClickedPayload": {"space": SPACE}}},
        {"chat": {"user": USER, "messagePayload": "nope"}},
        {"chat": {"user": USER}},
    ],
)
def test_malformed_events_raise(body: Any) -> None:
    with pytest.raises(MalformedEvent):
        parse_event(body)


@pytest.mark.parametrize(
    "body",
    [
        {"type": "WIDGET_UPDATED", "user": USER, "space": SPACE},
        {"chat": {"user": USER, "widgetUpdatedPayload": {"space": SPACE}}},
    ],
)
def test_unsupported_events_are_not_malformed(body: Any) -> None:
    with pytest.raises(UnsupportedEvent):
        parse_event(body)
