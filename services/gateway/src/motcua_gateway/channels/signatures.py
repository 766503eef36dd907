"""Authenticity of inbound channel webhooks: Zalo OA events and eSMS short-code MOs.

Zalo: header `X-ZEvent-Signature: mac=<hex>`, hex = SHA-256 (a plain hash, not an HMAC) of
`app_id + raw body + timestamp + OA secret key`, where app_id and timestamp are the values
inside the JSON body and the key is the OA secret key (not the app secret). Verified over
the raw bytes in constant time, against every active key (rotation), and the body's
timestamp (milliseconds) must be within the replay window.

eSMS MO: `sign` = MD5(cpid + smsid + content + receiverTime + private key), lower-case hex,
as eSMS documents for its short-code connection ("Kết nối đầu số ngắn").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

VIETNAM = timezone(timedelta(hours=7), "ICT")


class SignatureRejected(Exception):
    """The webhook is not authentic (or stale); `reason` is for logs and metrics, never for the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ZaloEvent:
    body: dict[str, Any]
    raw: bytes

    @property
    def name(self) -> str:
        return str(self.body.get("event_name", ""))

    @property
    def timestamp_ms(self) -> int:
        return int(str(self.body.get("timestamp", "0")))


def zalo_signature(*, app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The `X-ZEvent-Signature` value Zalo sends for `body`."""
    return "mac=" + hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()).hexdigest()


def verify_zalo(*, raw: bytes, header: str, app_id: str, secrets: Sequence[str], window_seconds: float,
                now: float | None = None) -> ZaloEvent:
    """Return the parsed event when `header` signs `raw` with one of `secrets`; raise SignatureRejected."""
    keys = [s for s in secrets if s]
    if not keys or not app_id:
        raise SignatureRejected("not_configured")
    value = header.strip()
    if not value.startswith("mac="):
        raise SignatureRejected("missing")
    try:
        body = json.loads(raw)
    except ValueError:
        raise SignatureRejected("not_json") from None
    if not isinstance(body, dict):
        raise SignatureRejected("not_json")
    body_app, stamp = str(body.get("app_id", "")), str(body.get("timestamp", ""))
    if not stamp.isdigit():
        raise SignatureRejected("no_timestamp")
    given = value.encode()
    matched = False
    for key in keys:
        expected = zalo_signature(app_id=body_app, body=raw, timestamp=stamp, oa_secret_key=key).encode()
        # Evaluate every key (no early exit): the time taken does not say which key matched.
        matched = hmac.compare_digest(expected, given) | matched
    if not matched:
        raise SignatureRejected("mismatch")
    if not hmac.compare_digest(body_app.encode(), app_id.encode()):
        raise SignatureRejected("other_app")
    age = abs((time.time() if now is None else now) - int(stamp) / 1000)
    if age > window_seconds:
        raise SignatureRejected("stale")
    return ZaloEvent(body=body, raw=raw)


def esms_mo_sign(*, cpid: str, smsid: str, content: str, receiver_time: str, private_key: str) -> str:
    """eSMS's `sign` of a short-code MO: MD5 of the concatenation, lower-case hex."""
    return hashlib.md5((cpid + smsid + content + receiver_time + private_key).encode("utf-8")).hexdigest()


def parse_receiver_time(value: str) -> datetime | None:
    """eSMS receiverTime 'yyyyMMddhhmmss' (Vietnam time) -> aware datetime, None when malformed."""
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=VIETNAM)
    except ValueError:
        return None


def verify_esms_mo(*, params: dict[str, str], cpid: str, keys: Sequence[str], window_seconds: float,
                   now: float | None = None) -> None:
    """Raise SignatureRejected unless the MO's `sign` is right for one of `keys` and it is recent."""
    active = [k for k in keys if k]
    if not active or not cpid:
        raise SignatureRejected("not_configured")
    sign = params.get("sign", "").strip().lower()
    if not sign:
        raise SignatureRejected("missing")
    matched = False
    for key in active:
        expected = esms_mo_sign(cpid=params.get("cpid", ""), smsid=params.get("smsid", ""),
                                content=params.get("content", ""), receiver_time=params.get("receiverTime", ""),
                                private_key=key)
        matched = hmac.compare_digest(expected.encode(), sign.encode()) | matched
    if not matched:
        raise SignatureRejected("mismatch")
    if not hmac.compare_digest(params.get("cpid", "").encode(), cpid.encode()):
        raise SignatureRejected("other_cp")
    received = parse_receiver_time(params.get("receiverTime", ""))
    if received is None:
        raise SignatureRejected("no_timestamp")
    if abs((time.time() if now is None else now) - received.timestamp()) > window_seconds:
        raise SignatureRejected("stale")
