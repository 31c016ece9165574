"""Test keys of the Chat emulator: Chat's token signer, Google's ID-token signer, the app's key."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import google.auth.exceptions
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from google.auth import jwt

CHAT_ISSUER = "chat@system.gserviceaccount.com"
ID_TOKEN_ISSUER = "https://accounts.google.com"
CHAT_CERTS_PATH = "/sandbox/google/chat/certs/x509"
ID_TOKEN_CERTS_PATH = "/sandbox/google/chat/certs/oauth2"
SERVICE_ACCOUNT_EMAIL = "meetbot-sandbox@meetbot-sandbox.iam.gserviceaccount.com"
SERVICE_ACCOUNT_CLIENT_ID = "104711000000000000042"
PROJECT_ID = "meetbot-sandbox"
TOKEN_TTL = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An RSA key with a self-signed certificate; ``kid`` names it in JWT headers."""

    private_key: rsa.RSAPrivateKey
    certificate_pem: str
    kid: str

    @classmethod
    def generate(cls, common_name: str) -> SigningKey:
        """A fresh 2048-bit key and a one-year certificate for ``common_name``."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        kid = hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
        return cls(private_key=key, certificate_pem=pem, kid=kid)

    def sign_jwt(self, claims: Mapping[str, Any]) -> str:
        """An RS256 JWT over ``claims`` with this key's ``kid``."""
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        signing_input = f"{_b64_json(header)}.{_b64_json(claims)}".encode()
        signature = self.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode()}.{_b64(signature)}"

    def certs(self) -> dict[str, str]:
        """Google's x509 JSON format: ``{kid: PEM certificate}``."""
        return {self.kid: self.certificate_pem}

    def private_key_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()


@dataclass(frozen=True, slots=True)
class ChatKeys:
    """The three keys of the Chat emulator.

    Attributes:
        chat: signs project-number tokens as ``chat@system.gserviceaccount.com``.
        google: signs endpoint-URL ID tokens as ``https://accounts.google.com``.
        service_account: the app's own service-account key (its JSON goes to the bot).
    """

    chat: SigningKey
    google: SigningKey
    service_account: SigningKey

    def project_number_token(self, *, audience: str, now: datetime) -> str:
        """The bearer token Chat sends when the audience is the project number."""
        claims = {"iss": CHAT_ISSUER, "aud": audience, **_times(now)}
        return self.chat.sign_jwt(claims)

    def id_token(self, *, audience: str, email: str, now: datetime) -> str:
        """A Google ID token (endpoint-URL audience) for the Chat service account."""
        claims = {
            "iss": ID_TOKEN_ISSUER,
            "aud": audience,
            "azp": "113268411237497829436",
            "sub": "113268411237497829436",
            "email": email,
            "email_verified": True,
            **_times(now),
        }
        return self.google.sign_jwt(claims)

    def service_account_info(self, *, token_uri: str) -> dict[str, str]:
        """The app's service-account key file, as Cloud console downloads it."""
        return {
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": self.service_account.kid,
            "private_key": self.service_account.private_key_pem(),
            "client_email": SERVICE_ACCOUNT_EMAIL,
            "client_id": SERVICE_ACCOUNT_CLIENT_ID,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "universe_domain": "googleapis.com",
        }

    def verify_service_account_jwt(self, token: str) -> dict[str, Any] | None:
        """Claims of a JWT the app's service account signed (``iss`` its email), else None.

        Covers both the jwt-bearer grant's assertion and the self-signed JWT that
        google-auth sends directly as a bearer token (``always_use_jwt_access``).
        """
        try:
            claims = jwt.decode(  # type: ignore[no-untyped-call]
                token, certs=self.service_account.certs(), verify=True
            )
        except (ValueError, google.auth.exceptions.GoogleAuthError):
            return None
        if not isinstance(claims, dict) or claims.get("iss") != SERVICE_ACCOUNT_EMAIL:
            return None
        return claims


@functools.cache
def default_keys() -> ChatKeys:
    """The process's Chat keys, generated once (RSA key generation is slow)."""
    return ChatKeys(
        chat=SigningKey.generate(CHAT_ISSUER),
        google=SigningKey.generate("sandbox-accounts.google.com"),
        service_account=SigningKey.generate(SERVICE_ACCOUNT_EMAIL),
    )


def add_cert_routes(app: web.Application, keys: ChatKeys) -> None:
    """Serve both certificate endpoints (x509 JSON maps, cached for an hour like Google's)."""
    headers = {"Cache-Control": "public, max-age=3600"}

    async def chat_certs(request: web.Request) -> web.Response:
        return web.json_response(keys.chat.certs(), headers=headers)

    async def id_token_certs(request: web.Request) -> web.Response:
        return web.json_response(keys.google.certs(), headers=headers)

    app.router.add_get(CHAT_CERTS_PATH, chat_certs)
    app.router.add_get(ID_TOKEN_CERTS_PATH, id_token_certs)


def _times(now: datetime) -> dict[str, int]:
    return {"iat": int(now.timestamp()), "exp": int((now + TOKEN_TTL).timestamp())}


def _b64_json(value: Mapping[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
