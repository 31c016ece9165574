"""Translates Google API failures into the core's typed errors (the one place that does).

The tree lives in `bot.core.errors`; Meet REST failures land under `MeetApiError`::

    MeetApiError                 status, reason (Google's ``error.status``)
     ├── MeetAuthError           401; 403 PERMISSION_DENIED for missing scopes
     ├── MeetPermissionDenied    any other 403
     ├── SpaceNotFound           404
     ├── MeetPreconditionFailed  400/409 FAILED_PRECONDITION
     ├── RateLimited             429 (``retry_after`` from the Retry-After header)
     └── MeetUnavailable         5xx, or no HTTP answer at all (status 0)
    OAuthError                   the OAuth endpoints refused a code or token

A 400 or 409 that is not FAILED_PRECONDITION stays a plain `MeetApiError`.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import httplib2
from googleapiclient.errors import HttpError

from bot.core.errors import (
    MeetApiError,
    MeetAuthError,
    MeetPermissionDenied,
    MeetPreconditionFailed,
    MeetUnavailable,
    OAuthError,
    RateLimited,
    SpaceNotFound,
)

__all__ = ["TRANSPORT_ERRORS", "OAuthError", "is_retryable", "malformed", "to_meet_error"]

# What a googleapiclient call raises: an HTTP error answer, or no usable answer at all.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    HttpError,
    httplib2.HttpLib2Error,
    http.client.HTTPException,
    OSError,
)

_SCOPE_REASONS = frozenset({"ACCESS_TOKEN_SCOPE_INSUFFICIENT", "insufficientPermissions"})


def to_meet_error(exc: BaseException) -> MeetApiError:
    """Map a googleapiclient/httplib2 failure to a `MeetApiError`; the caller chains it."""
    if isinstance(exc, HttpError):
        return _from_http_error(exc)
    return MeetUnavailable(
        f"Meet API unreachable ({type(exc).__name__})", status=0, reason="UNREACHABLE"
    )


def is_retryable(error: MeetApiError) -> bool:
    """Rate limits, 5xx and network failures are worth another try; nothing else is."""
    return isinstance(error, RateLimited | MeetUnavailable)


def malformed(what: str, exc: Exception) -> MeetApiError:
    """A 2xx answer we could not read (missing field, bad timestamp)."""
    return MeetApiError(f"malformed {what} in Meet API answer: {exc!r}", reason="MALFORMED")


def _from_http_error(exc: HttpError) -> MeetApiError:
    status = int(exc.resp.status)
    error = _error_object(exc.content)
    code = str(error.get("status", ""))
    message = f"Meet API {status} {code}: {error.get('message', exc.resp.reason)}"
    if status == 401 or (status == 403 and _is_scope_error(error)):
        return MeetAuthError(message, status=status, reason=code or "UNAUTHENTICATED")
    if status == 403:
        return MeetPermissionDenied(message, status=status, reason=code)
    if status == 404:
        return SpaceNotFound(message, status=status, reason=code)
    if status == 429:
        return RateLimited(message, retry_after=_retry_after(exc.resp))
    if status >= 500:
        return MeetUnavailable(message, status=status, reason=code)
    if status in (400, 409) and code == "FAILED_PRECONDITION":
        return MeetPreconditionFailed(message, status=status, reason=code)
    return MeetApiError(message, status=status, reason=code)


def _error_object(content: bytes) -> dict[str, Any]:
    """Google's ``{"error": {"code", "message", "status", "details"}}``, or ``{}``."""
    try:
        body = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _is_scope_error(error: dict[str, Any]) -> bool:
    if "insufficient authentication scopes" in str(error.get("message", "")).lower():
        return True
    reasons = {
        str(item.get("reason"))
        for key in ("details", "errors")
        for item in error.get(key, [])
        if isinstance(item, dict)
    }
    return bool(reasons & _SCOPE_REASONS)


def _retry_after(resp: Any) -> float | None:
    """Retry-After in seconds (the delta form; Google does not send the date form)."""
    value = resp.get("retry-after") if hasattr(resp, "get") else None
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None
