"""TokenCipher: Fernet encryption of the Google and Slack tokens stored."""

from __future__ import annotations

import pytest

from storage.crypto import TokenCipher, TokenDecryptError, generate_key, is_ciphertext


def test_round_trip_and_ciphertext_hides_plaintext() -> None:
    cipher = TokenCipher(key=generate_key())

    ciphertext = cipher.encrypt("ya29.secret-token")

    assert "secret-token" not in ciphertext
    assert ciphertext.isascii()
    assert cipher.decrypt(ciphertext) == "ya29.secret-token"


def test_each_encryption_differs() -> None:
    cipher = TokenCipher(key=generate_key())

    assert cipher.encrypt("same") != cipher.encrypt("same")


def test_wrong_key_fails_clearly() -> None:
    ciphertext = TokenCipher(key=generate_key()).encrypt("secret")

    with pytest.raises(TokenDecryptError, match="token key"):
        TokenCipher(key=generate_key()).decrypt(ciphertext)


def test_tampered_ciphertext_fails_clearly() -> None:
    cipher = TokenCipher(key=generate_key())
    ciphertext = cipher.encrypt("secret")

    with pytest.raises(TokenDecryptError):
        cipher.decrypt(ciphertext[:-4] + "AAAA")
    with pytest.raises(TokenDecryptError):
        cipher.decrypt("not a fernet token ✓")


@pytest.mark.parametrize("key", ["", "short", "x" * 44, "  ", "a,"])
def test_invalid_key_is_refused_readably(key: str) -> None:
    with pytest.raises(ValueError, match="token key #"):
        TokenCipher(key=key)


def test_key_rotation_decrypts_with_old_key() -> None:
    old, new = generate_key(), generate_key()
    ciphertext = TokenCipher(key=old).encrypt("secret")

    rotated = TokenCipher(key=f"{new},{old}")

    assert rotated.decrypt(ciphertext) == "secret"
    assert TokenCipher(key=new).decrypt(rotated.encrypt("x")) == "x"


def test_repr_hides_key() -> None:
    key = generate_key()

    assert key not in repr(TokenCipher(key=key))


def test_ciphertext_is_told_from_plain_tokens() -> None:
    cipher = TokenCipher(key=generate_key())

    assert is_ciphertext(cipher.encrypt("xoxb-1-2"))
    assert is_ciphertext(cipher.encrypt(""))
    for plain in (
        "xoxb-1-2",
        "xoxe.xoxp-1-abc",
        "ya29.a0Af",
        "1//0gAb",
        "https://hooks.slack.com/x",
    ):
        assert not is_ciphertext(plain)
