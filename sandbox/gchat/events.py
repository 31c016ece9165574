"""Interaction events as Google Chat builds them, in the classic and the add-on format."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.gchat.state import APP_NAME, APP_USER, ChatMessage, ChatSpace, ChatState, ChatUser

Json = dict[str, Any]
APP_MENTION = f"@{APP_NAME}"
_COMMON = {
    "userLocale": "en",
    "hostApp": "CHAT",
    "platform": "WEB",
    "timeZone": {"id": "UTC", "offset": 0},
}


@dataclass(slots=True)
class Interaction:
    """What happened, independent of the format it is sent in.

    Attributes:
        kind: ``MESSAGE``, ``APP_COMMAND``, ``CARD_CLICKED``, ``ADDED_TO_SPACE`` or
            ``REMOVED_FROM_SPACE``.
        user: who did it.
        space: where.
        message: the user's message (commands, mentions) or the clicked card's message.
        function: the clicked button's ``onClick.action.function``.
        parameters: the clicked button's parameters (plus any given by the caller).
        command_id: the slash command's id (``APP_COMMAND`` and slash ``MESSAGE``).
    """

    kind: str
    user: ChatUser
    space: ChatSpace
    message: ChatMessage | None = None
    function: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    command_id: int | None = None


def mention_annotation(text: str) -> Json:
    return {
        "type": "USER_MENTION",
        "startIndex": text.index(APP_MENTION),
        "length": len(APP_MENTION),
        "userMention": {
            "user": {"name": APP_USER, "displayName": APP_NAME, "type": "BOT"},
            "type": "MENTION",
        },
    }


def slash_annotation(command_id: int) -> Json:
    return {
        "type": "SLASH_COMMAND",
        "startIndex": 0,
        "length": len("/meet"),
        "slashCommand": {
            "bot": {"name": APP_USER, "displayName": APP_NAME, "type": "BOT"},
            "type": "ADD",
            "commandName": "/meet",
            "commandId": str(command_id),
            "triggersDialog": False,
        },
    }


def classic_event(state: ChatState, interaction: Interaction, *, event_time: str) -> Json:
    """A ``DeprecatedEvent``: top-level ``type``, ``user``, ``space``, ``message``..."""
    event: Json = {
        # classic apps get slash commands as MESSAGE with message.slashCommand
        "type": "MESSAGE" if interaction.kind == "APP_COMMAND" else interaction.kind,
        "eventTime": event_time,
        "token": "sandbox-legacy-verification-token",
        "user": interaction.user.to_json(),
        "space": interaction.space.to_json(),
        "common": dict(_COMMON),
    }
    message = interaction.message
    if message is not None:
        event["message"] = message.to_json(state)
        event["thread"] = {"name": message.thread}
    if interaction.kind in ("MESSAGE", "ADDED_TO_SPACE", "APP_COMMAND"):
        event["configCompleteRedirectUrl"] = _config_complete_url()
    if interaction.kind == "CARD_CLICKED":
        event["action"] = {
            "actionMethodName": interaction.function,
            "parameters": [{"key": k, "value": v} for k, v in interaction.parameters.items()],
        }
        event["common"]["invokedFunction"] = interaction.function
        event["common"]["parameters"] = dict(interaction.parameters)
        event["isDialogEvent"] = False
    return event


def addon_event(
    state: ChatState, interaction: Interaction, *, event_time: str, system_id_token: str
) -> Json:
    """A Workspace add-on event object: ``commonEventObject`` and ``chat.<kind>Payload``."""
    common: Json = dict(_COMMON)
    payload: Json = {"space": interaction.space.to_json()}
    if interaction.message is not None:
        payload["message"] = interaction.message.to_json(state)
    kind = interaction.kind
    if kind == "APP_COMMAND":
        payload["appCommandMetadata"] = _command_metadata(interaction)
        payload["isDialogEvent"] = False
    elif kind == "MESSAGE":
        payload["configCompleteRedirectUri"] = _config_complete_url()
    elif kind == "CARD_CLICKED":
        common["invokedFunction"] = interaction.function
        common["parameters"] = dict(interaction.parameters)
        payload["isDialogEvent"] = False
    elif kind == "ADDED_TO_SPACE":
        payload["interactionAdd"] = False
    key = {
        "APP_COMMAND": "appCommandPayload",
        "MESSAGE": "messagePayload",
        "CARD_CLICKED": "buttonClickedPayload",
        "ADDED_TO_SPACE": "addedToSpacePayload",
        "REMOVED_FROM_SPACE": "removedFromSpacePayload",
    }[kind]
    return {
        "commonEventObject": common,
        "authorizationEventObject": {"systemIdToken": system_id_token},
        "chat": {
            "user": interaction.user.to_json(),
            "eventTime": event_time,
            key: payload,
        },
    }


def buttons(message: Mapping[str, Any]) -> Iterator[Json]:
    """Every button (a widget with ``onClick.action``) in a message's cards and accessories."""
    stack: list[Any] = [message.get("cardsV2", []), message.get("accessoryWidgets", [])]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            action = node.get("onClick", {}).get("action") if "onClick" in node else None
            if isinstance(action, dict):
                yield node
            stack.extend(reversed([v for k, v in node.items() if k != "onClick"]))


def find_button(message: Mapping[str, Any], wanted: str) -> Json | None:
    """The button named ``wanted`` by its ``actionName``/``action`` parameter, text, or function.

    In that order: add-on cards give every button the same function (the endpoint URL).
    """
    found = list(buttons(message))
    for name_of in (_action_name, _text, _function):
        match = next((button for button in found if name_of(button) == wanted), None)
        if match is not None:
            return match
    return None


def _action_name(button: Json) -> str | None:
    params = button["onClick"]["action"].get("parameters", [])
    keys = ("actionName", "action")
    return next((p.get("value") for p in params if p.get("key") in keys), None)


def _text(button: Json) -> str | None:
    text = button.get("text")
    return text if isinstance(text, str) else None


def _function(button: Json) -> str | None:
    function = button["onClick"]["action"].get("function")
    return function if isinstance(function, str) else None


def _command_metadata(interaction: Interaction) -> Json:
    return {"appCommandId": interaction.command_id, "appCommandType": "SLASH_COMMAND"}


def _config_complete_url() -> str:
    return "https://chat.google.com/api/bot_config_complete?token=sandbox"
