"""ArtifactsFlow end to end: real tokens in SQLite, the Meet emulator over loopback HTTP.

Time is the emulator's clock: the flow's injected sleep moves it, so Meet "generates" its
files while the flow backs off, and nothing really waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.core.accounts.google_access import GoogleAccess
from bot.core.model import ChatUser, GoogleLink
from bot.core.recording.artifacts import ArtifactsFlow
from bot.core.replies import Reply
from bot.core.texts import artifacts as texts
from bot.google.artifacts import MeetArtifactsClient
from bot.google.oauth import HttpGoogleOAuth
from storage.crypto import TokenCipher, generate_key
from storage.db import create_engine, run_migrations
from storage.repos import Repos, build_repos
from tests.adapters.google_emulator import REDIRECT_URI, FakeClock, GoogleEmulator, sign_in
from tests.adapters.meet_artifacts_calls import ended_call

USER = ChatUser(platform="slack", team_id="T1", user_id="U0ANN")
EMAIL = "ann@corp.test"
DELAYS = (60.0, 120.0, 240.0, 480.0)
MEDIA_ONLY = "https://www.googleapis.com/auth/meetings.conference.media.audio.readonly"


class Steps:
    """The flow's sleep: moves the emulator's clock instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds=seconds)
        await asyncio.sleep(0)


class Thread:
    """Collects what the flow posts."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []

    async def post(self, reply: Reply) -> None:
        self.replies.append(reply)


@pytest.fixture
async def repos(tmp_path: Path) -> AsyncIterator[Repos]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'meetbot.db'}")
    try:
        await run_migrations(engine)
        yield build_repos(engine=engine, cipher=TokenCipher(key=generate_key()))
    finally:
        await engine.dispose()


async def connect(
    emulator: GoogleEmulator,
    session: aiohttp.ClientSession,
    repos: Repos,
    scopes: tuple[str, ...] | None = None,
) -> None:
    """``USER`` links ``EMAIL`` through the emulator's consent, as `/meet connect` does."""
    extra = {} if scopes is None else {"scopes": scopes}
    tokens, identity = await sign_in(emulator, session, email=EMAIL, **extra)
    await repos.accounts.save(link=GoogleLink(user=USER, identity=identity, tokens=tokens))


@pytest.fixture
def steps(clock: FakeClock) -> Steps:
    return Steps(clock)


@pytest.fixture
async def flow(emulator, session, repos, steps) -> AsyncIterator[ArtifactsFlow]:
    oauth = HttpGoogleOAuth(
        settings=emulator.settings(), redirect_uri=REDIRECT_URI, session=session
    )
    flow = ArtifactsFlow(
        google=GoogleAccess(accounts=repos.accounts, oauth=oauth),
        client=MeetArtifactsClient(settings=emulator.settings(), session=session),
        delays=DELAYS,
        sleep=steps,
    )
    yield flow
    await flow.aclose()


async def follow(flow: ArtifactsFlow, record: str) -> list[Reply]:
    thread = Thread()
    flow.follow(user=USER, conference_record=record, post=thread.post)
    async with asyncio.timeout(10):
        await flow.wait_idle()
    return thread.replies


async def test_backs_off_until_generated_then_posts_once(
    flow, emulator, session, repos, clock, steps
) -> None:
    await connect(emulator, session, repos)
    emulator.control.set_artifacts(changes={"delay": 300})
    record = await ended_call(emulator, clock, owner=EMAIL)

    replies = await follow(flow, record)

    assert steps.waits == [60.0, 120.0, 240.0]  # ENDED at 1 and 3 min, generated at 5
    assert len(replies) == 1
    reply = replies[0]
    made = emulator.control.artifacts(ref=record)["conferences"][0]
    drive = made["recordings"][0]["driveDestination"]["exportUri"]
    docs = made["transcripts"][0]["docsDestination"]["exportUri"]
    notes = made["smartNotes"][0]["docsDestination"]["exportUri"]
    assert [(b.label, b.url) for b in reply.links] == [
        ("Meet recording", drive),
        ("Meet transcript", docs),
        ("Meet notes", notes),
    ]
    assert f"<{drive}|Watch in Google Drive>" in reply.text
    assert f"<{docs}|Open in Google Docs> (3 lines)" in reply.text
    assert "*Ann* 0:00: Good morning, everyone." in reply.text
    assert "*Bob* 0:04: The numbers look fine." in reply.text
    assert "*Who was there* (3): Ann 0:00–12:00 · Bob 0:00–12:00 · Cy 0:00–12:00" in reply.text
    assert reply.context == texts.WHICH_IS_WHICH
    assert flow.following == 0


