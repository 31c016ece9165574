"""Runs only the Google emulators on a loopback port, for the Google adapter tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web

from bot.app.server import bind, listen
from bot.core.model import GoogleIdentity, GoogleTokens
from bot.google.oauth import HttpGoogleOAuth
from bot.settings import GOOGLE_SCOPES, GoogleSettings
from sandbox.control.google import bot_google_settings
from sandbox.control.meet import GoogleControl
from sandbox.google.oauth import consent_url
from sandbox.google.routes import add_google_routes
from sandbox.google.state import GoogleEmulatorState

# Never contacted: the tests read the code from the consent redirect's Location.
REDIRECT_URI = "http://127.0.0.1:9/google/oauth/callback"
SCOPE_READONLY = "https://www.googleapis.com/auth/meetings.space.readonly"
SCOPE_CREATED = "https://www.googleapis.com/auth/meetings.space.created"


class FakeClock:
    """A settable clock for the emulator (the one thing tests may replace)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class GoogleEmulator:
    """A running emulator: where it listens, its state, and its control surface."""

    base_url: str
    state: GoogleEmulatorState
    control: GoogleControl

    def settings(self, **overrides: Any) -> GoogleSettings:
        """Bot settings pointing at this emulator, with near-zero retry backoff."""
        values: dict[str, Any] = {
            **bot_google_settings(base_url=self.base_url),
            "retry_attempts": 3,
            "retry_base_delay": 0.001,
            **overrides,
        }
        return GoogleSettings(**values)


@asynccontextmanager
async def run_google_emulator(
    *, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[GoogleEmulator]:
    """Serve only the Google routes on 127.0.0.1, on a port the OS picks."""
    state = GoogleEmulatorState() if clock is None else GoogleEmulatorState(clock=clock)
    app = web.Application()
    add_google_routes(app, state)
    server = await listen(app, bind("127.0.0.1", 0))
    try:
        control = GoogleControl(state=state)
        yield GoogleEmulator(base_url=server.base_url, state=state, control=control)
    finally:
        await server.close()


async def approve(session: aiohttp.ClientSession, auth_url: str, *, email: str) -> dict[str, str]:
    """Give consent as a browser would; return the redirect's query (``code``, ``state``)."""
    async with session.get(consent_url(auth_url, email=email), allow_redirects=False) as resp:
        assert resp.status == 302, await resp.text()
        location = resp.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


async def sign_in(
    emulator: GoogleEmulator,
    session: aiohttp.ClientSession,
    *,
    email: str,
    scopes: tuple[str, ...] = GOOGLE_SCOPES,
) -> tuple[GoogleTokens, GoogleIdentity]:
    """The whole code flow through the bot's OAuth adapter; returns its tokens."""
    oauth = HttpGoogleOAuth(
        settings=emulator.settings(scopes=scopes), redirect_uri=REDIRECT_URI, session=session
    )
    query = await approve(session, oauth.authorization_url(state="s"), email=email)
    return await oauth.exchange_code(code=query["code"])


async def hold_calls(
    emulator: GoogleEmulator, clock: FakeClock, space: str, count: int, *, every: float = 60.0
) -> list[str]:
    """Start and end ``count`` empty calls in a space, ``every`` seconds apart; newest last."""
    names = []
    for _ in range(count):
        started = await emulator.control.start_conference(space=space, participants=[])
        clock.advance(seconds=every)
        await emulator.control.end_conference(space=space)
        names.append(started["conferenceRecord"]["name"])
    return names


START = datetime(2030, 5, 17, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def emulator(clock: FakeClock) -> AsyncIterator[GoogleEmulator]:
    async with run_google_emulator(clock=clock) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def token(emulator: GoogleEmulator, session: aiohttp.ClientSession) -> str:
    tokens, _ = await sign_in(emulator, session, email="ann@corp.test")
    return tokens.access_token
