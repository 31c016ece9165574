"""The Google OAuth adapter against the OAuth emulator, over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization
from google.auth import jwt

from bot.core.errors import OAuthError
from bot.google.oauth import HttpGoogleOAuth
from bot.settings import GOOGLE_SCOPES
from sandbox.google.state import SANDBOX_CLIENT_ID, subject_for
from tests.adapters.google_emulator import (
    REDIRECT_URI,
    SCOPE_CREATED,
    GoogleEmulator,
    approve,
    run_google_emulator,
    sign_in,
)

NOW = datetime(2030, 5, 17, 9, 30, tzinfo=UTC)


@pytest.fixture
async def emulator() -> AsyncIterator[GoogleEmulator]:
    async with run_google_emulator() as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def oauth_for(
    emulator: GoogleEmulator, session: aiohttp.ClientSession, **settings: object
) -> HttpGoogleOAuth:
    return HttpGoogleOAuth(
        settings=emulator.settings(**settings),
        redirect_uri=REDIRECT_URI,
        session=session,
        clock=lambda: NOW,
    )


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def test_authorization_url_asks_for_offline_consent(emulator, session) -> None:
    url = oauth_for(emulator, session).authorization_url(state="st-1")

    assert url.startswith(f"{emulator.base_url}/sandbox/google/o/oauth2/auth?")
    assert query_of(url) == {
        "client_id": SANDBOX_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": " ".join(GOOGLE_SCOPES),
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "state": "st-1",
    }


async def test_consent_page_offers_allow(emulator, session) -> None:
    url = oauth_for(emulator, session).authorization_url(state="st-1")

    async with session.get(url, allow_redirects=False) as resp:
        page = await resp.text()

    assert resp.status == 200
    assert resp.content_type == "text/html"
    assert 'name="approve" value="1"' in page
    assert 'name="state" value="st-1"' in page


async def test_code_flow_returns_tokens_and_identity(emulator, session) -> None:
    oauth = oauth_for(emulator, session)
    redirect = await approve(session, oauth.authorization_url(state="st-2"), email="ann@corp.test")

    tokens, identity = await oauth.exchange_code(code=redirect["code"])

    assert redirect["state"] == "st-2"
    assert identity.email == "ann@corp.test"
    assert identity.subject == subject_for("ann@corp.test")
    assert tokens.access_token.startswith("ya29.")
    assert tokens.refresh_token
    assert tokens.expires_at == NOW + timedelta(seconds=3599)
    assert set(tokens.scopes) == set(GOOGLE_SCOPES)


async def test_id_token_is_signed_rs256_for_our_client(emulator, session) -> None:
    oauth = oauth_for(emulator, session)
    redirect = await approve(session, oauth.authorization_url(state="s"), email="ann@corp.test")
    form = {
        "grant_type": "authorization_code",
        "code": redirect["code"],
        "redirect_uri": REDIRECT_URI,
        "client_id": SANDBOX_CLIENT_ID,
        "client_secret": emulator.settings().client_secret.get_secret_value(),
    }
    async with session.post(emulator.settings().token_uri, data=form) as resp:
        answer = await resp.json()
    public_pem = emulator.state.signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    claims = jwt.decode(
        answer["id_token"],
        certs={emulator.state.signing_key_id: public_pem},
        audience=SANDBOX_CLIENT_ID,
    )

    assert answer["token_type"] == "Bearer"
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["email"] == "ann@corp.test"


async def test_code_is_single_use(emulator, session) -> None:
    oauth = oauth_for(emulator, session)
    redirect = await approve(session, oauth.authorization_url(state="s"), email="ann@corp.test")
    await oauth.exchange_code(code=redirect["code"])

    with pytest.raises(OAuthError) as caught:
        await oauth.exchange_code(code=redirect["code"])

    assert caught.value.error == "invalid_grant"


async def test_code_is_bound_to_its_redirect_uri(emulator, session) -> None:
    redirect = await approve(
        session, oauth_for(emulator, session).authorization_url(state="s"), email="a@corp.test"
    )
    other = HttpGoogleOAuth(
        settings=emulator.settings(),
        redirect_uri="http://127.0.0.1:9/elsewhere",
        session=session,
    )

    with pytest.raises(OAuthError) as caught:
        await other.exchange_code(code=redirect["code"])

    assert caught.value.error == "redirect_uri_mismatch"


async def test_wrong_client_secret_is_invalid_client(emulator, session) -> None:
    redirect = await approve(
        session, oauth_for(emulator, session).authorization_url(state="s"), email="a@corp.test"
    )

    with pytest.raises(OAuthError) as caught:
        await oauth_for(emulator, session, client_secret="nope").exchange_code(
            code=redirect["code"]
        )

    assert caught.value.error == "invalid_client"


async def test_denied_consent_redirects_with_access_denied(emulator, session) -> None:
    url = oauth_for(emulator, session).authorization_url(state="st-3") + "&approve=0"

    async with session.get(url, allow_redirects=False) as resp:
        location = resp.headers["Location"]

    assert resp.status == 302
    assert query_of(location) == {"error": "access_denied", "state": "st-3"}


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"client_id": "unknown.apps.googleusercontent.com"}, "invalid_client"),
        ({"scopes": ("openid", "https://evil.test/scope")}, "invalid_scope"),
    ],
)
async def test_untrusted_authorization_requests_get_an_error_page(
    emulator, session, settings, error
) -> None:
    url = oauth_for(emulator, session, **settings).authorization_url(state="s")

    async with session.get(url + "&approve=1", allow_redirects=False) as resp:
        page = await resp.text()

    assert resp.status == 400
    assert f"Error 400: {error}" in page


async def test_unregistered_redirect_uri_gets_an_error_page(emulator, session) -> None:
    oauth = HttpGoogleOAuth(
        settings=emulator.settings(), redirect_uri="https://attacker.test/cb", session=session
    )

    async with session.get(oauth.authorization_url(state="s"), allow_redirects=False) as resp:
        assert resp.status == 400
        assert "redirect_uri_mismatch" in await resp.text()


async def test_refresh_keeps_the_refresh_token(emulator, session) -> None:
    tokens, _ = await sign_in(emulator, session, email="ann@corp.test")
    oauth = oauth_for(emulator, session)

    refreshed = await oauth.refresh(refresh_token=tokens.refresh_token)

    assert refreshed.access_token != tokens.access_token
    assert refreshed.refresh_token == tokens.refresh_token
    assert refreshed.expires_at == NOW + timedelta(seconds=3599)


async def test_revoke_then_refresh_is_invalid_grant(emulator, session) -> None:
    tokens, _ = await sign_in(emulator, session, email="ann@corp.test")
    oauth = oauth_for(emulator, session)

    await oauth.revoke(token=tokens.refresh_token)
    with pytest.raises(OAuthError) as caught:
        await oauth.refresh(refresh_token=tokens.refresh_token)

    assert caught.value.error == "invalid_grant"
    assert emulator.state.authenticate(tokens.access_token)[0] is None


async def test_revoking_a_dead_token_is_not_an_error(emulator, session) -> None:
    tokens, _ = await sign_in(emulator, session, email="ann@corp.test")
    oauth = oauth_for(emulator, session)
    await oauth.revoke(token=tokens.access_token)

    await oauth.revoke(token=tokens.access_token)

    assert emulator.state.refresh_tokens[tokens.refresh_token].revoked


async def test_granted_scopes_accumulate(emulator, session) -> None:
    await sign_in(emulator, session, email="ann@corp.test", scopes=("openid", "email"))

    tokens, _ = await sign_in(
        emulator, session, email="ann@corp.test", scopes=("openid", SCOPE_CREATED)
    )

    assert set(tokens.scopes) == {"openid", "email", SCOPE_CREATED}


async def test_unreachable_endpoint_is_unavailable(session) -> None:
    async with run_google_emulator() as stopped:
        oauth = oauth_for(stopped, session)

    with pytest.raises(OAuthError) as caught:
        await oauth.refresh(refresh_token="1//whatever")

    assert caught.value.error == "unavailable"
