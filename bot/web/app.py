"""The composition root: settings → database → HTTP session → ports → services → routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.connect import ConnectFlow
from bot.core.google_access import GoogleAccess
from bot.core.service import MeetingService
from bot.google.meet import MeetRestClient
from bot.google.oauth import HttpGoogleOAuth
from bot.settings import Settings
from bot.slack import app as slack_app
from bot.slack import routes as slack_routes
from bot.tasks import TaskSupervisor
from bot.web import pages
from bot.web.runtime import BASE_URL, RUNTIME, SETTINGS, Runtime
from storage.crypto import TokenCipher
from storage.db import create_engine, run_migrations
from storage.repos.factory import build_repos
from storage.slack_stores import build_slack_stores

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    base_url: str,
    extend: Callable[[web.Application], None] | None = None,
) -> web.Application:
    """The one aiohttp application; ``extend`` mounts more routes (the sandbox's)."""
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app[SETTINGS] = settings
    app[BASE_URL] = base_url
    app.cleanup_ctx.append(_runtime)
    slack_routes.add_routes(app)
    pages.add_routes(app)
    if extend is not None:
        extend(app)
    return app


async def _runtime(app: web.Application) -> AsyncIterator[None]:
    settings, base_url = app[SETTINGS], app[BASE_URL]
    engine = create_engine(settings.storage.resolved_database_url())
    try:
        await run_migrations(engine)
        async with aiohttp.ClientSession() as session:
            runtime = _wire(settings, base_url=base_url, engine=engine, session=session)
            app[RUNTIME] = runtime
            app[slack_routes.SLACK_APP] = runtime.slack
            secret = settings.slack.signing_secret
            app[slack_routes.SLACK_VERIFIER] = (
                SignatureVerifier(secret.get_secret_value()) if secret else None
            )
            logger.info("meetbot ready at %s", base_url)
            yield
            await runtime.supervisor.aclose()
    finally:
        await engine.dispose()


def _wire(
    settings: Settings, *, base_url: str, engine: AsyncEngine, session: aiohttp.ClientSession
) -> Runtime:
    key = settings.storage.token_key
    if key is None:
        raise RuntimeError("MEETBOT_STORAGE_TOKEN_KEY is required")
    repos = build_repos(engine=engine, cipher=TokenCipher(key=key.get_secret_value()))
    installations, states = build_slack_stores(
        engine=engine, client_id=settings.slack.client_id or "single-workspace"
    )
    stores = slack_app.SlackStores(installations=installations, states=states)
    oauth = HttpGoogleOAuth(
        settings=settings.google,
        redirect_uri=base_url + pages.GOOGLE_CALLBACK_PATH,
        session=session,
    )
    connect = ConnectFlow(
        states=repos.connect_states,
        accounts=repos.accounts,
        oauth=oauth,
        notifiers={"slack": slack_app.notifier(settings.slack, stores)},
        ttl_seconds=settings.google.connect_ttl,
    )
    service = MeetingService(
        meetings=repos.meetings,
        meet=MeetRestClient(settings=settings.google),
        google=GoogleAccess(accounts=repos.accounts, oauth=oauth),
        connect=connect,
    )
    supervisor = TaskSupervisor(concurrency=4)
    bolt = slack_app.build_app(
        settings=settings.slack,
        base_url=base_url,
        stores=stores,
        service=service,
        dedupe=repos.dedupe,
        supervisor=supervisor,
    )
    return Runtime(repos=repos, service=service, connect=connect, slack=bolt, supervisor=supervisor)
