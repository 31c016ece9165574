"""The recorder's view of a chat user's Google account: tokens and "is the call running?"."""

from __future__ import annotations

from bot.core.accounts.google_access import GoogleAccess
from bot.core.errors import MeetApiError, NotConnected, OAuthError, SpaceNotFound
from bot.core.model import ChatUser
from bot.core.ports.google import MeetSpaces
from recorder import MediaAuthError, RecorderError

MEDIA_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/meetings.conference.media.readonly",
        "https://www.googleapis.com/auth/meetings.conference.media.audio.readonly",
    }
)
VIDEO_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/meetings.conference.media.readonly",
        "https://www.googleapis.com/auth/meetings.conference.media.video.readonly",
    }
)
"""Either lets the recorder offer video; with only the audio scope it records audio only."""


class UserTokens:
    """`recorder.TokenSource` for one chat user's linked Google account."""

    def __init__(self, *, google: GoogleAccess, user: ChatUser) -> None:
        self._google = google
        self._user = user

    async def access_token(self, *, force_refresh: bool = False) -> str:
        try:
            return await self._google.token(self._user, force_refresh=force_refresh)
        except NotConnected as exc:
            raise MediaAuthError("the Google account is no longer connected", status=401) from exc
        except OAuthError as exc:
            raise RecorderError(f"Google sign-in is unavailable ({exc.error})") from exc


class SpaceProbe:
    """`recorder.ConferenceProbe` over Meet REST ``spaces.get``, as the chat user."""

    def __init__(self, *, google: GoogleAccess, meet: MeetSpaces, user: ChatUser) -> None:
        self._google = google
        self._meet = meet
        self._user = user

    async def active_conference(self, *, space: str) -> str | None:
        try:
            found = await self._google.call(
                self._user, lambda t: self._meet.get_space(token=t, name=space)
            )
        except SpaceNotFound as exc:
            raise RecorderError(
                "the meeting does not exist, or your account cannot see it"
            ) from exc
        except NotConnected as exc:
            raise MediaAuthError("the Google account is no longer connected", status=401) from exc
        except MeetApiError as exc:
            raise RecorderError(f"Meet did not answer ({exc})") from exc
        return found.active_conference
