"""Credential encryption at rest: a Fernet key and a key-check value derived from the secret key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from warehouse.errors import SecretKeyMismatchError

# Fixed context: changing any of these makes every existing store unreadable.
_SALT = b"intsync-operational-store/v1"
_ITERATIONS = 200_000
_CHECK_PREFIX = "v1:"


@lru_cache(maxsize=8)
def _master(secret_key: str) -> bytes:
    # PBKDF2 rather than a bare hash: a user-chosen INTSYNC_SECRET_KEY may be a passphrase.
    return hashlib.pbkdf2_hmac("sha256", secret_key.encode(), _SALT, _ITERATIONS)


def _subkey(secret_key: str, purpose: bytes) -> bytes:
    return HKDFExpand(algorithm=hashes.SHA256(), length=32, info=purpose).derive(
        _master(secret_key)
    )


class Cipher:
    """Encrypts and decrypts JSON documents with a key derived from the configured secret."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("the secret key is empty: set INTSYNC_SECRET_KEY")
        self._fernet = Fernet(base64.urlsafe_b64encode(_subkey(secret_key, b"credentials")))
        self.key_check = _CHECK_PREFIX + _subkey(secret_key, b"key-check").hex()

    def matches(self, key_check: str) -> bool:
        """True when `key_check` (read from a store) was made from this cipher's secret key."""
        return hmac.compare_digest(self.key_check.encode(), key_check.encode())

    def encrypt(self, document: dict[str, Any]) -> str:
        """The document as JSON, encrypted and authenticated (a Fernet token, ASCII)."""
        return self._fernet.encrypt(json.dumps(document, sort_keys=True).encode()).decode("ascii")

    def decrypt(self, token: str) -> dict[str, Any]:
        """The document `encrypt` was given; SecretKeyMismatchError when the key is another."""
        try:
            return json.loads(self._fernet.decrypt(token.encode("ascii")))
        except InvalidToken:
            raise SecretKeyMismatchError("a stored secret could not be decrypted") from None
