"""The Google side: OAuth, Meet REST, linked accounts, the connect flow, Meet's artifacts."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from bot.core.accounts.connect import ConnectFlow
from bot.core.accounts.google_access import GoogleAccess
from bot.core.ports.chat import Notifier
from bot.core.recording.artifacts import ArtifactsFlow
from bot.google.artifacts import MeetArtifactsClient
from bot.google.meet import MeetRestClient
from bot.google.oauth import HttpGoogleOAuth
from bot.settings import Settings
from bot.web import pages
from storage.repos.factory import Repos


@dataclass(frozen=True, slots=True)
class GoogleSide:
    """The Google clients on the one session for Google, and the accounts they act for."""

    oauth: HttpGoogleOAuth
    meet: MeetRestClient
    access: GoogleAccess


def build_google(
    settings: Settings, *, repos: Repos, base_url: str, session: aiohttp.ClientSession
) -> GoogleSide:
    """OAuth redirects to the bot's callback page; every client shares ``session``."""
    oauth = HttpGoogleOAuth(
        settings=settings.google,
        redirect_uri=base_url + pages.GOOGLE_CALLBACK_PATH,
        session=session,
    )
    return GoogleSide(
        oauth=oauth,
        meet=MeetRestClient(settings=settings.google, session=session),
        access=GoogleAccess(accounts=repos.accounts, oauth=oauth),
    )


def build_connect(
    settings: Settings, *, repos: Repos, google: GoogleSide, notifiers: dict[str, Notifier]
) -> ConnectFlow:
    """`/meet connect`: links a chat user to a Google account, then tells them in chat."""
    return ConnectFlow(
        states=repos.connect_states,
        accounts=repos.accounts,
        oauth=google.oauth,
        notifiers=notifiers,
        ttl_seconds=settings.google.connect_ttl,
    )


def build_artifacts(
    settings: Settings, *, google: GoogleSide, session: aiohttp.ClientSession
) -> ArtifactsFlow:
    """Meet's own recordings and transcripts, fetched after the call."""
    return ArtifactsFlow(
        google=google.access,
        client=MeetArtifactsClient(settings=settings.google, session=session),
        delays=settings.artifacts.delays,
        excerpt_lines=settings.artifacts.excerpt_lines,
    )
