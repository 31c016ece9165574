"""aiohttp routes for Slack over HTTP: events/commands/actions, and the OAuth install."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping, Sequence

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.slack import payloads

logger = logging.getLogger(__name__)

REPLAY_WINDOW_SECONDS = 5 * 60
"""Slack's window: a request signed longer ago (or ahead) than this is refused."""

SLACK_APP: web.AppKey[AsyncApp] = web.AppKey("slack_app", AsyncApp)
SLACK_VERIFIER: web.AppKey[SignatureVerifier | None] = web.AppKey("slack_verifier", object)  # type: ignore[arg-type]


def _unauthorized() -> web.Response:
    return web.json_response({"error": "invalid request"}, status=401)


def _to_bolt(request: web.Request, body: str, content_type: str | None = None) -> AsyncBoltRequest:
    headers: dict[str, str | Sequence[str]] = {k.lower(): v for k, v in request.headers.items()}
    if content_type is not None:  # the one the body was checked as (there may be several)
        headers["content-type"] = content_type
    return AsyncBoltRequest(body=body, query=request.query_string, headers=headers)


def _to_aiohttp(request: web.Request, resp: BoltResponse) -> web.Response:
    content_type = resp.headers.pop(
        "content-type", ["application/json" if resp.body.startswith("{") else "text/plain"]
    )[0]
    out = web.Response(
        status=resp.status,
        body=resp.body,
        headers=resp.first_headers_without_set_cookie(),
        content_type=re.sub(r";\s*charset=utf-8", "", content_type),
    )
    for cookie in resp.cookies():
        for name, morsel in cookie.items():
            out.set_cookie(
                name,
                morsel.value,
                max_age=morsel.get("max-age") or None,
                path=morsel.get("path") or "/",
                secure=request.secure,  # loopback sandbox is plain HTTP
                httponly=True,
            )
    return out


def _verified(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> bool:
    """Slack's v0 signature over the raw bytes, within its 5-minute replay window."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    if abs(verifier.clock.now() - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(verifier.signing_secret.encode(), base, hashlib.sha256).hexdigest()
    signature = headers.get("X-Slack-Signature", "").encode("utf-8", "replace")
    return hmac.compare_digest(b"v0=" + digest.encode(), signature)


async def events(request: web.Request) -> web.Response:
    """Slash commands, events and interactions: verified first, checked, dispatched to Bolt.

    Nothing is parsed before the signature verifies (401 otherwise); a verified body that is
    not a shape meetbot serves gets 400 and reaches neither Bolt nor a listener.
    """
    body = await request.read()
    verifier = request.app.get(SLACK_VERIFIER)
    if verifier is None or not _verified(verifier, body, request.headers):
        logger.warning("rejected a Slack request with a missing, bad or stale signature")
        return _unauthorized()
    content_type = request.headers.get("Content-Type", "")
    try:
        checked = payloads.parse_body(body, content_type=content_type)
    except payloads.MalformedPayload as exc:
        logger.warning("rejected a malformed Slack request: %s", exc.reason)
        return web.json_response({"error": "malformed payload"}, status=400)
    bolt_request = _to_bolt(request, checked.text, content_type)
    resp = await request.app[SLACK_APP].async_dispatch(bolt_request)
    return _to_aiohttp(request, resp)


async def install(request: web.Request) -> web.Response:
    """``/slack/install``: the Add-to-Slack page (multi-workspace mode)."""
    flow = request.app[SLACK_APP].oauth_flow
    if flow is None:
        raise web.HTTPNotFound(text="This meetbot runs with a single-workspace bot token.")
    resp = await flow.handle_installation(_to_bolt(request, ""))
    return _to_aiohttp(request, resp)


async def oauth_redirect(request: web.Request) -> web.Response:
    """``/slack/oauth_redirect``: Slack sends the installer back here with a code."""
    flow = request.app[SLACK_APP].oauth_flow
    if flow is None:
        raise web.HTTPNotFound()
    resp = await flow.handle_callback(_to_bolt(request, ""))
    return _to_aiohttp(request, resp)


def add_routes(app: web.Application, *, serve_events: bool, serve_install: bool) -> None:
    """``/slack/events`` only with ``serve_events``, when a signing secret verifies it (Socket
    Mode without one serves no events route); the OAuth install pages (browser GETs) only with
    ``serve_install``, when workspaces install through OAuth."""
    if serve_events:
        app.router.add_post("/slack/events", events)
    if serve_install:
        app.router.add_get("/slack/install", install)
        app.router.add_get("/slack/oauth_redirect", oauth_redirect)
