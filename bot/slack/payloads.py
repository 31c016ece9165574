"""Checks a Slack body's shape before Bolt reads it: malformed input is a 400, never a 500.

Bolt parses a body (``slack_bolt.request.internals.parse_body``) and then reads ids from it
with unguarded lookups (``"id" in user``, ``payload["authorizations"][0]``, ``body["event"]
["type"]``), and our listeners index the fields they need. A signed but malformed body would
raise inside Bolt or a listener. `parse_body` reads a raw HTTP body exactly as Bolt will and
`check_payload` accepts only the shapes meetbot serves, so nothing downstream can trip.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot import bounded_json

logger = logging.getLogger(__name__)

MAX_DEPTH = bounded_json.MAX_DEPTH
"""Deepest nesting accepted; Slack's payloads (blocks included) stay far below it."""
MAX_BYTES = 512 * 1024
"""Largest body accepted (the HTTP route caps it lower, see ``HttpSettings``)."""

_IDS = ("team_id", "user_id", "channel_id", "enterprise_id", "api_app_id", "response_url")
_OBJECTS = ("message", "previous_message", "item", "assistant_thread", "view", "function_data")


class MalformedPayload(ValueError):
    """A verified body meetbot cannot serve (answered with 400; nothing runs).

    Attributes:
        reason: what is wrong, in a few words (never the body itself).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SlackBody:
    """A checked HTTP body.

    Attributes:
        payload: what Bolt will read from ``text``.
        text: the body to give Bolt (see `_as_bolt_reads`).
    """

    payload: Mapping[str, Any]
    text: str


def parse_body(body: bytes, *, content_type: str | None) -> SlackBody:
    """The checked payload of an HTTP request body, read as Bolt reads it.

    Args:
        body: the raw bytes (already signature-verified).
        content_type: the ``Content-Type`` header given to Bolt.

    Raises:
        MalformedPayload: not UTF-8, too large or deep, or not a shape meetbot serves.
    """
    if len(body) > MAX_BYTES:
        raise MalformedPayload("the body is too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedPayload("the body is not UTF-8") from exc
    if not text:
        raise MalformedPayload("the body is empty")
    data, text = _as_bolt_reads(text, (content_type or "").split(";")[0])
    check_payload(data)
    return SlackBody(payload=_object(data, "the payload"), text=text)


def _as_bolt_reads(text: str, content_type: str) -> tuple[object, str]:
    """The payload as Bolt's ``parse_body`` reads it, and the text to give Bolt.

    Bolt reads any form containing the word "payload" as an interaction and finds ``{}`` in a
    command such as ``/meet new payload review``; ``%70`` decodes to the same ``p`` and hides
    the word, so such a command's text is given with it.
    """
    if content_type == "application/json" or text.startswith("{"):
        return loads(text), text
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" not in text:
        return fields, text
    if "payload" in fields:
        return loads(fields["payload"]), text
    return fields, text.replace("payload", "%70ayload")


def loads(text: str) -> object:
    """JSON with the nesting cap (`bot.bounded_json`).

    Raises:
        MalformedPayload: not JSON, or nested too deeply.
    """
    try:
        return bounded_json.loads(text, max_depth=MAX_DEPTH)
    except bounded_json.JsonRejected as exc:
        raise MalformedPayload(f"the JSON is {exc}") from exc


def check_payload(data: object) -> None:
    """Accept a parsed payload (HTTP or Socket Mode) only in a shape meetbot serves.

    Raises:
        MalformedPayload: naming the first problem found.
    """
    body = _object(data, "the payload")
    _envelope(body)
    if body.get("ssl_check") == "1":
        return  # Bolt answers Slack's SSL check itself
    if "command" in body:  # Bolt dispatches any body with a command to the command listener
        _command(body)
        return
    kind = body.get("type")
    checker = _TYPES.get(kind) if isinstance(kind, str) else None
    if checker is None:
        raise MalformedPayload("an unsupported payload type")
    checker(body)


def _command(body: Mapping[str, Any]) -> None:
    for key in ("team_id", "user_id", "channel_id", "command"):
        _text(body, key)
    if not isinstance(body.get("text", ""), str):
        raise MalformedPayload("text is not a string")


def _block_actions(body: Mapping[str, Any]) -> None:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        raise MalformedPayload("block_actions without actions")
    for action in actions:
        _text(_object(action, "an action"), "action_id")
        if not isinstance(action.get("value", ""), str):
            raise MalformedPayload("an action's value is not a string")
    user = _object(body.get("user"), "user")
    _text(user, "id")
    team = _object(body.get("team") or {}, "team")
    if not (_has_text(team, "id") or _has_text(user, "team_id")):
        raise MalformedPayload("block_actions without a team")
    channel = _object(body.get("channel") or {}, "channel")
    container = _object(body.get("container") or {}, "container")
    if not (_has_text(channel, "id") or _has_text(container, "channel_id")):
        raise MalformedPayload("block_actions without a channel")


def _url_verification(body: Mapping[str, Any]) -> None:
    _text(body, "challenge")


def _event_callback(body: Mapping[str, Any]) -> None:
    event = _object(body.get("event"), "event")
    if event.get("type") == "app_mention":
        _text(event, "user")
        _text(event, "channel")
        if not isinstance(event.get("text", ""), str):
            raise MalformedPayload("the mention's text is not a string")
        if not (_has_text(body, "team_id") or _has_text(event, "team")):
            raise MalformedPayload("a mention without a team")


def _rate_limited(body: Mapping[str, Any]) -> None:
    """``app_rate_limited``: Slack's notice that events were dropped; Bolt acks it."""


