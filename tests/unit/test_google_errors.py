"""The one map from Google API failures to the core's typed errors."""

from __future__ import annotations

import json

import aiohttp
import pytest

from bot.core.errors import (
    ChatPlatformError,
    MeetApiError,
    MeetAuthError,
    MeetPermissionDenied,
    MeetPreconditionFailed,
    MeetUnavailable,
    RateLimited,
    SpaceNotFound,
)
from bot.google.errors import Answer, ChatUnavailable, is_retryable, to_chat_error, to_meet_error

SCOPES_MESSAGE = "Request had insufficient authentication scopes."


def http_error(
    status: int,
    code: str = "",
    message: str = "boom",
    *,
    details: list[dict[str, object]] | None = None,
    retry_after: str | None = None,
    raw: bytes | None = None,
) -> Answer:
    error: dict[str, object] = {"code": status, "message": message, "status": code}
    if details is not None:
        error["details"] = details
    content = raw if raw is not None else json.dumps({"error": error}).encode()
    return Answer(status, content, retry_after)


@pytest.mark.parametrize(
    ("exc", "expected", "reason"),
    [
        (http_error(401, "UNAUTHENTICATED"), MeetAuthError, "UNAUTHENTICATED"),
        (http_error(403, "PERMISSION_DENIED", SCOPES_MESSAGE), MeetAuthError, "PERMISSION_DENIED"),
        (
            http_error(
                403,
                "PERMISSION_DENIED",
                "denied",
                details=[{"@type": "ErrorInfo", "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}],
            ),
            MeetAuthError,
            "PERMISSION_DENIED",
        ),
        (
            http_error(403, "PERMISSION_DENIED", "The caller does not have permission"),
            MeetPermissionDenied,
            "PERMISSION_DENIED",
        ),
        (http_error(404, "NOT_FOUND"), SpaceNotFound, "NOT_FOUND"),
        (http_error(400, "FAILED_PRECONDITION"), MeetPreconditionFailed, "FAILED_PRECONDITION"),
        (http_error(409, "FAILED_PRECONDITION"), MeetPreconditionFailed, "FAILED_PRECONDITION"),
        (http_error(400, "INVALID_ARGUMENT"), MeetApiError, "INVALID_ARGUMENT"),
        (http_error(409, "ALREADY_EXISTS"), MeetApiError, "ALREADY_EXISTS"),
        (http_error(429, "RESOURCE_EXHAUSTED"), RateLimited, "RESOURCE_EXHAUSTED"),
        (http_error(500, "INTERNAL"), MeetUnavailable, "INTERNAL"),
        (http_error(503, "UNAVAILABLE"), MeetUnavailable, "UNAVAILABLE"),
        (http_error(502, raw=b"<html>Bad Gateway</html>"), MeetUnavailable, ""),
    ],
)
def test_http_errors_map_to_the_typed_tree(
    exc: Answer, expected: type[MeetApiError], reason: str
) -> None:
    error = to_meet_error(exc)

    assert type(error) is expected
    assert error.status == exc.status
    assert error.reason == reason


def test_rate_limit_carries_retry_after_seconds() -> None:
    error = to_meet_error(http_error(429, "RESOURCE_EXHAUSTED", retry_after="7"))

    assert isinstance(error, RateLimited)
    assert error.retry_after == 7.0


@pytest.mark.parametrize("header", [None, "Wed, 21 Oct 2015 07:28:00 GMT", "-3"])
def test_rate_limit_without_usable_retry_after(header: str | None) -> None:
    error = to_meet_error(http_error(429, "RESOURCE_EXHAUSTED", retry_after=header))

    assert isinstance(error, RateLimited)
    assert error.retry_after is None


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        aiohttp.ServerDisconnectedError(),
    ],
)
def test_network_failures_are_unavailable(exc: Exception) -> None:
    error = to_meet_error(exc)

    assert type(error) is MeetUnavailable
    assert error.status == 0


def test_message_names_status_and_google_message() -> None:
    error = to_meet_error(http_error(404, "NOT_FOUND", "Requested entity was not found."))

    assert str(error) == "Meet API 404 NOT_FOUND: Requested entity was not found."


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (RateLimited("slow down"), True),
        (MeetUnavailable("down", status=503), True),
        (MeetAuthError("expired", status=401), False),
        (SpaceNotFound("gone", status=404), False),
        (MeetApiError("bad", status=400), False),
    ],
)
def test_only_transient_errors_are_retried(error: MeetApiError, retryable: bool) -> None:
    assert is_retryable(error) is retryable


@pytest.mark.parametrize(
    ("answer", "transient", "reason"),
    [
        (http_error(404, "NOT_FOUND"), False, "NOT_FOUND"),
        (http_error(400, "INVALID_ARGUMENT"), False, "INVALID_ARGUMENT"),
        (http_error(403, raw=b"denied"), False, "PERMISSION_DENIED"),
        (http_error(429, "RESOURCE_EXHAUSTED", retry_after="2"), True, "RESOURCE_EXHAUSTED"),
        (http_error(503, raw=b""), True, "UNAVAILABLE"),
    ],
)
def test_chat_errors_keep_googles_status(answer: Answer, transient: bool, reason: str) -> None:
    error = to_chat_error(answer)

    assert isinstance(error, ChatPlatformError)
    assert error.reason == reason
    assert is_retryable(error) is transient
    if answer.retry_after is not None:
        assert isinstance(error, ChatUnavailable)
        assert error.retry_after == 2.0


def test_chat_network_failure_is_transient() -> None:
    error = to_chat_error(aiohttp.ClientConnectionError("reset"))

    assert isinstance(error, ChatUnavailable)
    assert error.reason == "UNAVAILABLE"
