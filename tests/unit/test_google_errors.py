"""The one map from Google API failures to the core's typed errors."""

from __future__ import annotations

import json

import httplib2
import pytest
from googleapiclient.errors import HttpError

from bot.core.errors import (
    MeetApiError,
    MeetAuthError,
    MeetPermissionDenied,
    MeetPreconditionFailed,
    MeetUnavailable,
    RateLimited,
    SpaceNotFound,
)
from bot.google.errors import is_retryable, to_meet_error

SCOPES_MESSAGE = "Request had insufficient authentication scopes."


def http_error(
    status: int,
    code: str = "",
    message: str = "boom",
    *,
    details: list[dict[str, object]] | None = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> HttpError:
    error: dict[str, object] = {"code": status, "message": message, "status": code}
    if details is not None:
        error["details"] = details
    content = raw if raw is not None else json.dumps({"error": error}).encode()
    response = httplib2.Response({"status": str(status), **(headers or {})})
    return HttpError(response, content, uri="https://meet.googleapis.com/v2/spaces")


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
    exc: HttpError, expected: type[MeetApiError], reason: str
) -> None:
    error = to_meet_error(exc)

    assert type(error) is expected
    assert error.status == exc.resp.status
    assert error.reason == reason


def test_rate_limit_carries_retry_after_seconds() -> None:
    error = to_meet_error(http_error(429, "RESOURCE_EXHAUSTED", headers={"retry-after": "7"}))

    assert isinstance(error, RateLimited)
    assert error.retry_after == 7.0


@pytest.mark.parametrize("header", [None, "Wed, 21 Oct 2015 07:28:00 GMT", "-3"])
def test_rate_limit_without_usable_retry_after(header: str | None) -> None:
    headers = {"retry-after": header} if header is not None else {}
    error = to_meet_error(http_error(429, "RESOURCE_EXHAUSTED", headers=headers))

    assert isinstance(error, RateLimited)
    assert error.retry_after is None


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        httplib2.ServerNotFoundError("Unable to find the server"),
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
