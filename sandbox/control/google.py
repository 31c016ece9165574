"""The control API's Google routes: sign-in as a browser would, and the ``meet/*`` calls."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import aiohttp
from aiohttp import web

from sandbox.control.http import (
    ControlError,
    SandboxUrls,
    add_control_routes,
    json_body,
    text_field,
    user_field,
)
from sandbox.control.meet import GoogleControl
from sandbox.errors import SendError
from sandbox.google.oauth import AUTH_PATH, REVOKE_PATH, TOKEN_PATH, consent_url
from sandbox.google.state import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from sandbox.meet_rest.routes import MEET_PREFIX
from sandbox.slack.sender import SlackSender
from sandbox.slack.state import GENERAL, SlackWorkspace, sandbox_email

logger = logging.getLogger(__name__)

REPLY_TIMEOUT = 5.0
MAX_REDIRECTS = 5
_AUTH_URL = re.compile(r"https?://[^\s<>|\"\\]+/o/oauth2/(?:v2/)?auth\?[^\s<>|\"\\]+")


def find_auth_url(text: str) -> str | None:
    """The first Google authorization URL in a reply (mrkdwn or JSON text)."""
    match = _AUTH_URL.search(text)
    return html.unescape(match.group(0)) if match else None


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


class GoogleControlApi:
    """``google/consent`` and the ``meet/*`` calls, delegated to `GoogleControl`."""

    def __init__(
        self,
        *,
        workspace: SlackWorkspace,
        meet: GoogleControl,
        sender_for: Callable[[web.Request], SlackSender],
        session: Callable[[], aiohttp.ClientSession],
        urls: SandboxUrls,
        reply_timeout: float = REPLY_TIMEOUT,
    ) -> None:
        self._reply_timeout = reply_timeout
        self._ws = workspace
        self._meet = meet
        self._sender_for = sender_for
        self._session = session
        self._urls = urls

    def register(self, app: web.Application) -> None:
        routes = [
            ("POST", "google/consent", self.consent),
            ("GET", "meet/spaces", self.spaces),
            ("POST", "meet/conferences", self.start),
            ("POST", "meet/conferences/end", self.end),
            ("POST", "meet/conferences/participants", self.participants),
            ("POST", "meet/media/faults", self.media_faults),
            ("POST", "meet/media/stop", self.media_stop),
            ("GET", "meet/media", self.media_sessions),
            ("POST", "meet/artifacts", self.artifacts_policy),
            ("POST", "meet/artifacts/hold", self.artifacts_hold),
            ("GET", "meet/artifacts", self.artifacts),
        ]
        add_control_routes(app, routes)

    async def consent(self, request: web.Request) -> web.Response:
        """``/meet connect`` from the user, then the Google consent as their browser."""
        user = user_field(await json_body(request))
        email = sandbox_email(user)
        seen = len(self._ws.channels[GENERAL].messages)
        try:
            result = await self._sender_for(request).command(
                text="connect", user=user, channel=GENERAL
            )
        except (SendError, aiohttp.ClientError) as exc:
            raise ControlError(f"/meet connect could not be sent: {exc}", status=502) from exc
        auth_url = find_auth_url(json.dumps(result.ack)) or await self._await_link(user, seen)
        if auth_url is None:
            raise ControlError("the bot's reply to /meet connect had no Google sign-in link", 502)
        status, final_url = await self._browse(consent_url(auth_url, email=email))
        if AUTH_PATH in final_url:
            raise ControlError(f"Google sign-in stopped at the consent page ({status})", 502)
        logger.info("sandbox: Google sign-in of %s ended with %d", user, status)
        return web.json_response({"status": status, "email": email})

    async def _await_link(self, user: str, seen: int) -> str | None:
        """Waits for the link in a later reply visible to ``user`` (respond, ephemeral, DM)."""
        deadline = time.monotonic() + self._reply_timeout
        dm = self._ws.resolve_channel(user)
        dm_seen = len(dm.messages) if dm else 0
        while time.monotonic() < deadline:
            fresh = self._ws.channels[GENERAL].messages[seen:]
            if dm is not None:
                fresh = fresh + dm.messages[dm_seen:]
            for message in fresh:
                if message.by_bot and message.ephemeral_to in (None, user):
                    found = find_auth_url(json.dumps([message.text, message.blocks]))
                    if found:
                        return found
            await asyncio.sleep(0.05)
        return None

    async def _browse(self, url: str) -> tuple[int, str]:
        """GETs ``url`` and follows redirects by hand: ``(final status, final url)``."""
        session = self._session()
        for _ in range(MAX_REDIRECTS + 1):
            async with session.get(url, allow_redirects=False) as response:
                await response.read()
                if response.status not in (301, 302, 303, 307, 308):
                    return response.status, url
                url = urljoin(url, response.headers["Location"])
        raise ControlError(f"too many redirects ending at {url}", status=502)

    async def spaces(self, request: web.Request) -> web.Response:
        return web.json_response({"spaces": self._meet.list_spaces()})

    async def start(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        participants: Any = body.get("participants", [])
        if not isinstance(participants, list) or not all(isinstance(p, dict) for p in participants):
            raise ControlError("'participants' must be a list of objects")
        started = await self._meet.start_conference(
            space=text_field(body, "space"), participants=participants
        )
        return web.json_response(started)

    async def end(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        return web.json_response(await self._meet.end_conference(space=text_field(body, "space")))

    async def participants(self, request: web.Request) -> web.Response:
        """``{"space", "join": [participant specs], "leave": ["name", ...]}`` mid-call."""
        body = await json_body(request)
        join: Any = body.get("join", [])
        leave: Any = body.get("leave", [])
        if not isinstance(join, list) or not all(isinstance(p, dict) for p in join):
            raise ControlError("'join' must be a list of objects")
        if not isinstance(leave, list) or not all(isinstance(n, str) for n in leave):
            raise ControlError("'leave' must be a list of participant names")
        changed = await self._meet.change_participants(
            space=text_field(body, "space"), join=join, leave=leave
        )
        return web.json_response(changed)

    async def media_faults(self, request: web.Request) -> web.Response:
        """``{"space", "refuse", "strip_ssrc", "consent_delay", "stats_interval",
        "exhausted_window"}``; the keys given change, the others stay."""
        body = await json_body(request)
        space = text_field(body, "space")
        changes = {key: value for key, value in body.items() if key != "space"}
        return web.json_response(self._meet.set_media_faults(space=space, changes=changes))

    async def media_stop(self, request: web.Request) -> web.Response:
        """``{"space", "reason": "USER_STOPPED" | "SESSION_UNHEALTHY" | "DROP"}``."""
        body = await json_body(request)
        stopped = self._meet.stop_media(
            space=text_field(body, "space"), reason=text_field(body, "reason")
        )
        return web.json_response(stopped)

    async def media_sessions(self, request: web.Request) -> web.Response:
        """Every Media API session (``?space=`` narrows to one space)."""
        space = request.query.get("space") or None
        return web.json_response({"sessions": self._meet.media_sessions(space=space)})

    async def artifacts_policy(self, request: web.Request) -> web.Response:
        """``{"delay", "recording", "transcript", "smart_notes"}``; the keys given change."""
        body = await json_body(request)
        return web.json_response(self._meet.set_artifacts(changes=body))

    async def artifacts_hold(self, request: web.Request) -> web.Response:
        """``{"conference" | "space", "seconds"}``: files stay ungenerated that long from now."""
        body = await json_body(request)
        ref = body.get("conference") or body.get("space")
        if not isinstance(ref, str) or not ref:
            raise ControlError("give 'conference' (a conference record name) or 'space'")
        seconds = body.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ControlError("'seconds' must be a number >= 0")
        return web.json_response(self._meet.hold_artifacts(ref=ref, seconds=float(seconds)))

    async def artifacts(self, request: web.Request) -> web.Response:
        """The policy and each call's artifacts (``?space=`` or ``?conference=`` narrows)."""
        ref = request.query.get("conference") or request.query.get("space") or None
        return web.json_response(self._meet.artifacts(ref=ref))
