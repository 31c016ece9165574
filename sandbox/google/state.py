"""In-memory state of the Google emulators: OAuth clients, grants and tokens, Meet, faults."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.meet_media.hub import MediaHub
from sandbox.meet_rest.store import MeetStore

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

DEFAULT_EMAIL = "sandbox.user@meetbot.test"
SANDBOX_CLIENT_ID = "meetbot-sandbox.apps.googleusercontent.com"
SANDBOX_CLIENT_SECRET = "meetbot-sandbox-client-secret"
ACCESS_TOKEN_TTL = timedelta(seconds=3599)
CODE_TTL = timedelta(minutes=10)
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def utcnow() -> datetime:
    return datetime.now(UTC)


def subject_for(email: str) -> str:
    """A stable 21-digit Google account id for an email, like Google's ``sub``."""
    digest = int.from_bytes(hashlib.sha256(email.lower().encode()).digest()[:9], "big")
    return "1" + str(digest).zfill(20)[-20:]


@dataclass(slots=True)
class OAuthClient:
    """A registered OAuth web client; no redirect URIs means any loopback ``http`` URI."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] = ()

    def allows(self, redirect_uri: str) -> bool:
        if self.redirect_uris:
            return redirect_uri in self.redirect_uris
        parts = urlsplit(redirect_uri)
        return parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS


@dataclass(slots=True)
class Grant:
    """What one Google account allowed one client; revoking kills all its tokens."""

    client_id: str
    email: str
    scopes: frozenset[str]
    refresh_token: str | None = None
    revoked: bool = False


@dataclass(slots=True)
class AuthCode:
    """A single-use authorization code."""

    grant: Grant
    redirect_uri: str
    offline: bool
    expires_at: datetime


@dataclass(slots=True)
class AccessToken:
    grant: Grant
    expires_at: datetime


@dataclass(slots=True)
class Fault:
    """The next ``remaining`` requests whose path matches fail with ``status`` (or wait)."""

    pattern: re.Pattern[str]
    status: int | None
    remaining: int
    retry_after: float | None = None
    delay: float = 0.0


@dataclass
class GoogleEmulatorState:
    """Everything the Google emulators know; one instance per sandbox (or per test).

    Attributes:
        clock: the emulators' notion of now (aware UTC); tests may inject their own.
        clients: registered OAuth clients by id; the sandbox client is there from the start.
        meet: spaces, conference records, participants and sessions.
        faults: pending fault injections for the Meet REST routes, oldest first.
        meet_requests: ``"METHOD /path"`` of the latest Meet REST requests, oldest first.
        media: the Media API emulator (Meet's SFU) over ``meet``.
    """

    clock: Clock = utcnow
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    grants: dict[tuple[str, str], Grant] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    meet_requests: deque[str] = field(default_factory=lambda: deque(maxlen=10_000))
    meet: MeetStore = field(init=False)
    media: MediaHub = field(init=False)

    def __post_init__(self) -> None:
        self.meet = MeetStore(now=self.now)
        self.media = MediaHub(store=self.meet)
        self.register_client(client_id=SANDBOX_CLIENT_ID, client_secret=SANDBOX_CLIENT_SECRET)

    def now(self) -> datetime:
        return self.clock()

    @cached_property
    def signing_key(self) -> rsa.RSAPrivateKey:
        """RS256 key for ID tokens, generated the first time one is signed."""
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @cached_property
    def signing_key_id(self) -> str:
        der = self.signing_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(der).hexdigest()[:40]

    def register_client(
        self, *, client_id: str, client_secret: str, redirect_uris: tuple[str, ...] = ()
    ) -> OAuthClient:
        """Add (or replace) an OAuth client; see `OAuthClient.allows` for redirect rules."""
        client = OAuthClient(client_id, client_secret, tuple(redirect_uris))
        self.clients[client_id] = client
        return client

    def inject_fault(
        self, *, path_regex: str, status: int, count: int, retry_after: float | None = None
    ) -> None:
        """Fail the next ``count`` Meet REST requests whose path matches (``re.search``).

        The answer is Google's error JSON for ``status``, with ``Retry-After`` if given.
        """
        self.faults.append(Fault(re.compile(path_regex), status, count, retry_after))

    def inject_latency(self, *, path_regex: str, seconds: float, count: int) -> None:
        """Delay the next ``count`` matching Meet REST requests, then serve them normally."""
        self.faults.append(Fault(re.compile(path_regex), None, count, delay=seconds))

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the first pending fault matching ``path``."""
        for fault in self.faults:
            if fault.remaining > 0 and fault.pattern.search(path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def grant_for(self, *, client_id: str, email: str, scopes: frozenset[str]) -> Grant:
        """The client's grant for this account, with ``scopes`` added (include_granted_scopes)."""
        grant = self.grants.get((client_id, email))
        if grant is None or grant.revoked:
            grant = Grant(client_id, email, scopes)
            self.grants[(client_id, email)] = grant
        else:
            grant.scopes = grant.scopes | scopes
        return grant

    def issue_code(self, *, grant: Grant, redirect_uri: str, offline: bool) -> str:
        code = "4/0" + secrets.token_urlsafe(32)
        self.codes[code] = AuthCode(grant, redirect_uri, offline, self.now() + CODE_TTL)
        return code

    def redeem_code(self, code: str) -> AuthCode | None:
        """Single use: the code is gone after this, whatever the outcome."""
        issued = self.codes.pop(code, None)
        if issued is None or issued.expires_at <= self.now() or issued.grant.revoked:
            return None
        return issued

    def issue_access_token(self, grant: Grant) -> str:
        token = "ya29.sandbox-" + secrets.token_urlsafe(32)
        self.access_tokens[token] = AccessToken(grant, self.now() + ACCESS_TOKEN_TTL)
        return token

    def issue_refresh_token(self, grant: Grant) -> str:
        if grant.refresh_token is None:
            grant.refresh_token = "1//sandbox-" + secrets.token_urlsafe(32)
            self.refresh_tokens[grant.refresh_token] = grant
        return grant.refresh_token

    def authenticate(self, token: str) -> tuple[Grant | None, str]:
        """The grant behind a bearer token, or None and why (Google's ErrorInfo reason)."""
        issued = self.access_tokens.get(token)
        if issued is None:
            return None, "ACCESS_TOKEN_TYPE_UNSUPPORTED"
        if issued.grant.revoked:
            return None, "ACCESS_TOKEN_REVOKED"
        if issued.expires_at <= self.now():
            return None, "ACCESS_TOKEN_EXPIRED"
        return issued.grant, ""

    def expire_tokens(self, email: str) -> int:
        """Expire that account's access tokens now (their refresh tokens keep working)."""
        expired = 0
        for issued in self.access_tokens.values():
            if issued.grant.email == email and issued.expires_at > self.now():
                issued.expires_at = self.now() - timedelta(seconds=1)
                expired += 1
        logger.info("expired %d sandbox access tokens of %s", expired, email)
        return expired

    def revoke(self, token: str) -> bool:
        """Revoke the grant behind an access or refresh token; False if the token is unknown."""
        issued = self.access_tokens.get(token)
        grant = issued.grant if issued is not None else self.refresh_tokens.get(token)
        if grant is None or grant.revoked:
            return False
        grant.revoked = True
        self.grants.pop((grant.client_id, grant.email), None)
        return True
