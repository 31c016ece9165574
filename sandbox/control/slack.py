"""The control API's config and Slack calls under ``/sandbox/api/`` (DESIGN.md §4)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

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
    user_field,
)
from sandbox.errors import SendError
from sandbox.slack.api import METHODS, FaultInjector
from sandbox.slack.api_chat import post_user_message
from sandbox.slack.install import InstallError, install_app
from sandbox.slack.responses import ResponseUrls
from sandbox.slack.sender import SendResult, SlackSender
from sandbox.slack.socket import SocketModeHub
from sandbox.slack.state import BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, SlackWorkspace

logger = logging.getLogger(__name__)


def bot_slack_settings(workspace: SlackWorkspace, *, base_url: str) -> dict[str, str]:
    """The bot's ``slack`` settings group (``MEETBOT_SLACK_*``) for this sandbox."""
    base = base_url.rstrip("/")
    return {
        "signing_secret": workspace.app.signing_secret,
        "client_id": workspace.app.client_id,
        "client_secret": workspace.app.client_secret,
        "api_base_url": f"{base}/sandbox/slack/api/",
        "authorize_url": f"{base}/sandbox/slack/oauth/v2/authorize",
    }


class SlackControl:
    """Config, signed sends to the bot, message listing, faults, invites and install."""

    def __init__(
        self,
        *,
        workspace: SlackWorkspace,
        responses: ResponseUrls,
        faults: FaultInjector,
        socket: SocketModeHub,
        session: Callable[[], aiohttp.ClientSession],
        urls: SandboxUrls,
        google_settings: Callable[..., dict[str, str]],
        chat_settings: Callable[..., dict[str, str]] | None = None,
    ) -> None:
        self._ws = workspace
        self._responses = responses
        self._faults = faults
        self._socket = socket
        self._session = session
        self._urls = urls
        self._google_settings = google_settings
        self._chat_settings = chat_settings

    def register(self, app: web.Application) -> None:
        routes = [
            ("GET", "config", self.config),
            ("POST", "slack/commands", self.commands),
            ("POST", "slack/mentions", self.mentions),
            ("POST", "slack/actions", self.actions),
            ("GET", "slack/messages", self.messages),
            ("POST", "slack/messages", self.post_message),
            ("POST", "slack/invite", self.invite),
            ("POST", "slack/faults", self.add_fault),
            ("POST", "slack/install", self.install),
        ]
        add_control_routes(app, routes)

    def sender(self, request: web.Request) -> SlackSender:
        return SlackSender(
            workspace=self._ws,
            responses=self._responses,
            session=self._session(),
            bot_url=self._urls.bot(request),
            base_url=self._urls.base(request),
            socket=self._socket,
        )

    async def config(self, request: web.Request) -> web.Response:
        base = self._urls.base(request)
        app = self._ws.app
        google = self._google_settings(base_url=base)
        body: JsonDict = {
            "signing_secret": app.signing_secret,
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "enterprise_id": self._ws.enterprise.id if self._ws.enterprise else None,
            "bot_user_id": app.bot_user_id,
            "bot_id": app.bot_id,
            "app_id": app.app_id,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "app_token": self._ws.app_token,
            "socket_mode_connected": self._socket.connected,
            "urls": {
                "slack_api": f"{base}/sandbox/slack/api/",
                "slack_authorize": f"{base}/sandbox/slack/oauth/v2/authorize",
                "google_oauth": google["auth_uri"],
                "google_token": google["token_uri"],
                "meet": google["meet_base_url"],
                "bot": self._urls.bot(request),
                "page": f"{base}/sandbox/",
            },
            "bot_settings": {
                "slack": bot_slack_settings(self._ws, base_url=base),
                "google": google,
            },
            "users": [
                {"id": u.id, "name": u.name, "real_name": u.real_name, "is_admin": u.is_admin}
                for u in self._ws.users.values()
                if not u.is_bot
            ],
            "channels": [
                {"id": c.id, "name": c.name, "bot_is_member": BOT_USER_ID in c.members}
                for c in self._ws.channels.values()
                if not c.is_im
            ],
        }
        if self._chat_settings is not None:
            gchat = self._chat_settings(base_url=base)
            body["bot_settings"]["gchat"] = gchat
            body["urls"]["chat_api"] = gchat["api_base_url"]
        return web.json_response(body)

    async def commands(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        text = text_field(body, "text", default="")
        user, channel = user_field(body), text_field(body, "channel")
        result = await _send(self.sender(request).command(text=text, user=user, channel=channel))
        return web.json_response(result)

    async def mentions(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        text = text_field(body, "text", default="")
        user, channel = user_field(body), text_field(body, "channel")
        thread_ts = body.get("thread_ts")
        if thread_ts is not None and not isinstance(thread_ts, str):
            raise ControlError("'thread_ts' must be a string")
        retries = int_field(body, "retries", default=0, low=0, high=3)
        sender = self.sender(request)
        send = sender.mention(
            text=text, user=user, channel=channel, thread_ts=thread_ts, retries=retries
        )
        return web.json_response(await _send(send))

    async def actions(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        send = self.sender(request).action(
            channel=text_field(body, "channel"),
            message_ts=text_field(body, "message_ts"),
            action_id=text_field(body, "action_id"),
            user=user_field(body),
        )
        return web.json_response(await _send(send))

    async def messages(self, request: web.Request) -> web.Response:
        channel_id = request.query.get("channel")
        if not channel_id:
            raise ControlError("query parameter 'channel' is required")
        channel = self._ws.resolve_channel(channel_id)
        if channel is None:
            raise ControlError(f"unknown channel {channel_id!r}")
        everyone = request.query.get("all") in ("1", "true")
        viewer = request.query.get("viewer")
        base = self._urls.base(request)
        listed = []
        for message in channel.messages:
            if message.deleted or not (message.by_bot or everyone):
                continue
            if viewer and message.ephemeral_to not in (None, viewer):
                continue
            item = message.to_listing(base_url=base)
            item["reply_count"] = self._ws.reply_count(message)
            listed.append(item)
        return web.json_response({"channel": channel.id, "messages": listed})

    async def post_message(self, request: web.Request) -> web.Response:
        """A person's plain message in a channel (no event is sent for it)."""
        body = await json_body(request)
        user = user_field(body)
        self._ws.ensure_user(user)
        channel = self._ws.resolve_channel(text_field(body, "channel"))
        if channel is None:
            raise ControlError("unknown channel")
        thread_ts = body.get("thread_ts") if isinstance(body.get("thread_ts"), str) else None
        message = post_user_message(
            self._ws, channel=channel, user=user, text=text_field(body, "text"), thread_ts=thread_ts
        )
        return web.json_response({"channel": channel.id, "ts": message.ts})

    async def invite(self, request: web.Request) -> web.Response:
        """``/invite @meetbot`` in a channel."""
        body = await json_body(request)
        channel = self._ws.channels.get(text_field(body, "channel"))
        if channel is None or channel.is_im:
            raise ControlError("unknown channel")
        channel.members.add(BOT_USER_ID)
        return web.json_response({"channel": channel.id, "bot_is_member": True})

    async def add_fault(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        method = text_field(body, "method")
        if method not in METHODS:
            raise ControlError(f"unknown Web API method {method!r}")
        error = text_field(body, "error", default="ratelimited")
        count = int_field(body, "count", default=1, low=1, high=1000)
        retry_after = int_field(body, "retry_after", default=1, low=0, high=3600)
        self._faults.add(method=method, error=error, count=count, retry_after=retry_after)
        return web.json_response({"pending": self._faults.pending()})

    async def install(self, request: web.Request) -> web.Response:
        """Runs the bot's install flow (for ``meetbot emulators``, once the bot is up)."""
        try:
            await install_app(bot_base_url=self._urls.bot(request), session=self._session())
        except (InstallError, aiohttp.ClientError) as exc:
            raise ControlError(f"install failed: {exc}", status=502) from exc
        return web.json_response({"installed": True})


async def _send(send: Awaitable[SendResult]) -> JsonDict:
    """Awaits a sender call, mapping its refusals and transport errors to control errors."""
    try:
        result = await send
    except SendError as exc:
        raise ControlError(str(exc), status=exc.status) from exc
    except aiohttp.ClientError as exc:
        raise ControlError(f"the bot could not be reached: {exc}", status=502) from exc
    return result.to_json()
