"""Control API for the Chat emulator (``/sandbox/api/chat/...``) and the bot's gchat settings."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

import aiohttp
from aiohttp import web

from sandbox.control.http import (
    ControlError,
    JsonDict,
    SandboxUrls,
    add_control_routes,
    int_field,
    json_body,
    text_field,
)
from sandbox.errors import SendError
from sandbox.gchat.api import CHAT_PREFIX
from sandbox.gchat.keys import (
    CHAT_CERTS_PATH,
    CHAT_ISSUER,
    ID_TOKEN_CERTS_PATH,
    ChatKeys,
    default_keys,
)
from sandbox.gchat.sender import ChatSender, ChatSendResult
from sandbox.gchat.state import ChatConfig, ChatState, EventFormat
from sandbox.google.oauth import TOKEN_PATH

logger = logging.getLogger(__name__)

_FORMATS = ("classic", "addon")
_MODES = ("project_number", "endpoint_url")


def bot_gchat_settings(
    *, base_url: str, config: ChatConfig | None = None, keys: ChatKeys | None = None
) -> dict[str, str]:
    """The bot's ``gchat`` settings group (``MEETBOT_GCHAT_*``) for a sandbox at ``base_url``.

    Args:
        base_url: the sandbox's (and, in sandbox mode, the bot's) base URL.
        config: the emulator's audience mode and values; the defaults when omitted.
        keys: the emulator's keys; the process's `default_keys` when omitted.
    """
    base = base_url.rstrip("/")
    config = config or ChatConfig()
    keys = keys or default_keys()
    token_uri = f"{base}{TOKEN_PATH}"
    if config.audience_mode == "endpoint_url":
        audience = config.endpoint_url or f"{base}/chat/events"
    else:
        audience = config.project_number
    return {
        "audience_mode": config.audience_mode,
        "audience": audience,
        "issuer": CHAT_ISSUER,
        "certs_url": f"{base}{CHAT_CERTS_PATH}",
        "id_token_certs_url": f"{base}{ID_TOKEN_CERTS_PATH}",
        "service_account_info": json.dumps(keys.service_account_info(token_uri=token_uri)),
        "api_base_url": f"{base}{CHAT_PREFIX}",
        "token_uri": token_uri,
        "command_id": str(config.command_id),
    }


class ChatControl:
    """``chat/commands``, ``chat/actions``, ``chat/messages``, space events, config, faults."""

    def __init__(
        self,
        *,
        state: ChatState,
        session: Callable[[], aiohttp.ClientSession],
        urls: SandboxUrls,
    ) -> None:
        self._state = state
        self._session = session
        self._urls = urls

    def register(self, app: web.Application) -> None:
        routes = [
            ("GET", "chat/config", self.get_config),
            ("POST", "chat/config", self.set_config),
            ("POST", "chat/commands", self.commands),
            ("POST", "chat/actions", self.actions),
            ("GET", "chat/messages", self.messages),
            ("POST", "chat/space-events", self.space_events),
            ("POST", "chat/faults", self.add_fault),
        ]
        add_control_routes(app, routes)

    def sender(self, request: web.Request, event_format: EventFormat | None = None) -> ChatSender:
        return ChatSender(
            state=self._state,
            session=self._session(),
            bot_url=self._urls.bot(request),
            event_format=event_format,
        )

    def settings(self, *, base_url: str) -> dict[str, str]:
        """`bot_gchat_settings` for this emulator's configuration and keys."""
        return bot_gchat_settings(
            base_url=base_url, config=self._state.config, keys=self._state.keys
        )

    async def get_config(self, request: web.Request) -> web.Response:
        config = self._state.config
        body: JsonDict = {
            "audience_mode": config.audience_mode,
            "format": config.event_format,
            "project_number": config.project_number,
            "endpoint_url": config.endpoint_url or f"{self._urls.bot(request)}/chat/events",
            "command_id": config.command_id,
            "bot_settings": self.settings(base_url=self._urls.base(request)),
            "users": [
                {
                    "name": u.name,
                    "display_name": u.display_name,
                    "email": u.email,
                    "is_admin": u.is_admin,
                    "slack_id": u.slack_id,
                }
                for u in self._state.users.values()
            ],
            "spaces": [
                {**s.to_json(), "app_is_member": s.app_is_member, "members": sorted(s.members)}
                for s in self._state.spaces.values()
            ],
        }
        return web.json_response(body)

    async def set_config(self, request: web.Request) -> web.Response:
        """Choose the audience mode (and values) and the event format the emulator uses."""
        body = await json_body(request)
        config = self._state.config
        mode = body.get("audience_mode", config.audience_mode)
        event_format = body.get("format", config.event_format)
        if mode not in _MODES:
            raise ControlError(f"'audience_mode' must be one of {', '.join(_MODES)}")
        if event_format not in _FORMATS:
            raise ControlError(f"'format' must be one of {', '.join(_FORMATS)}")
        config.audience_mode = mode
        config.event_format = event_format
        if "project_number" in body:
            config.project_number = text_field(body, "project_number")
        if "endpoint_url" in body:
            config.endpoint_url = text_field(body, "endpoint_url")
        if "command_id" in body:
            config.command_id = int_field(body, "command_id", default=1, low=1, high=1000)
        logger.info("sandbox chat: audience %s, %s events", mode, event_format)
        return await self.get_config(request)

    async def commands(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        sender = self.sender(request, _format_field(body))
        send = sender.command(
            text=text_field(body, "text", default=""),
            user=text_field(body, "user"),
            space=text_field(body, "space"),
            thread=_optional(body, "thread"),
        )
        return web.json_response(await _send(send))

    async def actions(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        parameters = body.get("parameters") or {}
        if not isinstance(parameters, dict) or not all(
            isinstance(v, str) for v in parameters.values()
        ):
            raise ControlError("'parameters' must be an object of strings")
        send = self.sender(request, _format_field(body)).action(
            space=text_field(body, "space"),
            message=text_field(body, "message"),
            action=text_field(body, "action"),
            user=text_field(body, "user"),
            parameters=cast(dict[str, str], parameters),
        )
        return web.json_response(await _send(send))

    async def space_events(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        send = self.sender(request, _format_field(body)).space_event(
            space=text_field(body, "space"),
            kind=text_field(body, "type"),
            user=text_field(body, "user"),
        )
        return web.json_response(await _send(send))

    async def messages(self, request: web.Request) -> web.Response:
        """The app's messages in a space (``all=1``: people's too), with cards and threads."""
        ref = request.query.get("space")
        if not ref:
            raise ControlError("query parameter 'space' is required")
        space = self._state.space(ref)
        if space is None:
            raise ControlError(f"unknown Chat space {ref!r}")
        everyone = request.query.get("all") in ("1", "true")
        listed = [
            m.to_json(self._state)
            for m in self._state.messages
            if m.space == space.name and (m.by_app or everyone)
        ]
        return web.json_response({"space": space.name, "messages": listed})

    async def add_fault(self, request: web.Request) -> web.Response:
        """The next ``count`` Chat REST calls matching ``path_regex`` fail with ``status``."""
        body = await json_body(request)
        status = int_field(body, "status", default=429, low=400, high=599)
        count = int_field(body, "count", default=1, low=1, high=1000)
        path_regex = text_field(body, "path_regex", default="/messages")
        self._state.inject_fault(path_regex=path_regex, status=status, count=count)
        return web.json_response({"pending": sum(f.remaining for f in self._state.faults)})


def _optional(body: JsonDict, name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ControlError(f"{name!r} must be a string")
    return value


def _format_field(body: JsonDict) -> EventFormat | None:
    value = body.get("format")
    if value is not None and value not in _FORMATS:
        raise ControlError(f"'format' must be one of {', '.join(_FORMATS)}")
    return cast(EventFormat | None, value)


async def _send(send: Awaitable[ChatSendResult]) -> dict[str, Any]:
    try:
        result = await send
    except SendError as exc:
        raise ControlError(str(exc), status=exc.status) from exc
    except aiohttp.ClientError as exc:
        raise ControlError(f"the bot could not be reached: {exc}", status=502) from exc
    return result.to_json()