_TYPES: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "block_actions": _block_actions,
    "url_verification": _url_verification,
    "event_callback": _event_callback,
    "app_rate_limited": _rate_limited,
}


def _envelope(raw: Mapping[str, Any], depth: int = 0) -> None:
    """The fields Bolt reads from every payload (and, recursively, from inner objects)."""
    if depth > MAX_DEPTH:
        raise MalformedPayload(f"payload nested deeper than {MAX_DEPTH}")
    for key in ("enterprise", "team", "user", "channel"):
        value = raw.get(key)
        if value is None or isinstance(value, str):
            continue
        if "id" in _object(value, key) and not isinstance(value["id"], str):
            raise MalformedPayload(f"{key}.id is not a string")
    for key in _IDS:
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise MalformedPayload(f"{key} is not a string")
    for key in ("authorizations", "response_urls"):
        for item in _list(raw.get(key), key):
            _envelope(_object(item, key), depth + 1)
    if "event" in raw:
        event = _object(raw["event"], "event")
        _text(event, "type")
        _envelope(event, depth + 1)
    for key in _OBJECTS:
        if raw.get(key) is not None:
            _envelope(_object(raw[key], key), depth + 1)


def _object(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise MalformedPayload(f"{what} is not an object")
    return value


def _list(value: object, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedPayload(f"{what} is not a list")
    return value


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedPayload(f"{key} is missing or not a string")
    return value


def _has_text(raw: Mapping[str, Any], key: str) -> bool:
    return isinstance(raw.get(key), str) and bool(raw[key])


async def reject_malformed(
    req: AsyncBoltRequest, next: Callable[[], Awaitable[BoltResponse]]
) -> BoltResponse:
    """A Bolt global middleware running `check_payload` (Socket Mode has no HTTP route).

    Attach it with ``app.middleware(reject_malformed)``; a malformed payload gets a 400
    response and no listener runs.
    """
    try:
        check_payload(req.body)
    except MalformedPayload as exc:
        logger.warning("rejected a malformed Slack payload: %s", exc.reason)
        return BoltResponse(status=400, body={"error": "malformed payload"})
    return await next()
