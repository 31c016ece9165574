"""Verifies the bearer token on every Google Chat request, in either audience mode.

* ``project_number``: Chat signs a JWT as ``chat@system.gserviceaccount.com`` (the ``issuer``
  setting) with the keys published at ``certs_url``; ``aud`` is the Cloud project number.
* ``endpoint_url``: a Google ID token (``iss`` one of ``id_token_issuers``, keys at
  ``id_token_certs_url``); ``aud`` is the endpoint URL; ``email`` must be the ``issuer``
  setting and verified (for add-on apps that is the add-on service agent's address).

Certificates are fetched with the shared aiohttp session and cached for their Cache-Control
``max-age``; a token naming an unknown key id refetches them once (key rotation).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

import aiohttp
from google.auth import exceptions as auth_exceptions
from google.auth import jwt

from bot.settings import GChatSettings

logger = logging.getLogger(__name__)

CLOCK_SKEW_SECONDS = 30
MAX_LIFETIME_SECONDS = 3600
"""Google's tokens live one hour; a longer-lived one was not minted by Google for a request."""
_DEFAULT_MAX_AGE = 300.0
_REFETCH_INTERVAL = 30.0  # an unknown key id refetches at most this often (no amplification)
_MAX_AGE = re.compile(r"max-age=(\d+)")


class TokenRejected(Exception):
    """The request's token is missing or does not verify (answered with 401).

    Attributes:
        reason: why, in a few words (never the token itself).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CertsUnavailable(Exception):
    """Google's certificates could not be fetched, so nothing can be verified (503)."""


class CertCache:
    """One certificate URL's ``{kid: PEM}`` map, cached for its ``max-age``."""

    def __init__(
        self,
        *,
        url: str,
        session: aiohttp.ClientSession,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._session = session
        self._clock = clock
        self._certs: dict[str, str] = {}
        self._expires = 0.0
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def get(self, *, kid: str | None = None) -> Mapping[str, str]:
        """The current certificates; refetched when stale or when ``kid`` is unknown."""
        async with self._lock:
            now = self._clock()
            rotated = kid is not None and kid not in self._certs
            if now >= self._expires or (rotated and now - self._fetched_at >= _REFETCH_INTERVAL):
                await self._fetch()
            return self._certs

    async def _fetch(self) -> None:
        try:
            async with self._session.get(self._url) as resp:
                resp.raise_for_status()
                data = await resp.json(content_type=None)
                max_age = _max_age(resp.headers.get("Cache-Control", ""))
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            logger.warning("could not fetch Chat certificates from %s: %s", self._url, exc)
            raise CertsUnavailable(self._url) from exc
        if not isinstance(data, dict):
            raise CertsUnavailable(self._url)
        self._certs = {str(k): str(v) for k, v in data.items()}
        self._fetched_at = self._clock()
        self._expires = self._fetched_at + max_age
        logger.info("fetched %d Chat certificates, cached for %.0f s", len(self._certs), max_age)


class ChatTokenVerifier:
    """Checks ``Authorization: Bearer …`` against the configured audience mode."""

    def __init__(
        self,
        *,
        settings: GChatSettings,
        session: aiohttp.ClientSession,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if settings.audience is None:
            raise ValueError("Google Chat needs MEETBOT_GCHAT_AUDIENCE")
        self._settings = settings
        self._audience = settings.audience
        url = settings.certs_url
        if settings.audience_mode == "endpoint_url":
            url = settings.id_token_certs_url
        self._certs = CertCache(url=url, session=session, clock=clock)

    async def verify(self, authorization: str | None) -> Mapping[str, Any]:
        """The token's verified claims.

        Raises:
            TokenRejected: missing, malformed, wrongly signed, expired, or for someone else.
            CertsUnavailable: the certificates could not be fetched.
        """
        token = _bearer(authorization)
        kid = _kid(token)
        certs = await self._certs.get(kid=kid)
        try:
            claims: Mapping[str, Any] = jwt.decode(  # type: ignore[no-untyped-call]
                token,
                certs=dict(certs),
                audience=self._audience,
                clock_skew_in_seconds=CLOCK_SKEW_SECONDS,
            )
        except (ValueError, auth_exceptions.GoogleAuthError) as exc:
            raise TokenRejected(_reason(exc)) from exc
        _check_lifetime(claims)
        self._check_identity(claims)
        return claims

    def _check_identity(self, claims: Mapping[str, Any]) -> None:
        issuer = claims.get("iss")
        if self._settings.audience_mode == "project_number":
            if issuer != self._settings.issuer:
                raise TokenRejected("wrong issuer")
            return
        if issuer not in self._settings.id_token_issuers:
            raise TokenRejected("wrong issuer")
        if claims.get("email") != self._settings.issuer:
            raise TokenRejected("not sent by Google Chat")
        if claims.get("email_verified") is not True:
            raise TokenRejected("unverified email")


def _check_lifetime(claims: Mapping[str, Any]) -> None:
    """``iat`` and ``exp`` present, and at most an hour apart (plus the clock skew)."""
    iat, exp = claims.get("iat"), claims.get("exp")
    if not (_seconds(iat) and _seconds(exp)):
        raise TokenRejected("no issue or expiry time")
    if exp - iat > MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS:
        raise TokenRejected("lives longer than an hour")


def _seconds(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenRejected("no bearer token")
    return token.strip()


def _kid(token: str) -> str | None:
    try:
        header = jwt.decode_header(token)  # type: ignore[no-untyped-call]
    except (ValueError, auth_exceptions.GoogleAuthError) as exc:
        raise TokenRejected("not a JWT") from exc
    kid = header.get("kid") if isinstance(header, Mapping) else None
    return kid if isinstance(kid, str) else None


def _reason(exc: Exception) -> str:
    text = str(exc)
    for needle, reason in (
        ("expired", "expired"),
        ("too early", "not yet valid"),
        ("audience", "wrong audience"),
        ("signature", "bad signature"),
        ("Certificate for key id", "unknown key"),
    ):
        if needle in text:
            return reason
    return "invalid token"


def _max_age(cache_control: str) -> float:
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else _DEFAULT_MAX_AGE
