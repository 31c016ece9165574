"""Codec for the ``session-control`` channel: connection state and the leave request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from recorder.channels import common
from recorder.channels.common import ChannelFormatError, Response

LABEL = "session-control"


class ConnectionState(StrEnum):
    """``sessionStatus.connectionState``; an omitted or unknown value is UNKNOWN."""

    UNKNOWN = "STATE_UNKNOWN"
    WAITING = "STATE_WAITING"
    JOINED = "STATE_JOINED"
    DISCONNECTED = "STATE_DISCONNECTED"


class DisconnectReason(StrEnum):
    """``sessionStatus.disconnectReason``; an unknown value is UNKNOWN."""

    UNKNOWN = "REASON_UNKNOWN"
    CLIENT_LEFT = "REASON_CLIENT_LEFT"
    USER_STOPPED = "REASON_USER_STOPPED"
    CONFERENCE_ENDED = "REASON_CONFERENCE_ENDED"
    SESSION_UNHEALTHY = "REASON_SESSION_UNHEALTHY"


@dataclass(frozen=True, slots=True)
class SessionStatus:
    """The session status singleton; ``reason`` is set only when DISCONNECTED."""

    state: ConnectionState
    reason: DisconnectReason | None = None


@dataclass(frozen=True, slots=True)
class SessionControlUpdate:
    """One server message: a response to a leave request, a status, or both."""

    response: Response | None
    status: SessionStatus | None


@dataclass(frozen=True, slots=True)
class LeaveRequest:
    """Ask Meet to end our Media API session."""

    request_id: int


def parse_update(text: str | bytes) -> SessionControlUpdate:
    """Parse a server message of the session-control channel.

    Args:
        text: The message as received.

    Returns:
        The response and the last session status the message carries.

    Raises:
        ChannelFormatError: Malformed or empty message.
    """
    message = common.load_update(text)
    response = common.parse_response(message.get("response"))
    status = None
    for _, body in common.iter_resources(message, "sessionStatus"):
        status = _parse_status(body)
    return SessionControlUpdate(response=response, status=status)


def _parse_status(body: dict[str, Any]) -> SessionStatus:
    state = common.get_enum(body, "connectionState", ConnectionState, ConnectionState.UNKNOWN)
    if state is not ConnectionState.DISCONNECTED:
        return SessionStatus(state=state)
    if body.get("disconnectReason") is None:
        # A missing reason counts as unhealthy, as the TS client does.
        return SessionStatus(state=state, reason=DisconnectReason.SESSION_UNHEALTHY)
    reason = common.get_enum(body, "disconnectReason", DisconnectReason, DisconnectReason.UNKNOWN)
    return SessionStatus(state=state, reason=reason)


def encode_request(request: LeaveRequest) -> str:
    """Encode a leave request.

    Args:
        request: The request to send.

    Returns:
        ``{"request": {"requestId": n, "leave": {}}}`` as JSON text.

    Raises:
        ValueError: ``request_id`` is not positive.
    """
    return common.encode_request(request.request_id, "leave", {})


def parse_request(text: str | bytes) -> LeaveRequest:
    """Parse a client request (server side, for the emulator).

    Raises:
        ChannelFormatError: Not a well-formed leave request.
    """
    request_id, _ = common.load_request(text, "leave")
    return LeaveRequest(request_id=request_id)


def encode_status(status: SessionStatus, response: Response | None = None) -> str:
    """Encode a session status push, optionally with a response (server side).

    Args:
        status: The status to push.
        response: A response to send in the same message, for example to a leave request.

    Returns:
        The server message as JSON text.
    """
    body: dict[str, Any] = {}
    if status.state is not ConnectionState.UNKNOWN:
        body["connectionState"] = status.state.value
    if status.reason is not None:
        body["disconnectReason"] = status.reason.value
    message: dict[str, Any] = {}
    if response is not None:
        message["response"] = common.response_object(response)
    message["resources"] = [{"sessionStatus": body}]
    return common.dumps(message)


__all__ = [
    "LABEL",
    "ChannelFormatError",
    "ConnectionState",
    "DisconnectReason",
    "LeaveRequest",
    "SessionControlUpdate",
    "SessionStatus",
    "encode_request",
    "encode_status",
    "parse_request",
    "parse_update",
]
