"""Google's OAuth 2.0 web-server flow over aiohttp: consent URL, code exchange, refresh, revoke."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.core.errors import OAuthError
from bot.core.model import GoogleIdentity, GoogleTokens
from bot.settings import GoogleSettings

logger = logging.getLogger(__name__)

Json = dict[str, Any]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class HttpGoogleOAuth:
    """`bot.core.ports.google.GoogleOAuth` against the endpoints named in `GoogleSettings`.

    The client authenticates with ``client_secret_post`` (id and secret in the form body).
    """

    def __init__(
        self,
        *,
        settings: GoogleSettings,
        redirect_uri: str,
        session: aiohttp.ClientSession,
        clock: Callable[[], datetime] = _utcnow,
        timeout: float = 15.0,
    ) -> None:
        """Bind the flow to one OAuth client and callback.

        Args:
            settings: client credentials, endpoint URLs and scopes.
            redirect_uri: our callback, exactly as registered with the OAuth client.
            session: the application's shared HTTP session (not closed here).
            clock: tells ``expires_at`` from ``expires_in``.
            timeout: total seconds for one call to Google.

        Raises:
            ValueError: when no client id is configured.
        """
        if settings.client_id is None:
            raise ValueError("GoogleSettings.client_id is required for the OAuth flow")
        self._settings = settings
        self._client_id = settings.client_id
        self._redirect_uri = redirect_uri
        self._session = session
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def authorization_url(self, *, state: str) -> str:
        params = {
            "client_id": self._client_id,
            "redirect_uri": self._redirect_uri,
            "response_type": "code",
            "scope": " ".join(self._settings.scopes),
            # offline + consent: Google returns a refresh token on every code exchange.
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "state": state,
        }
        separator = "&" if "?" in self._settings.auth_uri else "?"
        return f"{self._settings.auth_uri}{separator}{urlencode(params)}"

    async def exchange_code(self, *, code: str) -> tuple[GoogleTokens, GoogleIdentity]:
        data = await self._post(
            self._settings.token_uri,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self._redirect_uri,
                **self._client_auth(),
            },
        )
        tokens = self._tokens(data, previous_refresh_token=None)
        identity = _identity(data.get("id_token"))
        logger.info("Google OAuth code exchanged for subject %s", identity.subject)
        return tokens, identity

    async def refresh(self, *, refresh_token: str) -> GoogleTokens:
        data = await self._post(
            self._settings.token_uri,
            {"grant_type": "refresh_token", "refresh_token": refresh_token, **self._client_auth()},
        )
        return self._tokens(data, previous_refresh_token=refresh_token)

    async def revoke(self, *, token: str) -> None:
        """Revoke the grant behind ``token``; an already dead token counts as revoked."""
        try:
            await self._post(self._settings.revoke_uri, {"token": token})
        except OAuthError as exc:
            if exc.error != "invalid_token":
                raise
            logger.info("Google OAuth revoke: token was already expired or revoked")

    def _client_auth(self) -> dict[str, str]:
        secret = self._settings.client_secret
        auth = {"client_id": self._client_id}
        if secret is not None:
            auth["client_secret"] = secret.get_secret_value()
        return auth

    def _tokens(self, data: Json, *, previous_refresh_token: str | None) -> GoogleTokens:
        try:
            access_token = str(data["access_token"])
            expires_in = int(data.get("expires_in", 3600))
        except (KeyError, TypeError, ValueError) as exc:
            raise OAuthError(
                "token endpoint answer lacks a token", error="invalid_response"
            ) from exc
        scope = data.get("scope")
        return GoogleTokens(
            access_token=access_token,
            # A refresh answer usually omits refresh_token: the old one stays valid.
            refresh_token=data.get("refresh_token") or previous_refresh_token,
            expires_at=self._clock() + timedelta(seconds=expires_in),
            scopes=tuple(scope.split()) if isinstance(scope, str) else self._settings.scopes,
        )

    async def _post(self, url: str, form: dict[str, str]) -> Json:
        """POST a form; return the JSON object, or raise `OAuthError`."""
        try:
            async with self._session.post(
                url, data=form, timeout=self._timeout, headers={"Accept": "application/json"}
            ) as response:
                status, body = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise OAuthError(
                f"Google OAuth endpoint unreachable: {exc!r}", error="unavailable"
            ) from exc
        payload = _json_object(body)
        if 200 <= status < 300:
            return payload or {}
        raise _oauth_error(status, payload)


def _json_object(body: bytes) -> Json | None:
    try:
        value = json.loads(body) if body.strip() else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _oauth_error(status: int, payload: Json | None) -> OAuthError:
    """Google's ``{"error": "invalid_grant", "error_description": ...}`` to `OAuthError`."""
    if payload is not None and isinstance(payload.get("error"), str):
        error = payload["error"]
        description = payload.get("error_description")
        detail = f": {description}" if description else ""
        return OAuthError(f"Google OAuth {status} {error}{detail}", error=error)
    error = "unavailable" if status >= 500 else "invalid_response"
    return OAuthError(f"Google OAuth answered {status} without an error object", error=error)


def _identity(id_token: object) -> GoogleIdentity:
    """Read ``sub`` and ``email`` from the ID token's payload.

    The signature is not verified: the token came straight from Google's token endpoint over
    TLS, in answer to our client-authenticated request (OpenID Connect Core 1.0, 3.1.3.7).
    """
    if not isinstance(id_token, str):
        raise OAuthError(
            "token endpoint returned no id_token (is 'openid' in scopes?)", error="invalid_response"
        )
    try:
        payload = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return GoogleIdentity(subject=str(claims["sub"]), email=str(claims["email"]))
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        raise OAuthError("unreadable id_token", error="invalid_response") from exc
