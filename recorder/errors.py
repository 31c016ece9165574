"""The recorder's exceptions; each carries what the chat thread needs to explain it.

``RecorderError``
 ├── ``SignalingError``           the connectActiveConference call failed (HTTP, network)
 │    ├── ``MediaAuthError``      401/403: token expired, scope missing, not enrolled
 │    └── ``ConnectRefused``      Meet refused with a documented reason (`RefusalReason`)
 ├── ``CallNotActive``            the call never started while we waited
 ├── ``Cancelled``                stopped before the call started: nothing to record
 ├── ``NotAdmitted``              connected, but Meet never let us in (consent)
 ├── ``NoAudio``                  nobody spoke while the recorder was in: nothing to keep
 ├── ``Disconnected``             Meet ended the session (`DisconnectReason`)
 └── ``MediaLost``                the connection died without a goodbye
"""

from __future__ import annotations

from enum import StrEnum


class RefusalReason(StrEnum):
    """Reasons Meet gives for refusing ``connectActiveConference`` (troubleshooting page)."""

    NO_ACTIVE_CONFERENCE = "NO_ACTIVE_CONFERENCE"
    INVALID_OFFER = "INVALID_OFFER"
    INCOMPATIBLE_DEVICE = "INCOMPATIBLE_DEVICE"
    UNSUPPORTED_PLATFORM_PRESENT = "UNSUPPORTED_PLATFORM_PRESENT"
    CONNECTIONS_EXHAUSTED = "CONNECTIONS_EXHAUSTED"
    CONSENTER_ABSENT = "CONSENTER_ABSENT"
    DISABLED_BY_ADMIN = "DISABLED_BY_ADMIN"
    DISABLED_BY_HOST_CONTROL = "DISABLED_BY_HOST_CONTROL"
    DISABLED_DUE_TO_WATERMARKING = "DISABLED_DUE_TO_WATERMARKING"
    DISABLED_DUE_TO_ENCRYPTION = "DISABLED_DUE_TO_ENCRYPTION"
    UNKNOWN = "UNKNOWN"


class RecorderError(Exception):
    """Base of every recorder failure."""


class SignalingError(RecorderError):
    """The signalling call failed; ``status`` is the HTTP status (0 for network errors)."""

    def __init__(self, message: str, *, status: int = 0, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class MediaAuthError(SignalingError):
    """401 (expired or invalid token) or 403 (scope, API not enabled, not enrolled)."""


class ConnectRefused(SignalingError):
    """Meet refused the connection for a documented reason."""

    def __init__(self, message: str, *, reason: RefusalReason, status: int = 400) -> None:
        super().__init__(message, status=status)
        self.reason = reason


class CallNotActive(RecorderError):
    """No call started in the space within the wait."""


class Cancelled(RecorderError):
    """Stopped before anything was recorded (``stopped_by`` says who)."""

    def __init__(self, stopped_by: str | None) -> None:
        super().__init__("stopped before the call started")
        self.stopped_by = stopped_by


class NotAdmitted(RecorderError):
    """Meet kept the client waiting for consent longer than allowed."""


class NoAudio(RecorderError):
    """The capture holds no speech, so there is nothing to deliver."""


class Disconnected(RecorderError):
    """Meet ended the session with ``reason`` (a ``REASON_*`` name)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Meet ended the session: {reason}")
        self.reason = reason


class MediaLost(RecorderError):
    """The connection failed or closed without Meet saying why."""
