"""E-mail over SMTP (aiosmtplib): multipart text + HTML, our tracking id as Message-ID.

SMTP replies classify the outcome: 2xx accepted; 4xx (and a refused or dropped
connection before the message was handed over) retryable; 5xx permanent (e.g.
550 mailbox unavailable; 550/551/553 at RCPT also suppress the address). A connection
lost after DATA was sent is ambiguous: SMTP has no idempotency key, so that message is not
re-sent. With `return_path_domain` set, the envelope sender is `bounce+<tracking id>@<domain>`
(VERP): a bounce that arrives later names its delivery (see bounces.py).
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from motcua_notification.domain.dsn import verp_address
from motcua_notification.providers.base import Accepted, OutboundMessage, ProviderError


class SmtpClient:
    name = "smtp"
    route = "email"
    idempotent = False

    def __init__(self, *, host: str, port: int, sender: str, username: str = "", password: str = "", use_tls: bool = False,
                 start_tls: bool | None = None, timeout: float = 10.0, return_path_domain: str = "") -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._username = username or None
        self._password = password or None
        self._use_tls = use_tls
        self._start_tls = start_tls
        self._timeout = timeout
        self._return_path_domain = return_path_domain

    def build(self, message: OutboundMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self._sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = f"<{message.tracking_id}@motcua.gov.vn>"
        email["X-Motcua-Tracking-Id"] = message.tracking_id
        email.set_content(message.body)
        if message.body_html:
            email.add_alternative(message.body_html, subtype="html")
        return email

    async def send(self, message: OutboundMessage) -> Accepted:
        email = self.build(message)
        try:
            # VERP: the envelope sender names the delivery, so its bounce comes back to the bounce receiver matched.
            sender = verp_address(message.tracking_id, self._return_path_domain) if self._return_path_domain else None
            await aiosmtplib.send(email, sender=sender, hostname=self._host, port=self._port, username=self._username,
                                  password=self._password, use_tls=self._use_tls, start_tls=self._start_tls,
                                  timeout=self._timeout)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients] or [550]
            retryable = all(400 <= c < 500 for c in codes)
            raise ProviderError(self.name, str(codes[0]), "recipient refused", retryable=retryable) from exc
        except aiosmtplib.SMTPResponseException as exc:
            retryable = 400 <= exc.code < 500
            raise ProviderError(self.name, str(exc.code), exc.message[:200], retryable=retryable,
                                provider_fault=retryable) from exc
        except aiosmtplib.SMTPServerDisconnected as exc:
            raise ProviderError(self.name, "disconnected", str(exc)[:200], retryable=True, provider_fault=True,
                                ambiguous=True) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise ProviderError(self.name, "connect_error", f"{type(exc).__name__}: {exc}"[:200], retryable=True,
                                provider_fault=True) from exc
        return Accepted(provider_message_id=email["Message-ID"].strip("<>"))

    async def close(self) -> None:
        return None
