"""Workspace tokens, cached: Bolt's installation store behind a cache, and the Web API client
for posting to a workspace outside a request (its own install, or its Grid org's)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from storage.slack_orgs import InstallKey

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
FindInstalls = Callable[[str], Awaitable[list[InstallKey]]]
NewClient = Callable[[str | None], AsyncWebClient]
CACHE_SECONDS = 300.0
"""How long a token is trusted without reading the store again (other processes may revoke)."""


class CachedInstallations(AsyncInstallationStore):
    """Bolt's installation store with its bot lookups cached; any save or delete (installs,
    ``tokens_revoked``, ``app_uninstalled``) empties the cache and tells ``on_change``."""

    def __init__(
        self,
        *,
        inner: AsyncInstallationStore,
        on_change: Callable[[], None],
        ttl: float = CACHE_SECONDS,
        clock: Clock = time.monotonic,
    ) -> None:
        self._inner = inner
        self._on_change = on_change
        self._ttl = ttl
        self._clock = clock
        self._bots: dict[tuple[str | None, str | None], tuple[float, Bot]] = {}

    @property
    def logger(self) -> logging.Logger:
        return logger

    def _changed(self) -> None:
        self._bots.clear()
        self._on_change()

    async def async_save(self, installation: Installation) -> None:
        await self._inner.async_save(installation)
        self._changed()

    async def async_save_bot(self, bot: Bot) -> None:
        await self._inner.async_save_bot(bot)
        self._changed()

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        key = (enterprise_id, None if is_enterprise_install else team_id)
        hit = self._bots.get(key)
        if hit is not None and hit[0] > self._clock():
            return hit[1]
        bot = await self._inner.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is not None:
            self._bots[key] = (self._clock() + self._ttl, bot)
        return bot

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await self._inner.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._inner.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self._changed()

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await self._inner.async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )
        self._changed()

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._inner.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
        self._changed()


@dataclass(frozen=True, slots=True)
class _Entry:
    expires: float
    client: AsyncWebClient


class SlackClients:
    """One Web API client per workspace, on the shared HTTP session, for posts outside a
    request. A workspace of an Enterprise Grid org is served by the org-wide install: the
    team's org is learned from verified requests, else found with ``auth.teams.list``."""

    def __init__(
        self,
        *,
        new_client: NewClient,
        installations: AsyncInstallationStore,
        find_installs: FindInstalls | None,
        bot_token: str | None = None,
        ttl: float = CACHE_SECONDS,
        clock: Clock = time.monotonic,
    ) -> None:
        self._new_client = new_client
        self.installations = CachedInstallations(
            inner=installations, on_change=self.forget, ttl=ttl, clock=clock
        )
        """The store for Bolt: cached, and any change forgets this object's clients."""
        self._find_installs = find_installs
        self._single = new_client(bot_token) if bot_token is not None else None
        self._ttl = ttl
        self._clock = clock
        self._clients: dict[str, _Entry] = {}
        self._orgs: dict[str, InstallKey] = {}

    def forget(self) -> None:
        """Drop every cached client (an install, a revocation or an uninstall happened)."""
        self._clients.clear()

    def learn(self, *, team_id: str | None, enterprise_id: str | None, org_wide: bool) -> None:
        """Remember which installation serves ``team_id`` (from a verified request)."""
        if not team_id:
            return
        key = InstallKey(enterprise_id, None if org_wide else team_id, org_wide)
        if self._orgs.get(team_id) != key:
            self._orgs[team_id] = key
            self._clients.pop(team_id, None)

    async def middleware(self, context: Any, next: Callable[[], Awaitable[Any]]) -> Any:
        """Bolt global middleware: learns each authorized request's team and org."""
        self.learn(
            team_id=context.team_id,
            enterprise_id=context.enterprise_id,
            org_wide=bool(context.is_enterprise_install),
        )
        return await next()

    async def client_for(self, team_id: str) -> AsyncWebClient | None:
        """The workspace's client with its bot token; None when nothing serves it."""
        if self._single is not None:
            return self._single
        entry = self._clients.get(team_id)
        if entry is not None and entry.expires > self._clock():
            return entry.client
        token = await self._token(team_id)
        if token is None:
            return None
        client = self._new_client(token)
        self._clients[team_id] = _Entry(expires=self._clock() + self._ttl, client=client)
        return client

    async def _token(self, team_id: str) -> str | None:
        learned = self._orgs.get(team_id)
        if learned is not None:
            return await self._bot_token(learned, team_id)
        for key in await self._candidates(team_id):
            token = await self._bot_token(key, team_id)
            if token is None:
                continue
            if not key.is_enterprise_install or await self._org_has(token, team_id):
                self._orgs[team_id] = key
                return token
        return None

    async def _candidates(self, team_id: str) -> list[InstallKey]:
        if self._find_installs is None:
            return [InstallKey(None, team_id, False)]
        return await self._find_installs(team_id)

    async def _bot_token(self, key: InstallKey, team_id: str) -> str | None:
        bot = await self.installations.async_find_bot(
            enterprise_id=key.enterprise_id,
            team_id=team_id,
            is_enterprise_install=key.is_enterprise_install,
        )
        return bot.bot_token if bot is not None and bot.bot_token else None

    async def _org_has(self, token: str, team_id: str) -> bool:
        """Whether the org-wide install behind ``token`` covers ``team_id``."""
        client, cursor = self._new_client(token), None
        try:
            while True:
                page = await client.auth_teams_list(cursor=cursor, limit=200)
                if any(t.get("id") == team_id for t in page.get("teams") or []):
                    return True
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return False
        except (SlackApiError, SlackClientError, aiohttp.ClientError) as exc:
            logger.warning("auth.teams.list failed: %s", type(exc).__name__)
            return False
