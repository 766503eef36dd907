"""Booking tokens: what lets a citizen see, cancel or move their booking without an account.

A token is an HMAC of the booking id under the service's key, so none is stored: a copy
of the database alone does not reveal them (when the key is configured, see
MOTCUA_SCHEDULER_TOKEN_SECRET), and a retried request can be answered with the same token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


class TokenSigner:
    def __init__(self, secret: str | bytes) -> None:
        key = secret.encode("utf-8") if isinstance(secret, str) else secret
        if len(key) < 16:
            raise ValueError("the booking token key must be at least 16 bytes")
        self._key = key

    def token(self, booking_id: str) -> str:
        digest = hmac.new(self._key, f"motcua.booking-token.v1:{booking_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:32]

    def verify(self, booking_id: str, token: str) -> bool:
        return bool(token) and hmac.compare_digest(self.token(booking_id), token)
