"""Asynchronous Chat messages with app authentication (a service account with ``chat.bot``).

Chat REST v1 over the application's one aiohttp session for Google (paths, parameters and
enums as in ``chat.v1.json``); failures are mapped to `ChatPlatformError` in
`bot.google.errors`, and transient ones retried by the one retry policy.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.core.errors import ChatPlatformError
from bot.google.errors import CHAT
from bot.google.rest import GoogleRest, Params, resource_path
from bot.google.service_account import ServiceAccountTokens
from bot.settings import GChatSettings
from recorder.retry import RetryPolicy

logger = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/chat.bot"
_REPLY = "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
_THREADS_KEPT = 1024
Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the app created: ``spaces/S/messages/M`` and its thread."""

    name: str
    thread_name: str | None


def service_account_info(settings: GChatSettings) -> dict[str, Any] | None:
    """The service account's key JSON, with the settings' ``token_uri`` when set."""
    if settings.service_account_info is not None:
        info = json.loads(settings.service_account_info.get_secret_value())
    elif settings.service_account_file is not None:
        info = json.loads(settings.service_account_file.read_text(encoding="utf-8"))
    else:
        return None
    if settings.token_uri:
        info["token_uri"] = settings.token_uri
    return dict(info)


class ChatApi:
    """The Chat REST calls meetbot makes, as coroutines.

    Args:
        settings: the Chat API root and the service account.
        session: the application's session for Google (not closed here).
        retry: the retry policy for 429/5xx/network failures.
    """

    def __init__(
        self,
        *,
        settings: GChatSettings,
        session: aiohttp.ClientSession,
        retry: RetryPolicy | None = None,
    ) -> None:
        policy = retry or RetryPolicy(attempts=3)
        info = service_account_info(settings)
        self._tokens: ServiceAccountTokens | None = None
        if info is not None:
            self._tokens = ServiceAccountTokens(
                info=info, scopes=(SCOPE,), session=session, retry=policy
            )
        else:
            logger.warning("no Chat service account: only synchronous replies are possible")
        self._rest = GoogleRest(
            session=session, base_url=settings.api_base_url, errors=CHAT, retry=policy
        )
        self._threads: OrderedDict[str, str] = OrderedDict()

    async def create(
        self, *, space: str, message: Mapping[str, Any], thread: str | None = None
    ) -> SentMessage:
        """Post ``message`` (Message JSON); in ``thread`` when given (else a new thread).

        The request id makes a retried create idempotent (Chat returns the first message).
        """
        body = dict(message)
        params: dict[str, str | int | None] = {"requestId": str(uuid.uuid4())}
        if thread:
            body["thread"] = {"name": thread}
            params["messageReplyOption"] = _REPLY
        sent = await self._call("create", "POST", _path(space, "/messages"), params, body)
        return self._remember(sent)

    async def update(self, *, name: str, message: Mapping[str, Any]) -> None:
        """Replace the text and cards of the app's message ``name``."""
        body = {**message, "name": name}
        params = {"updateMask": "text,cardsV2"}
        await self._call("update", "PATCH", _path(name), params, body)

    async def get(self, *, name: str) -> SentMessage:
        """Read message ``name`` (its thread, mostly)."""
        return self._remember(await self._call("get", "GET", _path(name)))

    async def thread_of(self, *, name: str) -> str | None:
        """The thread of message ``name``, from memory or from the API."""
        if name in self._threads:
            return self._threads[name]
        return (await self.get(name=name)).thread_name

    async def member_role(self, *, space: str, user: str) -> str:
        """``ROLE_MANAGER``, ``ROLE_MEMBER``… of ``user`` (``users/123``) in ``space``."""
        member = f"{space}/members/{user.removeprefix('users/')}"
        found = await self._call("get membership", "GET", _path(member))
        return str(found.get("role") or "MEMBERSHIP_ROLE_UNSPECIFIED")

    def _remember(self, sent: Json) -> SentMessage:
        name = sent.get("name")
        if not isinstance(name, str):
            raise ChatPlatformError("Chat answered without a message name", reason="MALFORMED")
        thread = (sent.get("thread") or {}).get("name") or None
        if thread:
            self._threads[name] = thread
            self._threads.move_to_end(name)
            while len(self._threads) > _THREADS_KEPT:
                self._threads.popitem(last=False)
        return SentMessage(name=name, thread_name=thread)

    async def _call(
        self,
        what: str,
        method: str,
        path: str,
        params: Params | None = None,
        body: Json | None = None,
    ) -> Json:
        if self._tokens is None:
            raise ChatPlatformError(f"Chat {what}: no service account", reason="NOT_CONFIGURED")
        try:
            token = await self._tokens.access_token()
            return await self._rest.call(method, path, token=token, params=params, body=body)
        except ChatPlatformError as exc:
            logger.warning("Chat %s refused: %s", what, exc.reason)
            raise


def _path(name: str, suffix: str = "") -> str:
    try:
        return resource_path("v1", name, suffix)
    except ValueError as exc:
        raise ChatPlatformError(str(exc), reason="INVALID_ARGUMENT") from exc
