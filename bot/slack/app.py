"""Builds the Bolt AsyncApp: single-workspace token, or OAuth install with SQLAlchemy stores."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.ports import EventDedupe
from bot.core.service import MeetingService
from bot.settings import SlackSettings
from bot.slack import listeners
from bot.slack.reply import ClientFor, SlackNotifier
from bot.slack.threads import SlackThreads
from bot.tasks import TaskSupervisor

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SlackStores:
    installations: AsyncInstallationStore
    states: AsyncOAuthStateStore


def web_client(settings: SlackSettings, token: str | None = None) -> AsyncWebClient:
    client = AsyncWebClient(token=token, base_url=settings.api_base_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


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
    # Cache authorizations: one database read per workspace, not per request.
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
    settings: SlackSettings,
    base_url: str,
    stores: SlackStores,
    service: MeetingService,
    dedupe: EventDedupe,
    supervisor: TaskSupervisor,
) -> AsyncApp:
    """The Bolt app; requests reach it through `bot.slack.routes` or Socket Mode."""
    secret = settings.signing_secret.get_secret_value() if settings.signing_secret else None
    common = {
        "signing_secret": secret,
        "request_verification_enabled": secret is not None,
        "client": web_client(settings),
        "raise_error_for_unhandled_request": False,
        # Listeners ack within their bounded window (bot.ack_window) and hand slow work to the
        # supervisor, so Bolt may await them: no unowned listener task, no 10 ms ack polling.
        "process_before_response": True,
    }
    if settings.bot_token is not None:
        app = AsyncApp(token=settings.bot_token.get_secret_value(), **common)  # type: ignore[arg-type]
    else:
        app = AsyncApp(
            oauth_settings=_oauth_settings(settings, base_url=base_url, stores=stores),
            **common,  # type: ignore[arg-type]
        )
        app.enable_token_revocation_listeners()
    listeners.register(app, service=service, dedupe=dedupe, supervisor=supervisor)
    return app


def client_for(settings: SlackSettings, stores: SlackStores) -> ClientFor:
    """A workspace's Web API client with its bot token (None when it is not installed)."""

    async def get(team_id: str) -> AsyncWebClient | None:
        if settings.bot_token is not None:
            return web_client(settings, settings.bot_token.get_secret_value())
        bot = await stores.installations.async_find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            return None
        return web_client(settings, bot.bot_token)

    return get


def notifier(settings: SlackSettings, stores: SlackStores) -> SlackNotifier:
    """Posts to a workspace outside a request, with that workspace's bot token."""
    return SlackNotifier(client_for=client_for(settings, stores))


def threads(settings: SlackSettings, stores: SlackStores) -> SlackThreads:
    """Posts and edits thread messages outside a request (recording progress and results)."""
    return SlackThreads(client_for=client_for(settings, stores))
