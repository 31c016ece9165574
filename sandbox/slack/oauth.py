"""Slack's OAuth v2 authorize page: approves the install and redirects with a one-time code."""

from __future__ import annotations

import html
import logging
from urllib.parse import urlencode

from aiohttp import web

from sandbox.slack.state import OAuthCode, SlackWorkspace

logger = logging.getLogger(__name__)

AUTHORIZE_PATH = "/sandbox/slack/oauth/v2/authorize"
DEFAULT_INSTALLER = "U0ALICE"


def _scopes(value: str | None) -> tuple[str, ...]:
    return tuple(s for s in (value or "").replace(" ", ",").split(",") if s)


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


class SlackAuthorize:
    """``GET /sandbox/slack/oauth/v2/authorize``.

    Approves at once (the installer is Alice unless ``user=`` names someone else), or shows
    an Allow/Cancel page with ``interactive=1``. Without ``redirect_uri`` the app's configured
    redirect URL, ``<bot>/slack/oauth_redirect``, is used, as on Slack.
    """

    def __init__(self, *, workspace: SlackWorkspace, bot_url: str | None = None) -> None:
        self._workspace = workspace
        self._bot_url = bot_url.rstrip("/") if bot_url else None

    def register(self, app: web.Application) -> None:
        app.router.add_get(AUTHORIZE_PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("client_id") != self._workspace.app.client_id:
            return _error_page("invalid_client_id", status=400)
        bot_url = self._bot_url or str(request.url.origin())
        redirect_uri = query.get("redirect_uri") or f"{bot_url}/slack/oauth_redirect"
        state = query.get("state", "")
        if query.get("interactive") == "1":
            return _approve_page(request, redirect_uri)
        if query.get("deny") == "1":
            target = _with_query(redirect_uri, {"error": "access_denied", "state": state})
            raise web.HTTPFound(target)
        installer = query.get("user") or DEFAULT_INSTALLER
        if installer not in self._workspace.users:
            return _error_page("user_not_found", status=400)
        code = self._workspace.issue_code(
            OAuthCode(
                client_id=query["client_id"],
                redirect_uri=query.get("redirect_uri"),
                scopes=_scopes(query.get("scope")),
                user_scopes=_scopes(query.get("user_scope")),
                installer=installer,
            )
        )
        logger.info("sandbox slack: install approved by %s", installer)
        raise web.HTTPFound(_with_query(redirect_uri, {"code": code, "state": state}))


def _approve_page(request: web.Request, redirect_uri: str) -> web.Response:
    params = {k: v for k, v in request.query.items() if k != "interactive"}
    allow = f"{AUTHORIZE_PATH}?{urlencode(params)}"
    deny = f"{AUTHORIZE_PATH}?{urlencode({**params, 'deny': '1'})}"
    scopes = ", ".join(_scopes(request.query.get("scope"))) or "(none)"
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Install meetbot</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 3rem auto">
<h1>meetbot is requesting permission to access the Sandbox workspace</h1>
<p>Scopes: {html.escape(scopes)}</p>
<p>Redirects to: <code>{html.escape(redirect_uri)}</code></p>
<p><a href="{html.escape(allow)}">Allow</a> &nbsp; <a href="{html.escape(deny)}">Cancel</a></p>
</body></html>"""
    return web.Response(text=body, content_type="text/html")


def _error_page(error: str, *, status: int) -> web.Response:
    body = f"<!doctype html><title>Slack</title><p>Something went wrong: {error}</p>"
    return web.Response(text=body, content_type="text/html", status=status)
