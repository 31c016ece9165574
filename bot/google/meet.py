"""Meet REST v2 through google-api-python-client, run off the event loop with retries."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import resources
from typing import Any, Literal, TypeVar

import httplib2
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build_from_document

from bot.core.errors import MeetApiError, RateLimited
from bot.core.model import (
    AccessType,
    ConferenceRecord,
    ConferenceRecordName,
    Participant,
    Space,
    SpaceName,
)
from bot.google.errors import TRANSPORT_ERRORS, is_retryable, malformed, to_meet_error
from bot.settings import GoogleSettings

logger = logging.getLogger(__name__)

Json = dict[str, Any]
T = TypeVar("T")
# Builds one googleapiclient request from the service resource (runs in the worker thread).
RequestFactory = Callable[[Any], Any]

_MAX_PAGE = {"conferenceRecords": 100, "participants": 250}
_ACCESS_VALUES = frozenset(a.value for a in AccessType)
_KINDS: tuple[tuple[str, Literal["signedin", "anonymous", "phone"]], ...] = (
    ("signedinUser", "signedin"),
    ("anonymousUser", "anonymous"),
    ("phoneUser", "phone"),
)


def load_discovery_document(api: str = "meet", version: str = "v2") -> str:
    """The discovery document bundled with googleapiclient; never fetched over the network."""
    documents = resources.files("googleapiclient") / "discovery_cache" / "documents"
    return (documents / f"{api}.{version}.json").read_text(encoding="utf-8")


class MeetRestClient:
    """`bot.core.ports.MeetSpaces` over Meet REST v2.

    The service object is built once; each call gets its own ``httplib2.Http`` (httplib2 is
    not thread-safe) authorized with the caller's access token, and runs in a worker thread.
    429, 5xx and network failures are retried with exponential backoff (``Retry-After``
    wins when Google sends it), up to ``settings.retry_attempts`` tries in all.
    """

    def __init__(
        self,
        *,
        settings: GoogleSettings,
        timeout: float = 30.0,
        max_delay: float = 30.0,
        page_size: int | None = None,
    ) -> None:
        """Build the Meet service from the bundled discovery document.

        Args:
            settings: ``meet_base_url`` and the retry policy.
            timeout: socket timeout of one HTTP request, in seconds.
            max_delay: cap on one backoff sleep, including a ``Retry-After``.
            page_size: page size for list calls; None asks for the API's maximum.
        """
        self._attempts = settings.retry_attempts
        self._base_delay = settings.retry_base_delay
        self._timeout = timeout
        self._max_delay = max_delay
        self._page_size = page_size
        self._service = build_from_document(
            load_discovery_document(),
            # Placeholder: every request is executed with its own authorized Http.
            http=httplib2.Http(timeout=timeout),
            client_options={"api_endpoint": settings.meet_base_url},
        )

    async def create_space(self, *, token: str, access_type: AccessType | None) -> Space:
        body: Json = {}
        if access_type is not None:
            body["config"] = {"accessType": access_type.value}
        data = await self._call(token, lambda s: s.spaces().create(body=body))
        return _parse(_space, data, "space")

    async def get_space(self, *, token: str, name: str) -> Space:
        data = await self._call(token, lambda s: s.spaces().get(name=name))
        return _parse(_space, data, "space")

    async def set_access(self, *, token: str, name: SpaceName, access_type: AccessType) -> Space:
        body = {"config": {"accessType": access_type.value}}
        data = await self._call(
            token,
            lambda s: s.spaces().patch(name=name, updateMask="config.accessType", body=body),
        )
        return _parse(_space, data, "space")

    async def end_active_conference(self, *, token: str, name: SpaceName) -> None:
        await self._call(token, lambda s: s.spaces().endActiveConference(name=name, body={}))

    async def list_conference_records(
        self, *, token: str, filter: str | None
    ) -> Sequence[ConferenceRecord]:
        items = await self._list_all(
            token, "conferenceRecords", lambda s: s.conferenceRecords(), filter=filter
        )
        return [_parse(_record, item, "conference record") for item in items]

    async def list_participants(
        self, *, token: str, record: ConferenceRecordName
    ) -> Sequence[Participant]:
        items = await self._list_all(
            token, "participants", lambda s: s.conferenceRecords().participants(), parent=record
        )
        return [_parse(_participant, item, "participant") for item in items]

    async def _list_all(
        self, token: str, key: str, collection: Callable[[Any], Any], **params: str | None
    ) -> list[Json]:
        """Call ``collection.list(**params)`` following ``nextPageToken`` through every page."""
        size = self._page_size or _MAX_PAGE[key]
        items: list[Json] = []
        seen: set[str] = set()
        page_token: str | None = None
        while True:
            page = {**params, "pageSize": size, "pageToken": page_token}
            data = await self._call(token, functools.partial(_list_request, collection, page))
            items.extend(data.get(key, []))
            page_token = data.get("nextPageToken") or None
            if page_token is None:
                return items
            if page_token in seen:
                raise MeetApiError(f"Meet API repeated a {key} page token", reason="MALFORMED")
            seen.add(page_token)

    async def _call(self, token: str, factory: RequestFactory) -> Json:
        """Run one request in a thread, retrying what is transient; raise typed errors."""
        attempt = 1
        while True:
            try:
                return await asyncio.to_thread(self._execute, token, factory)
            except TRANSPORT_ERRORS as exc:
                error = to_meet_error(exc)
                if attempt >= self._attempts or not is_retryable(error):
                    raise error from exc
            delay = self._delay(attempt, error)
            logger.warning(
                "Meet API %s (attempt %d/%d), retrying in %.2fs",
                error.reason or error.status,
                attempt,
                self._attempts,
                delay,
            )
            await asyncio.sleep(delay)
            attempt += 1

    def _delay(self, attempt: int, error: MeetApiError) -> float:
        """Truncated exponential backoff; Google's Retry-After replaces it when present."""
        delay = self._base_delay * 2.0 ** (attempt - 1)
        if isinstance(error, RateLimited) and error.retry_after is not None:
            delay = error.retry_after
        return min(delay, self._max_delay)

    def _execute(self, token: str, factory: RequestFactory) -> Json:
        """Blocking: one HTTP exchange on a fresh connection, closed afterwards."""
        http = httplib2.Http(timeout=self._timeout)
        try:
            # No refresh on 401: token refresh belongs to the core, through GoogleOAuth.
            authorized = AuthorizedHttp(_credentials(token), http=http, refresh_status_codes=())
            result = factory(self._service).execute(http=authorized, num_retries=0)
        finally:
            http.close()
        return result if isinstance(result, dict) else {}


def _list_request(collection: Callable[[Any], Any], page: Json, service: Any) -> Any:
    return collection(service).list(**page)


def _credentials(token: str) -> Credentials:
    return Credentials(token)  # type: ignore[no-untyped-call]


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
