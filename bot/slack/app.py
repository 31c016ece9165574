"""Builds the Slack side: Web API clients on one HTTP session, the cached installation store,
and the Bolt AsyncApp (single-workspace bot token, or OAuth install for many workspaces)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.ports.storage import EventDedupe
from bot.core.service import MeetingService
from bot.settings import SlackSettings
from bot.slack import listeners, payloads
from bot.slack.installs import FindInstalls, SlackClients
from bot.slack.reply import SlackNotifier
from bot.slack.threads import SlackThreads
from bot.tasks import TaskSupervisor

logger = logging.getLogger(__name__)

API_TIMEOUT = 30.0
"""Seconds for one Web API call (the SDK's own default)."""


@dataclass(frozen=True, slots=True)
class SlackStores:
    installations: AsyncInstallationStore
    states: AsyncOAuthStateStore


@dataclass(frozen=True, slots=True)
class SlackPorts:
    """What the core needs from Slack before the service exists (connect, recording)."""

    settings: SlackSettings
    session: aiohttp.ClientSession
    stores: SlackStores
    clients: SlackClients
    notifier: SlackNotifier
    threads: SlackThreads


def http_session() -> aiohttp.ClientSession:
    """The one HTTP session every Slack Web API call shares; the composition root closes it."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=API_TIMEOUT))


def web_client(
    settings: SlackSettings, session: aiohttp.ClientSession, token: str | None = None
) -> AsyncWebClient:
    client = AsyncWebClient(
        token=token, base_url=settings.api_base_url, session=session, timeout=int(API_TIMEOUT)
    )
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


def ports(
    settings: SlackSettings,
    *,
    session: aiohttp.ClientSession,
    stores: SlackStores,
    find_installs: FindInstalls,
) -> SlackPorts:
    """Clients per workspace (cached, forgotten on install/revoke/uninstall) and the ports."""
    token = settings.bot_token.get_secret_value() if settings.bot_token else None
    clients = SlackClients(
        new_client=partial(web_client, settings, session),
        installations=stores.installations,
        find_installs=find_installs,
        bot_token=token,
    )
    return SlackPorts(
        settings=settings,
        session=session,
        stores=SlackStores(installations=clients.installations, states=stores.states),
        clients=clients,
        notifier=SlackNotifier(client_for=clients.client_for),
        threads=SlackThreads(client_for=clients.client_for),
    )


def _oauth_settings(
    settings: SlackSettings, *, base_url: str, stores: SlackStores
) -> AsyncOAuthSettings:
    if settings.client_id is None or settings.client_secret is None:
        raise ValueError("OAuth install needs MEETBOT_SLACK_CLIENT_ID and _CLIENT_SECRET")
    oauth = AsyncOAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret.get_secret_value(),
        scopes=list(settings.scopes),
        redirect_uri=f"{base_url}/slack/oauth_redirect",
        authorization_url=settings.authorize_url,
        installation_store=stores.installations,
        installation_store_bot_only=True,
        state_store=stores.states,
    )
    # bot lookups go through the cached store; auth.test answers are cached per token
    oauth.authorize = AsyncInstallationStoreAuthorize(
        logger=logger,
        client_id=settings.client_id,
        client_secret=settings.client_secret.get_secret_value(),
        installation_store=stores.installations,
        bot_only=True,
        cache_enabled=True,
    )
    return oauth


def build_app(
    *,
    ports: SlackPorts,
    base_url: str,
    service: MeetingService,
    dedupe: EventDedupe,
    supervisor: TaskSupervisor,
) -> AsyncApp:
    """The Bolt app; requests reach it through `bot.slack.routes` (which verifies each
    signature once, so Bolt does not) or over Socket Mode (not HTTP: nothing to sign)."""
    settings = ports.settings
    common = {
        "request_verification_enabled": False,
        "raise_error_for_unhandled_request": False,
        # Listeners ack within their bounded window (bot.ack_window) and hand slow work to the
        # supervisor, so Bolt may await them: no unowned listener task, no 10 ms ack polling.
        "process_before_response": True,
    }
    if settings.bot_token is not None:
        token = settings.bot_token.get_secret_value()
        client = web_client(settings, ports.session, token)
        app = AsyncApp(client=client, **common)  # type: ignore[arg-type]
    else:
        app = AsyncApp(
            client=web_client(settings, ports.session),
            oauth_settings=_oauth_settings(settings, base_url=base_url, stores=ports.stores),
            **common,  # type: ignore[arg-type]
        )
        app.enable_token_revocation_listeners()
    app.use(ports.clients.middleware)
    # Socket Mode requests skip the HTTP route's check: the same check, as Bolt middleware.
    app.middleware(payloads.reject_malformed)
    listeners.register(app, service=service, dedupe=dedupe, supervisor=supervisor)
    return app
