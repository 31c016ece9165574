"""Chat bearer tokens: real RS256 signatures from a test key, certificates on loopback."""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

from bot.gchat.verify import CertsUnavailable, ChatTokenVerifier, TokenRejected
from bot.settings import GChatSettings

CHAT = "chat@system.gserviceaccount.com"
PROJECT = "424242424242"
ENDPOINT = "https://bot.example/chat/events"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str
    cert_pem: str

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        signer = crypt.RSASigner.from_string(self.private_pem, key_id=kid or self.kid)
        return jwt.encode(signer, claims).decode()


@functools.cache
def make_key(name: str) -> SigningKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return SigningKey(f"kid-{name}", pem, cert.public_bytes(serialization.Encoding.PEM).decode())


@dataclass
class CertServer:
    """Serves ``{kid: PEM}`` maps like Google's x509 endpoints, counting fetches."""

    url: str
    certs: dict[str, str]
    hits: list[str] = field(default_factory=list)
    max_age: int = 3600


@pytest.fixture
async def certs() -> AsyncIterator[CertServer]:
    key = make_key("chat")
    state = CertServer(url="", certs={key.kid: key.cert_pem})

    async def serve(request: web.Request) -> web.Response:
        state.hits.append(request.path)
        headers = {"Cache-Control": f"public, max-age={state.max_age}, must-revalidate"}
        return web.json_response(state.certs, headers=headers)

    app = web.Application()
    app.router.add_get("/certs", serve)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    state.url = str(server.make_url("/certs"))
    try:
        yield state
    finally:
        await server.close()


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": CHAT, "aud": PROJECT, "iat": now, "exp": now + 3600, **overrides}


def id_claims(**overrides: Any) -> dict[str, Any]:
    base = claims(iss="https://accounts.google.com", aud=ENDPOINT, sub="1", email=CHAT)
    return {**base, "email_verified": True, **overrides}


def verifier(
    certs: CertServer, session: aiohttp.ClientSession, *, mode: str = "project_number"
) -> ChatTokenVerifier:
    if mode == "project_number":
        settings = GChatSettings(audience=PROJECT, certs_url=certs.url)
    else:
        settings = GChatSettings(
            audience_mode="endpoint_url", audience=ENDPOINT, id_token_certs_url=certs.url
        )
    return ChatTokenVerifier(settings=settings, session=session)


async def test_project_number_token_verifies(
    certs: CertServer, session: aiohttp.ClientSession
) -> None:
    token = make_key("chat").sign(claims())
    verified = await verifier(certs, session).verify(f"Bearer {token}")
    assert (verified["iss"], verified["aud"]) == (CHAT, PROJECT)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "no bearer token"),
        ("", "no bearer token"),
        ("Basic abc", "no bearer token"),
        ("Bearer ", "no bearer token"),
        ("Bearer not.a.jwt", "not a JWT"),
    ],
)
async def test_missing_or_garbled_tokens(
    certs: CertServer, session: aiohttp.ClientSession, header: str | None, reason: str
) -> None:
    with pytest.raises(TokenRejected) as caught:
        await verifier(certs, session).verify(header)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("token_claims", "reason"),
    [
        (claims(exp=int(time.time()) - 120, iat=int(time.time()) - 4000), "expired"),
        (claims(iat=int(time.time()) + 600), "not yet valid"),
        (claims(aud="999"), "wrong audience"),
        (claims(iss="someone@else.iam.gserviceaccount.com"), "wrong issuer"),
        (claims(iss="https://accounts.google.com"), "wrong issuer"),
    ],
)
async def test_project_number_refusals(
    certs: CertServer,
    session: aiohttp.ClientSession,
    token_claims: dict[str, Any],
    reason: str,
) -> None:
    token = make_key("chat").sign(token_claims)
    with pytest.raises(TokenRejected) as caught:
        await verifier(certs, session).verify(f"Bearer {token}")
    assert caught.value.reason == reason


async def test_a_token_signed_by_another_key_is_refused(
    certs: CertServer, session: aiohttp.ClientSession
) -> None:
    chat = verifier(certs, session)
    forged = make_key("attacker").sign(claims(), kid=make_key("chat").kid)
    with pytest.raises(TokenRejected, match="bad signature"):
        await chat.verify(f"Bearer {forged}")
    unknown = make_key("attacker").sign(claims())
    with pytest.raises(TokenRejected, match="unknown key"):
        await chat.verify(f"Bearer {unknown}")


