"""The one retry policy, through each Google client, against the emulators (sleeps recorded)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.core.errors import ChatPlatformError, MeetApiError, MeetUnavailable, SpaceNotFound
from bot.gchat.client import SCOPE, ChatApi, service_account_info
from bot.google.meet import MeetRestClient
from bot.google.service_account import ServiceAccountTokens
from bot.settings import GChatSettings
from recorder.errors import SignalingError
from recorder.retry import RetryPolicy
from recorder.signaling import MediaSignaling
from sandbox.gchat.keys import SigningKey
from sandbox.gchat.state import GENERAL_SPACE
from tests.adapters.google_emulator import GoogleEmulator, run_google_emulator
from tests.adapters.sandbox_server import RunningSandbox, running_sandbox
from tests.adapters.test_chat_emulator import ok

SPACES_CREATE = r"/v2/spaces$"
CONNECT = r":connectActiveConference$"


class Sleeps:
    """The injected sleep: records each delay the policy asks for, waits for none."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class Tokens:
    def __init__(self, token: str) -> None:
        self.token = token

    async def access_token(self, *, force_refresh: bool = False) -> str:
        return self.token


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def policy(sleeps: Sleeps) -> RetryPolicy:
    return RetryPolicy(attempts=3, base_delay=0.5, max_delay=10.0, sleep=sleeps)


@pytest.fixture
def meet(emulator: GoogleEmulator, session: aiohttp.ClientSession, policy) -> MeetRestClient:
    return MeetRestClient(settings=emulator.settings(), session=session, retry=policy)


def creates(emulator: GoogleEmulator) -> int:
    return sum(r == "POST /sandbox/google/meet/v2/spaces" for r in emulator.state.meet_requests)


async def test_429_waits_what_retry_after_says_then_succeeds(meet, token, emulator, sleeps):
    emulator.state.inject_fault(path_regex=SPACES_CREATE, status=429, count=1, retry_after=7)

    space = await meet.create_space(token=token, access_type=None)

    assert space.name in emulator.state.meet.spaces
    assert sleeps.delays == [7.0]
    assert creates(emulator) == 2


async def test_retry_after_is_capped(meet, token, emulator, sleeps) -> None:
    emulator.state.inject_fault(path_regex=SPACES_CREATE, status=429, count=1, retry_after=600)

    await meet.create_space(token=token, access_type=None)

    assert sleeps.delays == [10.0]


async def test_503_twice_then_success_backs_off_with_jitter(meet, token, emulator, sleeps):
    emulator.state.inject_fault(path_regex=SPACES_CREATE, status=503, count=2)

    space = await meet.create_space(token=token, access_type=None)

    assert space.name in emulator.state.meet.spaces
    assert len(sleeps.delays) == 2
    first, second = sleeps.delays
    assert 0 <= first <= 0.5  # full jitter: uniform up to 0.5 s, then up to 1 s
    assert 0 <= second <= 1.0


async def test_400_is_not_retried(meet, token, emulator, sleeps) -> None:
    emulator.state.inject_fault(path_regex=SPACES_CREATE, status=400, count=1)

    with pytest.raises(MeetApiError) as caught:
        await meet.create_space(token=token, access_type=None)

    assert caught.value.status == 400
    assert sleeps.delays == []
    assert creates(emulator) == 1
    assert emulator.state.meet.spaces == {}


async def test_gives_up_after_the_attempts(meet, token, emulator, sleeps) -> None:
    emulator.state.inject_fault(path_regex=SPACES_CREATE, status=503, count=5)

    with pytest.raises(MeetUnavailable) as caught:
        await meet.create_space(token=token, access_type=None)

    assert caught.value.status == 503
    assert len(sleeps.delays) == 2
    assert creates(emulator) == 3
    assert emulator.state.faults[0].remaining == 2


async def test_connection_errors_are_retried(session, token, policy, sleeps) -> None:
    async with run_google_emulator() as stopped:
        meet = MeetRestClient(settings=stopped.settings(), session=session, retry=policy)

    with pytest.raises(MeetUnavailable) as caught:
        await meet.get_space(token=token, name="spaces/abc")

    assert caught.value.status == 0
    assert len(sleeps.delays) == 2


async def test_signaling_honours_retry_after_and_stops_at_a_refusal(
    emulator, session, token, policy, sleeps
) -> None:
    signaling = MediaSignaling(
        session=session,
        base_url=emulator.settings().meet_base_url,
        tokens=Tokens(token),
        retry=policy,
    )
    emulator.state.inject_fault(path_regex=CONNECT, status=429, count=1, retry_after=3)

    with pytest.raises(SignalingError) as caught:
        await signaling.connect(space="spaces/nope", offer="v=0", confirmation_timeout=5)

    assert caught.value.status == 404  # the retry reached Meet, which knows no such space
    assert sleeps.delays == [3.0]
    assert sum(CONNECT[:-1] in r for r in emulator.state.meet_requests) == 2


@pytest.fixture
async def live() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox() as running:
        yield running


async def test_chat_rate_limit_is_retried(live: RunningSandbox, policy, sleeps) -> None:
    settings = GChatSettings(**live.sandbox.bot_settings(base_url=live.base_url)["gchat"])
    async with aiohttp.ClientSession() as session:
        chat = ChatApi(settings=settings, session=session, retry=policy)
        await ok(live, "POST", "chat/faults", {"status": 429, "count": 1})
        sent = await chat.create(space=GENERAL_SPACE, message={"text": "hello"})
        with pytest.raises(ChatPlatformError) as caught:
            await chat.get(name=f"{GENERAL_SPACE}/messages/nope")

    assert sent.name.startswith(f"{GENERAL_SPACE}/messages/")
    assert sleeps.delays == [1.0]  # the emulator's Retry-After; the 404 was not retried
    assert caught.value.reason == "NOT_FOUND"
    assert not isinstance(caught.value, SpaceNotFound)


class Clock:
    """Seconds since the epoch, set by the test (never ahead of the emulator's clock)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_service_account_token_is_cached_until_it_nears_expiry(
    live: RunningSandbox, policy
) -> None:
    settings = GChatSettings(**live.sandbox.bot_settings(base_url=live.base_url)["gchat"])
    info = service_account_info(settings)
    assert info is not None
    clock = Clock(time.time() - 3590)  # the first token's hour ends 10 s from now
    tokens = ServiceAccountTokens(
        info=info, scopes=(SCOPE,), session=live.client, retry=policy, clock=clock
    )

    first = await tokens.access_token()
    clock.now += 3000
    again = await tokens.access_token()
    clock.now = time.time()  # inside the token's last minute: the next call renews it
    renewed = await tokens.access_token()

    assert first == again
    assert renewed != first
    assert renewed.startswith("ya29.")


async def test_a_forged_service_account_key_is_unauthenticated(
    live: RunningSandbox, policy, sleeps
) -> None:
    settings = GChatSettings(**live.sandbox.bot_settings(base_url=live.base_url)["gchat"])
    info = dict(service_account_info(settings) or {})
    info["private_key"] = SigningKey.generate("x").private_key_pem()
    tokens = ServiceAccountTokens(info=info, scopes=(SCOPE,), session=live.client, retry=policy)

    with pytest.raises(ChatPlatformError) as caught:
        await tokens.access_token()

    assert caught.value.reason == "UNAUTHENTICATED"
    assert sleeps.delays == []
