"""The Slack Web API emulator: ``POST /sandbox/slack/api/<method>`` with faults and auth."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.slack import api_chat, api_team, files
from sandbox.slack.calls import ApiCall, JsonDict, MethodFn, SlackApiError
from sandbox.slack.state import SlackWorkspace, TokenGrant

logger = logging.getLogger(__name__)

METHODS: dict[str, MethodFn] = {
    **api_team.METHODS,
    **api_chat.METHODS,
    **files.METHODS,
}


@dataclass(slots=True)
class Fault:
    """An error to answer instead of running the method, ``remaining`` more times."""

    error: str
    remaining: int
    retry_after: int = 1
    status: int = 200


class FaultInjector:
    """Injected failures per Web API method, consumed one call at a time."""

    def __init__(self) -> None:
        self._faults: dict[str, list[Fault]] = {}

    def add(self, *, method: str, error: str, count: int, retry_after: int = 1) -> None:
        status = 429 if error == "ratelimited" else 200
        fault = Fault(error=error, remaining=count, retry_after=retry_after, status=status)
        self._faults.setdefault(method, []).append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def pending(self) -> dict[str, int]:
        return {m: sum(f.remaining for f in fs) for m, fs in self._faults.items() if fs}

    def take(self, method: str) -> Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault


async def read_args(request: web.Request) -> JsonDict:
    """Arguments from the query string merged with a JSON or form body, as Slack accepts."""
    args: JsonDict = dict(request.query)
    if not request.can_read_body:
        return args
    if request.content_type == "application/json":
        try:
            body: Any = json.loads(await request.read() or b"{}")
        except ValueError as exc:
            raise SlackApiError("invalid_json") from exc
        if not isinstance(body, dict):
            raise SlackApiError("invalid_json")
        args.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
    return args


def bearer_token(headers: Mapping[str, str], args: JsonDict) -> str | None:
    header = headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    token = args.pop("token", None)
    return str(token) if token else None


def authenticate(workspace: SlackWorkspace, token: str | None) -> TokenGrant:
    if token is None:
        raise SlackApiError("not_authed")
    grant = workspace.tokens.get(token)
    if grant is None:
        raise SlackApiError("invalid_auth")
    if grant.revoked:
        raise SlackApiError("token_revoked")
    return grant


class SlackApi:
    """Dispatches Web API calls to the method table, applying injected faults first."""

    def __init__(
        self,
        *,
        workspace: SlackWorkspace,
        faults: FaultInjector,
        public_url: str | None = None,
        app_methods: dict[str, MethodFn] | None = None,
    ) -> None:
        self._workspace = workspace
        self._faults = faults
        self._public_url = public_url.rstrip("/") if public_url else None
        self._app_methods = app_methods or {}

    def register(self, app: web.Application) -> None:
        app.router.add_route("*", "/sandbox/slack/api/{method}", self.handle)
        files.FileRoutes(workspace=self._workspace).register(app)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        fault = self._faults.take(method)
        if fault is not None:
            logger.info("sandbox slack: injected %s on %s", fault.error, method)
            headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
            body = {"ok": False, "error": fault.error}
            return web.json_response(body, status=fault.status, headers=headers)
        try:
            result = await self._call(request, method)
        except SlackApiError as exc:
            logger.debug("sandbox slack: %s -> %s", method, exc.error)
            result = exc.body()
        return web.json_response(result)

    async def _call(self, request: web.Request, method: str) -> JsonDict:
        fn = METHODS.get(method) or self._app_methods.get(method)
        if fn is None:
            raise SlackApiError("unknown_method")
        args = await read_args(request)
        token = bearer_token(request.headers, args)
        grant = None
        if method not in api_team.PUBLIC_METHODS:
            grant = authenticate(self._workspace, token)
            # app-level tokens only open Socket Mode connections
            if grant.token.startswith("xapp-") != (method in self._app_methods):
                raise SlackApiError("not_allowed_token_type")
        call = ApiCall(
            method=method,
            args=args,
            grant=grant,
            base_url=self._public_url or str(request.url.origin()),
            authorization=request.headers.get("Authorization"),
        )
        return fn(self._workspace, call)
