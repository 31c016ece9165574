"""Signed, expiring link tokens: downloads scoped to one stored file, pages to one recording."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from storage.db import utcnow

# Token layout: base64url(JSON [version, blob_key, filename, content_type, expires_unix])
# "." base64url(HMAC-SHA256(key, DOMAIN + payload)[:MAC_BYTES]), both without padding.
# Page tokens: JSON [version, "page:<recording id>", expires_unix], MACed under PAGE_DOMAIN,
# so neither kind of token verifies as the other.
_VERSION = 1
_DOMAIN = b"meetbot/download-link/v1."
_PAGE_DOMAIN = b"meetbot/meeting-page/v1."
_PAGE_SUBJECT = "page:"
MAC_BYTES = 20
MIN_KEY_BYTES = 16
_LINK_KEY_LABEL = b"meetbot download-link signing key v1"


class LinkInvalid(Exception):
    """The token is malformed, altered, or signed with another key."""


class LinkExpired(LinkInvalid):
    """The token was genuine but its time is up."""


@dataclass(frozen=True, slots=True)
class SignedBlob:
    """What a verified token grants: one blob, served under one name and type, until then.

    Attributes:
        blob_key: the blob store key.
        filename: the name the browser saves it under.
        content_type: the MIME type to serve.
        expires_at: when the link stops working (aware UTC, whole seconds).
    """

    blob_key: str
    filename: str
    content_type: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SignedPage:
    """What a verified page token grants: one recording's meeting page, until then.

    Attributes:
        recording_id: the recording whose page may be shown.
        expires_at: when the link stops working (aware UTC, whole seconds).
    """

    recording_id: str
    expires_at: datetime


class LinkSigner:
    """Signs and verifies download and meeting-page tokens with HMAC-SHA256.

    Args:
        key: the secret (at least 16 bytes); see `derive_link_key`.
        ttl: seconds a new link stays valid.
        clock: returns the current aware UTC time (tests pass a fake one).

    Raises:
        ValueError: the key is shorter than 16 bytes or ``ttl`` is not positive.
    """

    def __init__(self, *, key: bytes, ttl: int, clock: Callable[[], datetime] = utcnow) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"link key must be at least {MIN_KEY_BYTES} bytes")
        if ttl <= 0:
            raise ValueError("link ttl must be positive")
        self._key = key
        self._ttl = ttl
        self._clock = clock

    def sign(
        self,
        *,
        blob_key: str,
        filename: str,
        content_type: str,
        expires_at: datetime | None = None,
    ) -> str:
        """A URL-safe token granting ``blob_key`` until ``expires_at`` (default: now + ttl).

        Raises:
            ValueError: ``expires_at`` is naive.
        """
        expires = self._expiry(expires_at)
        return self._seal([_VERSION, blob_key, filename, content_type, expires], _DOMAIN)

    def verify(self, token: str) -> SignedBlob:
        """Check the token's signature, then its expiry.

        Raises:
            LinkExpired: the signature is good but the link has expired.
            LinkInvalid: anything else is wrong with the token.
        """
        signed = _parse(self._open(token, _DOMAIN, "download link"))
        self._check_expiry(signed.expires_at, "download link")
        return signed

    def sign_page(self, *, recording_id: str, expires_at: datetime | None = None) -> str:
        """A URL-safe token opening ``recording_id``'s meeting page until ``expires_at``
        (default: now + ttl). It is not a download token, and no download token is one.

        Raises:
            ValueError: ``expires_at`` is naive.
        """
        subject = _PAGE_SUBJECT + recording_id
        return self._seal([_VERSION, subject, self._expiry(expires_at)], _PAGE_DOMAIN)

    def verify_page(self, token: str) -> SignedPage:
        """Check a page token's signature, then its expiry.

        Raises:
            LinkExpired: the signature is good but the link has expired.
            LinkInvalid: anything else is wrong with the token (a download token included).
        """
        signed = _parse_page(self._open(token, _PAGE_DOMAIN, "page link"))
        self._check_expiry(signed.expires_at, "page link")
        return signed

    def now(self) -> datetime:
        """The current time by the signer's clock (for a response's remaining lifetime)."""
        return self._clock()

    def _expiry(self, expires_at: datetime | None) -> int:
        if expires_at is None:
            expires_at = self._clock() + timedelta(seconds=self._ttl)
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        return int(expires_at.timestamp())

    def _seal(self, fields: list[object], domain: bytes) -> str:
        payload = _b64encode(json.dumps(fields, separators=(",", ":")).encode())
        return f"{payload}.{_b64encode(self._mac(payload, domain))}"

    def _open(self, token: str, domain: bytes, what: str) -> bytes:
        payload, dot, mac = token.partition(".")
        if not dot or not hmac.compare_digest(_b64decode(mac), self._mac(payload, domain)):
            raise LinkInvalid(f"bad {what} signature")
        return _b64decode(payload)

    def _check_expiry(self, expires_at: datetime, what: str) -> None:
        if self._clock() >= expires_at:
            raise LinkExpired(f"{what} expired at {expires_at.isoformat()}")

    def _mac(self, payload: str, domain: bytes = _DOMAIN) -> bytes:
        digest = hmac.new(self._key, domain + payload.encode(), hashlib.sha256)
        return digest.digest()[:MAC_BYTES]

    def __repr__(self) -> str:
        return f"LinkSigner(key=<hidden>, ttl={self._ttl})"


def derive_link_key(token_key: str) -> bytes:
    """Derive the link-signing key from the Fernet token key (HKDF-SHA256, fixed label).

    Operators then need no second secret. With several comma-separated token keys (key
    rotation) the first, the one that encrypts, is used; rotating it invalidates links.

    Raises:
        ValueError: ``token_key`` is empty.
    """
    primary = token_key.split(",")[0].strip()
    if not primary:
        raise ValueError("token key is empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_LINK_KEY_LABEL)
    return hkdf.derive(primary.encode())


def _parse(raw: bytes) -> SignedBlob:
    match _json(raw):
        case [1, str(blob_key), str(filename), str(content_type), int(expires)]:
            return SignedBlob(
                blob_key=blob_key,
                filename=filename,
                content_type=content_type,
                expires_at=_when(expires),
            )
    raise LinkInvalid("malformed download link")


def _parse_page(raw: bytes) -> SignedPage:
    match _json(raw):
        case [1, str(subject), int(expires)] if subject.startswith(_PAGE_SUBJECT):
            recording_id = subject.removeprefix(_PAGE_SUBJECT)
            if recording_id:
                return SignedPage(recording_id=recording_id, expires_at=_when(expires))
    raise LinkInvalid("malformed page link")


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LinkInvalid("malformed link") from exc


def _when(expires: int) -> datetime:
    try:
        return datetime.fromtimestamp(expires, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise LinkInvalid("malformed link expiry") from exc


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise LinkInvalid("malformed download link") from exc
    if _b64encode(data) != text:  # one spelling per token: no "+", "/", padding or spare bits
        raise LinkInvalid("malformed download link")
    return data
