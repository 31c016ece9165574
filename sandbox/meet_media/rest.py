"""The ``v2beta ... :connectActiveConference`` route: auth, body rules, then the hub."""

from __future__ import annotations

import asyncio
import logging
import re

from aiohttp import web

from sandbox.google.errors import ApiError, Json, insufficient_scopes, unauthenticated
from sandbox.google.state import GoogleEmulatorState, Grant
from sandbox.meet_media.offer import InvalidOffer, check_offer
from sandbox.meet_media.reasons import Refused, refusal
from sandbox.meet_rest.routes import MEET_PREFIX

logger = logging.getLogger(__name__)

CONNECT_PATH = MEET_PREFIX + "v2beta/spaces/{space:[^/:]+}:connectActiveConference"
MEDIA_SCOPES = frozenset(
    f"https://www.googleapis.com/auth/meetings.conference.{scope}.readonly"
    for scope in ("media", "media.audio", "media.video")
)
MAX_CONFIRMATION = 300.0
_DURATION = re.compile(r"^(-?\d+(?:\.\d{1,9})?)s$")
_BODY_FIELDS = frozenset({"offer", "config"})


def add_media_routes(app: web.Application, state: GoogleEmulatorState) -> None:
    """Register ``POST {meet_base_url}v2beta/spaces/{id}:connectActiveConference``."""

    async def connect(request: web.Request) -> web.Response:
        state.meet_requests.append(f"{request.method} {request.path}")
        try:
            return web.json_response(await _connect(state, request))
        except Refused as exc:
            logger.info("sandbox Meet media: connect refused: %s", exc.reason)
            error = refusal(exc)
            return web.json_response(error.body(), status=error.status)
        except ApiError as exc:
            logger.debug("sandbox Meet media: connect -> %d %s", exc.status, exc.code)
            return web.json_response(exc.body(), status=exc.status, headers=exc.headers)

    app.router.add_post(CONNECT_PATH, connect)


async def _connect(state: GoogleEmulatorState, request: web.Request) -> Json:
    await _inject_fault(state, request.path)
    grant = _authenticate(state, request)
    if not grant.scopes & MEDIA_SCOPES:
        raise insufficient_scopes()
    body = await _body(request)
    timeout = confirmation_timeout(body.get("config"))
    space = state.meet.find_space(request.match_info["space"])
    if space is None:
        raise ApiError(404)
    try:
        offer = check_offer(body.get("offer"))
    except InvalidOffer as exc:
        raise Refused("INVALID_OFFER", str(exc)) from exc
    session, answer = await state.media.connect(
        space=space, offer=offer, confirmation_timeout=timeout
    )
    return {"answer": answer, "traceId": session.trace_id}


def confirmation_timeout(config: object) -> float:
    """``config.confirmationTimeout`` (a protobuf Duration, at most 5 minutes) in seconds.

    Raises:
        ApiError: 400 for an unknown field, a malformed, negative or too long duration.
    """
    if config is None:
        return MAX_CONFIRMATION
    if not isinstance(config, dict) or set(config) - {"confirmationTimeout"}:
        raise ApiError(400, "Invalid JSON payload received. Unknown name in 'config'.")
    raw = config.get("confirmationTimeout")
    if raw is None:
        return MAX_CONFIRMATION
    match = _DURATION.match(raw) if isinstance(raw, str) else None
    if match is None:
        raise ApiError(400, f"Invalid value at 'config.confirmation_timeout' ({raw!r})")
    seconds = float(match.group(1))
    if not 0 <= seconds <= MAX_CONFIRMATION:
        raise ApiError(400, "config.confirmation_timeout must be between 0 and 5 minutes.")
    return seconds


async def _body(request: web.Request) -> Json:
    try:
        body = await request.json()
    except ValueError as exc:
        raise ApiError(400, "Invalid JSON payload received.") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid JSON payload received. Expected an object.")
    unknown = set(body) - _BODY_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise ApiError(
            400, f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.'
        )
    return body


async def _inject_fault(state: GoogleEmulatorState, path: str) -> None:
    """The Meet REST fault injection (``inject_fault``/``inject_latency``) applies here too."""
    fault = state.take_fault(path)
    if fault is None:
        return
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.status is not None:
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        raise ApiError(fault.status, headers=headers)


def _authenticate(state: GoogleEmulatorState, request: web.Request) -> Grant:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not token:
        raise unauthenticated(None)
    grant, reason = state.authenticate(token)
    if grant is None:
        raise unauthenticated(reason)
    return grant
