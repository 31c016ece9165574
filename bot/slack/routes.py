"""aiohttp routes for Slack over HTTP: events/commands/actions, and the OAuth install."""

from __future__ import annotations

import logging
import re

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

logger = logging.getLogger(__name__)

SLACK_APP: web.AppKey[AsyncApp] = web.AppKey("slack_app", AsyncApp)
SLACK_VERIFIER: web.AppKey[SignatureVerifier | None] = web.AppKey("slack_verifier", object)  # type: ignore[arg-type]


def _unauthorized() -> web.Response:
    return web.json_response({"error": "invalid request"}, status=401)


async def _to_bolt(request: web.Request, body: str) -> AsyncBoltRequest:
    return AsyncBoltRequest(body=body, query=request.query_string, headers=dict(request.headers))


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


def _verified(verifier: SignatureVerifier, body: str, request: web.Request) -> bool:
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    if not timestamp.isdigit():
        return False
    signature = request.headers.get("X-Slack-Signature", "")
    return bool(verifier.is_valid(body=body, timestamp=timestamp, signature=signature))


async def events(request: web.Request) -> web.Response:
    """Slash commands, events and interactions: verified, parsed, dispatched to Bolt."""
    body = await request.text()
    verifier = request.app[SLACK_VERIFIER]
    if verifier is not None and not _verified(verifier, body, request):
        logger.warning("rejected a Slack request with a missing, bad or stale signature")
        return _unauthorized()
    try:
        bolt_request = await _to_bolt(request, body)
    except (ValueError, KeyError, TypeError):
        return web.json_response({"error": "malformed payload"}, status=400)
    if not bolt_request.body:
        return web.json_response({"error": "empty payload"}, status=400)
    resp = await request.app[SLACK_APP].async_dispatch(bolt_request)
    return _to_aiohttp(request, resp)


async def install(request: web.Request) -> web.Response:
    """``/slack/install``: the Add-to-Slack page (multi-workspace mode)."""
    flow = request.app[SLACK_APP].oauth_flow
    if flow is None:
        raise web.HTTPNotFound(text="This meetbot runs with a single-workspace bot token.")
    resp = await flow.handle_installation(await _to_bolt(request, ""))
    return _to_aiohttp(request, resp)


async def oauth_redirect(request: web.Request) -> web.Response:
    """``/slack/oauth_redirect``: Slack sends the installer back here with a code."""
    flow = request.app[SLACK_APP].oauth_flow
    if flow is None:
        raise web.HTTPNotFound()
    resp = await flow.handle_callback(await _to_bolt(request, ""))
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
