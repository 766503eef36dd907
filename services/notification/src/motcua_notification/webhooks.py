"""Agency webhooks: subscription URL rules, the CloudEvents body, the signed delivery loop.

A delivery is an HTTP POST of one CloudEvent in structured mode
(`Content-Type: application/cloudevents+json; charset=utf-8`) with headers:

    X-Motcua-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
    X-Motcua-Delivery-Id: <uuid, stable across retries>
    X-Motcua-Subscription-Id: <uuid>
    X-Motcua-Attempt: <1-based attempt>

Any 2xx is success. Anything else (or no answer within `webhook_timeout_seconds`) is
retried with capped exponential backoff and jitter until `webhook_retry_total_seconds`,
then the delivery is `failed` and parked on `motcua.agency-subscriber.dlt`. A
subscription failing `webhook_disable_after_failures` times in a row over at least
`webhook_disable_after_seconds` is disabled (metric `motcua_webhook_subscriptions_disabled`).
The event id is the CloudEvents `id`: receivers deduplicate on it (at-least-once delivery).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import asyncpg
import httpx
from prometheus_client import Counter, Gauge

from motcua_notification import outbound_events, repository
from motcua_notification.crypto import SecretBox
from motcua_notification.domain.retry import backoff, next_retry_in
from motcua_notification.domain.signing import SIGNATURE_HEADER, sign
from motcua_notification.settings import Settings
from motcua_platform.cloudevents import CloudEvent, format_time
from motcua_platform.logging import get_logger
from motcua_platform.outbox import enqueue

log = get_logger(__name__)

WEBHOOK_DELIVERIES = Counter("motcua_webhook_deliveries", "Webhook delivery attempts by outcome", ["outcome"])
SUBSCRIPTIONS_DISABLED = Counter("motcua_webhook_subscription_disablements",
                                 "Subscriptions disabled after a long failure streak (alert on any increase)")
DISABLED_NOW = Gauge("motcua_webhook_subscriptions_disabled", "Subscriptions currently disabled (alert when > 0)")

SECRET_MIN_BYTES = 32


class SubscriptionRefused(ValueError):
    pass


def check_url(url: str, *, allow_insecure_localhost: bool) -> str:
    """Return `url` when it may receive webhooks: HTTPS to a public host (plain http only to localhost in development)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise SubscriptionRefused("the URL is not valid") from None
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        raise SubscriptionRefused("the URL needs a host and no credentials")
    local = host in ("localhost", "127.0.0.1", "::1")
    if parts.scheme == "http":
        if not (allow_insecure_localhost and local):
            raise SubscriptionRefused("the URL must use https (plain http is only allowed to localhost in development)")
    elif parts.scheme != "https":
        raise SubscriptionRefused("the URL must use https")
    if not allow_insecure_localhost:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if local or (address is not None and (address.is_private or address.is_loopback or address.is_link_local)):
            raise SubscriptionRefused("the URL must point to a public host")
    return url.strip()


