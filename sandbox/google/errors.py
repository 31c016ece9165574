"""Google's JSON error answers, shared by the Meet, Media and Chat emulators."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Json = dict[str, Any]

# Google's canonical status name and message for each HTTP status.
STATUS_NAMES: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request had invalid authentication credentials."),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    409: ("ABORTED", "The operation was aborted."),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    500: ("INTERNAL", "Internal error encountered."),
    501: ("UNIMPLEMENTED", "Operation is not implemented."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
    504: ("DEADLINE_EXCEEDED", "The request timed out."),
}


class ApiError(Exception):
    """An error answer in Google's JSON shape."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Sequence[Json] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        name, default_message = STATUS_NAMES.get(status, ("UNKNOWN", "Unknown error."))
        super().__init__(message or default_message)
        self.status = status
        self.code = code or name
        self.message = message or default_message
        self.details = list(details)
        self.headers = dict(headers or {})

    def body(self) -> Json:
        error: Json = {"code": self.status, "message": self.message, "status": self.code}
        if self.details:
            error["details"] = self.details
        return {"error": error}


MEET_SERVICE = "meet.googleapis.com"


def unauthenticated(reason: str | None, *, service: str = MEET_SERVICE) -> ApiError:
    """401 for a missing token (``reason`` None) or a refused one (expired, revoked...)."""
    challenge = 'Bearer realm="https://accounts.google.com/"'
    if reason is None:
        return ApiError(
            401,
            "Request is missing required authentication credential. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential.",
            details=[_error_info("CREDENTIALS_MISSING", service)],
            headers={"WWW-Authenticate": challenge},
        )
    return ApiError(
        401,
        details=[_error_info(reason, service)],
        headers={"WWW-Authenticate": f'{challenge}, error="invalid_token"'},
    )


def insufficient_scopes(*, service: str = MEET_SERVICE) -> ApiError:
    return ApiError(
        403,
        "Request had insufficient authentication scopes.",
        details=[_error_info("ACCESS_TOKEN_SCOPE_INSUFFICIENT", service)],
    )


def _error_info(reason: str, service: str) -> Json:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": service},
    }
