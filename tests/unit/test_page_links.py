"""Signed meeting-page tokens: round trip, expiry, and separation from download tokens."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from storage.links import LinkExpired, LinkInvalid, LinkSigner, SignedPage

KEY = b"k" * 32
NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
RID = "0b6c3f0e-6a53-4f5e-9d8e-3c1b2a4d5e6f"


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


def _payload(token: str) -> object:
    payload = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _forge(signer: LinkSigner, fields: object, domain: bytes) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    mac = base64.urlsafe_b64encode(signer._mac(payload, domain)).rstrip(b"=").decode()
    return f"{payload}.{mac}"


def test_round_trip_names_the_page_subject(signer: LinkSigner) -> None:
    token = signer.sign_page(recording_id=RID)

    assert _payload(token) == [1, f"page:{RID}", int((NOW + timedelta(hours=1)).timestamp())]
    assert signer.verify_page(token) == SignedPage(
        recording_id=RID, expires_at=NOW + timedelta(hours=1)
    )


def test_expiry(signer: LinkSigner, clock: Clock) -> None:
    token = signer.sign_page(recording_id=RID, expires_at=NOW + timedelta(minutes=5))

    clock.now = NOW + timedelta(seconds=299)
    assert signer.verify_page(token).recording_id == RID
    clock.now = NOW + timedelta(seconds=300)
    with pytest.raises(LinkExpired, match="page link"):
        signer.verify_page(token)


def test_naive_expiry_is_refused(signer: LinkSigner) -> None:
    with pytest.raises(ValueError, match="timezone"):
        signer.sign_page(recording_id=RID, expires_at=datetime(2030, 1, 1))


def test_a_download_token_does_not_open_a_page_and_vice_versa(signer: LinkSigner) -> None:
    download = signer.sign(blob_key=f"page:{RID}", filename="f", content_type="text/plain")
    page = signer.sign_page(recording_id=RID)

    with pytest.raises(LinkInvalid, match="signature"):
        signer.verify_page(download)
    with pytest.raises(LinkInvalid, match="signature"):
        signer.verify(page)


def test_payload_with_a_swapped_recording_is_invalid(signer: LinkSigner) -> None:
    _, mac = signer.sign_page(recording_id=RID).split(".")
    payload = signer.sign_page(recording_id="other").split(".")[0]

    with pytest.raises(LinkInvalid):
        signer.verify_page(f"{payload}.{mac}")


def test_other_key_is_invalid(signer: LinkSigner, clock: Clock) -> None:
    other = LinkSigner(key=b"x" * 32, ttl=3600, clock=clock)
    with pytest.raises(LinkInvalid):
        other.verify_page(signer.sign_page(recording_id=RID))


@pytest.mark.parametrize(
    "fields",
    [
        [1, "page:", 1_900_000_000],
        [1, RID, 1_900_000_000],
        [1, f"file:{RID}", 1_900_000_000],
        [2, f"page:{RID}", 1_900_000_000],
        [1, f"page:{RID}", "soon"],
        [1, f"page:{RID}", 10**20],
        {"page": RID},
    ],
    ids=["empty-id", "no-purpose", "other-purpose", "version", "expiry-type", "overflow", "dict"],
)
def test_validly_signed_garbage_is_invalid(signer: LinkSigner, fields: object) -> None:
    with pytest.raises(LinkInvalid):
        signer.verify_page(_forge(signer, fields, b"meetbot/meeting-page/v1."))


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "é.x"])
def test_malformed_tokens_are_invalid(signer: LinkSigner, token: str) -> None:
    with pytest.raises(LinkInvalid):
        signer.verify_page(token)
