"""Access tokens for a service account (the Chat app): the jwt-bearer grant over aiohttp.

RFC 7523 as Google documents it: a JWT signed with the account's key, ``aud`` = the token
endpoint, traded for a one-hour access token that is cached until shortly before it expires.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from google.auth import crypt, jwt

from bot.core.errors import ChatPlatformError
from bot.google.errors import Answer, ChatUnavailable, to_chat_error
from recorder.retry import RetryPolicy, Transient

logger = logging.getLogger(__name__)

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_LIFETIME = 3600  # Google's maximum for an assertion and its token
_EARLY = 60.0  # refresh this many seconds before the token expires


class ServiceAccountTokens:
    """A cached access token for one service account and scope set.

    Args:
        info: the account's key JSON (``client_email``, ``private_key``, ``token_uri``).
        scopes: the scopes asked for.
        session: the application's session for Google (not closed here).
        retry: the retry policy for 429/5xx/network failures of the token endpoint.
        clock: seconds since the epoch (tests move it).
    """

    def __init__(
        self,
        *,
        info: Mapping[str, Any],
        scopes: tuple[str, ...],
        session: aiohttp.ClientSession,
        retry: RetryPolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signer = crypt.RSASigner.from_service_account_info(info)  # type: ignore[no-untyped-call]
        self._email = str(info["client_email"])
        self._token_uri = str(info["token_uri"])
        self._scopes = scopes
        self._session = session
        self._retry = retry
        self._clock = clock
        self._token: tuple[str, float] | None = None
        self._lock = asyncio.Lock()

    async def access_token(self) -> str:
        """A token valid for at least a minute more (one grant at a time).

        Raises:
            ChatPlatformError: the token endpoint refused the assertion (``UNAUTHENTICATED``)
                or could not be reached (``UNAVAILABLE``).
        """
        async with self._lock:
            if self._token is None or self._token[1] - _EARLY <= self._clock():
                self._token = await self._retry.run(
                    self._grant, classify=_transient, what="service account token"
                )
            return self._token[0]

    async def _grant(self) -> tuple[str, float]:
        now = int(self._clock())
        claims = {
            "iss": self._email,
            "scope": " ".join(self._scopes),
            "aud": self._token_uri,
            "iat": now,
            "exp": now + _LIFETIME,
        }
        assertion = jwt.encode(self._signer, claims).decode("ascii")  # type: ignore[no-untyped-call]
        form = {"grant_type": JWT_BEARER, "assertion": assertion}
        try:
            async with self._session.post(self._token_uri, data=form) as response:
                status, content = response.status, await response.read()
                retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise to_chat_error(exc) from exc
        if status != 200:
            raise _refused(Answer(status, content, retry_after))
        return _token(content, now)


def _refused(answer: Answer) -> ChatPlatformError:
    error = to_chat_error(answer)
    if isinstance(error, ChatUnavailable):
        return error
    logger.warning("service account token refused: HTTP %d", answer.status)
    return ChatPlatformError("Chat: service account token refused", reason="UNAUTHENTICATED")


def _token(content: bytes, now: int) -> tuple[str, float]:
    try:
        data = json.loads(content)
        return str(data["access_token"]), now + float(data.get("expires_in", _LIFETIME))
    except (ValueError, KeyError, TypeError) as exc:
        raise ChatPlatformError("unreadable token answer", reason="UNAUTHENTICATED") from exc


def _transient(exc: BaseException) -> Transient | None:
    return Transient(retry_after=exc.retry_after) if isinstance(exc, ChatUnavailable) else None
