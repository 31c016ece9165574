"""Translates Google API failures into the core's typed errors (the one place that does).

Meet REST failures land under `MeetApiError` (the tree lives in `bot.core.errors`)::

    MeetApiError                 status, reason (Google's ``error.status``)
     ├── MeetAuthError           401; 403 PERMISSION_DENIED for missing scopes
     ├── MeetPermissionDenied    any other 403
     ├── SpaceNotFound           404
     ├── MeetPreconditionFailed  400/409 FAILED_PRECONDITION
     ├── RateLimited             429 (``retry_after`` from the Retry-After header)
     └── MeetUnavailable         5xx, or no HTTP answer at all (status 0)
    ChatPlatformError            Chat REST, ``reason`` = Google's status name
     └── ChatUnavailable         429, 5xx or no answer (``retry_after`` when sent)
    OAuthError                   the OAuth endpoints refused a code or token

A 400 or 409 that is not FAILED_PRECONDITION stays a plain `MeetApiError`. Google's error
body is ``{"error": {"code", "message", "status", "details"}}`` (both discovery documents).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.core.errors import (
    ChatPlatformError,
    MeetApiError,
    MeetAuthError,
    MeetPermissionDenied,
    MeetPreconditionFailed,
    MeetUnavailable,
    OAuthError,
    RateLimited,
    SpaceNotFound,
)
from recorder.retry import Transient, parse_retry_after, transient_status

__all__ = [
    "CHAT",
    "MEET",
    "Answer",
    "ApiErrors",
    "ChatUnavailable",
    "OAuthError",
    "is_retryable",
    "malformed",
    "to_meet_error",
]

_SCOPE_REASONS = frozenset({"ACCESS_TOKEN_SCOPE_INSUFFICIENT", "insufficientPermissions"})
# Google's canonical status per HTTP code, for answers without an error object.
_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass(frozen=True, slots=True)
class Answer:
    """A non-2xx HTTP answer: status, body, and the ``Retry-After`` header if any."""

    status: int
    content: bytes
    retry_after: str | None = None


class ChatUnavailable(ChatPlatformError):
    """Chat REST is overloaded or unreachable: worth another try, after ``retry_after``."""

    def __init__(self, message: str, *, reason: str, retry_after: float | None = None) -> None:
        super().__init__(message, reason=reason)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class ApiErrors:
    """One API's error mapping, as `bot.google.rest.GoogleRest` needs it."""

    name: str
    from_answer: Callable[[Answer], Exception]
    unreachable: Callable[[BaseException], Exception]
    classify: Callable[[BaseException], Transient | None]
    malformed: Callable[[str, Exception], Exception]


def to_meet_error(failure: Answer | BaseException) -> MeetApiError:
    """Map an error answer, or a failure to get one, to a `MeetApiError`; the caller chains."""
    if isinstance(failure, Answer):
        return _meet_answer(failure)
    return MeetUnavailable(
        f"Meet API unreachable ({type(failure).__name__})", status=0, reason="UNREACHABLE"
    )


def is_retryable(error: BaseException) -> bool:
    """Rate limits, 5xx and network failures are worth another try; nothing else is."""
    return isinstance(error, RateLimited | MeetUnavailable | ChatUnavailable)


def malformed(what: str, exc: Exception) -> MeetApiError:
    """A 2xx answer we could not read (missing field, bad timestamp)."""
    return MeetApiError(f"malformed {what} in Meet API answer: {exc!r}", reason="MALFORMED")


def _meet_answer(answer: Answer) -> MeetApiError:
    status = answer.status
    error = _error_object(answer.content)
    code = str(error.get("status", ""))
    message = f"Meet API {status} {code}: {error.get('message', '')}".rstrip(": ")
    if status == 401 or (status == 403 and _is_scope_error(error)):
        return MeetAuthError(message, status=status, reason=code or "UNAUTHENTICATED")
    if status == 403:
        return MeetPermissionDenied(message, status=status, reason=code)
    if status == 404:
        return SpaceNotFound(message, status=status, reason=code)
    if status == 429:
        return RateLimited(message, retry_after=parse_retry_after(answer.retry_after))
    if status >= 500:
        return MeetUnavailable(message, status=status, reason=code)
    if status in (400, 409) and code == "FAILED_PRECONDITION":
        return MeetPreconditionFailed(message, status=status, reason=code)
    return MeetApiError(message, status=status, reason=code)


def _meet_transient(exc: BaseException) -> Transient | None:
    if isinstance(exc, RateLimited):
        return Transient(retry_after=exc.retry_after)
    return Transient() if isinstance(exc, MeetUnavailable) else None


def to_chat_error(failure: Answer | BaseException) -> ChatPlatformError:
    """Map a Chat error answer, or a failure to get one, to a `ChatPlatformError`."""
    if not isinstance(failure, Answer):
        unreachable = f"Chat API unreachable ({type(failure).__name__})"
        return ChatUnavailable(unreachable, reason="UNAVAILABLE")
    status = failure.status
    error = _error_object(failure.content)
    reason = str(error.get("status") or _STATUSES.get(status, f"HTTP_{status}"))
    message = f"Chat API {status} {reason}"
    if transient_status(status):
        return ChatUnavailable(
            message, reason=reason, retry_after=parse_retry_after(failure.retry_after)
        )
    return ChatPlatformError(message, reason=reason)


def _chat_transient(exc: BaseException) -> Transient | None:
    return Transient(retry_after=exc.retry_after) if isinstance(exc, ChatUnavailable) else None


def _chat_malformed(what: str, exc: Exception) -> ChatPlatformError:
    return ChatPlatformError(f"malformed {what} in Chat API answer: {exc!r}", reason="MALFORMED")


MEET = ApiErrors(
    name="Meet API",
    from_answer=to_meet_error,
    unreachable=to_meet_error,
    classify=_meet_transient,
    malformed=malformed,
)
CHAT = ApiErrors(
    name="Chat API",
    from_answer=to_chat_error,
    unreachable=to_chat_error,
    classify=_chat_transient,
    malformed=_chat_malformed,
)


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
