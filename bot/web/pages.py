"""Small HTTP endpoints: readiness (`/healthz`), and where Google sends people after sign-in."""

from __future__ import annotations

import html

from aiohttp import web

from bot.core.accounts.connect import ConnectFlow
from bot.core.errors import StorageUnavailable

GOOGLE_CALLBACK_PATH = "/oauth/google/callback"

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>meetbot · {title}</title>
<style>body{{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}}
h1{{font-size:1.4rem}}</style></head>
<body><h1>{title}</h1><p>{message}</p></body></html>"""


def page(title: str, message: str, *, status: int = 200) -> web.Response:
    body = _PAGE.format(title=html.escape(title), message=html.escape(message))
    return web.Response(text=body, status=status, content_type="text/html")


RUNTIME_STEP = "the runtime (database, services)"


class Readiness:
    """What start-up still waits for before the bot can serve a command.

    The runtime (database migrated, services wired) is always awaited: held from the start,
    released by the composition root once wired. A mode adds its own steps with `hold` before
    the server listens and `release`s them when done (the sandbox: its workspace installing
    the app).
    """

    def __init__(self) -> None:
        self._held: list[str] = [RUNTIME_STEP]

    def hold(self, step: str) -> None:
        self._held.append(step)

    def release(self, step: str) -> None:
        if step in self._held:
            self._held.remove(step)

    def waiting_for(self) -> list[str]:
        return list(self._held)


READINESS = web.AppKey("readiness", Readiness)
# Set by the composition root with the runtime, which then releases RUNTIME_STEP.
CONNECT = web.AppKey("connect", ConnectFlow)
SOCKET_MODE = "the Slack Socket Mode connection"


async def healthz(request: web.Request) -> web.Response:
    """200 once the bot can serve a command; 503 with what it still waits for before that."""
    waiting = request.app[READINESS].waiting_for()
    if waiting:
        return web.json_response({"status": "starting", "waiting_for": waiting}, status=503)
    return web.json_response({"status": "ok"})


async def google_callback(request: web.Request) -> web.Response:
    """Google's redirect after consent: complete the link and tell the person in chat too."""
    state = request.query.get("state")
    if not state:
        return page(
            "Sign-in failed", "The link is missing its state. Run /meet connect.", status=400
        )
    try:
        result = await request.app[CONNECT].complete(
            state=state, code=request.query.get("code"), error=request.query.get("error")
        )
    except StorageUnavailable:
        return page("Try again", "meetbot can't reach its database; nothing changed.", status=503)
    if result.ok:
        return page("Connected", result.message)
    return page("Sign-in failed", result.message, status=400)


def add_routes(app: web.Application) -> None:
    app[READINESS] = Readiness()
    app.router.add_get("/healthz", healthz)
    app.router.add_get(GOOGLE_CALLBACK_PATH, google_callback)
