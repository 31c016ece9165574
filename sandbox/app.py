"""Builds the sandbox (Slack, Google and Chat emulators, control API, page); mounts its routes."""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from sandbox.control.chat import ChatControl, bot_gchat_settings
from sandbox.control.google import GoogleControlApi, bot_google_settings
from sandbox.control.http import SandboxUrls
from sandbox.control.meet import GoogleControl
from sandbox.control.slack import SlackControl, bot_slack_settings
from sandbox.gchat.api import add_chat_api_routes
from sandbox.gchat.keys import add_cert_routes
from sandbox.gchat.state import ChatState
from sandbox.google.oauth import ASSERTION_VERIFIER
from sandbox.google.routes import add_google_routes
from sandbox.google.state import GoogleEmulatorState
from sandbox.slack.api import FaultInjector, SlackApi
from sandbox.slack.install import install_app
from sandbox.slack.oauth import SlackAuthorize
from sandbox.slack.responses import ResponseUrls
from sandbox.slack.socket import SocketModeHub
from sandbox.slack.state import Enterprise, SlackWorkspace

logger = logging.getLogger(__name__)

PAGE_DIR = Path(__file__).parent / "page"


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """How the sandbox is reached and seeded.

    Attributes:
        bot_url: the bot's base URL; ``None`` when the bot shares the sandbox's application.
        base_url: the sandbox's own public base URL; ``None`` takes each request's origin.
        seed: makes generated ids and secrets reproducible; ``None`` is random.
        signing_secret: fixes the Slack signing secret (``meetbot emulators`` + a bot elsewhere).
        client_id: fixes the Slack OAuth client id.
        client_secret: fixes the Slack OAuth client secret.
        app_token: fixes the Slack app-level token (``xapp-``) used for Socket Mode.
        reply_timeout: how long ``google/consent`` waits for the bot's sign-in link.
        enterprise: the Slack workspace is part of an Enterprise Grid org (org-wide install).
    """

    bot_url: str | None = None
    base_url: str | None = None
    seed: int | None = None
    signing_secret: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    app_token: str | None = None
    reply_timeout: float = 5.0
    enterprise: bool = False


@dataclass(slots=True)
class Sandbox:
    """The sandbox's state objects; ``session`` exists while the application runs."""

    config: SandboxConfig
    slack: SlackWorkspace
    responses: ResponseUrls
    faults: FaultInjector
    socket: SocketModeHub
    google: GoogleEmulatorState
    chat: ChatState
    session: aiohttp.ClientSession | None = None

    @property
    def urls(self) -> SandboxUrls:
        return SandboxUrls(base_url=self.config.base_url, bot_url=self.config.bot_url)

    def client_session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            raise RuntimeError("the sandbox application is not running")
        return self.session

    def bot_settings(self, *, base_url: str) -> dict[str, dict[str, str]]:
        """The bot's ``slack``, ``google`` and ``gchat`` settings groups for ``base_url``."""
        chat = self.chat
        return {
            "slack": bot_slack_settings(self.slack, base_url=base_url),
            "google": bot_google_settings(base_url=base_url),
            "gchat": bot_gchat_settings(base_url=base_url, config=chat.config, keys=chat.keys),
        }

    async def install(self, *, bot_base_url: str | None = None) -> None:
        """Installs the app through the bot's OAuth routes (see `install_app`)."""
        bot = bot_base_url or self.config.bot_url
        if bot is None:
            raise ValueError("the bot's base URL is needed to install the app")
        await install_app(bot_base_url=bot, session=self.client_session())


SANDBOX_KEY = web.AppKey("sandbox", Sandbox)


def build_sandbox(config: SandboxConfig) -> Sandbox:
    """Fresh in-memory state for the Slack and Google emulators."""
    rng = random.Random(config.seed) if config.seed is not None else random.SystemRandom()
    slack = SlackWorkspace(rng=rng, enterprise=Enterprise() if config.enterprise else None)
    overrides = {
        name: value
        for name in ("signing_secret", "client_id", "client_secret")
        if (value := getattr(config, name)) is not None
    }
    if overrides:
        slack.app = dataclasses.replace(slack.app, **overrides)
    if config.app_token is not None:
        slack.use_app_token(config.app_token)
    google = GoogleEmulatorState()
    # the demo shows Meet's own artifacts too, as if the organizer had turned them on
    google.meet.artifacts.configure({"recording": "on", "transcript": "on", "smart_notes": "on"})
    return Sandbox(
        config=config,
        slack=slack,
        responses=ResponseUrls(workspace=slack),
        faults=FaultInjector(),
        socket=SocketModeHub(workspace=slack),
        google=google,
        chat=ChatState(),
    )


def add_sandbox_routes(app: web.Application, sandbox: Sandbox) -> None:
    """Registers every ``/sandbox/...`` route on ``app`` and the sandbox's client session."""
    app[SANDBOX_KEY] = sandbox
    urls = sandbox.urls
    SlackApi(
        workspace=sandbox.slack,
        faults=sandbox.faults,
        public_url=urls.base_url,
        app_methods={"apps.connections.open": sandbox.socket.open_connection},
    ).register(app)
    sandbox.socket.register(app)
    sandbox.responses.register(app)
    SlackAuthorize(workspace=sandbox.slack, bot_url=urls.bot_url).register(app)
    chat_control = ChatControl(state=sandbox.chat, session=sandbox.client_session, urls=urls)
    slack_control = SlackControl(
        workspace=sandbox.slack,
        responses=sandbox.responses,
        faults=sandbox.faults,
        socket=sandbox.socket,
        session=sandbox.client_session,
        urls=urls,
        google_settings=bot_google_settings,
        chat_settings=chat_control.settings,
    )
    slack_control.register(app)
    chat_control.register(app)
    GoogleControlApi(
        workspace=sandbox.slack,
        meet=GoogleControl(state=sandbox.google),
        sender_for=slack_control.sender,
        session=sandbox.client_session,
        urls=urls,
        reply_timeout=sandbox.config.reply_timeout,
    ).register(app)
    add_google_routes(app, sandbox.google)
    add_chat_api_routes(app, sandbox.chat, sandbox.google)
    add_cert_routes(app, sandbox.chat.keys)
    app[ASSERTION_VERIFIER] = sandbox.chat.keys.verify_service_account_jwt
    _add_page_routes(app)
    app.cleanup_ctx.append(_session_context(sandbox))


def _session_context(sandbox: Sandbox) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        sandbox.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=60)
        )
        try:
            yield
        finally:
            await sandbox.session.close()

    return context


def _add_page_routes(app: web.Application) -> None:
    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(PAGE_DIR / "index.html")

    async def to_index(request: web.Request) -> web.Response:
        raise web.HTTPFound("/sandbox/")

    app.router.add_get("/sandbox", to_index)
    app.router.add_get("/sandbox/", index)
    app.router.add_static("/sandbox/page/", PAGE_DIR)


def sandbox_app(bot_url: str, *, config: SandboxConfig | None = None) -> web.Application:
    """The sandbox alone (``meetbot emulators``), talking to a bot at ``bot_url``."""
    app = web.Application()
    settings = dataclasses.replace(config or SandboxConfig(), bot_url=bot_url)
    add_sandbox_routes(app, build_sandbox(settings))
    return app
