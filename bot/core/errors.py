"""Errors the core understands; adapters translate their failures into these at the edge.

MeetBotError
 ├── StorageUnavailable        the database could not be reached; nothing was written
 ├── NotConnected              the chat user has no Google link (or it was revoked)
 ├── MeetApiError              any failure of the Meet REST API
 │    ├── MeetAuthError        token expired, revoked, or missing a scope
 │    ├── MeetPermissionDenied the account may not do this (e.g. not the space owner)
 │    ├── SpaceNotFound        no such space or meeting code
 │    ├── MeetPreconditionFailed  e.g. no active conference to end
 │    ├── RateLimited          429 after our retries; ``retry_after`` seconds if known
 │    └── MeetUnavailable      5xx or network failure after our retries
 ├── OAuthError                Google refused a code or refresh token
 └── ChatPlatformError         the chat platform refused a post (e.g. not in channel)
"""

from __future__ import annotations


class MeetBotError(Exception):
    """Base of every error meetbot raises on purpose."""


class StorageUnavailable(MeetBotError):
    """The database could not be reached or refused the write; nothing was changed."""


class NotConnected(MeetBotError):
    """The chat user has no usable Google link."""


class OAuthError(MeetBotError):
    """Google's OAuth endpoint refused the request.

    Attributes:
        error: the OAuth error code, e.g. ``invalid_grant``.
    """

    def __init__(self, message: str, *, error: str) -> None:
        super().__init__(message)
        self.error = error


class MeetApiError(MeetBotError):
    """A Meet REST call failed.

    Attributes:
        status: HTTP status (0 for network errors).
        reason: Google's ``error.status`` (``NOT_FOUND``, ...) or a short code.
    """

    def __init__(self, message: str, *, status: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class MeetAuthError(MeetApiError):
    """401, or 403 for a missing scope: the token must be refreshed or re-granted."""


class MeetPermissionDenied(MeetApiError):
    """403: the signed-in account may not act on this space."""


class SpaceNotFound(MeetApiError):
    """404: no such space, meeting code or conference record."""


class MeetPreconditionFailed(MeetApiError):
    """400/409 FAILED_PRECONDITION, e.g. ending a space with no active conference."""


class RateLimited(MeetApiError):
    """429 after retries.

    Attributes:
        retry_after: seconds Google asked us to wait, if it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, status=429, reason="RESOURCE_EXHAUSTED")
        self.retry_after = retry_after


class MeetUnavailable(MeetApiError):
    """5xx or a network failure after retries."""


class ChatPlatformError(MeetBotError):
    """The chat platform refused to post or update a message.

    Attributes:
        reason: the platform's error code, e.g. ``not_in_channel``.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
