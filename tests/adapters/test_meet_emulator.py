"""The Meet REST emulator alone, over raw HTTP: Google's shapes, validation and refusals."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from bot.google.meet import load_discovery_document
from sandbox.control.http import ControlError
from tests.adapters.google_emulator import (
    SCOPE_READONLY,
    GoogleEmulator,
    hold_calls,
    sign_in,
)

DISCOVERY_SCHEMAS = json.loads(load_discovery_document())["schemas"]


def conforms(value: object, schema: str) -> bool:
    """Every field is declared in the discovery schema and every enum value is allowed."""
    properties = DISCOVERY_SCHEMAS[schema]["properties"]
    assert isinstance(value, dict)
    for key, item in value.items():
        spec = properties[key]
        if "$ref" in spec:
            conforms(item, spec["$ref"])
        elif spec.get("type") == "array" and "$ref" in spec["items"]:
            assert all(conforms(element, spec["items"]["$ref"]) for element in item)
        elif "enum" in spec:
            assert item in spec["enum"], (key, item)
    return True


async def api(
    session: aiohttp.ClientSession,
    emulator: GoogleEmulator,
    method: str,
    path: str,
    token: str | None = None,
    **kwargs: Any,
) -> tuple[int, Any, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"{emulator.settings().meet_base_url}v2/{path}"
    async with session.request(method, url, headers=headers, **kwargs) as resp:
        return resp.status, await resp.json(), resp.headers


async def test_resources_have_the_discovery_shapes(session, emulator, token, clock) -> None:
    _, space, _ = await api(session, emulator, "POST", "spaces", token, json={})
    await emulator.control.start_conference(space=space["name"], participants=[{"name": "Ann"}])
    clock.advance(minutes=5)
    ended = await emulator.control.end_conference(space=space["name"])
    record = ended["conferenceRecord"]["name"]
    _, listed, _ = await api(session, emulator, "GET", "conferenceRecords", token)
    _, people, _ = await api(session, emulator, "GET", f"{record}/participants", token)
    person = people["participants"][0]["name"]
    _, sessions, _ = await api(session, emulator, "GET", f"{person}/participantSessions", token)
    _, one, _ = await api(
        session, emulator, "GET", sessions["participantSessions"][0]["name"], token
    )

    assert conforms(space, "Space")
    assert conforms(listed, "ListConferenceRecordsResponse")
    assert conforms(people, "ListParticipantsResponse")
    assert conforms(sessions, "ListParticipantSessionsResponse")
    assert conforms(one, "ParticipantSession")
    assert listed["conferenceRecords"][0]["endTime"] == "2030-05-17T09:05:00.000000Z"
    assert listed["conferenceRecords"][0]["expireTime"] == "2030-06-16T09:05:00.000000Z"
    assert people["participants"][0]["signedinUser"]["displayName"] == "Ann"


@pytest.mark.parametrize(
    "query",
    [
        {"filter": 'space.nme = "spaces/x"'},
        {"filter": 'space.name >= "spaces/x"'},
        {"filter": 'start_time >= "yesterday"'},
        {"filter": "end_time IS NULL end_time IS NULL"},
        {"filter": "end_time IS NULL OR start_time IS NULL"},
        {"pageSize": "-1"},
        {"pageSize": "ten"},
        {"pageToken": "not-a-token"},
        {"orderBy": "start_time"},
    ],
)
async def test_bad_list_requests_get_invalid_argument(session, emulator, token, query) -> None:
    status, body, _ = await api(session, emulator, "GET", "conferenceRecords", token, params=query)

    assert status == 400
    assert body["error"]["code"] == 400
    assert body["error"]["status"] == "INVALID_ARGUMENT"
    assert body["error"]["message"]


async def test_list_page_size_default_maximum_and_token_binding(
    session, emulator, token, clock
) -> None:
    _, space, _ = await api(session, emulator, "POST", "spaces", token, json={})
    await hold_calls(emulator, clock, space["name"], 101, every=1)

    _, default, _ = await api(session, emulator, "GET", "conferenceRecords", token)
    _, big, _ = await api(
        session, emulator, "GET", "conferenceRecords", token, params={"pageSize": "500"}
    )
    moved = {"pageToken": default["nextPageToken"], "filter": "end_time IS NULL"}
    status, _, _ = await api(session, emulator, "GET", "conferenceRecords", token, params=moved)

    assert len(default["conferenceRecords"]) == 25
    assert len(big["conferenceRecords"]) == 100
    assert "nextPageToken" in big
    assert status == 400


@pytest.mark.parametrize(
    "body",
    [{"config": {"accessType": "PUBLIC"}}, {"config": {"colour": "blue"}}, {"title": "standup"}],
)
async def test_create_refuses_unknown_fields_and_enum_values(
    session, emulator, token, body
) -> None:
    status, answer, _ = await api(session, emulator, "POST", "spaces", token, json=body)

    assert status == 400
    assert answer["error"]["status"] == "INVALID_ARGUMENT"
    assert emulator.state.meet.spaces == {}


async def test_patch_changes_only_masked_fields(session, emulator, token) -> None:
    _, space, _ = await api(session, emulator, "POST", "spaces", token, json={})
    body = {"config": {"accessType": "OPEN", "entryPointAccess": "CREATOR_APP_ONLY"}}

    status, patched, _ = await api(
        session,
        emulator,
        "PATCH",
        space["name"],
        token,
        json=body,
        params={"updateMask": "config.access_type"},
    )
    bad, error, _ = await api(
        session,
        emulator,
        "PATCH",
        space["name"],
        token,
        json=body,
        params={"updateMask": "config.colour"},
    )

    assert status == 200
    assert patched["config"]["accessType"] == "OPEN"
    assert patched["config"]["entryPointAccess"] == "ALL"
    assert (bad, error["error"]["status"]) == (400, "INVALID_ARGUMENT")


async def test_missing_token_is_unauthenticated(session, emulator) -> None:
    status, body, headers = await api(session, emulator, "GET", "conferenceRecords")

    assert status == 401
    assert body["error"]["status"] == "UNAUTHENTICATED"
    assert headers["WWW-Authenticate"].startswith("Bearer ")


async def test_scope_refusal_says_insufficient_scopes(session, emulator) -> None:
    tokens, _ = await sign_in(
        emulator, session, email="ro@corp.test", scopes=("openid", SCOPE_READONLY)
    )

    status, body, _ = await api(session, emulator, "POST", "spaces", tokens.access_token, json={})

    assert status == 403
    assert body["error"]["status"] == "PERMISSION_DENIED"
    assert body["error"]["message"] == "Request had insufficient authentication scopes."
    assert body["error"]["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"


async def test_injected_fault_answers_google_error_json(session, emulator, token) -> None:
    emulator.state.inject_fault(path_regex="conferenceRecords", status=429, count=1, retry_after=3)

    status, body, headers = await api(session, emulator, "GET", "conferenceRecords", token)
    after, _, _ = await api(session, emulator, "GET", "conferenceRecords", token)

    assert (status, body["error"]["status"], headers["Retry-After"]) == (
        429,
        "RESOURCE_EXHAUSTED",
        "3",
    )
    assert after == 200


async def test_participant_filters_and_empty_artifacts(session, emulator, token) -> None:
    _, space, _ = await api(session, emulator, "POST", "spaces", token, json={})
    started = await emulator.control.start_conference(
        space=space["meetingCode"], participants=[{"name": "Ann"}]
    )
    record = started["conferenceRecord"]["name"]

    _, present, _ = await api(
        session,
        emulator,
        "GET",
        f"{record}/participants",
        token,
        params={"filter": "latest_end_time IS NULL"},
    )
    _, recordings, _ = await api(session, emulator, "GET", f"{record}/recordings", token)

    assert [p["signedinUser"]["displayName"] for p in present["participants"]] == ["Ann"]
    assert recordings == {}


async def test_control_refuses_what_meet_would_not_do(session, emulator, token) -> None:
    _, space, _ = await api(session, emulator, "POST", "spaces", token, json={})
    control = emulator.control
    await control.start_conference(space=space["meetingUri"], participants=[])

    with pytest.raises(ControlError) as active:
        await control.start_conference(space=space["name"], participants=[])
    with pytest.raises(ControlError) as unknown:
        await control.end_conference(space="spaces/nope")
    with pytest.raises(ControlError) as bad_spec:
        await control.start_conference(space=space["name"], participants=[{"name": "A", "mic": 1}])
    await control.end_conference(space=space["meetingCode"])
    with pytest.raises(ControlError) as ended:
        await control.end_conference(space=space["name"])

    assert [active.value.status, unknown.value.status, bad_spec.value.status] == [409, 404, 400]
    assert ended.value.status == 409
    assert [s["name"] for s in control.list_spaces()] == [space["name"]]
