"""Builds the Google Chat side (ports, token verifier, dispatcher) from settings."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from aiohttp import web

from bot.core.service import MeetingService
from bot.gchat import render
from bot.gchat.client import ChatApi
from bot.gchat.dispatch import ChatDispatcher
from bot.gchat.reply import GChatNotifier
from bot.gchat.threads import GChatThreads
from bot.gchat.verify import ChatTokenVerifier
from bot.settings import GChatSettings
from bot.tasks import TaskSupervisor

EVENTS_PATH = "/chat/events"


@dataclass(frozen=True, slots=True)
class GChatPorts:
    """What the core needs from Chat before the service exists (connect, recording)."""

    api: ChatApi
    targets: render.ButtonTargets
    notifier: GChatNotifier
    threads: GChatThreads


@dataclass(frozen=True, slots=True)
class GChatSide:
    """What ``POST /chat/events`` needs."""

    verifier: ChatTokenVerifier
    dispatcher: ChatDispatcher
    ports: GChatPorts


GCHAT = web.AppKey("gchat", GChatSide)


def endpoint_url(settings: GChatSettings, *, base_url: str) -> str:
    """The URL Chat posts to: the audience in endpoint-URL mode, else ours."""
    if settings.audience_mode == "endpoint_url" and settings.audience:
        return settings.audience
    return base_url.rstrip("/") + EVENTS_PATH


def ports(settings: GChatSettings, *, base_url: str, session: aiohttp.ClientSession) -> GChatPorts:
    """The REST client (app authentication, ``chat.bot``) on the Google session, and the
    ports built on it."""
    api = ChatApi(settings=settings, session=session)
    targets = render.ButtonTargets(endpoint_url=endpoint_url(settings, base_url=base_url))
    return GChatPorts(
        api=api,
        targets=targets,
        notifier=GChatNotifier(api=api),
        threads=GChatThreads(api=api, targets=targets),
    )


def build(
    *,
    settings: GChatSettings,
    chat: GChatPorts,
    session: aiohttp.ClientSession,
    service: MeetingService,
    supervisor: TaskSupervisor,
) -> GChatSide:
    """The Chat side, sharing the service, the HTTP session and the task supervisor."""
    dispatcher = ChatDispatcher(
        service=service,
        api=chat.api,
        supervisor=supervisor,
        command_id=settings.command_id,
        targets=chat.targets,
    )
    verifier = ChatTokenVerifier(settings=settings, session=session)
    return GChatSide(verifier=verifier, dispatcher=dispatcher, ports=chat)
