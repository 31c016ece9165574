"""Drives the Google emulators for the sandbox control API and scripts; mounts their routes."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aiohttp import web

from sandbox.control_http import ControlError
from sandbox.google_meet_store import (
    ConferenceRecordState,
    ConferenceStateError,
    ParticipantSpec,
    SpaceRecord,
)
from sandbox.google_oauth import AUTH_PATH, REVOKE_PATH, TOKEN_PATH, add_oauth_routes
from sandbox.google_state import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, GoogleEmulatorState
from sandbox.meet_rest import MEET_PREFIX, add_meet_routes

logger = logging.getLogger(__name__)

Json = dict[str, Any]
_SPEC_KEYS = frozenset({"name", "audio", "video", "speak_at"})


def add_google_routes(app: web.Application, state: GoogleEmulatorState) -> None:
    """Mount the OAuth and Meet REST emulators (all under ``/sandbox/google/``) on ``app``."""
    add_oauth_routes(app, state)
    add_meet_routes(app, state)


def bot_google_settings(*, base_url: str) -> dict[str, str]:
    """The ``google`` settings group that points the bot at emulators served at ``base_url``."""
    base = base_url.rstrip("/")
    return {
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": SANDBOX_CLIENT_SECRET,
        "auth_uri": f"{base}{AUTH_PATH}",
        "token_uri": f"{base}{TOKEN_PATH}",
        "revoke_uri": f"{base}{REVOKE_PATH}",
        "meet_base_url": f"{base}{MEET_PREFIX}",
    }


def consent_url(auth_url: str, *, email: str) -> str:
    """The bot's Google authorization URL, pre-approved for ``email`` (skips the page)."""
    parts = urlsplit(auth_url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("approve", "email")]
    query += [("approve", "1"), ("email", email)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class GoogleControl:
    """Operations on the Meet emulator that real Meet users do in the Meet UI."""

    def __init__(self, *, state: GoogleEmulatorState) -> None:
        self._state = state

    def list_spaces(self) -> list[Json]:
        """Every space, as Meet REST returns it, oldest first."""
        return [space.to_json() for space in self._state.meet.spaces.values()]

    async def start_conference(
        self, *, space: str, participants: Sequence[Mapping[str, Any]]
    ) -> Json:
        """Start a call in a space (name, meeting code or URI) with signed-in participants.

        Each participant is ``{"name", "audio", "video", "speak_at"}``; only ``name`` is
        required. The specs are kept on the participants for the media emulator.

        Raises:
            ControlError: 400 bad participant, 404 unknown space, 409 a call is active.
        """
        found = self._space(space)
        specs = [_spec(raw) for raw in participants]
        try:
            record = self._state.meet.start_conference(found, specs)
        except ConferenceStateError as exc:
            raise ControlError(str(exc), status=409) from exc
        return _conference(found, record)

    async def end_conference(self, *, space: str) -> Json:
        """End the space's active call: endTime set, everyone leaves.

        Raises:
            ControlError: 404 unknown space, 409 no active call.
        """
        found = self._space(space)
        try:
            record = self._state.meet.end_conference(found)
        except ConferenceStateError as exc:
            raise ControlError(str(exc), status=409) from exc
        return _conference(found, record)

    def _space(self, ref: str) -> SpaceRecord:
        space = self._state.meet.find_space(ref)
        if space is None:
            raise ControlError(f"no such space: {ref}", status=404)
        return space


def _spec(raw: Mapping[str, Any]) -> ParticipantSpec:
    unknown = set(raw) - _SPEC_KEYS
    name, audio = raw.get("name"), raw.get("audio")
    video, speak_at = raw.get("video", False), raw.get("speak_at", 0.0)
    if unknown:
        raise ControlError(f"unknown participant fields: {sorted(unknown)}", status=400)
    if not isinstance(name, str) or not name.strip():
        raise ControlError("participant name must be a non-empty string", status=400)
    if audio is not None and not isinstance(audio, str):
        raise ControlError("participant audio must be a path or null", status=400)
    if not isinstance(video, bool):
        raise ControlError("participant video must be a boolean", status=400)
    if isinstance(speak_at, bool) or not isinstance(speak_at, int | float) or speak_at < 0:
        raise ControlError("participant speak_at must be seconds >= 0", status=400)
    return ParticipantSpec(name=name, audio=audio, video=video, speak_at=float(speak_at))


def _conference(space: SpaceRecord, record: ConferenceRecordState) -> Json:
    return {
        "space": space.to_json(),
        "conferenceRecord": record.to_json(),
        "participants": [participant.to_json() for participant in record.participants],
    }
