"""Chat REST request rules: Google errors, query parameters, messages parsed as chat_v1 types."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from google.apps import chat_v1
from google.protobuf.json_format import ParseError  # type: ignore[import-untyped]

from sandbox.google.errors import ApiError

Json = dict[str, Any]

SCOPE_BOT = "https://www.googleapis.com/auth/chat.bot"
DISCOVERY: Json = json.loads(
    (
        resources.files("googleapiclient") / "discovery_cache" / "documents" / "chat.v1.json"
    ).read_text(encoding="utf-8")
)
# Fields a Chat app may set on a message it creates or updates (app authentication).
SETTABLE = ("text", "cardsV2", "cards", "accessoryWidgets", "fallbackText", "attachment")
# updateMask paths (snake_case, as the API documents them) and their JSON names.
MASK_FIELDS = {
    "text": "text",
    "attachment": "attachment",
    "cards": "cards",
    "cards_v2": "cardsV2",
    "accessory_widgets": "accessoryWidgets",
    "quoted_message_metadata": "quotedMessageMetadata",
}
REPLY_OPTIONS = {
    "0": "MESSAGE_REPLY_OPTION_UNSPECIFIED",
    "1": "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD",
    "2": "REPLY_MESSAGE_OR_FAIL",
}
_CLIENT_ID = re.compile(r"^client-[a-z0-9-]{1,56}$")


def chat_method(method_id: str) -> Json:
    """A method of the Chat discovery document, e.g. ``spaces.messages.create``."""
    *path, name = method_id.split(".")
    node = DISCOVERY
    for resource in path:
        node = node["resources"][resource]
    return dict(node["methods"][name])


def check_query(description: Json, query: Mapping[str, str]) -> None:
    """Unknown query parameters are refused; ``$alt`` is what the GAPIC REST transport adds."""
    known = {**DISCOVERY["parameters"], **description.get("parameters", {})}
    for key in query:
        spec = known.get(key)
        if key != "$alt" and (spec is None or spec.get("location") != "query"):
            raise ApiError(
                400,
                f'Invalid JSON payload received. Unknown name "{key}": '
                "Cannot bind query parameter.",
            )


def parse_message(body: object) -> Json:
    """A ``Message`` JSON checked by parsing it into `chat_v1.Message` (unknown fields refused).

    Returns:
        The message as canonical JSON (camelCase, enum names, no default values).

    Raises:
        ApiError: 400 INVALID_ARGUMENT naming the first problem.
    """
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid JSON payload received. Expected an object.")
    try:
        message = chat_v1.Message.from_json(json.dumps(body), ignore_unknown_fields=False)
    except ParseError as exc:
        raise ApiError(400, f"Invalid JSON payload received. {exc}") from exc
    canonical: Json = json.loads(
        chat_v1.Message.to_json(
            message, use_integers_for_enums=False, always_print_fields_with_no_presence=False
        )
    )
    return canonical


def settable(message: Json) -> Json:
    return {key: message[key] for key in SETTABLE if key in message}


def check_not_empty(fields: Json) -> None:
    if not any(fields.get(key) for key in ("text", "cardsV2", "cards", "attachment")):
        raise ApiError(400, "Message cannot be empty. Discarding empty message.")


def check_message_id(message_id: str) -> None:
    if not _CLIENT_ID.match(message_id):
        raise ApiError(
            400,
            "Invalid custom message ID: it must begin with `client-` and contain up to 63 "
            "lowercase letters, numbers and hyphens.",
        )


def mask_fields(update_mask: str) -> list[str]:
    """JSON field names of an ``updateMask`` (``*`` is every updatable field)."""
    if not update_mask.strip():
        raise ApiError(400, "Request must contain a field mask (updateMask).")
    fields: list[str] = []
    for raw in update_mask.split(","):
        path = (
            re.sub(r"(?<!^)([A-Z])", r"_\1", raw.strip()).lower().replace("cards_v_2", "cards_v2")
        )
        if path == "*":
            return list(MASK_FIELDS.values())
        if path not in MASK_FIELDS:
            raise ApiError(400, f"Invalid field mask path: {raw.strip()!r}.")
        fields.append(MASK_FIELDS[path])
    return fields


def reply_option(value: str | None) -> str:
    """``messageReplyOption`` from its name or its number (``enum-encoding=int``)."""
    if value is None:
        return REPLY_OPTIONS["0"]
    option = REPLY_OPTIONS.get(value, value)
    if option not in REPLY_OPTIONS.values():
        raise ApiError(400, f"Invalid value at 'message_reply_option', \"{value}\"")
    return option
