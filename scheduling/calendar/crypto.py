"""Encryption of stored third-party secrets (CalDAV passwords) with Fernet.

The key is derived from ``SECRET_KEY`` with HKDF-SHA256 and a purpose label, so it is never the
secret key itself and other uses of ``SECRET_KEY`` cannot decrypt it. Rotating ``SECRET_KEY``
makes stored passwords unreadable: the sync then reports an error asking the user to enter the
password again.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"talentsync.scheduling.caldav-password.v1"


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def secret_encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet(settings.SECRET_KEY).encrypt(value.encode()).decode()


def secret_decrypt(value: str) -> str | None:
    """The plain text, "" for nothing stored, None when it cannot be decrypted (key changed)."""
    if not value:
        return ""
    try:
        return _fernet(settings.SECRET_KEY).decrypt(value.encode()).decode()
    except InvalidToken:
        return None
