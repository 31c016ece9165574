"""Meet REST v2 emulator: routes under ``/sandbox/google/meet/v2/`` over `GoogleEmulatorState`."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from aiohttp import web

from sandbox.google.errors import ApiError, Json, insufficient_scopes, unauthenticated
from sandbox.google.state import GoogleEmulatorState, Grant
from sandbox.meet_rest.artifacts import ArtifactKind
from sandbox.meet_rest.filter import FieldKind, parse_filter
from sandbox.meet_rest.records import (
    ConferenceRecordState,
    ParticipantRecord,
    SessionRecord,
    SpaceRecord,
    default_config,
)
from sandbox.meet_rest.requests import (
    check_body,
    check_query,
    merge,
    method,
    page,
    update_config,
)
from sandbox.meet_rest.store import NoActiveConference

logger = logging.getLogger(__name__)

_Named = TypeVar("_Named", ParticipantRecord, SessionRecord)
_Resource = ConferenceRecordState | ParticipantRecord | SessionRecord
_FILTER_FIELDS: dict[str, dict[str, FieldKind]] = {
    "conferenceRecords": {
        "space.name": "string",
        "space.meeting_code": "string",
        "start_time": "time",
        "end_time": "time",
    },
    "participants": {"earliest_start_time": "time", "latest_end_time": "time"},
    "participantSessions": {"start_time": "time", "end_time": "time"},
}

MEET_PREFIX = "/sandbox/google/meet/"
SCOPE_CREATED = "https://www.googleapis.com/auth/meetings.space.created"


@dataclass(slots=True)
class Call:
    """One authenticated, validated Meet REST request."""

    state: GoogleEmulatorState
    grant: Grant
    scopes: tuple[str, ...]
    ids: dict[str, str]
    query: dict[str, str]
    body: Json

    def sees(self, space: SpaceRecord) -> bool:
        """Own spaces only; with just ``meetings.space.created``, only this app's spaces."""
        if space.owner != self.grant.email:
            return False
        broad = (set(self.scopes) - {SCOPE_CREATED}) & self.grant.scopes
        return bool(broad) or space.client_id == self.grant.client_id

    def space(self, name: str, *, alias: bool = False) -> SpaceRecord:
        store = self.state.meet
        space = store.find_space(name) if alias else store.spaces.get(name)
        if space is None:
            raise ApiError(404)
        if not self.sees(space):
            raise ApiError(403)
        return space

    def record(self) -> ConferenceRecordState:
        record = self.state.meet.conferences.get(
            f"conferenceRecords/{self.ids['conferenceRecordsId']}"
        )
        if record is None or record.expired(self.state.now()):
            raise ApiError(404)
        if not self.sees(self.state.meet.spaces[record.space]):
            raise ApiError(403)
        return record


async def _create_space(call: Call) -> Json:
    config = default_config()
    merge(config, call.body.get("config", {}))
    space = call.state.meet.create_space(
        owner=call.grant.email, client_id=call.grant.client_id, config=config
    )
    return space.to_json()


async def _get_space(call: Call) -> Json:
    return call.space(f"spaces/{call.ids['spacesId']}", alias=True).to_json()


async def _patch_space(call: Call) -> Json:
    space = call.space(f"spaces/{call.ids['spacesId']}")
    update_config(space.config, call.body, call.query.get("updateMask", ""))
    return space.to_json()


async def _end_active_conference(call: Call) -> Json:
    space = call.space(f"spaces/{call.ids['spacesId']}")
    try:
        call.state.meet.end_conference(space)
    except NoActiveConference as exc:
        raise ApiError(
            400, "There is no active conference in the space.", code="FAILED_PRECONDITION"
        ) from exc
    return {}


async def _list_records(call: Call) -> Json:
    meet = call.state.meet
    rows = [
        (
            record,
            {
                "space.name": record.space,
                "space.meeting_code": meet.spaces[record.space].meeting_code,
                "start_time": record.start_time,
                "end_time": record.end_time,
            },
        )
        for record in sorted(meet.conferences.values(), key=lambda r: r.start_time, reverse=True)
        if call.sees(meet.spaces[record.space]) and not record.expired(call.state.now())
    ]
    return _filtered_page(call, "conferenceRecords", rows, default=25, maximum=100)


async def _get_record(call: Call) -> Json:
    return call.record().to_json()


async def _list_participants(call: Call) -> Json:
    rows = [
        (p, {"earliest_start_time": p.earliest_start_time, "latest_end_time": p.latest_end_time})
        for p in reversed(call.record().participants)
    ]
    return _filtered_page(call, "participants", rows, default=100, maximum=250)


async def _get_participant(call: Call) -> Json:
    return _participant(call).to_json()


async def _list_sessions(call: Call) -> Json:
    rows = [
        (s, {"start_time": s.start_time, "end_time": s.end_time})
        for s in reversed(_participant(call).sessions)
    ]
    return _filtered_page(call, "participantSessions", rows, default=100, maximum=250)


async def _get_session(call: Call) -> Json:
    participant = _participant(call)
    wanted = f"{participant.name}/participantSessions/{call.ids['participantSessionsId']}"
    return _named(participant.sessions, wanted).to_json()


async def _list_artifacts(kind: ArtifactKind, call: Call) -> Json:
    """Recordings, transcripts or smart notes, by start time (all share one start)."""
    record = call.record()
    items = call.state.meet.artifacts.listed(record.name, kind)
    return _page_json(call, kind, items, default=10, maximum=100)


async def _get_artifact(kind: ArtifactKind, id_key: str, call: Call) -> Json:
    record = call.record()
    found = call.state.meet.artifacts.find(
        record.name, kind, f"{record.name}/{kind}/{call.ids[id_key]}"
    )
    if found is None:
        raise ApiError(404)
    return found