def structured_body(event: CloudEvent) -> bytes:
    """The CloudEvent in JSON structured mode; `data` embedded as JSON."""
    try:
        data = json.loads(event.data) if event.data else None
    except ValueError:
        data = event.data.decode("utf-8", errors="replace")
    body = {"specversion": "1.0", "id": event.id, "source": event.source, "type": event.type,
            "time": format_time(event.time), "datacontenttype": "application/json"}
    if event.subject:
        body["subject"] = event.subject
    body["data"] = data
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class WebhookWorker:
    def __init__(self, *, pool: asyncpg.Pool, settings: Settings, box: SecretBox, client: httpx.AsyncClient | None = None) -> None:
        self._pool = pool
        self._s = settings
        self._box = box
        self._client = client or httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, follow_redirects=False,
                                                   headers={"User-Agent": "motcua-webhooks/1"})
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._done = asyncio.Event()
        self._sem = asyncio.Semaphore(settings.webhook_concurrency)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        self._done.clear()
        failures = 0
        last_gauge = 0.0
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                try:
                    count = await self.deliver_once()
                    failures = 0
                    if time.monotonic() - last_gauge > 30:
                        async with self._pool.acquire() as conn:
                            DISABLED_NOW.set(await repository.disabled_subscriptions(conn))
                        last_gauge = time.monotonic()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    failures += 1
                    log.warning("webhook_step_failed", error=f"{type(exc).__name__}: {exc}", attempt=failures)
                    await asyncio.sleep(backoff(failures, base=0.2, cap=5.0))
                    continue
                if count:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._s.worker_poll_interval_seconds)
        finally:
            await self._client.aclose()
            self._done.set()

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        await self._done.wait()

    async def deliver_once(self) -> int:
        lease = self._s.webhook_timeout_seconds * 3
        async with self._pool.acquire() as conn:
            rows = await repository.claim_webhooks(conn, limit=self._s.webhook_concurrency * 4, lease_seconds=lease)
        if rows:
            await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

    async def _deliver(self, row: asyncpg.Record) -> None:
        async with self._sem:
            body = bytes(row["body"])
            headers = {
                "Content-Type": "application/cloudevents+json; charset=utf-8",
                SIGNATURE_HEADER: sign(self._box.open(row["secret_ciphertext"]), body),
                "X-Motcua-Delivery-Id": str(row["id"]),
                "X-Motcua-Subscription-Id": str(row["subscription_id"]),
                "X-Motcua-Attempt": str(row["attempts"]),
            }
            status, error = 0, ""
            try:
                response = await self._client.post(row["url"], content=body, headers=headers)
                status = response.status_code
                if not 200 <= status < 300:
                    error = f"HTTP {status}"
            except httpx.TimeoutException:
                error = f"timeout after {self._s.webhook_timeout_seconds:g}s"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
        async with self._pool.acquire() as conn, conn.transaction():
            if not error:
                await repository.webhook_delivered(conn, delivery_id=row["id"], http_status=status)
                WEBHOOK_DELIVERIES.labels("delivered").inc()
                log.info("webhook_delivered", delivery_id=str(row["id"]), subscription_id=str(row["subscription_id"]),
                         event_type=row["event_type"], http_status=status, attempt=row["attempts"])
                return
            age = (datetime.now(UTC) - row["created_at"]).total_seconds()
            retry_in = next_retry_in(attempt=row["attempts"], first_attempt_age=age, base=self._s.webhook_retry_base_seconds,
                                     cap=self._s.webhook_retry_max_seconds, total=self._s.webhook_retry_total_seconds)
            disabled, given_up = await repository.webhook_failed(
                conn, delivery_id=row["id"], http_status=status, error=error, retry_in=retry_in,
                disable_after_failures=self._s.webhook_disable_after_failures,
                disable_after_seconds=self._s.webhook_disable_after_seconds)
            if given_up is not None:
                await enqueue(conn, outbound_events.webhook_dead_letter(
                    delivery_id=str(uuid.uuid4()), subscription_id=str(given_up["subscription_id"]),
                    event_type=given_up["event_type"], body=bytes(given_up["body"])))
        WEBHOOK_DELIVERIES.labels("failed" if retry_in is None else "retry").inc()
        log.warning("webhook_failed" if retry_in is None else "webhook_retry_scheduled", delivery_id=str(row["id"]),
                    subscription_id=str(row["subscription_id"]), error=error, attempt=row["attempts"],
                    retry_in_s=round(retry_in, 2) if retry_in is not None else None)
        if disabled:
            SUBSCRIPTIONS_DISABLED.inc()
            DISABLED_NOW.inc()
            log.error("webhook_subscription_disabled", subscription_id=str(row["subscription_id"]),
                      reason=f"{self._s.webhook_disable_after_failures} failed deliveries in a row")
