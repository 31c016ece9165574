"""Signed download tokens: round trip, expiry, tampering, key derivation."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from storage.crypto import generate_key
from storage.links import LinkExpired, LinkInvalid, LinkSigner, SignedBlob, derive_link_key

KEY = b"k" * 32
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def signer(clock: Clock) -> LinkSigner:
    return LinkSigner(key=KEY, ttl=3600, clock=clock)


def _sign(signer: LinkSigner, **overrides: str) -> str:
    fields = {"blob_key": "recordings/r1/mixed.ogg", "filename": "mixed.ogg"}
    fields.update(overrides)
    return signer.sign(content_type="audio/ogg", **fields)


def test_round_trip(signer: LinkSigner) -> None:
    token = _sign(signer, filename="Réunion « équipe ».ogg")

    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)
    assert signer.verify(token) == SignedBlob(
        blob_key="recordings/r1/mixed.ogg",
        filename="Réunion « équipe ».ogg",
        content_type="audio/ogg",
        expires_at=NOW + timedelta(hours=1),
    )


def test_mac_is_truncated_but_at_least_16_bytes(signer: LinkSigner) -> None:
    mac = _sign(signer).split(".")[1]
    assert 16 <= len(base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))) < 32


def test_explicit_expiry(signer: LinkSigner) -> None:
    later = NOW + timedelta(days=2)
    token = signer.sign(blob_key="b", filename="f", content_type="text/plain", expires_at=later)
    assert signer.verify(token).expires_at == later


def test_naive_expiry_is_refused(signer: LinkSigner) -> None:
    with pytest.raises(ValueError, match="timezone"):
        signer.sign(
            blob_key="b", filename="f", content_type="text/plain", expires_at=datetime(2030, 1, 1)
        )


def test_expires_exactly_at_ttl(signer: LinkSigner, clock: Clock) -> None:
    token = _sign(signer)

    clock.now = NOW + timedelta(seconds=3599)
    assert signer.verify(token).blob_key == "recordings/r1/mixed.ogg"
    clock.now = NOW + timedelta(seconds=3600)
    with pytest.raises(LinkExpired):
        signer.verify(token)
    assert issubclass(LinkExpired, LinkInvalid)


def test_tokens_are_scoped_to_one_file(signer: LinkSigner) -> None:
    first = _sign(signer, blob_key="recordings/r1/a.ogg")
    second = _sign(signer, blob_key="recordings/r1/b.ogg")
    swapped = f"{first.split('.')[0]}.{second.split('.')[1]}"

    with pytest.raises(LinkInvalid):
        signer.verify(swapped)


def test_altered_payload_is_invalid(signer: LinkSigner) -> None:
    payload, mac = _sign(signer).split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    fields[1] = "recordings/other/secret.ogg"
    forged = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()

    with pytest.raises(LinkInvalid):
        signer.verify(f"{forged}.{mac}")


def test_other_key_is_invalid(signer: LinkSigner, clock: Clock) -> None:
    other = LinkSigner(key=b"x" * 32, ttl=3600, clock=clock)
    with pytest.raises(LinkInvalid):
        other.verify(_sign(signer))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: "",
        lambda t: t.split(".")[0],
        lambda t: t + ".x",
        lambda t: t[:-1],
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t.replace("-", "+").replace("_", "/") + "==",
        lambda t: "é" + t,
        lambda t: "!!!." + t.split(".")[1],
    ],
    ids=[
        "empty",
        "no-mac",
        "extra-part",
        "short-mac",
        "flipped",
        "std-alphabet",
        "non-ascii",
        "junk",
    ],
)
def test_malformed_tokens_are_invalid(signer: LinkSigner, mangle: Callable[[str], str]) -> None:
    with pytest.raises(LinkInvalid):
        signer.verify(mangle(_sign(signer)))


def test_validly_signed_garbage_is_invalid(signer: LinkSigner) -> None:
    for raw in (b"not json", b'{"a":1}', b'[2,"b","f","t",1]', b'[1,"b","f","t","x"]'):
        payload = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        mac = base64.urlsafe_b64encode(signer._mac(payload)).rstrip(b"=").decode()
        with pytest.raises(LinkInvalid):
            signer.verify(f"{payload}.{mac}")


def test_short_key_and_bad_ttl_are_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        LinkSigner(key=b"short", ttl=60)
    with pytest.raises(ValueError, match="ttl"):
        LinkSigner(key=KEY, ttl=0)
    assert "kkkk" not in repr(LinkSigner(key=KEY, ttl=60))


def test_derived_key_is_stable_and_separate_from_the_token_key() -> None:
    token_key = generate_key()

    derived = derive_link_key(token_key)

    assert len(derived) == 32
    assert derive_link_key(token_key) == derived
    assert derive_link_key(f" {token_key} , {generate_key()}") == derived
    assert derive_link_key(generate_key()) != derived
    assert derived not in (token_key.encode(), base64.urlsafe_b64decode(token_key))
    with pytest.raises(ValueError, match="empty"):
        derive_link_key(" ")
