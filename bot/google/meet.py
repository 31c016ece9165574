"""Meet REST v2 over the application's one aiohttp session for Google, with the retry policy."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import resources
from typing import Any, Literal, TypeVar

import aiohttp

from bot.core.errors import MeetApiError
from bot.core.model import (
    AccessType,
    ConferenceRecord,
    ConferenceRecordName,
    Participant,
    Space,
    SpaceName,
)
from bot.google.errors import MEET, malformed
from bot.google.rest import GoogleRest, Params, resource_path, retry_policy
from bot.settings import GoogleSettings
from recorder.retry import RetryPolicy

logger = logging.getLogger(__name__)

Json = dict[str, Any]
T = TypeVar("T")

_MAX_PAGE = {"conferenceRecords": 100, "participants": 250}
_ACCESS_VALUES = frozenset(a.value for a in AccessType)
_KINDS: tuple[tuple[str, Literal["signedin", "anonymous", "phone"]], ...] = (
    ("signedinUser", "signedin"),
    ("anonymousUser", "anonymous"),
    ("phoneUser", "phone"),
)


def load_discovery_document(api: str = "meet", version: str = "v2") -> str:
    """The discovery document installed with googleapiclient (the paths used here come from
    it); never fetched over the network."""
    documents = resources.files("googleapiclient") / "discovery_cache" / "documents"
    return (documents / f"{api}.{version}.json").read_text(encoding="utf-8")


class MeetRestClient:
    """`bot.core.ports.google.MeetSpaces` over Meet REST v2 (paths from ``meet.v2.json``).

    Every call goes through the shared session with the caller's access token; 429, 5xx and
    network failures are retried by the one retry policy (``Retry-After`` honoured, capped).
    A 401 is not retried here: token refresh belongs to the core, through GoogleOAuth.
    """

    def __init__(
        self,
        *,
        settings: GoogleSettings,
        session: aiohttp.ClientSession,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        page_size: int | None = None,
    ) -> None:
        """Bind the client to Meet's root and the shared session.

        Args:
            settings: ``meet_base_url`` and the retry settings.
            session: the application's session for Google (not closed here).
            retry: the retry policy; by default the settings' attempts and first delay.
            timeout: total seconds of one HTTP exchange.
            page_size: page size for list calls; None asks for the API's maximum.
        """
        self._rest = GoogleRest(
            session=session,
            base_url=settings.meet_base_url,
            errors=MEET,
            retry=retry or retry_policy(settings),
            timeout=timeout,
        )
        self._page_size = page_size

    async def create_space(self, *, token: str, access_type: AccessType | None) -> Space:
        body: Json = {}
        if access_type is not None:
            body["config"] = {"accessType": access_type.value}
        data = await self._rest.call("POST", "v2/spaces", token=token, body=body)
        return _parse(_space, data, "space")

    async def get_space(self, *, token: str, name: str) -> Space:
        data = await self._rest.call("GET", _path(name), token=token)
        return _parse(_space, data, "space")

    async def set_access(self, *, token: str, name: SpaceName, access_type: AccessType) -> Space:
        body = {"config": {"accessType": access_type.value}}
        params = {"updateMask": "config.accessType"}
        data = await self._rest.call("PATCH", _path(name), token=token, params=params, body=body)
        return _parse(_space, data, "space")

    async def end_active_conference(self, *, token: str, name: SpaceName) -> None:
        path = _path(name, ":endActiveConference")
        await self._rest.call("POST", path, token=token, body={})

    async def list_conference_records(
        self, *, token: str, filter: str | None
    ) -> Sequence[ConferenceRecord]:
        items = await self._list_all(
            token, "conferenceRecords", "v2/conferenceRecords", filter=filter
        )
        return [_parse(_record, item, "conference record") for item in items]

    async def list_participants(
        self, *, token: str, record: ConferenceRecordName
    ) -> Sequence[Participant]:
        items = await self._list_all(token, "participants", _path(record, "/participants"))
        return [_parse(_participant, item, "participant") for item in items]

    async def _get(self, token: str, name: str) -> Json:
        return await self._rest.call("GET", _path(name), token=token)

    async def _list_all(self, token: str, key: str, path: str, **params: str | None) -> list[Json]:
        """GET ``path`` following ``nextPageToken`` through every page; ``key``'s items."""
        size = self._page_size or _MAX_PAGE[key]
        items: list[Json] = []
        seen: set[str] = set()
        page_token: str | None = None
        while True:
            page: Params = {**params, "pageSize": size, "pageToken": page_token}
            data = await self._rest.call("GET", path, token=token, params=page)
            items.extend(data.get(key, []))
            page_token = data.get("nextPageToken") or None
            if page_token is None:
                return items
            if page_token in seen:
                raise MeetApiError(f"Meet API repeated a {key} page token", reason="MALFORMED")
            seen.add(page_token)


def _path(name: str, suffix: str = "") -> str:
    """``v2/{+name}{suffix}``; a name that is no resource name is a 400-like refusal."""
    try:
        return resource_path("v2", name, suffix)
    except ValueError as exc:
        raise MeetApiError(str(exc), status=400, reason="INVALID_ARGUMENT") from exc


def _parse(parser: Callable[[Json], T], data: Json, what: str) -> T:
    try:
        return parser(data)
    except (KeyError, TypeError, ValueError) as exc:
        logger.debug("unreadable %s: %s", what, json.dumps(data)[:500])
        raise malformed(what, exc) from exc


def _space(data: Json) -> Space:
    config = data.get("config") or {}
    active = (data.get("activeConference") or {}).get("conferenceRecord")
    raw_access = config.get("accessType")
    access = AccessType(raw_access) if raw_access in _ACCESS_VALUES else AccessType.UNSPECIFIED
    return Space(
        name=SpaceName(data["name"]),
        meeting_uri=data["meetingUri"],
        meeting_code=data["meetingCode"],
        access_type=access,
        active_conference=ConferenceRecordName(active) if active else None,
    )


def _record(data: Json) -> ConferenceRecord:
    return ConferenceRecord(
        name=ConferenceRecordName(data["name"]),
        space=SpaceName(data["space"]),
        start_time=_timestamp(data["startTime"]),
        end_time=_optional_timestamp(data.get("endTime")),
    )


def _participant(data: Json) -> Participant:
    for key, kind in _KINDS:
        if key in data:
            return Participant(
                name=data["name"],
                display_name=str((data[key] or {}).get("displayName", "")),
                kind=kind,
                earliest_start_time=_optional_timestamp(data.get("earliestStartTime")),
                latest_end_time=_optional_timestamp(data.get("latestEndTime")),
                user=str((data[key] or {}).get("user") or "") or None,
            )
    raise ValueError("participant has no signedinUser, anonymousUser or phoneUser")


def _timestamp(value: str) -> datetime:
    """RFC 3339 (``Z`` or offset, any fraction) to an aware datetime."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without offset: {value!r}")
    return parsed


def _optional_timestamp(value: str | None) -> datetime | None:
    return _timestamp(value) if value else None
