"""The envelope, responses and field readers shared by every Meet data channel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

E = TypeVar("E", bound=StrEnum)

ECHO_KEYS = ("leave", "setAssignment", "uploadMediaStats")


class ChannelFormatError(ValueError):
    """A data-channel message is not shaped as the protocol says; the caller logs and skips it."""


@dataclass(frozen=True, slots=True)
class Status:
    """A gRPC status as carried in a response (``code`` 0 means OK)."""

    code: int = 0
    message: str = ""

    @property
    def ok(self) -> bool:
        """Whether the request succeeded."""
        return self.code == 0


@dataclass(frozen=True, slots=True)
class Response:
    """The server's answer to one request; ``kind`` is the echo key, or "" when absent."""

    request_id: int
    status: Status
    kind: str


def load_message(text: str | bytes) -> dict[str, Any]:
    """Decode one data-channel message into a JSON object.

    Args:
        text: The message as received; bytes are decoded as UTF-8.

    Returns:
        The decoded object.

    Raises:
        ChannelFormatError: The message is not UTF-8, not JSON, or not a JSON object.
    """
    try:
        if isinstance(text, bytes | bytearray):
            text = bytes(text).decode("utf-8")
        value = json.loads(text)
    except (ValueError, TypeError, RecursionError) as exc:
        raise ChannelFormatError(f"not JSON: {exc.__class__.__name__}") from exc
    if not isinstance(value, dict):
        raise ChannelFormatError("not a JSON object")
    return value


def load_update(text: str | bytes) -> dict[str, Any]:
    """Decode a server message and check it holds a response, resources or deletions.

    Raises:
        ChannelFormatError: Malformed or empty message.
    """
    message = load_message(text)
    if not any(key in message for key in ("response", "resources", "deletedResources")):
        raise ChannelFormatError("empty message")
    return message


def load_request(text: str | bytes, payload_key: str) -> tuple[int, dict[str, Any]]:
    """Decode a client request and return its id and the payload under ``payload_key``.

    Raises:
        ChannelFormatError: Malformed request, missing payload or an id that is not positive.
    """
    request = get_object(load_message(text), "request")
    if request is None:
        raise ChannelFormatError("no request")
    request_id = get_int(request, "requestId")
    if request_id <= 0:
        raise ChannelFormatError("requestId must be positive")
    payload = get_object(request, payload_key)
    if payload is None:
        raise ChannelFormatError(f"no {payload_key} in request")
    return request_id, payload


def parse_response(raw: Any) -> Response | None:
    """Read the ``response`` member of a server message.

    Args:
        raw: The value under ``response``, or None when the message has none.

    Returns:
        The response, or None when ``raw`` is None.

    Raises:
        ChannelFormatError: The response is not an object or lacks a positive ``requestId``.
    """
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ChannelFormatError("response is not an object")
    if "requestId" not in raw:
        raise ChannelFormatError("response without requestId")
    status = get_object(raw, "status") or {}
    kind = next((key for key in ECHO_KEYS if key in raw), "")
    return Response(
        request_id=get_int(raw, "requestId"),
        status=Status(code=get_int(status, "code"), message=get_str(status, "message") or ""),
        kind=kind,
    )


def encode_request(request_id: int, payload_key: str, payload: dict[str, Any]) -> str:
    """Wrap a payload in the client request envelope.

    Args:
        request_id: Non-zero, never reused on the channel.
        payload_key: The request kind, for example ``leave``.
        payload: The request body.

    Returns:
        ``{"request": {"requestId": n, payload_key: payload}}`` as JSON text.

    Raises:
        ValueError: ``request_id`` is not positive (the server rejects id 0).
    """
    if request_id <= 0:
        raise ValueError("request_id must be positive")
    return dumps({"request": {"requestId": request_id, payload_key: payload}})


def response_object(response: Response) -> dict[str, Any]:
    """Build the JSON object of a response; an OK status is written as ``{"code": 0}``."""
    status: dict[str, Any] = {"code": response.status.code}
    if response.status.message:
        status["message"] = response.status.message
    body: dict[str, Any] = {"requestId": response.request_id, "status": status}
    if response.kind:
        body[response.kind] = {}
    return body


def encode_response(response: Response) -> str:
    """Encode a server message holding only ``response`` (server side, for the emulator)."""
    return dumps({"response": response_object(response)})


def encode_resources(
    type_key: str, resources: list[dict[str, Any]], deleted: tuple[int, ...]
) -> str:
    """A server message of snapshots (``{"id", type_key: body}`` given whole) and deletions."""
    message: dict[str, Any] = {}
    if resources:
        message["resources"] = resources
    if deleted:
        message["deletedResources"] = [{"id": i, type_key: True} for i in deleted]
    return dumps(message)


def dumps(message: dict[str, Any]) -> str:
    """Serialize a message compactly."""
    return json.dumps(message, separators=(",", ":"))


def iter_resources(message: dict[str, Any], type_key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(id, body)`` for each resource snapshot of ``type_key``; others are skipped.

    Raises:
        ChannelFormatError: ``resources`` or one of our snapshots is malformed.
    """
    for resource in get_list(message, "resources"):
        if not isinstance(resource, dict):
            raise ChannelFormatError("resource is not an object")
        body = get_object(resource, type_key)
        if body is not None:
            yield get_int(resource, "id"), body


def deleted_ids(message: dict[str, Any], type_key: str) -> tuple[int, ...]:
    """Return the ids in ``deletedResources`` marked with ``type_key``.

    Raises:
        ChannelFormatError: ``deletedResources`` is malformed.
    """
    ids: list[int] = []
    for entry in get_list(message, "deletedResources"):
        if not isinstance(entry, dict):
            raise ChannelFormatError("deleted resource is not an object")
        if entry.get(type_key):
            ids.append(get_int(entry, "id"))
    return tuple(ids)


def get_object(obj: dict[str, Any], key: str) -> dict[str, Any] | None:
    """Return ``obj[key]`` as an object, None when absent or null."""
    value = obj.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise ChannelFormatError(f"{key} is not an object")


def get_list(obj: dict[str, Any], key: str) -> list[Any]:
    """Return ``obj[key]`` as a list, empty when absent or null."""
    value = obj.get(key)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise ChannelFormatError(f"{key} is not a list")


def get_int(obj: dict[str, Any], key: str, default: int = 0) -> int:
    """Return ``obj[key]`` as an integer; proto3-JSON may write int64 as a decimal string."""
    return to_int(obj.get(key, default), key)


def to_int(value: Any, what: str) -> int:
    """Convert a proto3-JSON integer (number or decimal string) or raise ChannelFormatError."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ChannelFormatError(f"{what} is not an integer")


def get_str(obj: dict[str, Any], key: str) -> str | None:
    """Return ``obj[key]`` as a string, None when absent or null."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ChannelFormatError(f"{key} is not a string")


def get_enum(obj: dict[str, Any], key: str, kind: type[E], unknown: E) -> E:
    """Return ``obj[key]`` as a member of ``kind``; absent or unknown values give ``unknown``."""
    raw = get_str(obj, key)
    if raw is None:
        return unknown
    try:
        return kind(raw)
    except ValueError:
        return unknown


def get_bool(obj: dict[str, Any], key: str) -> bool:
    """Return ``obj[key]`` as a boolean, False when absent (proto3 omits false)."""
    value = obj.get(key, False)
    if isinstance(value, bool):
        return value
    raise ChannelFormatError(f"{key} is not a boolean")