async def test_still_not_generated_when_retries_run_out(
    flow, emulator, session, repos, clock, steps
) -> None:
    await connect(emulator, session, repos)
    emulator.control.set_artifacts(changes={"delay": 1, "smart_notes": "off"})
    record = await ended_call(emulator, clock, owner=EMAIL)
    emulator.control.hold_artifacts(ref=record, seconds=24 * 3600)

    replies = await follow(flow, record)

    assert steps.waits == list(DELAYS)
    assert len(replies) == 1
    text = replies[0].text
    assert text.count("not ready yet: Meet was still preparing it after 15 min") == 2
    assert replies[0].links == ()
    assert "*Who was there* (3)" in text


async def test_meet_made_none(flow, emulator, session, repos, clock, steps) -> None:
    await connect(emulator, session, repos)
    record = await ended_call(emulator, clock, owner=EMAIL, config=None)

    replies = await follow(flow, record)

    assert replies == [texts.none_made()]
    assert steps.waits == [60.0]


async def test_call_still_running(flow, emulator, session, repos, clock, steps) -> None:
    await connect(emulator, session, repos)
    space = emulator.state.meet.create_space(owner=EMAIL, client_id="c", config={})
    started = await emulator.control.start_conference(space=space.name, participants=[])

    replies = await follow(flow, started["conferenceRecord"]["name"])

    assert replies == [texts.call_still_running(sum(DELAYS))]


async def test_missing_scope_says_connect_again(flow, emulator, session, repos, clock) -> None:
    await connect(emulator, session, repos, scopes=("openid", "email", MEDIA_ONLY))
    record = await ended_call(emulator, clock, owner=EMAIL)

    replies = await follow(flow, record)

    assert replies == [texts.reconnect(revoked=False)]
    assert "`/meet connect`" in replies[0].text


async def test_revoked_grant_says_connect_again(flow, emulator, session, repos, clock) -> None:
    await connect(emulator, session, repos)
    record = await ended_call(emulator, clock, owner=EMAIL)
    link = await repos.accounts.get(user=USER)
    assert link is not None
    emulator.state.revoke(link.tokens.access_token)

    replies = await follow(flow, record)

    assert replies == [texts.reconnect(revoked=True)]
    assert await repos.accounts.get(user=USER) is None


async def test_unknown_record_and_outage(flow, emulator, session, repos, clock, steps) -> None:
    await connect(emulator, session, repos)
    unknown = await follow(flow, "conferenceRecords/nope")
    emulator.state.inject_fault(path_regex=r"/conferenceRecords/", status=503, count=1000)
    record = await ended_call(emulator, clock, owner=EMAIL)
    down = await follow(flow, record)

    assert unknown == [texts.not_found()]
    assert down == [texts.unreachable(sum(DELAYS))]


async def test_an_outage_is_retried_at_the_next_step(
    flow, emulator, session, repos, clock, steps
) -> None:
    await connect(emulator, session, repos)
    emulator.control.set_artifacts(changes={"delay": 0})
    record = await ended_call(emulator, clock, owner=EMAIL)
    # the client's own 3 tries of the first request all fail; the next attempt gets through
    emulator.state.inject_fault(path_regex=r"/conferenceRecords/", status=503, count=3)

    replies = await follow(flow, record)

    assert steps.waits == [60.0, 120.0]
    assert len(replies) == 1
    assert len(replies[0].links) == 3


async def test_one_follow_per_record_and_aclose_cancels(emulator, session, repos, clock) -> None:
    await connect(emulator, session, repos)
    record = await ended_call(emulator, clock, owner=EMAIL)
    never = asyncio.Event()

    async def stuck(seconds: float) -> None:
        await never.wait()

    oauth = HttpGoogleOAuth(
        settings=emulator.settings(), redirect_uri=REDIRECT_URI, session=session
    )
    google = GoogleAccess(accounts=repos.accounts, oauth=oauth)
    client = MeetArtifactsClient(settings=emulator.settings(), session=session)
    flow = ArtifactsFlow(google=google, client=client, delays=DELAYS, sleep=stuck)
    thread = Thread()
    flow.follow(user=USER, conference_record=record, post=thread.post)
    flow.follow(user=USER, conference_record=record, post=thread.post)
    following = flow.following

    await flow.aclose()

    assert following == 1
    assert flow.following == 0
    assert thread.replies == []
    with pytest.raises(RuntimeError):
        flow.follow(user=USER, conference_record=record, post=thread.post)
    with pytest.raises(ValueError, match="delays"):
        ArtifactsFlow(google=google, client=client, delays=())