async def test_endpoint_url_id_token_verifies(
    certs: CertServer, session: aiohttp.ClientSession
) -> None:
    token = make_key("chat").sign(id_claims())
    verified = await verifier(certs, session, mode="endpoint_url").verify(f"Bearer {token}")
    assert verified["email"] == CHAT


@pytest.mark.parametrize(
    ("token_claims", "reason"),
    [
        (id_claims(aud=PROJECT), "wrong audience"),
        (id_claims(iss=CHAT), "wrong issuer"),
        (id_claims(email="mallory@example.com"), "not sent by Google Chat"),
        (id_claims(email_verified=False), "unverified email"),
        ({k: v for k, v in id_claims().items() if k != "email"}, "not sent by Google Chat"),
    ],
)
async def test_endpoint_url_refusals(
    certs: CertServer,
    session: aiohttp.ClientSession,
    token_claims: dict[str, Any],
    reason: str,
) -> None:
    token = make_key("chat").sign(token_claims)
    with pytest.raises(TokenRejected) as caught:
        await verifier(certs, session, mode="endpoint_url").verify(f"Bearer {token}")
    assert caught.value.reason == reason


async def test_certificates_are_cached_for_their_max_age(
    certs: CertServer, session: aiohttp.ClientSession
) -> None:
    chat = verifier(certs, session)
    for _ in range(3):
        await chat.verify(f"Bearer {make_key('chat').sign(claims())}")
    assert len(certs.hits) == 1
    certs.max_age = 0
    fresh = verifier(certs, session)
    for _ in range(2):
        await fresh.verify(f"Bearer {make_key('chat').sign(claims())}")
    assert len(certs.hits) == 3


async def test_a_rotated_key_is_fetched_at_most_every_30_s(
    certs: CertServer, session: aiohttp.ClientSession
) -> None:
    now = [1000.0]
    chat = ChatTokenVerifier(
        settings=GChatSettings(audience=PROJECT, certs_url=certs.url),
        session=session,
        clock=lambda: now[0],
    )
    await chat.verify(f"Bearer {make_key('chat').sign(claims())}")
    rotated = make_key("rotated")
    certs.certs[rotated.kid] = rotated.cert_pem
    with pytest.raises(TokenRejected, match="unknown key"):  # no refetch storm on junk kids
        await chat.verify(f"Bearer {rotated.sign(claims())}")
    now[0] += 31
    await chat.verify(f"Bearer {rotated.sign(claims())}")
    assert len(certs.hits) == 2


async def test_unreachable_certificates(session: aiohttp.ClientSession) -> None:
    settings = GChatSettings(audience=PROJECT, certs_url="http://127.0.0.1:9/certs")
    chat = ChatTokenVerifier(settings=settings, session=session)
    with pytest.raises(CertsUnavailable):
        await chat.verify(f"Bearer {make_key('chat').sign(claims())}")


def _without(token_claims: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in token_claims.items() if k != key}


@pytest.mark.parametrize("mode", ["project_number", "endpoint_url"])
@pytest.mark.parametrize(
    ("lifetime", "reason"),
    [
        (10 * 365 * 24 * 3600, "lives longer than an hour"),
        (2 * 3600, "lives longer than an hour"),
        (3600 + 31, "lives longer than an hour"),
        ("no iat", "invalid token"),
        ("no exp", "invalid token"),
        ("float iat", None),
    ],
)
async def test_tokens_live_at_most_an_hour_and_say_so(
    certs: CertServer,
    session: aiohttp.ClientSession,
    mode: str,
    lifetime: int | str,
    reason: str | None,
) -> None:
    """Google's tokens live one hour: a ten-year token was not minted for this request."""
    base = claims() if mode == "project_number" else id_claims()
    if isinstance(lifetime, int):
        token_claims = {**base, "exp": base["iat"] + lifetime}
    elif lifetime == "float iat":
        token_claims = {**base, "iat": base["iat"] + 0.5}
    else:
        token_claims = _without(base, lifetime.removeprefix("no "))
    token = make_key("chat").sign(token_claims)
    if reason is None:
        assert await verifier(certs, session, mode=mode).verify(f"Bearer {token}")
        return
    with pytest.raises(TokenRejected) as caught:
        await verifier(certs, session, mode=mode).verify(f"Bearer {token}")
    assert caught.value.reason == reason