async def _list_entries(call: Call) -> Json:
    entries = _entries(call)
    return _page_json(call, "transcriptEntries", entries, default=10, maximum=100)


async def _get_entry(call: Call) -> Json:
    wanted = f"{_transcript_name(call)}/entries/{call.ids['entriesId']}"
    found = next((entry for entry in _entries(call) if entry["name"] == wanted), None)
    if found is None:
        raise ApiError(404)
    return found


def _transcript_name(call: Call) -> str:
    return (
        f"conferenceRecords/{call.ids['conferenceRecordsId']}/transcripts/"
        + call.ids["transcriptsId"]
    )


def _entries(call: Call) -> list[Json]:
    """The transcript's entries (none before its file is generated); 404 if no such one."""
    record = call.record()
    entries = call.state.meet.artifacts.entries(record.name, _transcript_name(call))
    if entries is None:
        raise ApiError(404)
    return entries


def _participant(call: Call) -> ParticipantRecord:
    record = call.record()
    return _named(record.participants, f"{record.name}/participants/{call.ids['participantsId']}")


def _named(items: list[_Named], name: str) -> _Named:
    found = next((item for item in items if item.name == name), None)
    if found is None:
        raise ApiError(404)
    return found


def _filtered_page(
    call: Call,
    key: str,
    rows: Sequence[tuple[_Resource, Mapping[str, Any]]],
    *,
    default: int,
    maximum: int,
) -> Json:
    """Apply ``filter`` (over each row's filterable fields) and ``pageSize``/``pageToken``."""
    wanted = parse_filter(call.query.get("filter"), _FILTER_FIELDS[key])
    kept = [resource.to_json() for resource, values in rows if wanted(values)]
    return _page_json(call, key, kept, default=default, maximum=maximum)


def _page_json(call: Call, key: str, items: Sequence[Json], *, default: int, maximum: int) -> Json:
    """One page (``pageSize``/``pageToken``) of rendered resources, Google's list shape."""
    shown, token = page(items, query=call.query, default=default, maximum=maximum)
    data: Json = {key: shown} if shown else {}
    if token:
        data["nextPageToken"] = token
    return data


ROUTES: dict[str, Callable[[Call], Awaitable[Json]]] = {
    "spaces.create": _create_space,
    "spaces.get": _get_space,
    "spaces.patch": _patch_space,
    "spaces.endActiveConference": _end_active_conference,
    "conferenceRecords.list": _list_records,
    "conferenceRecords.get": _get_record,
    "conferenceRecords.participants.list": _list_participants,
    "conferenceRecords.participants.get": _get_participant,
    "conferenceRecords.participants.participantSessions.list": _list_sessions,
    "conferenceRecords.participants.participantSessions.get": _get_session,
    "conferenceRecords.recordings.list": partial(_list_artifacts, "recordings"),
    "conferenceRecords.recordings.get": partial(_get_artifact, "recordings", "recordingsId"),
    "conferenceRecords.transcripts.list": partial(_list_artifacts, "transcripts"),
    "conferenceRecords.transcripts.get": partial(_get_artifact, "transcripts", "transcriptsId"),
    "conferenceRecords.transcripts.entries.list": _list_entries,
    "conferenceRecords.transcripts.entries.get": _get_entry,
    "conferenceRecords.smartNotes.list": partial(_list_artifacts, "smartNotes"),
    "conferenceRecords.smartNotes.get": partial(_get_artifact, "smartNotes", "smartNotesId"),
}


def add_meet_routes(app: web.Application, state: GoogleEmulatorState) -> None:
    """Register every emulated Meet REST method at its discovery-doc path."""
    for method_id, handler in ROUTES.items():
        description = method(method_id)
        path = MEET_PREFIX + re.sub(r"\{(\w+)\}", r"{\1:[^/:]+}", description["flatPath"])
        app.router.add_route(
            description["httpMethod"], path, _endpoint(state, description, handler)
        )


def _endpoint(
    state: GoogleEmulatorState, description: Json, handler: Callable[[Call], Awaitable[Json]]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def endpoint(request: web.Request) -> web.Response:
        state.meet_requests.append(f"{request.method} {request.path}")
        try:
            await _inject_fault(state, request)
            call = await _prepare(state, description, request)
            return web.json_response(await handler(call))
        except ApiError as exc:
            logger.debug(
                "Meet emulator %s %s -> %d %s", request.method, request.path, exc.status, exc.code
            )
            return web.json_response(exc.body(), status=exc.status, headers=exc.headers)

    return endpoint


async def _inject_fault(state: GoogleEmulatorState, request: web.Request) -> None:
    fault = state.take_fault(request.path)
    if fault is None:
        return
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.status is not None:
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        raise ApiError(fault.status, headers=headers)


async def _prepare(state: GoogleEmulatorState, description: Json, request: web.Request) -> Call:
    grant = _authenticate(state, request)
    scopes = tuple(description.get("scopes", ()))
    if not grant.scopes & set(scopes):
        raise insufficient_scopes()
    query = dict(request.query)
    check_query(description, query)
    body: Json = {}
    if "request" in description and request.can_read_body:
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiError(400, "Invalid JSON payload received.") from exc
        check_body(description["request"]["$ref"], body, "body")
    return Call(state, grant, scopes, dict(request.match_info), query, body)


def _authenticate(state: GoogleEmulatorState, request: web.Request) -> Grant:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    token = token or request.query.get("access_token", "")
    if not token:
        raise unauthenticated(None)
    grant, reason = state.authenticate(token)
    if grant is None:
        raise unauthenticated(reason)
    return grant
