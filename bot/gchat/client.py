"""Asynchronous Chat messages with app authentication (a service account with ``chat.bot``).

google-apps-chat has no asyncio REST transport, so the synchronous ``ChatServiceClient`` with
``transport="rest"`` runs in worker threads. Its failures are mapped to `ChatPlatformError`
here, and only here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from google.api_core import exceptions as api_exceptions
from google.api_core.client_options import ClientOptions
from google.apps import chat_v1
from google.auth import credentials as auth_credentials
from google.auth import exceptions as auth_exceptions
from google.oauth2 import service_account

from bot.core.errors import ChatPlatformError
from bot.settings import GChatSettings

logger = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/chat.bot"
_REPLY = chat_v1.CreateMessageRequest.MessageReplyOption.REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD
_THREADS_KEPT = 1024
# Google's canonical status per HTTP code (api_core only names them when grpc is installed).
_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the app created: ``spaces/S/messages/M`` and its thread."""

    name: str
    thread_name: str | None


def app_credentials(settings: GChatSettings) -> auth_credentials.Credentials | None:
    """The service account's credentials, with the settings' ``token_uri`` when set."""
    if settings.service_account_info is not None:
        info = json.loads(settings.service_account_info.get_secret_value())
    elif settings.service_account_file is not None:
        info = json.loads(settings.service_account_file.read_text(encoding="utf-8"))
    else:
        return None
    if settings.token_uri:
        info["token_uri"] = settings.token_uri
    host = urlsplit(settings.api_base_url).hostname or ""
    kind = service_account.Credentials if host.endswith(".googleapis.com") else _OffGoogle
    from_info = kind.from_service_account_info
    creds: auth_credentials.Credentials = from_info(info, scopes=[SCOPE])  # type: ignore[no-untyped-call]
    return creds


class _OffGoogle(service_account.Credentials):
    """Service-account credentials for a Chat API that is not Google's (the sandbox).

    google-auth looks up the account's Regional Access Boundary at
    ``iamcredentials.googleapis.com`` after each token refresh; an emulator has none.
    """

    def _is_regional_access_boundary_lookup_required(self) -> bool:
        return False


class ChatApi:
    """The Chat REST calls meetbot makes, as coroutines."""

    def __init__(
        self,
        *,
        settings: GChatSettings,
        credentials: auth_credentials.Credentials | None = None,
    ) -> None:
        creds = credentials or app_credentials(settings)
        self._client: chat_v1.ChatServiceClient | None = None
        if creds is not None:
            endpoint = settings.api_base_url.rstrip("/")  # may be http:// (the sandbox)
            self._client = chat_v1.ChatServiceClient(
                credentials=creds,
                transport="rest",
                client_options=ClientOptions(api_endpoint=endpoint),
            )
        else:
            logger.warning("no Chat service account: only synchronous replies are possible")
        self._threads: OrderedDict[str, str] = OrderedDict()

    async def create(
        self, *, space: str, message: Mapping[str, Any], thread: str | None = None
    ) -> SentMessage:
        """Post ``message`` (Message JSON); in ``thread`` when given (else a new thread)."""
        request = chat_v1.CreateMessageRequest(
            parent=space, message=_message(message), request_id=str(uuid.uuid4())
        )
        if thread:
            request.message.thread = chat_v1.Thread(name=thread)
            request.message_reply_option = _REPLY  # type: ignore[assignment]
        sent = await self._call("create", lambda c: c.create_message(request=request))
        return self._remember(sent)

    async def update(self, *, name: str, message: Mapping[str, Any]) -> None:
        """Replace the text and cards of the app's message ``name``."""
        body = _message(message)
        body.name = name
        # a FieldMask from a string takes JSON (camelCase) paths: text, cards_v2
        request = chat_v1.UpdateMessageRequest(message=body, update_mask="text,cardsV2")
        await self._call("update", lambda c: c.update_message(request=request))

    async def get(self, *, name: str) -> SentMessage:
        """Read message ``name`` (its thread, mostly)."""
        sent = await self._call("get", lambda c: c.get_message(name=name))
        return self._remember(sent)

    async def thread_of(self, *, name: str) -> str | None:
        """The thread of message ``name``, from memory or from the API."""
        if name in self._threads:
            return self._threads[name]
        return (await self.get(name=name)).thread_name

    async def member_role(self, *, space: str, user: str) -> str:
        """``ROLE_MANAGER``, ``ROLE_MEMBER``… of ``user`` (``users/123``) in ``space``."""
        member = f"{space}/members/{user.removeprefix('users/')}"
        found = await self._call("get membership", lambda c: c.get_membership(name=member))
        return str(chat_v1.Membership.MembershipRole(found.role).name)

    def _remember(self, sent: chat_v1.Message) -> SentMessage:
        thread = sent.thread.name or None
        if thread:
            self._threads[sent.name] = thread
            self._threads.move_to_end(sent.name)
            while len(self._threads) > _THREADS_KEPT:
                self._threads.popitem(last=False)
        return SentMessage(name=sent.name, thread_name=thread)

    async def _call(self, what: str, call: Callable[[chat_v1.ChatServiceClient], T]) -> T:
        client = self._client
        if client is None:
            raise ChatPlatformError(f"Chat {what}: no service account", reason="NOT_CONFIGURED")
        try:
            return await asyncio.to_thread(call, client)
        except api_exceptions.GoogleAPICallError as exc:
            reason = _status(exc)
            logger.warning("Chat %s refused: %s", what, reason)
            raise ChatPlatformError(f"Chat {what} refused", reason=reason) from exc
        except auth_exceptions.GoogleAuthError as exc:
            logger.warning("Chat %s: service account token refused: %s", what, type(exc).__name__)
            raise ChatPlatformError(f"Chat {what}: no token", reason="UNAUTHENTICATED") from exc
        except (api_exceptions.GoogleAPIError, OSError) as exc:
            logger.warning("Chat %s failed: %s", what, type(exc).__name__)
            raise ChatPlatformError(f"Chat {what} failed", reason="UNAVAILABLE") from exc


def _status(exc: api_exceptions.GoogleAPICallError) -> str:
    if exc.grpc_status_code is not None:
        return str(exc.grpc_status_code.name)
    return _STATUSES.get(exc.code or 0, f"HTTP_{exc.code}")


def _message(message: Mapping[str, Any]) -> chat_v1.Message:
    """Message JSON → the protobuf type; unknown fields are a bug, so they raise."""
    parsed: chat_v1.Message = chat_v1.Message.from_json(
        json.dumps(message), ignore_unknown_fields=False
    )
    return parsed
