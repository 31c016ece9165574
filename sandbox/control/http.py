"""What the control API's parts share: the prefix, the URLs, JSON bodies, fields, 400 answers."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

JsonDict = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,20}$")

PREFIX = "/sandbox/api"


@dataclass(frozen=True, slots=True)
class SandboxUrls:
    """Where the emulators and the bot are; ``None`` means "the origin of this request"."""

    base_url: str | None
    bot_url: str | None

    def base(self, request: web.Request) -> str:
        return (self.base_url or str(request.url.origin())).rstrip("/")

    def bot(self, request: web.Request) -> str:
        return (self.bot_url or self.base(request)).rstrip("/")


class ControlError(Exception):
    """Answered as ``{"error": message}`` with ``status`` (400 for malformed requests)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def guarded(handler: Handler) -> Handler:
    """Turns `ControlError` into its JSON answer."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ControlError as exc:
            return web.json_response({"error": exc.message}, status=exc.status)

    return wrapper


def add_control_routes(app: web.Application, routes: Sequence[tuple[str, str, Handler]]) -> None:
    """Mount ``(method, path under PREFIX, handler)`` rows, each `guarded`."""
    for method, path, handler in routes:
        app.router.add_route(method, f"{PREFIX}/{path}", guarded(handler))


async def json_body(request: web.Request) -> JsonDict:
    try:
        body = json.loads(await request.read() or b"null")
    except ValueError as exc:
        raise ControlError("the body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def text_field(body: JsonDict, name: str, *, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or (default is None and not value):
        raise ControlError(f"{name!r} must be a non-empty string")
    return value


def user_field(body: JsonDict, name: str = "user", *, default: str | None = None) -> str:
    value = text_field(body, name, default=default)
    if not _SLACK_USER.match(value):
        raise ControlError(f"{name!r} must be a Slack user id like U0ALICE")
    return value


def int_field(body: JsonDict, name: str, *, default: int, low: int, high: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ControlError(f"{name!r} must be an integer from {low} to {high}")
    return value
