"""Encrypts OAuth tokens (Google's, Slack's) at rest with Fernet (AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Every Fernet token starts with version byte 0x80 and a 64-bit timestamp whose high 28 bits
# stay zero until 2106: base64 "gAAAAA". No Slack or Google token starts so.
_CIPHERTEXT_PREFIX = "gAAAAA"


class TokenDecryptError(ValueError):
    """Ciphertext was made with another key, or was altered."""


class TokenCipher:
    """Symmetric encryption for OAuth tokens stored in the database.

    Args:
        key: a Fernet key (urlsafe base64 of 32 bytes), as made by `generate_key`. Several
            keys may be given separated by commas to rotate: the first encrypts, all decrypt.

    Raises:
        ValueError: a key is empty or not a valid Fernet key.
    """

    def __init__(self, *, key: str) -> None:
        parts = [part.strip() for part in key.split(",")]
        self._fernet = MultiFernet([_fernet(part, index) for index, part in enumerate(parts)])

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext``; the result is ASCII and safe to store in a text column."""
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        """Decrypt what `encrypt` produced.

        Raises:
            TokenDecryptError: the ciphertext was encrypted with a different key or altered.
        """
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise TokenDecryptError(
                "stored token cannot be decrypted: the token key (storage.token_key) "
                "differs from the one it was encrypted with, or the data is corrupt"
            ) from exc

    def __repr__(self) -> str:
        return "TokenCipher(key=<hidden>)"


def is_ciphertext(value: str) -> bool:
    """Whether ``value`` has the shape of `TokenCipher.encrypt` output (not a plain token)."""
    return value.startswith(_CIPHERTEXT_PREFIX)


def generate_key() -> str:
    """Return a fresh random Fernet key (urlsafe base64, 32 bytes)."""
    return Fernet.generate_key().decode("ascii")


def _fernet(key: str, index: int) -> Fernet:
    if not key:
        raise ValueError(f"token key #{index + 1} is empty")
    try:
        return Fernet(key)
    except (ValueError, binascii.Error) as exc:
        raise ValueError(
            f"token key #{index + 1} is not a valid Fernet key (urlsafe base64 of 32 bytes); "
            "make one with `python -c 'from storage.crypto import generate_key; "
            "print(generate_key())'`"
        ) from exc
