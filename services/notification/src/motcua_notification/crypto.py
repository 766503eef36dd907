"""Encryption of webhook signing secrets at rest (AES-256-GCM, random 96-bit nonce prepended).

The secret must be recoverable (we sign with it), so it is encrypted, not hashed.
The key comes from `MOTCUA_WEBHOOK_SECRET_KEY` (32 bytes, hex or urlsafe base64);
without one (development) a key is derived from a fixed label and a warning is logged.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_AAD = b"motcua.notification.subscription-secret.v1"


def parse_key(value: str) -> bytes | None:
    """Return the 32-byte key in `value` (hex or urlsafe base64), None when empty; raise ValueError when malformed."""
    value = value.strip()
    if not value:
        return None
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    if len(raw) != 32:
        raise ValueError("MOTCUA_WEBHOOK_SECRET_KEY must be 32 bytes (64 hex characters or urlsafe base64)")
    return raw


def development_key() -> bytes:
    return hashlib.sha256(b"motcua development webhook secret key - not for production").digest()


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, secret: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, secret.encode("utf-8"), _AAD)

    def open(self, sealed: bytes) -> str:
        return self._aead.decrypt(bytes(sealed[:12]), bytes(sealed[12:]), _AAD).decode("utf-8")
