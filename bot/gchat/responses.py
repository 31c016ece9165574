"""Synchronous answers to a Chat event, in the event's own format.

Classic events are answered with a ``Message`` (``actionResponse.type`` says whether it is a
new message or replaces the clicked one). Add-on events must wrap the message in
``hostAppDataAction.chatDataAction``: a bare message there is silently ignored. ``{}`` is the
bare acknowledgement in both formats when the answer will come later through the API.
"""

from __future__ import annotations

from typing import Any

from bot.gchat.events import ChatEvent, EventFormat

Body = dict[str, Any]


def ack() -> Body:
    """Nothing to show now; the results are posted asynchronously."""
    return {}


def private(message: Body, event: ChatEvent) -> Body:
    """``message`` shown only to the event's user (plain in a DM, where it is private anyway)."""
    if event.space.direct:
        return message
    return {**message, "privateMessageViewer": {"name": event.user.name}}


def new_message(event: ChatEvent, message: Body) -> Body:
    """Post ``message`` in the event's space and thread."""
    if event.format is EventFormat.ADDON:
        return _addon("createMessageAction", message)
    return {**message, "actionResponse": {"type": "NEW_MESSAGE"}}


def update_message(event: ChatEvent, message: Body) -> Body:
    """Replace the clicked message (the app's own) with ``message``."""
    if event.format is EventFormat.ADDON:
        return _addon("updateMessageAction", message)
    return {**message, "actionResponse": {"type": "UPDATE_MESSAGE"}}


def _addon(action: str, message: Body) -> Body:
    return {"hostAppDataAction": {"chatDataAction": {action: {"message": message}}}}
