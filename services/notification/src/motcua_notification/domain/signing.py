"""Webhook signatures (ours, to agencies) and Zalo's webhook signature (to us).

Ours: header `X-Motcua-Signature: t=<unix seconds>,v1=<hex>` where
hex = HMAC-SHA256(key = the subscription secret as UTF-8, message = "<t>.<raw body>").
A receiver recomputes it over the raw body bytes, compares in constant time
and refuses a `t` more than 5 minutes away from its clock (replays).
`v1` may appear more than once during a secret rotation: any match is valid.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Motcua-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """Return the `X-Motcua-Signature` header value for `body`."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode("utf-8"), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify(secret: str, body: bytes, header: str, *, now: float | None = None, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Return True when `header` is a valid, fresh signature of `body`."""
    parts = [p.strip().split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    candidates = [v for k, v in parts if k == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not candidates:
        return False
    t = int(stamps[0])
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    expected = hmac.new(secret.encode("utf-8"), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, c) for c in candidates)


def zalo_event_signature(*, app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """Zalo OA webhook header `X-ZEvent-Signature`: "mac=" + sha256(appId + data + timeStamp + OAsecretKey)."""
    raw = app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()
    return "mac=" + hashlib.sha256(raw).hexdigest()
