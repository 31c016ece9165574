"""Google OAuth 2.0 emulator: consent page, token endpoint (code, refresh, JWT) and revocation."""

from __future__ import annotations

import base64
import binascii
import html
import json
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from aiohttp import web
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from sandbox.google.state import (
    ACCESS_TOKEN_TTL,
    DEFAULT_EMAIL,
    GoogleEmulatorState,
    Grant,
    OAuthClient,
    subject_for,
)

logger = logging.getLogger(__name__)

AUTH_PATH = "/sandbox/google/o/oauth2/auth"
TOKEN_PATH = "/sandbox/google/oauth2/token"
REVOKE_PATH = "/sandbox/google/oauth2/revoke"
ISSUER = "https://accounts.google.com"
_IDENTITY_SCOPES = frozenset({"openid", "email", "profile"})
_GOOGLE_SCOPE = "https://www.googleapis.com/auth/"
_CONSENT_PARAMS = ("approve", "email")
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# google-auth addresses assertions to Google's token endpoint whatever token_uri says.
_GOOGLE_TOKEN_AUDIENCES = frozenset(
    {"https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token"}
)
AssertionVerifier = Callable[[str], Mapping[str, Any] | None]
# Verifies service-account assertions (claims if signed by a known key); set by the sandbox.
ASSERTION_VERIFIER: web.AppKey[AssertionVerifier] = web.AppKey("google_assertion_verifier")


class OAuthFailure(Exception):
    """An OAuth error answer: ``{"error": ..., "error_description": ...}``."""

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> web.Response:
        body = {"error": self.error, "error_description": self.description}
        return web.json_response(body, status=self.status)


def consent_url(auth_url: str, *, email: str) -> str:
    """The bot's Google authorization URL, pre-approved for ``email`` (skips the page)."""
    parts = urlsplit(auth_url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("approve", "email")]
    query += [("approve", "1"), ("email", email)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def add_oauth_routes(app: web.Application, state: GoogleEmulatorState) -> None:
    """Register the consent page, token and revoke endpoints."""

    async def authorize(request: web.Request) -> web.Response:
        return _authorize(state, request)

    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        try:
            if form.get("grant_type") == JWT_BEARER:
                verifier = request.app.get(ASSERTION_VERIFIER)
                return web.json_response(_jwt_bearer(state, form, verifier))
            return web.json_response(_token(state, form, request.headers))
        except OAuthFailure as exc:
            return exc.response()

    async def revoke(request: web.Request) -> web.Response:
        form = await request.post()
        value = str(form.get("token") or request.query.get("token", ""))
        if not state.revoke(value):
            return OAuthFailure("invalid_token", "Token expired or revoked").response()
        logger.info("sandbox Google grant revoked")
        return web.json_response({})

    app.router.add_get(AUTH_PATH, authorize)
    app.router.add_post(TOKEN_PATH, token)
    app.router.add_post(REVOKE_PATH, revoke)


def _authorize(state: GoogleEmulatorState, request: web.Request) -> web.Response:
    query = request.query
    client = state.clients.get(query.get("client_id", ""))
    redirect_uri = query.get("redirect_uri", "")
    if client is None:
        return _error_page("invalid_client", "The OAuth client was not found.")
    problem = _authorize_problem(client, redirect_uri, query)
    if problem is not None:
        return _error_page(*problem)
    approve = query.get("approve")
    if approve is None:
        return _consent_page(request)
    if approve != "1":
        raise _redirect(redirect_uri, error="access_denied", state=query.get("state"))
    email = query.get("email") or query.get("login_hint") or DEFAULT_EMAIL
    requested = frozenset(query["scope"].split())
    grant = state.grant_for(client_id=client.client_id, email=email, scopes=requested)
    if query.get("include_granted_scopes") != "true":
        grant.scopes = requested
    offline = query.get("access_type") == "offline"
    code = state.issue_code(grant=grant, redirect_uri=redirect_uri, offline=offline)
    logger.info("sandbox Google consent given by %s", email)
    raise _redirect(
        redirect_uri, code=code, state=query.get("state"), scope=" ".join(sorted(grant.scopes))
    )


def _authorize_problem(
    client: OAuthClient, redirect_uri: str, query: Mapping[str, str]
) -> tuple[str, str] | None:
    """Google shows an error page (no redirect) when the request cannot be trusted."""
    if not client.allows(redirect_uri):
        return "redirect_uri_mismatch", f"redirect_uri is not registered: {redirect_uri}"
    if query.get("response_type") != "code":
        return "unsupported_response_type", "response_type must be 'code'."
    scopes = query.get("scope", "").split()
    if not scopes:
        return "invalid_request", "Missing required parameter: scope"
    unknown = [s for s in scopes if s not in _IDENTITY_SCOPES and not s.startswith(_GOOGLE_SCOPE)]
    if unknown:
        return "invalid_scope", f"Some requested scopes were invalid: {' '.join(unknown)}"
    if "@" not in query.get("email", DEFAULT_EMAIL):
        return "invalid_request", "email must be an email address."
    return None


def _token(
    state: GoogleEmulatorState, form: Mapping[str, object], headers: Mapping[str, str]
) -> dict[str, object]:
    client = _client(state, form, headers)
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        return _exchange_code(state, client, form)
    if grant_type == "refresh_token":
        grant = state.refresh_tokens.get(str(form.get("refresh_token", "")))
        if grant is None or grant.revoked or grant.client_id != client.client_id:
            raise OAuthFailure("invalid_grant", "Token has been expired or revoked.")
        return _token_answer(state, grant, refresh_token=None)
    raise OAuthFailure("unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}")


def _jwt_bearer(
    state: GoogleEmulatorState, form: Mapping[str, object], verifier: AssertionVerifier | None
) -> dict[str, object]:
    """A service account's signed assertion for an access token carrying its ``scope``."""
    claims = verifier(str(form.get("assertion") or "")) if verifier is not None else None
    if claims is None:
        raise OAuthFailure("invalid_grant", "Invalid JWT Signature.")
    audience = str(claims.get("aud", ""))
    if audience not in _GOOGLE_TOKEN_AUDIENCES and not audience.endswith(TOKEN_PATH):
        raise OAuthFailure("invalid_grant", "Invalid JWT: audience is not the token endpoint.")
    scopes = frozenset(str(claims.get("scope") or "").split())
    if not scopes:
        raise OAuthFailure("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
    email = str(claims["iss"])
    grant = Grant(client_id=email, email=email, scopes=scopes)
    logger.info("sandbox Google token issued to service account %s", email)
    return {
        "access_token": state.issue_access_token(grant),
        "expires_in": int(ACCESS_TOKEN_TTL.total_seconds()),
        "token_type": "Bearer",
    }


def _exchange_code(
    state: GoogleEmulatorState, client: OAuthClient, form: Mapping[str, object]
) -> dict[str, object]:
    code = str(form.get("code") or "")
    if not code:
        raise OAuthFailure("invalid_request", "Missing required parameter: code")
    issued = state.redeem_code(code)
    if issued is None or issued.grant.client_id != client.client_id:
        raise OAuthFailure("invalid_grant", "Malformed auth code.")
    if form.get("redirect_uri") != issued.redirect_uri:
        raise OAuthFailure("redirect_uri_mismatch", "Bad Request")
    refresh = state.issue_refresh_token(issued.grant) if issued.offline else None
    return _token_answer(state, issued.grant, refresh_token=refresh)


def _client(
    state: GoogleEmulatorState, form: Mapping[str, object], headers: Mapping[str, str]
) -> OAuthClient:
    """client_secret_post, or client_secret_basic (HTTP Basic with url-encoded parts)."""
    client_id, secret = str(form.get("client_id") or ""), str(form.get("client_secret") or "")
    authorization = headers.get("Authorization", "")
    if authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:]).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthFailure("invalid_client", "Unauthorized", status=401) from exc
        client_id, _, secret = (unquote(part) for part in decoded.partition(":"))
    client = state.clients.get(client_id)
    if client is None:
        raise OAuthFailure("invalid_client", "The OAuth client was not found.", status=401)
    if secret != client.client_secret:
        raise OAuthFailure("invalid_client", "Unauthorized", status=401)
    return client


