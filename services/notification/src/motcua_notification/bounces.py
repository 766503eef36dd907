"""Inbound SMTP for bounces and complaints: the e-mail half of delivery receipts.

Our e-mails leave with the return path `bounce+<tracking id>@<MOTCUA_SMTP__RETURN_PATH_DOMAIN>`.
The province's mail server (the MX of that domain, e.g. Postfix) relays that domain to this
listener (`transport_maps: bounces.motcua.gov.vn smtp:[notification]:2526`), and mailbox
providers' feedback loops send their abuse reports to `fbl@<that domain>`. Nothing here needs to
face the internet: it is one more internal SMTP hop, like LMTP delivery to a mailbox.

- RCPT: only `bounce+<32 hex>@domain` and `fbl@domain` are accepted (550 otherwise: not a relay);
- DATA: the report is parsed (`domain/dsn.py`) and applied (`DeliveryWorker.apply_bounce`): a
  permanent failure marks the delivery `permanent-failure` and, when it is about the address,
  suppresses the address; a complaint suppresses it. Always answered 250 once read (an
  unreadable or unmatched report is logged, never bounced back: no bounce loops);
- a database outage answers 451, so the MX keeps the report and retries.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial
from typing import Any

from aiosmtpd.smtp import SMTP
from prometheus_client import Counter

from motcua_notification.domain import dsn
from motcua_notification.worker import DeliveryWorker
from motcua_platform.logging import get_logger

log = get_logger(__name__)

BOUNCES = Counter("motcua_notification_bounces", "Bounce and complaint reports received", ["kind", "matched"])
MAX_REPORT_BYTES = 1_000_000


class _Handler:
    def __init__(self, worker: DeliveryWorker, domain: str) -> None:
        self._worker = worker
        self._domain = domain.lower()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        local, _, domain = address.lower().rpartition("@")
        if domain != self._domain or not (local == "fbl" or dsn.tracking_from_verp(address)):
            return "550 5.1.1 no such mailbox here (bounce and feedback reports only)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        try:
            report = dsn.parse(raw[:MAX_REPORT_BYTES], envelope_recipients=list(envelope.rcpt_tos))
        except Exception as exc:  # a malformed report must not make the MX retry forever
            log.warning("bounce_unreadable", error=f"{type(exc).__name__}: {exc}"[:300])
            BOUNCES.labels("unreadable", "false").inc()
            return "250 OK (unreadable report dropped)"
        try:
            matched = await self._worker.apply_bounce(report)
        except Exception as exc:
            log.warning("bounce_not_recorded", kind=report.kind, error=f"{type(exc).__name__}: {exc}"[:300])
            return "451 4.3.0 try again later"
        BOUNCES.labels(report.kind, str(matched).lower()).inc()
        log.info("bounce_received", kind=report.kind, matched=matched, status=report.status or None,
                 email=report.recipient or None, tracking_id=report.tracking_id or None, suppressed=report.suppress or None)
        return "250 OK"


class BounceReceiver:
    """The listener, run as a background task of the service."""

    def __init__(self, *, worker: DeliveryWorker, host: str, port: int, domain: str) -> None:
        self._handler = _Handler(worker, domain)
        self._host = host
        self._port = port
        self._server: asyncio.base_events.Server | None = None
        self._stopping = asyncio.Event()

    @property
    def address(self) -> tuple[str, int]:
        return self._host, self._port

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            partial(SMTP, self._handler, hostname="bounces.motcua.local", ident="Mot Cua bounce receiver",
                    data_size_limit=MAX_REPORT_BYTES * 2),
            host=self._host, port=self._port)
        log.info("bounce_receiver_listening", host=self._host, port=self._port)

    async def run(self) -> None:
        if self._server is None:
            await self.start()
        await self._stopping.wait()

    async def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None
