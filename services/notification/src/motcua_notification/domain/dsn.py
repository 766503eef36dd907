"""Bounces and complaints: read a delivery status notification (RFC 3464) or an abuse report (RFC 5965).

Our e-mails leave with a VERP return path, `bounce+<tracking id>@<return-path domain>`, so a
bounce names the delivery in its envelope recipient even when the reporting server mangles the
report; the returned headers (`X-Motcua-Tracking-Id`, `Message-ID: <tracking id@...>`) are the
second source. Pure: bytes in, a `Report` out.

Which failures suppress the address: a permanent failure (status 5.x.x) about the address itself,
5.1.x (no such user, bad domain, null MX) and 5.2.1 (mailbox disabled). Other permanent failures
(5.7.x refused as spam, 5.3.4 too big, ...) fail the delivery but keep the address. A complaint
(Feedback-Type abuse, fraud, virus) always suppresses it: the citizen does not want our e-mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message

TRACKING = re.compile(r"^[0-9a-f]{32}$")
VERP = re.compile(r"^bounce\+([0-9a-f]{32})@", re.IGNORECASE)
STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
COMPLAINT_TYPES = {"abuse", "fraud", "virus"}


@dataclass(frozen=True)
class Report:
    kind: str  # "bounce" (permanent failure), "delay", "delivered", "complaint", "unknown"
    tracking_id: str = ""
    recipient: str = ""
    status: str = ""  # enhanced status code, e.g. "5.1.1"
    diagnostic: str = ""
    suppress: bool = False


def verp_address(tracking_id: str, domain: str) -> str:
    """The return path of one delivery: where its bounces come back."""
    return f"bounce+{tracking_id}@{domain}"


def tracking_from_verp(address: str) -> str:
    found = VERP.match(address.strip().strip("<>"))
    return found.group(1).lower() if found else ""


def suppresses(status: str) -> bool:
    """True for a permanent failure about the address itself (see the module docstring)."""
    return status.startswith("5.1.") or status == "5.2.1"


def _address(value: str) -> str:
    """'rfc822; an@example.vn' -> 'an@example.vn'."""
    _, _, address = value.partition(";")
    return (address or value).strip().strip("<>").lower()


def _original_tracking(report: Message) -> str:
    """Our tracking id from the returned message or headers (message/rfc822, text/rfc822-headers)."""
    for part in report.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            payload = part.get_payload()
            headers = payload[0] if isinstance(payload, list) and payload else None
        elif content_type == "text/rfc822-headers":
            text = part.get_payload(decode=True) or b""
            headers = message_from_bytes(text if isinstance(text, bytes) else str(text).encode(), policy=policy.compat32)
        else:
            continue
        if headers is None:
            continue
        tracking = str(headers.get("X-Motcua-Tracking-Id", "")).strip().lower()
        if TRACKING.match(tracking):
            return tracking
        local = str(headers.get("Message-ID", "")).strip().strip("<>").partition("@")[0].lower()
        if TRACKING.match(local):
            return local
    return ""


def _blocks(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status part (per-message first, then one per recipient)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = payload if isinstance(payload, str) else ""
    return [message_from_bytes(block.strip().encode(), policy=policy.compat32) for block in re.split(r"\r?\n\r?\n", text)
            if block.strip()]


def parse(raw: bytes, *, envelope_recipients: list[str] | None = None) -> Report:
    """Read a bounce or complaint; `envelope_recipients` are the RCPT TO addresses it was delivered to (VERP)."""
    message = message_from_bytes(raw, policy=policy.compat32)
    verp = next((t for t in (tracking_from_verp(a) for a in envelope_recipients or []) if t), "")
    tracking = verp or _original_tracking(message)
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/feedback-report":
            fields = _blocks(part)
            first = fields[0] if fields else Message()
            kind = str(first.get("Feedback-Type", "abuse")).strip().lower()
            recipient = _address(str(first.get("Original-Rcpt-To", "") or first.get("Removal-Recipient", "")))
            return Report(kind="complaint", tracking_id=tracking, recipient=recipient, status=kind,
                          diagnostic=f"feedback report: {kind}", suppress=kind in COMPLAINT_TYPES)
        if content_type == "message/delivery-status":
            for block in _blocks(part)[1:] or _blocks(part):
                action = str(block.get("Action", "")).strip().lower()
                if not action:
                    continue
                status_match = STATUS.search(str(block.get("Status", "")))
                status = ".".join(status_match.groups()) if status_match else ""
                recipient = _address(str(block.get("Final-Recipient", "") or block.get("Original-Recipient", "")))
                diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())[:500]
                if action == "failed" or status.startswith("5."):
                    return Report(kind="bounce", tracking_id=tracking, recipient=recipient, status=status or "5.0.0",
                                  diagnostic=diagnostic, suppress=suppresses(status))
                if action == "delayed":
                    return Report(kind="delay", tracking_id=tracking, recipient=recipient, status=status,
                                  diagnostic=diagnostic)
                return Report(kind="delivered", tracking_id=tracking, recipient=recipient, status=status,
                              diagnostic=diagnostic)
    return Report(kind="unknown", tracking_id=tracking)