def _token_answer(
    state: GoogleEmulatorState, grant: Grant, *, refresh_token: str | None
) -> dict[str, object]:
    answer: dict[str, object] = {
        "access_token": state.issue_access_token(grant),
        "expires_in": int(ACCESS_TOKEN_TTL.total_seconds()),
        "scope": " ".join(sorted(grant.scopes)),
        "token_type": "Bearer",
    }
    if refresh_token is not None:
        answer["refresh_token"] = refresh_token
    if "openid" in grant.scopes:
        answer["id_token"] = id_token(state, grant)
    return answer


def id_token(state: GoogleEmulatorState, grant: Grant) -> str:
    """An RS256 ID token signed with the emulator's key (``state.signing_key``)."""
    now = state.now()
    claims = {
        "iss": ISSUER,
        "azp": grant.client_id,
        "aud": grant.client_id,
        "sub": subject_for(grant.email),
        "email": grant.email,
        "email_verified": True,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    header = {"alg": "RS256", "kid": state.signing_key_id, "typ": "JWT"}
    signing_input = f"{_b64_json(header)}.{_b64_json(claims)}".encode()
    signature = state.signing_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode()}.{_b64(signature)}"


def _b64_json(value: Mapping[str, object]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _redirect(uri: str, **params: str | None) -> web.HTTPFound:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return web.HTTPFound(f"{uri}{'&' if '?' in uri else '?'}{query}")


def _error_page(error: str, description: str) -> web.Response:
    page = (
        "<!doctype html><title>Sign in - Google Accounts (sandbox)</title>"
        f"<h1>Access blocked: this request is invalid</h1><p>Error 400: {html.escape(error)}</p>"
        f"<p>{html.escape(description)}</p>"
    )
    return web.Response(status=400, text=page, content_type="text/html")


def _consent_page(request: web.Request) -> web.Response:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(key)}" value="{html.escape(value)}">'
        for key, value in request.query.items()
        if key not in _CONSENT_PARAMS
    )
    email = html.escape(request.query.get("login_hint", DEFAULT_EMAIL))
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in request.query["scope"].split())
    page = (
        "<!doctype html><title>Sign in - Google Accounts (sandbox)</title>"
        "<h1>Sign in with Google (sandbox)</h1>"
        f'<form method="get" action="{AUTH_PATH}">{hidden}'
        f'<label>Account <input name="email" type="email" value="{email}"></label>'
        f"<p>meetbot wants to:</p><ul>{scopes}</ul>"
        '<button name="approve" value="1">Allow</button> '
        '<button name="approve" value="0">Cancel</button></form>'
    )
    return web.Response(text=page, content_type="text/html")
