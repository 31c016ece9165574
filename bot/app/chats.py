"""The chat sides: Slack's and Google Chat's ports and apps, each only when configured."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import aiohttp
from slack_bolt.async_app import AsyncApp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.ports.chat import ChatThreads, Notifier
from bot.core.service import MeetingService
from bot.gchat import app as gchat_app
from bot.settings import Settings
from bot.slack import app as slack_app
from bot.tasks import TaskSupervisor
from storage.crypto import TokenCipher
from storage.repos.factory import Repos
from storage.slack_orgs import installs_for_team
from storage.slack_stores import build_slack_stores


@dataclass(frozen=True, slots=True)
class Chats:
    """Each configured platform's ports; the core reaches them by platform name."""

    slack: slack_app.SlackPorts | None
    gchat: gchat_app.GChatPorts | None

    def notifiers(self) -> dict[str, Notifier]:
        slack = {"slack": self.slack.notifier} if self.slack else {}
        chat = {"gchat": self.gchat.notifier} if self.gchat else {}
        return {**slack, **chat}

    def threads(self) -> dict[str, ChatThreads]:
        slack: dict[str, ChatThreads] = {"slack": self.slack.threads} if self.slack else {}
        chat = {"gchat": self.gchat.threads} if self.gchat else {}
        return {**slack, **chat}


def build_chats(
    settings: Settings,
    *,
    base_url: str,
    engine: AsyncEngine,
    cipher: TokenCipher,
    slack_http: aiohttp.ClientSession,
    google_http: aiohttp.ClientSession,
) -> Chats:
    """Slack's ports on its own session, Chat's on Google's (Chat REST is a Google API)."""
    slack = _slack_ports(settings, engine=engine, session=slack_http, cipher=cipher)
    chat = (
        gchat_app.ports(settings.gchat, base_url=base_url, session=google_http)
        if settings.gchat.configured
        else None
    )
    return Chats(slack=slack, gchat=chat)


def _slack_ports(
    settings: Settings,
    *,
    engine: AsyncEngine,
    session: aiohttp.ClientSession,
    cipher: TokenCipher,
) -> slack_app.SlackPorts | None:
    """The Slack side's clients and ports, when Slack is configured."""
    if not settings.slack.configured:
        return None
    client_id = settings.slack.client_id or "single-workspace"
    installations, states = build_slack_stores(engine=engine, client_id=client_id, cipher=cipher)
    return slack_app.ports(
        settings.slack,
        session=session,
        stores=slack_app.SlackStores(installations=installations, states=states),
        find_installs=partial(installs_for_team, engine, client_id=client_id),
    )


def build_bolt(
    chats: Chats,
    *,
    base_url: str,
    service: MeetingService,
    repos: Repos,
    supervisor: TaskSupervisor,
) -> AsyncApp | None:
    """Bolt's app over the Slack ports (HTTP events and Socket Mode share it)."""
    if chats.slack is None:
        return None
    return slack_app.build_app(
        ports=chats.slack,
        base_url=base_url,
        service=service,
        dedupe=repos.dedupe,
        supervisor=supervisor,
    )


def build_gchat(
    settings: Settings,
    chats: Chats,
    *,
    session: aiohttp.ClientSession,
    service: MeetingService,
    supervisor: TaskSupervisor,
) -> gchat_app.GChatSide | None:
    """Chat's verifier and dispatcher over its ports."""
    if chats.gchat is None:
        return None
    return gchat_app.build(
        settings=settings.gchat,
        chat=chats.gchat,
        session=session,
        service=service,
        supervisor=supervisor,
    )
