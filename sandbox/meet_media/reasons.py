"""The Media API's refusal reasons and session endings, as Google error JSON and status names."""

from __future__ import annotations

from typing import Final

from sandbox.google.errors import ApiError

DOMAIN: Final = "meet.googleapis.com"

# reason -> (HTTP status, canonical code, message). FAILED_PRECONDITION unless the refusal is
# a policy decision by an admin or the host, which Google reports as PERMISSION_DENIED.
REFUSALS: Final[dict[str, tuple[int, str, str]]] = {
    "NO_ACTIVE_CONFERENCE": (
        400,
        "FAILED_PRECONDITION",
        "There is no active conference in the space.",
    ),
    "INVALID_OFFER": (400, "INVALID_ARGUMENT", "The SDP offer is invalid."),
    "CONNECTIONS_EXHAUSTED": (
        400,
        "FAILED_PRECONDITION",
        "Another Meet Media API client is connected to this conference.",
    ),
    "CONSENTER_ABSENT": (
        400,
        "FAILED_PRECONDITION",
        "No participant who can consent to the Meet Media API is in the conference.",
    ),
    "INCOMPATIBLE_DEVICE": (
        400,
        "FAILED_PRECONDITION",
        "A device or account in the conference cannot be used with the Meet Media API.",
    ),
    "UNSUPPORTED_PLATFORM_PRESENT": (
        400,
        "FAILED_PRECONDITION",
        "A participant is on a platform the Meet Media API does not support.",
    ),
    "DISABLED_BY_ADMIN": (
        403,
        "PERMISSION_DENIED",
        "The Meet Media API is turned off by the administrator.",
    ),
    "DISABLED_BY_HOST_CONTROL": (
        403,
        "PERMISSION_DENIED",
        "The host turned off third-party access to this meeting.",
    ),
    "DISABLED_DUE_TO_ENCRYPTION": (
        400,
        "FAILED_PRECONDITION",
        "The Meet Media API is not available in encrypted meetings.",
    ),
    "DISABLED_DUE_TO_WATERMARKING": (
        400,
        "FAILED_PRECONDITION",
        "The Meet Media API is not available in watermarked meetings.",
    ),
}

# The reasons the control API may inject with ``meet/media/faults`` ``refuse``.
INJECTABLE: Final = frozenset(REFUSALS) - {"NO_ACTIVE_CONFERENCE", "INVALID_OFFER"}

# How a session ended -> the ``disconnectReason`` sent on session-control (None: no status).
ENDINGS: Final[dict[str, str | None]] = {
    "CLIENT_LEFT": "REASON_CLIENT_LEFT",
    "CONFERENCE_ENDED": "REASON_CONFERENCE_ENDED",
    "USER_STOPPED": "REASON_USER_STOPPED",
    "SESSION_UNHEALTHY": "REASON_SESSION_UNHEALTHY",
    "DROP": None,
    "CLIENT_CLOSED": None,
    "SHUTDOWN": None,
}

# Endings after which Meet keeps the conference's one Media API slot busy for a while.
UNGRACEFUL: Final = frozenset({"DROP", "CLIENT_CLOSED"})


class Refused(Exception):
    """``connectActiveConference`` is refused for a documented reason (a key of `REFUSALS`)."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message or REFUSALS[reason][2])
        self.reason = reason
        self.message = message or REFUSALS[reason][2]


def refusal(refused: Refused) -> ApiError:
    """Google's error JSON for a refusal, with a ``google.rpc.ErrorInfo`` naming the reason."""
    status, code, _ = REFUSALS[refused.reason]
    detail = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": refused.reason,
        "domain": DOMAIN,
    }
    return ApiError(status, refused.message, code=code, details=[detail])
