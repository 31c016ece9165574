"""The Meet REST adapter (aiohttp, the shared Google session) against the Meet emulator."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.core.errors import (
    MeetAuthError,
    MeetPermissionDenied,
    MeetPreconditionFailed,
    MeetUnavailable,
    RateLimited,
    SpaceNotFound,
)
from bot.core.model import AccessType, ConferenceRecordName
from bot.google.meet import MeetRestClient
from bot.google.oauth import HttpGoogleOAuth
from bot.google.rest import retry_policy
from tests.adapters.google_emulator import (
    REDIRECT_URI,
    SCOPE_READONLY,
    START,
    GoogleEmulator,
    hold_calls,
    run_google_emulator,
    sign_in,
)

SPACES_CREATE = r"/v2/spaces$"


@pytest.fixture
def meet(emulator: GoogleEmulator, session: aiohttp.ClientSession) -> MeetRestClient:
    return MeetRestClient(settings=emulator.settings(), session=session, page_size=2)


async def test_create_space_defaults_to_trusted(meet, token) -> None:
    space = await meet.create_space(token=token, access_type=None)

    assert space.name.startswith("spaces/")
    assert len(space.name) == len("spaces/") + 12
    assert space.meeting_uri == f"https://meet.google.com/{space.meeting_code}"
    assert space.access_type is AccessType.TRUSTED
    assert space.active_conference is None


async def test_get_space_by_name_and_by_meeting_code(meet, token) -> None:
    created = await meet.create_space(token=token, access_type=AccessType.OPEN)

    by_name = await meet.get_space(token=token, name=created.name)
    by_code = await meet.get_space(token=token, name=f"spaces/{created.meeting_code.upper()}")

    assert by_name == created
    assert by_code == created
    assert created.access_type is AccessType.OPEN


async def test_set_access_patches_only_the_access_type(meet, token, emulator) -> None:
    created = await meet.create_space(token=token, access_type=AccessType.OPEN)

    patched = await meet.set_access(
        token=token, name=created.name, access_type=AccessType.RESTRICTED
    )

    assert patched.access_type is AccessType.RESTRICTED
    assert (
        await meet.get_space(token=token, name=created.name)
    ).access_type is AccessType.RESTRICTED
    assert emulator.state.meet.spaces[created.name].config["entryPointAccess"] == "ALL"


async def test_end_active_conference(meet, token, emulator, clock) -> None:
    space = await meet.create_space(token=token, access_type=None)
    started = await emulator.control.start_conference(
        space=space.meeting_code, participants=[{"name": "Bo"}]
    )
    active = await meet.get_space(token=token, name=space.name)
    clock.advance(minutes=30)

    await meet.end_active_conference(token=token, name=space.name)

    records = await meet.list_conference_records(token=token, filter=f'space.name = "{space.name}"')
    assert active.active_conference == started["conferenceRecord"]["name"]
    assert (await meet.get_space(token=token, name=space.name)).active_conference is None
    assert [(r.name, r.start_time, r.end_time) for r in records] == [
        (active.active_conference, START, clock.now)
    ]


async def test_end_without_active_conference_is_a_precondition_failure(meet, token) -> None:
    space = await meet.create_space(token=token, access_type=None)

    with pytest.raises(MeetPreconditionFailed) as caught:
        await meet.end_active_conference(token=token, name=space.name)

    assert caught.value.status == 400
    assert caught.value.reason == "FAILED_PRECONDITION"


async def test_conference_records_filter_by_space_across_pages(
    meet, token, emulator, clock
) -> None:
    first = await meet.create_space(token=token, access_type=None)
    other = await meet.create_space(token=token, access_type=None)
    mine = await hold_calls(emulator, clock, first.name, 3)
    await hold_calls(emulator, clock, other.name, 1)
    before = len(emulator.state.meet_requests)

    records = await meet.list_conference_records(token=token, filter=f'space.name = "{first.name}"')

    assert [r.name for r in records] == list(reversed(mine))
    assert {r.space for r in records} == {first.name}
    assert all(r.end_time is not None and r.end_time > r.start_time for r in records)
    assert len(emulator.state.meet_requests) - before == 2


async def test_conference_records_by_meeting_code_and_open_calls(
    meet, token, emulator, clock
) -> None:
    space = await meet.create_space(token=token, access_type=None)
    await hold_calls(emulator, clock, space.name, 1)
    live = await emulator.control.start_conference(space=space.name, participants=[])

    by_code = await meet.list_conference_records(
        token=token, filter=f'space.meeting_code = "{space.meeting_code}"'
    )
    open_calls = await meet.list_conference_records(token=token, filter="end_time IS NULL")

    assert len(by_code) == 2
    assert [r.name for r in open_calls] == [live["conferenceRecord"]["name"]]
    assert open_calls[0].end_time is None


async def test_participants_across_pages(meet, token, emulator) -> None:
    space = await meet.create_space(token=token, access_type=None)
    names = ["Ann", "Bo", "Cy", "Di", "Ed"]
    started = await emulator.control.start_conference(
        space=space.name,
        participants=[{"name": n, "audio": None, "video": False, "speak_at": 0} for n in names],
    )
    record = ConferenceRecordName(started["conferenceRecord"]["name"])

    participants = await meet.list_participants(token=token, record=record)

    assert sorted(p.display_name for p in participants) == names
    assert {p.kind for p in participants} == {"signedin"}
    assert all(p.name.startswith(f"{record}/participants/") for p in participants)
    assert all(p.earliest_start_time == START and p.latest_end_time is None for p in participants)
    assert len({p.user for p in participants}) == 5  # signedinUser.user: who, as Google knows them
    assert all(str(p.user).startswith("users/") for p in participants)


async def test_expired_token_is_an_auth_error_until_refreshed(
    meet, token, emulator, session
) -> None:
    await meet.create_space(token=token, access_type=None)
    emulator.state.expire_tokens("ann@corp.test")

    with pytest.raises(MeetAuthError) as caught:
        await meet.create_space(token=token, access_type=None)

    refresh_token = emulator.state.access_tokens[token].grant.refresh_token
    oauth = HttpGoogleOAuth(
        settings=emulator.settings(), redirect_uri=REDIRECT_URI, session=session
    )
    fresh = await oauth.refresh(refresh_token=refresh_token)
    assert caught.value.status == 401
    assert (await meet.create_space(token=fresh.access_token, access_type=None)).name


async def test_revoked_token_is_an_auth_error(meet, token, emulator, session) -> None:
    oauth = HttpGoogleOAuth(
        settings=emulator.settings(), redirect_uri=REDIRECT_URI, session=session
    )
    await oauth.revoke(token=token)

    with pytest.raises(MeetAuthError):
        await meet.create_space(token=token, access_type=None)


async def test_missing_scope_is_an_auth_error(meet, emulator, session) -> None:
    tokens, _ = await sign_in(
        emulator, session, email="ro@corp.test", scopes=("openid", "email", SCOPE_READONLY)
    )

    with pytest.raises(MeetAuthError) as caught:
        await meet.create_space(token=tokens.access_token, access_type=None)

    assert caught.value.status == 403
    assert caught.value.reason == "PERMISSION_DENIED"


async def test_another_users_space_is_refused(meet, token, emulator, session) -> None:
    space = await meet.create_space(token=token, access_type=None)
    bob, _ = await sign_in(emulator, session, email="bob@corp.test")

    with pytest.raises(MeetPermissionDenied):
        await meet.get_space(token=bob.access_token, name=space.name)
    with pytest.raises(MeetPermissionDenied):
        await meet.end_active_conference(token=bob.access_token, name=space.name)
    assert await meet.list_conference_records(token=bob.access_token, filter=None) == []


async def test_unknown_space_is_not_found(meet, token) -> None:
    with pytest.raises(SpaceNotFound):
        await meet.get_space(token=token, name="spaces/abc-defg-hij")


async def test_rate_limit_is_retried_until_it_passes(meet, token, emulator) -> None:
    emulator.state.inject_fault(path_regex=SPACES_CREATE, status=429, count=2)

    space = await meet.create_space(token=token, access_type=None)

    assert space.name in emulator.state.meet.spaces
    assert emulator.state.faults == []
    assert list(emulator.state.meet_requests)[-3:] == ["POST /sandbox/google/meet/v2/spaces"] * 3


async def test_rate_limit_beyond_attempts_raises_with_retry_after(meet, token, emulator) -> None:
    emulator.state.inject_fault(path_regex=SPACES_CREATE, status=429, count=5, retry_after=0.01)

    with pytest.raises(RateLimited) as caught:
        await meet.create_space(token=token, access_type=None)

    assert caught.value.retry_after == pytest.approx(0.01)
    assert emulator.state.faults[0].remaining == 2
    assert emulator.state.meet.spaces == {}


async def test_retry_after_is_honoured(meet, token, emulator) -> None:
    emulator.state.inject_fault(path_regex=SPACES_CREATE, status=429, count=1, retry_after=0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()

    await meet.create_space(token=token, access_type=None)

    assert loop.time() - started >= 0.2


async def test_retry_after_is_capped(emulator, session, token) -> None:
    retry = retry_policy(emulator.settings(), max_delay=0.01)
    meet = MeetRestClient(settings=emulator.settings(), session=session, retry=retry)
    emulator.state.inject_fault(path_regex=SPACES_CREATE, status=429, count=1, retry_after=60)

    async with asyncio.timeout(5):
        space = await meet.create_space(token=token, access_type=None)

    assert space.name in emulator.state.meet.spaces


async def test_server_errors_become_unavailable(meet, token, emulator) -> None:
    emulator.state.inject_fault(path_regex=r"/v2/conferenceRecords$", status=503, count=3)

    with pytest.raises(MeetUnavailable) as caught:
        await meet.list_conference_records(token=token, filter=None)

    assert caught.value.status == 503
    assert caught.value.reason == "UNAVAILABLE"


async def test_unreachable_api_is_unavailable(session, token) -> None:
    async with run_google_emulator() as stopped:
        meet = MeetRestClient(settings=stopped.settings(retry_attempts=2), session=session)

    with pytest.raises(MeetUnavailable) as caught:
        await meet.create_space(token=token, access_type=None)

    assert caught.value.status == 0
    assert isinstance(caught.value.__cause__, OSError)


async def test_calls_do_not_block_the_event_loop(meet, token, emulator) -> None:
    emulator.state.inject_latency(path_regex=SPACES_CREATE, seconds=0.3, count=1)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        await meet.create_space(token=token, access_type=None)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    assert ticks >= 10
