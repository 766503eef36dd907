"""The delivery worker: plans notifications, sends deliveries, reconciles crashes, applies receipts.

It reads the database, never Kafka: the consumer only records what an event asks for
(fast, poison-free); this loop does the slow parts (contact resolution over gRPC,
provider calls) with retries.

Exactly one message per (event, recipient, channel):
1. a delivery row is unique on (event_key, recipient, channel), so a redelivered event or a
   second planner cannot create a second one;
2. before a provider is called, the row is moved `created -> sending` in its OWN committed
   transaction (the status guard); only rows in `created` are ever claimed;
3. after the call, `sending -> sent` is committed. If the process dies in between, the row
   stays in `sending`. The reconciler finds rows in `sending` for longer than
   `sending_stale_seconds` and never re-sends them blindly: for a provider that
   deduplicates on our tracking id (eSMS RequestId) the row is sent again with the SAME
   id and the provider answers "duplicate" (sent once); for the others (Zalo OA, ZNS,
   SpeedSMS, SMTP) the row becomes `technical-failure` - the citizen may or may not have
   the message, and a duplicate is worse than a gap an officer can see (GOV.UK Notify
   makes the same choice). A late provider receipt can still mark it delivered.

Retries: retryable errors come back after capped exponential backoff with jitter until
`retry_total_seconds` have passed since the first attempt, then `technical-failure`.
Permanent errors are never retried. Any final failure of a route hands over to the next
route of the citizen's chain (Zalo CS -> ZNS -> SMS). SMS goes to the primary provider
unless its circuit breaker is open (it kept failing), then to the secondary.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from prometheus_client import Counter, Gauge, Histogram

from motcua_notification import outbound_events, repository
from motcua_notification.contacts import ContactGone, ContactResolver, ContactUnavailable
from motcua_notification.domain import policy
from motcua_notification.domain.retry import CircuitBreaker, backoff, next_retry_in
from motcua_notification.domain.templates import Template, render
from motcua_notification.providers.base import OutboundMessage, Provider, ProviderError
from motcua_notification.settings import Settings
from motcua_platform.logging import get_logger
from motcua_platform.outbox import enqueue

log = get_logger(__name__)

DELIVERIES = Counter("motcua_notification_deliveries", "Delivery outcomes", ["route", "provider", "status"])
PROVIDER_SECONDS = Histogram("motcua_notification_provider_call_seconds", "Provider call latency", ["provider"],
                             buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
PROVIDER_ERRORS = Counter("motcua_notification_provider_errors", "Provider errors", ["provider", "code", "retryable"])
CIRCUIT_OPEN = Gauge("motcua_notification_circuit_open", "1 while a provider's circuit breaker is open", ["provider"])
COST = Counter("motcua_notification_cost_vnd", "Cost of accepted messages, VND", ["route"])
RECONCILED = Counter("motcua_notification_reconciled", "Deliveries found stuck in sending after a crash", ["outcome"])
SUPPRESSED = Counter("motcua_notification_suppressed", "Notifications not sent", ["reason"])

#: Receipt error codes that mean the number or account will never work (else: temporary-failure).
PERMANENT_RECEIPT_CODES = {"-108", "-118", "-119", "-114", "-139", "-141", "99", "108", "105", "invalid_number"}


def work_channel(schema: str) -> str:
    return f"motcua_notification_work_{schema}"[:63]


class TemplateCache:
    """Current templates, reloaded every few seconds (a saved template is used within that time)."""

    def __init__(self, pool: asyncpg.Pool, ttl: float = 2.0) -> None:
        self._pool = pool
        self._ttl = ttl
        self._loaded = 0.0
        self._by_key: dict[tuple[str, str], Template] = {}

    async def _refresh(self) -> None:
        if time.monotonic() - self._loaded < self._ttl:
            return
        async with self._pool.acquire() as conn:
            rows = await repository.current_templates(conn)
        self._by_key = {(t.code, t.channel): t for t, _ in rows}
        self._loaded = time.monotonic()

    def invalidate(self) -> None:
        self._loaded = 0.0

    async def get(self, code: str, route: str) -> Template | None:
        await self._refresh()
        return self._by_key.get((code, route))

    async def routes(self, code: str) -> frozenset[str]:
        await self._refresh()
        return frozenset(route for (c, route) in self._by_key if c == code)


class DeliveryWorker:
    def __init__(self, *, pool: asyncpg.Pool, dsn: str, schema: str, settings: Settings, resolver: ContactResolver | None,
                 providers: dict[str, Provider], breaker: CircuitBreaker, templates: TemplateCache,
                 on_webhook_work: Callable[[], None] | None = None) -> None:
        self._pool = pool
        self._dsn = dsn
        self._schema = schema
        self._s = settings
        self._resolver = resolver
        self.providers = providers
        self.breaker = breaker
        self.templates = templates
        self._on_webhook_work = on_webhook_work
        self._policy = policy.PolicyConfig(
            cs_window=timedelta(hours=settings.zalo.cs_window_hours), cs_quota=settings.zalo.cs_quota_per_window,
            default_quiet_start=settings.quiet_hours_start, default_quiet_end=settings.quiet_hours_end,
        )
        self._costs = {"zalo_cs": settings.zalo.cs_cost_vnd, "zns": settings.zalo.zns_cost_vnd,
                       "esms": settings.esms.cost_vnd, "speedsms": settings.speedsms.cost_vnd, "smtp": settings.email_cost_vnd}
        self._stopping = asyncio.Event()
        self._plan_wake = asyncio.Event()
        self._send_wake = asyncio.Event()
        self._db = asyncio.Semaphore(settings.worker_db_concurrency)
        self._inflight: set[asyncio.Task[None]] = set()
        self._done = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Plan, send and reconcile until `stop()`."""
        self._done.clear()
        loops = [asyncio.create_task(self._listen(), name="notification-listen"),
                 asyncio.create_task(self._loop(self.plan_once, self._plan_wake), name="notification-plan"),
                 asyncio.create_task(self._send_loop(), name="notification-send"),
                 asyncio.create_task(self._reconcile_loop(), name="notification-reconcile")]
        try:
            await self._stopping.wait()
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            if self._inflight:
                # Let provider calls in flight finish and record their outcome (bounded by the provider timeout).
                await asyncio.wait(self._inflight, timeout=self._s.provider_timeout_seconds + 2)
            self._done.set()

    async def stop(self) -> None:
        self._stopping.set()
        await self._done.wait()

    def wake(self) -> None:
        self._plan_wake.set()
        self._send_wake.set()

    async def _listen(self) -> None:
        """LISTEN for committed work; reconnect on failure (the loops also poll)."""
        def on_notify(_conn: object, _pid: int, _channel: str, payload: str) -> None:
            if payload == "notifications":
                self._plan_wake.set()
            elif payload == "deliveries":
                self._send_wake.set()
            elif payload == "webhook_deliveries" and self._on_webhook_work:
                self._on_webhook_work()

        while not self._stopping.is_set():
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self._dsn, timeout=10)
                await conn.add_listener(work_channel(self._schema), on_notify)
                while not conn.is_closed():
                    await asyncio.sleep(5)
                    await conn.fetchval("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("notification_listen_failed", error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(1)
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)

    async def _loop(self, step: Callable[[], Awaitable[int]], wake: asyncio.Event) -> None:
        failures = 0
        while True:
            wake.clear()
            try:
                done = await step()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning("notification_worker_step_failed", step=step.__name__, error=f"{type(exc).__name__}: {exc}",
                            attempt=failures)
                await asyncio.sleep(backoff(failures, base=0.2, cap=5.0))
                continue
            if done:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self._s.worker_poll_interval_seconds)

    # -- planning ----------------------------------------------------------------------------------

    async def plan_once(self) -> int:
        """Plan a batch of notifications; return how many were claimed."""
        async with self._pool.acquire() as conn:
            rows = await repository.claim_to_plan(conn, limit=self._s.worker_batch_size, lease_seconds=self._s.plan_lease_seconds)
        if not rows:
            return 0
        await asyncio.gather(*(self._plan_bounded(row) for row in rows))
        self._send_wake.set()
        return len(rows)

    async def _plan_bounded(self, row: asyncpg.Record) -> None:
        async with self._db:
            await self._plan(row)

    async def _plan(self, row: asyncpg.Record) -> None:
        nid: uuid.UUID = row["id"]
        try:
            if row["contact_source"] == "direct" or self._resolver is None:
                contact = policy.Contact(phone=row["phone"] or "", email=row["email"] or "",
                                         zalo_user_id=row["zalo_user_id"] or "", full_name=row["full_name"] or "")
            else:
                contact = await self._resolver.resolve(row["contact_source"], row["contact_ref"])
        except ContactGone as exc:
            await self._close(nid, "suppressed", "contact_not_found", f"contact details no longer available: {exc}", row)
            return
        except ContactUnavailable as exc:
            age = (datetime.now(UTC) - row["created_at"]).total_seconds()
            if age > self._s.plan_retry_total_seconds:
                await self._close(nid, "failed", "contact_unavailable", str(exc), row)
                return
            delay = backoff(row["plan_attempts"], base=self._s.retry_base_seconds, cap=self._s.retry_max_seconds)
            async with self._pool.acquire() as conn:
                await repository.retry_plan(conn, notification_id=nid, delay=delay, reason=str(exc))
            log.warning("contact_resolution_retry", notification_id=str(nid), error=str(exc), retry_in_s=round(delay, 2))
            return
        params = {**json.loads(row["params"]), "full_name": contact.full_name or "ông/bà"}
        routes = await self.templates.routes(row["template_code"])
        now = datetime.now(UTC)
        async with self._pool.acquire() as conn, conn.transaction():
            prefs, _ = await repository.preferences(conn, phone=contact.phone)
            zalo = await repository.zalo_state(conn, zalo_user_id=contact.zalo_user_id)
            decided = policy.plan(contact=contact, prefs=prefs, zalo=zalo, available_routes=routes, now=now,
                                  config=self._policy, urgent=row["urgent"], essential=row["essential"],
                                  legal_basis=row["legal_basis"], requested_order=tuple(row["channel_order"]))
            if decided.suppressed:
                await self._close_in(conn, nid, "suppressed", decided.suppressed, decided.reason, row,
                                     contact={"phone": contact.phone, "email": contact.email})
                return
            new = []
            for planned in decided.deliveries:
                template = await self.templates.get(row["template_code"], planned.route)
                assert template is not None  # the policy only picks routes with a template
                new.append(self._new_delivery(nid, row["source_key"], planned.route, planned.recipient, planned.step,
                                              planned.not_before, template, params))
            if not await repository.mark_planned(conn, notification_id=nid, phone=contact.phone, email=contact.email,
                                                 zalo_user_id=contact.zalo_user_id, full_name=contact.full_name,
                                                 chain=decided.chain):
                return  # planned by another worker meanwhile; its deliveries stand
            await repository.insert_deliveries(conn, new)
        deferred = [d.channel for d in new if d.not_before > now + timedelta(seconds=1)]
        log.info("notification_planned", notification_id=str(nid), template=row["template_code"], chain=list(decided.chain),
                 routes=[d.channel for d in new], deferred=deferred or None)

    def _new_delivery(self, nid: uuid.UUID, event_key: str, route: str, recipient: str, step: int, not_before: datetime,
                      template: Template, params: dict[str, str]) -> repository.NewDelivery:
        rendered = render(template, params, sms_unicode=self._s.sms_unicode)
        return repository.NewDelivery(
            notification_id=nid, event_key=event_key, recipient=recipient, channel=route, step=step, not_before=not_before,
            subject=rendered.subject, body=rendered.body, body_html=rendered.body_html,
            zns_template_id=rendered.zns_template_id, zns_data=rendered.zns_data,
        )

    async def _close(self, nid: uuid.UUID, status: str, code: str, reason: str, row: Any) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await self._close_in(conn, nid, status, code, reason, row)

    async def _close_in(self, conn: Any, nid: uuid.UUID, status: str, code: str, reason: str, row: Any,
                        contact: dict[str, str] | None = None, route: str = "", provider: str = "") -> None:
        closed = await repository.finish_notification(conn, notification_id=nid, status=status, reason=f"{code}: {reason}",
                                                      contact=contact)
        if closed is None:
            return
        attempts = await repository.total_attempts(conn, notification_id=nid)
        await enqueue(conn, outbound_events.failed(
            notification_id=str(nid), template_code=closed["template_code"], route=route, provider=provider,
            attempts=attempts, dossier_code=closed["dossier_code"], booking_id=closed["booking_id"],
            source_event_id=closed["source_event_id"], error_code=code, reason=reason))
        if status == "suppressed":
            SUPPRESSED.labels(code).inc()
        log.info("notification_failed" if status == "failed" else "notification_suppressed", notification_id=str(nid),
                 reason=code, detail=reason)

    # -- sending -----------------------------------------------------------------------------------

    async def _send_loop(self) -> None:
        failures = 0
        while True:
            self._send_wake.clear()
            claimed = 0
            try:
                claimed = await self.send_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning("notification_send_step_failed", error=f"{type(exc).__name__}: {exc}", attempt=failures)
                await asyncio.sleep(backoff(failures, base=0.2, cap=5.0))
                continue
            if claimed:
                continue
            timeout = self._s.worker_poll_interval_seconds
            with contextlib.suppress(Exception):
                async with self._pool.acquire() as conn:
                    due = await repository.next_due_at(conn)
                if due is not None:
                    timeout = max(0.005, min(timeout, (due - datetime.now(UTC)).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._send_wake.wait(), timeout)

    async def send_once(self) -> int:
        """Claim due deliveries (as many as there are free slots) and start sending them; return how many."""
        free = self._s.worker_concurrency - len(self._inflight)
        if free <= 0:
            await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
            return 1
        sms = self.breaker.choose(self._s.sms_primary, self._s.sms_secondary or None)
        for name in (self._s.sms_primary, self._s.sms_secondary):
            if name:
                CIRCUIT_OPEN.labels(name).set(1 if self.breaker.is_open(name) else 0)
        async with self._pool.acquire() as conn:
            rows = await repository.claim_due(conn, limit=min(free, self._s.worker_batch_size), sms_provider=sms)
        for row in rows:
            task = asyncio.create_task(self._deliver(row))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        return len(rows)

    async def _deliver(self, row: asyncpg.Record) -> None:
        route, provider_name, attempt = row["channel"], row["provider"], row["attempts"]
        provider = self.providers.get(provider_name)
        did: uuid.UUID = row["id"]
        if provider is None:
            await self._failed(row, "technical-failure", "provider_not_configured", f"no client for {provider_name}")
            return
        message = OutboundMessage(
            delivery_id=str(did), tracking_id=row["tracking_id"], route=route, recipient=row["recipient"],
            body=row["body"], subject=row["subject"], body_html=row["body_html"],
            zns_template_id=row["zns_template_id"], zns_data=json.loads(row["zns_data"]), unicode=self._s.sms_unicode,
        )
        started = time.perf_counter()
        try:
            accepted = await asyncio.wait_for(provider.send(message), self._s.provider_timeout_seconds + 1)
        except ProviderError as exc:
            error = exc
        except TimeoutError:
            error = ProviderError(provider_name, "timeout", "no answer in time", retryable=True, provider_fault=True,
                                  ambiguous=True)
        except Exception as exc:
            log.exception("provider_client_crashed", provider=provider_name)
            error = ProviderError(provider_name, "client_error", f"{type(exc).__name__}: {exc}", retryable=True,
                                  ambiguous=True)
        else:
            PROVIDER_SECONDS.labels(provider_name).observe(time.perf_counter() - started)
            self.breaker.success(provider_name)
            async with self._db:
                await self._sent(row, accepted.provider_message_id, accepted.duplicate)
            return
        PROVIDER_SECONDS.labels(provider_name).observe(time.perf_counter() - started)
        PROVIDER_ERRORS.labels(provider_name, error.code, str(error.retryable).lower()).inc()
        if error.provider_fault and self.breaker.failure(provider_name):
            log.warning("provider_circuit_opened", provider=provider_name, open_s=self._s.circuit_open_seconds)
        async with self._db:
            await self._handle_error(row, provider, error, attempt)

    async def _handle_error(self, row: asyncpg.Record, provider: Provider, error: ProviderError, attempt: int) -> None:
        did, route, provider_name = row["id"], row["channel"], row["provider"]
        if not error.retryable:
            await self._failed(row, "permanent-failure", error.code, error.message)
            return
        if error.ambiguous and not provider.idempotent:
            await self._failed(row, "technical-failure", error.code,
                               f"outcome unknown ({error.message}); {provider_name} has no idempotency key, not re-sent",
                               fallback=False)
            return
        age = (datetime.now(UTC) - (row["first_attempt_at"] or datetime.now(UTC))).total_seconds()
        delay = next_retry_in(attempt=attempt, first_attempt_age=age, base=self._s.retry_base_seconds,
                              cap=self._s.retry_max_seconds, total=self._s.retry_total_seconds)
        if delay is None:
            await self._failed(row, "technical-failure", error.code,
                               f"still failing after {age:.0f}s of retries: {error.message}")
            return
        async with self._pool.acquire() as conn, conn.transaction():
            if await repository.retry_later(conn, delivery_id=did, attempt=attempt, delay=delay, error_code=error.code,
                                            error=error.message, pin_provider=error.ambiguous and provider.idempotent):
                await repository.record_attempt(conn, delivery_id=did, attempt=attempt, channel=route, provider=provider_name,
                                                status="temporary-failure", error_code=error.code, retryable=True)
        DELIVERIES.labels(route, provider_name, "retry").inc()
        log.info("delivery_retry_scheduled", delivery_id=str(did), route=route, provider=provider_name, attempt=attempt,
                 error_code=error.code, retry_in_s=round(delay, 3))

    async def _sent(self, row: asyncpg.Record, provider_message_id: str, duplicate: bool) -> None:
        did, route, provider_name, attempt = row["id"], row["channel"], row["provider"], row["attempts"]
        cost = 0 if duplicate else self._costs.get(route if route in ("zalo_cs", "zns") else provider_name, 0)
        async with self._pool.acquire() as conn, conn.transaction():
            updated = await repository.mark_sent(conn, delivery_id=did, attempt=attempt,
                                                 provider_message_id=provider_message_id, cost_vnd=cost)
            if updated is None:
                return
            await repository.record_attempt(conn, delivery_id=did, attempt=attempt, channel=route, provider=provider_name,
                                            status="sent", provider_message_id=provider_message_id)
            note = await repository.set_notification_status(conn, notification_id=row["notification_id"], status="sent")
            await enqueue(conn, outbound_events.sent(
                notification_id=str(row["notification_id"]), template_code=note["template_code"], route=route,
                provider=provider_name, provider_message_id=updated["provider_message_id"] or "", attempt=attempt,
                dossier_code=note["dossier_code"], booking_id=note["booking_id"], source_event_id=note["source_event_id"]))
        DELIVERIES.labels(route, provider_name, "sent").inc()
        COST.labels(route).inc(cost)
        log.info("delivery_sent", delivery_id=str(did), notification_id=str(row["notification_id"]), route=route,
                 provider=provider_name, attempt=attempt, duplicate=duplicate or None)

    async def _failed(self, row: asyncpg.Record, status: str, code: str, reason: str, *, fallback: bool = True,
                      from_statuses: tuple[str, ...] = ("sending",), attempt: int | None = -1) -> None:
        did, route, provider_name = row["id"], row["channel"], row["provider"]
        attempt = row["attempts"] if attempt == -1 else attempt
        async with self._pool.acquire() as conn, conn.transaction():
            failed = await repository.mark_failed(conn, delivery_id=did, status=status, error_code=code, error=reason,
                                                  attempt=attempt, from_statuses=from_statuses)
            if failed is None:
                return
            if attempt is not None:
                await repository.record_attempt(conn, delivery_id=did, attempt=attempt, channel=route, provider=provider_name,
                                                status=status, error_code=code, retryable=False)
            await self._after_failure(conn, failed, status, code, reason, fallback=fallback)
        DELIVERIES.labels(route, provider_name, status).inc()

    async def _after_failure(self, conn: Any, failed: asyncpg.Record, status: str, code: str, reason: str, *,
                             fallback: bool) -> None:
        """Hand over to the next route of the chain, or close the notification when nothing is left."""
        nid = failed["notification_id"]
        note = await repository.notification_of(conn, nid)
        next_route = policy.next_in_chain(note["chain"], failed["channel"]) if fallback else None
        if next_route is not None:
            template = await self.templates.get(note["template_code"], next_route)
            contact = policy.Contact(phone=note["phone"] or "", email=note["email"] or "",
                                     zalo_user_id=note["zalo_user_id"] or "", full_name=note["full_name"] or "")
            recipient = policy.address_for(next_route, contact)
            if template is not None and recipient:
                params = {**json.loads(note["params"]), "full_name": contact.full_name or "ông/bà"}
                await repository.insert_deliveries(conn, [self._new_delivery(
                    nid, failed["event_key"], next_route, recipient, failed["step"] + 1, datetime.now(UTC), template, params)])
                log.info("delivery_fallback", notification_id=str(nid), failed_route=failed["channel"], status=status,
                         error_code=code, next_route=next_route)
                self._send_wake.set()
                return
        log.info("delivery_failed", notification_id=str(nid), route=failed["channel"], status=status, error_code=code,
                 detail=reason[:200])
        if await repository.live_deliveries(conn, notification_id=nid) == 0:
            await self._close_in(conn, nid, "failed", code, reason, note, route=failed["channel"], provider=failed["provider"])

    # -- reconciliation ----------------------------------------------------------------------------

    async def _reconcile_loop(self) -> None:
        while True:
            try:
                await self.reconcile_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("notification_reconcile_failed", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self._s.reconcile_interval_seconds)

    async def reconcile_once(self) -> int:
        """Settle deliveries stuck in `sending` (their worker died mid-call); return how many."""
        settled = 0
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await repository.stale_sending(conn, older_than_seconds=self._s.sending_stale_seconds)
            for row in rows:
                provider = self.providers.get(row["provider"])
                if provider is not None and provider.idempotent:
                    await repository.requeue_same_provider(conn, delivery_id=row["id"])
                    RECONCILED.labels("resend_same_tracking_id").inc()
                    log.warning("delivery_reconciled", delivery_id=str(row["id"]), provider=row["provider"],
                                outcome="resend_same_tracking_id")
                else:
                    failed = await repository.mark_failed(
                        conn, delivery_id=row["id"], status="technical-failure", error_code="stuck_sending",
                        error="the worker stopped during the provider call; outcome unknown, not re-sent")
                    if failed is not None:
                        await self._after_failure(conn, failed, "technical-failure", "stuck_sending",
                                                  "outcome unknown after a crash", fallback=False)
                    RECONCILED.labels("technical_failure").inc()
                    log.warning("delivery_reconciled", delivery_id=str(row["id"]), provider=row["provider"],
                                outcome="technical_failure")
                settled += 1
        if settled:
            self._send_wake.set()
        return settled

    # -- receipts ----------------------------------------------------------------------------------

    async def apply_receipt(self, *, provider: str, provider_message_id: str, tracking_id: str, status: str,
                            error_code: str, occurred_at: datetime) -> tuple[bool, str]:
        """Apply a provider's delivery receipt; return (matched, notification id). Idempotent."""
        async with self._pool.acquire() as conn, conn.transaction():
            row = await repository.find_for_receipt(conn, provider=provider, provider_message_id=provider_message_id,
                                                    tracking_id=tracking_id)
            if row is None:
                return False, ""
            nid = row["notification_id"]
            if status == "delivered":
                if await repository.mark_delivered(conn, delivery_id=row["id"], provider_message_id=provider_message_id,
                                                   at=occurred_at):
                    note = await repository.set_notification_status(conn, notification_id=nid, status="delivered")
                    await enqueue(conn, outbound_events.delivered(
                        notification_id=str(nid), template_code=note["template_code"], route=row["channel"],
                        provider=row["provider"], provider_message_id=provider_message_id or row["provider_message_id"] or "",
                        dossier_code=note["dossier_code"], booking_id=note["booking_id"],
                        source_event_id=note["source_event_id"], at=occurred_at))
                    DELIVERIES.labels(row["channel"], row["provider"], "delivered").inc()
            elif status == "failed":
                final = "permanent-failure" if error_code in PERMANENT_RECEIPT_CODES else "temporary-failure"
                failed = await repository.mark_failed(conn, delivery_id=row["id"], status=final, error_code=error_code,
                                                      error="reported by the provider's delivery receipt", attempt=None,
                                                      from_statuses=("sending", "sent", "technical-failure"))
                if failed is not None:
                    await self._after_failure(conn, failed, final, error_code or "receipt_failed",
                                              "the provider reported the message undelivered", fallback=True)
                    DELIVERIES.labels(row["channel"], row["provider"], final).inc()
            return True, str(nid)
