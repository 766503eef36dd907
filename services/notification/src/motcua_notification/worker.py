"""The delivery worker: plans notifications, sends deliveries, reconciles crashes, applies receipts.

It reads the database, never Kafka: the consumer only records what an event asks for
(fast, poison-free); this loop does the slow parts (contact resolution over gRPC,
provider calls) with retries.

Exactly one message per (event, recipient, channel):
1. a delivery row is unique on (event_key, recipient, channel), so a redelivered event or a
   second planner cannot create a second one;
2. before a provider is called, the row is `sending` in a committed transaction (the status
   guard): inserted so by the planning transaction when it is due at once, or moved
   `created -> sending` by a claim; only rows in `created` are ever claimed;
3. after the call, `sending -> sent` is committed (with other outcomes, in a batch). If the
   process dies in between, the row
   stays in `sending`. The reconciler finds rows in `sending` for longer than
   `sending_stale_seconds` and never re-sends them blindly: for a provider that
   deduplicates on our tracking id (eSMS RequestId) the row is sent again with the SAME
   id and the provider answers "duplicate" (sent once); for the others (Zalo OA, ZNS,
   SpeedSMS, SMTP) the row becomes `technical-failure` and is never sent again on that
   channel - a duplicate on one channel is worse than a gap an officer can see (GOV.UK
   Notify makes the same choice). With `fallback_after_unknown_outcome` (default) the
   citizen's next route is tried (ZNS -> SMS): a receipt is never silently lost, at the
   price of a possible second message on another channel. A late provider receipt can
   still mark the row delivered.

Batches (README "Throughput: the batched worker"): a batch of notifications is planned in one
transaction, provider calls run in parallel (bounded per provider), their outcomes are recorded
in batches. A batch that fails is redone row by row, so one poison row never blocks the others.

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
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import asyncpg
from prometheus_client import Counter, Gauge, Histogram

from motcua_notification import outbound_events, repository
from motcua_notification.contacts import ContactGone, ContactResolver, ContactUnavailable
from motcua_notification.domain import dsn, policy
from motcua_notification.domain.retry import CircuitBreaker, backoff, next_retry_in
from motcua_notification.domain.templates import Template, render
from motcua_notification.providers.base import Accepted, OutboundMessage, Provider, ProviderError
from motcua_notification.settings import Settings
from motcua_platform.batching import NaturalBatcher
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
PLAN_FALLBACKS = Counter("motcua_notification_plan_batch_fallbacks", "Planning batches that failed and were planned row by row")
RECEIPT_FALLBACKS = Counter("motcua_notification_receipt_batch_fallbacks",
                            "Receipt batches that failed and were applied one receipt at a time")
RECORD_FALLBACKS = Counter("motcua_notification_record_batch_fallbacks",
                           "Batches of provider outcomes that failed to commit and were recorded one by one")
BATCH_SIZE = Histogram("motcua_notification_batch_size", "Rows per worker transaction", ["step"],
                       buckets=(1, 2, 5, 10, 25, 50, 100, 200, 500, 1000))

#: Receipt error codes that mean the number or account will never work (else: temporary-failure).
PERMANENT_RECEIPT_CODES = {"-108", "-118", "-119", "-114", "-139", "-141", "99", "108", "105", "invalid_number"}
#: SMTP replies at RCPT meaning the mailbox does not exist (a hard bounce): the address is suppressed.
HARD_BOUNCE_CODES = {"550", "551", "553"}
#: Provider of each route; SMS goes to the primary or secondary SMS provider (circuit breaker).
ROUTE_PROVIDER = {"zns": "zalo_zns", "zalo_cs": "zalo_oa", "email": "smtp"}
#: Failures of the database connection (as opposed to a statement the batch made fail).
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.TooManyConnectionsError,
)


@dataclass(frozen=True)
class _Receipt:
    provider: str
    provider_message_id: str
    tracking_id: str
    status: str
    error_code: str
    occurred_at: datetime


@dataclass
class _Outcome:
    """What came of one claimed row: accepted, a provider error, a final failure decided here, or back in line."""

    row: asyncpg.Record
    provider: Provider | None
    accepted: Accepted | None = None
    error: ProviderError | None = None
    failed: tuple[str, str, str] | None = None  # (status, code, reason)
    requeue: bool = False


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

    async def refresh(self) -> None:
        """Reload now if the cached copy is older than the TTL (before a transaction, so it holds no second connection)."""
        await self._refresh()

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
        #: Held by the one planner that waits for work and claims it (see `_plan_loop`).
        self._claiming = asyncio.Lock()
        self._send_wake = asyncio.Event()
        self._resolving = asyncio.Semaphore(settings.resolve_contact_concurrency)
        self._provider_slots: dict[str, asyncio.Semaphore] = {}
        self._inflight: set[asyncio.Task[None]] = set()
        #: Claimed rows per provider not settled yet (called, or waiting for one of the provider's slots).
        self._busy: dict[str, int] = {}
        #: Rows a claim in progress may take (counted against every provider's slots until they are started).
        self._reserved = 0
        #: Rows this process is sending or has an unrecorded outcome for: never "stale" to its own reconciler.
        self._inflight_ids: set[uuid.UUID] = set()
        self._outcomes: list[_Outcome] = []
        self._outcomes_ready = asyncio.Event()
        self._flush_task: asyncio.Task[None] | None = None
        self._closing = False
        self._done = asyncio.Event()
        #: Provider receipts arriving together are applied in one transaction (see `apply_receipt`).
        self._receipts: NaturalBatcher[_Receipt, tuple[bool, str]] = NaturalBatcher(
            self._apply_receipts, in_flight=2, max_batch=128, name="notification-receipts")

    # -- lifecycle ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Plan, send, record and reconcile until `stop()`."""
        self._done.clear()
        self._closing = False
        self._flush_task = asyncio.create_task(self._flush_loop(), name="notification-record")
        loops = [asyncio.create_task(self._listen(), name="notification-listen"),
                 *(asyncio.create_task(self._plan_loop(), name=f"notification-plan-{i}")
                   for i in range(self._s.worker_plan_concurrency)),
                 asyncio.create_task(self._send_loop(), name="notification-send"),
                 asyncio.create_task(self._reconcile_loop(), name="notification-reconcile")]
        try:
            await self._stopping.wait()
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            if self._inflight:
                # Let provider calls in flight finish (bounded by the provider timeout) and their outcomes be recorded.
                await asyncio.wait(self._inflight, timeout=self._s.provider_timeout_seconds + 2)
            await self._receipts.drain()  # receipts being applied are answered before the pool closes
            self._closing = True
            self._outcomes_ready.set()
            try:
                await asyncio.wait_for(self._flush_task, 15)
            except Exception as exc:
                log.warning("notification_record_stop_failed", error=f"{type(exc).__name__}: {exc}")
            self._flush_task = None
            self._done.set()

    async def stop(self) -> None:
        self._stopping.set()
        await self._done.wait()

    def wake(self) -> None:
        self._plan_wake.set()
        self._send_wake.set()

    def wake_webhooks(self) -> None:
        if self._on_webhook_work:
            self._on_webhook_work()

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

    # -- planning ----------------------------------------------------------------------------------

    async def plan_once(self) -> int:
        """Plan one batch of notifications now (tests drive the worker step by step); return how many were claimed."""
        rows = await self._lease_batch()
        if rows:
            await self._plan_claimed(rows)
        return len(rows)

    async def _plan_loop(self) -> None:
        """One of `worker_plan_concurrency` planners. One at a time waits for work and claims a batch (no herd of
        empty claims); it plans that batch outside the lock, so another claims what is committed meanwhile instead
        of waiting for the first batch's ResolveContact answers."""
        failures = 0
        while True:
            async with self._claiming:
                rows = await self._claim_when_due()
            # Planned to the end even when the worker stops: a batch written `sending` whose provider calls never
            # started would be given up by the reconciler after the restart (no idempotency key: technical-failure).
            batch = asyncio.create_task(self._plan_claimed(rows))
            try:
                await asyncio.shield(batch)
                failures = 0
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await batch
                raise
            except Exception as exc:  # the database, not a row: back off; the leases expire, the batch is planned again
                failures += 1
                log.warning("notification_worker_step_failed", step="plan", error=f"{type(exc).__name__}: {exc}",
                            attempt=failures)
                await asyncio.sleep(backoff(failures, base=0.2, cap=5.0))

    async def _claim_when_due(self) -> list[asyncpg.Record]:
        """Lease a batch of notifications to plan, waiting for one to be committed (NOTIFY, else the poll interval)."""
        failures = 0
        while True:
            self._plan_wake.clear()
            try:
                rows = await self._lease_batch()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning("notification_worker_step_failed", step="claim_to_plan", error=f"{type(exc).__name__}: {exc}",
                            attempt=failures)
                await asyncio.sleep(backoff(failures, base=0.2, cap=5.0))
                continue
            if rows:
                return rows
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._plan_wake.wait(), self._s.worker_poll_interval_seconds)

    async def _lease_batch(self) -> list[asyncpg.Record]:
        async with self._pool.acquire() as conn:
            return await repository.claim_to_plan(conn, limit=self._s.worker_batch_size, lease_seconds=self._s.plan_lease_seconds)

    async def _plan_claimed(self, rows: list[asyncpg.Record]) -> None:
        """Plan leased notifications: contact look-ups run concurrently, then every decision (deliveries,
        closures, retries) is written atomically - one statement when every notification gets deliveries,
        else one transaction. While the loop runs, deliveries due now are inserted already claimed
        (`sending`): that commit is their status guard, and their provider calls start right after it.
        A batch that fails is planned again row by row, so one poison notification never holds back
        the others.
        """
        BATCH_SIZE.labels("plan").observe(len(rows))
        contacts = await asyncio.gather(*(self._resolve(row) for row in rows))
        pairs = list(zip(rows, contacts, strict=True))
        try:
            await self._plan_batch(pairs)
        except asyncio.CancelledError:
            raise
        except _CONNECTION_ERRORS:
            raise  # the database, not a row: the loop backs off, the leases expire, the batch is planned again
        except Exception as exc:
            if len(pairs) == 1:
                await self._plan_failed(pairs[0][0], exc)
                pairs = []
            else:
                PLAN_FALLBACKS.inc()
                log.warning("notification_plan_batch_failed", notifications=len(pairs),
                            error=f"{type(exc).__name__}: {exc}"[:300])
            for pair in pairs:
                try:
                    await self._plan_batch([pair])
                except asyncio.CancelledError:
                    raise
                except Exception as row_exc:
                    await self._plan_failed(pair[0], row_exc)

    async def _resolve(self, row: asyncpg.Record) -> policy.Contact | ContactGone | ContactUnavailable:
        if row["contact_source"] == "direct" or self._resolver is None:
            return policy.Contact(phone=row["phone"] or "", email=row["email"] or "", zalo_user_id=row["zalo_user_id"] or "",
                                  full_name=row["full_name"] or "")
        async with self._resolving:
            try:
                return await self._resolver.resolve(row["contact_source"], row["contact_ref"])
            except (ContactGone, ContactUnavailable) as exc:
                return exc

    async def _plan_batch(self, pairs: list[tuple[asyncpg.Record, Any]]) -> None:
        """Record the decisions for `pairs` (notification, resolved contact) atomically; start sending what is due."""
        now = datetime.now(UTC)
        await self.templates.refresh()
        claim = self._flush_task is not None  # only the running loop sends right after planning
        inserted = await self._plan_in_one(pairs, now, claim)
        claimed = [r for r in inserted if r["status"] == "sending"]
        self._start(claimed)
        if len(claimed) < len(inserted):  # some wait in `created` (not due yet, or no free slot): the send loop's work
            self._send_wake.set()

    async def _plan_in_one(self, pairs: list[tuple[asyncpg.Record, Any]], now: datetime, claim: bool
                           ) -> list[asyncpg.Record]:
        """Decide in memory, then write the batch atomically: ONE statement when every notification gets its
        deliveries (the usual case: no BEGIN/COMMIT round trips on the path of every message), else one
        transaction that also closes or postpones the others."""
        sms_provider = self.breaker.choose(self._s.sms_primary, self._s.sms_secondary or None)
        after: list[Callable[[], None]] = []
        prefs, zalo, suppressed = await self._policy_inputs([c for _, c in pairs if isinstance(c, policy.Contact)])
        cs_planned: dict[str, int] = {}
        decided: dict[uuid.UUID, tuple[asyncpg.Record, policy.Plan, list[repository.NewDelivery]]] = {}
        planned: list[repository.PlannedContact] = []
        others: list[Callable[[Any], Awaitable[Any]]] = []  # statements closing or postponing a notification
        for row, contact in pairs:
            nid: uuid.UUID = row["id"]
            if isinstance(contact, ContactGone):
                others.append(partial(self._close_in, nid=nid, status="suppressed", code="contact_not_found",
                                      reason=f"contact details no longer available: {contact}", row=row))
                continue
            if isinstance(contact, ContactUnavailable):
                age = (now - row["created_at"]).total_seconds()
                if age > self._s.plan_retry_total_seconds:
                    others.append(partial(self._close_in, nid=nid, status="failed", code="contact_unavailable",
                                          reason=str(contact), row=row))
                    continue
                delay = backoff(row["plan_attempts"], base=self._s.retry_base_seconds, cap=self._s.retry_max_seconds)
                others.append(partial(repository.retry_plan, notification_id=nid, delay=delay, reason=str(contact)))
                after.append(partial(log.warning, "contact_resolution_retry", notification_id=str(nid),
                                     error=str(contact), retry_in_s=round(delay, 2)))
                continue
            if contact.email and contact.email.lower() in suppressed:
                # A hard bounce or a complaint: that address gets no more e-mail (the other channels still go).
                after.append(partial(log.info, "email_suppressed", notification_id=str(nid), email=contact.email))
                contact = replace(contact, email="")
            state = zalo.get(contact.zalo_user_id, policy.ZaloState()) if contact.zalo_user_id \
                else policy.ZaloState(followed=False)
            if cs_planned.get(contact.zalo_user_id):  # earlier notifications of this batch use the same quota
                state = replace(state, cs_sent_in_window=state.cs_sent_in_window + cs_planned[contact.zalo_user_id])
            decision = policy.plan(contact=contact, prefs=prefs.get(contact.phone, policy.Preferences()), zalo=state,
                                   available_routes=await self.templates.routes(row["template_code"]), now=now,
                                   config=self._policy, urgent=row["urgent"], essential=row["essential"],
                                   legal_basis=row["legal_basis"], requested_order=tuple(row["channel_order"]))
            if decision.suppressed:
                others.append(partial(self._close_in, nid=nid, status="suppressed", code=decision.suppressed,
                                      reason=decision.reason, row=row,
                                      contact={"phone": contact.phone, "email": contact.email}))
                continue
            params = {**json.loads(row["params"]), "full_name": contact.full_name or "ông/bà"}
            new = []
            for step in decision.deliveries:
                template = await self.templates.get(row["template_code"], step.route)
                assert template is not None  # the policy only picks routes with a template
                new.append(self._new_delivery(nid, row["source_key"], step.route, step.recipient, step.step,
                                              step.not_before, template, params))
                if step.route == "zalo_cs":
                    cs_planned[contact.zalo_user_id] = cs_planned.get(contact.zalo_user_id, 0) + 1
            decided[nid] = (row, decision, new)
            planned.append(repository.PlannedContact(nid, contact.phone, contact.email, contact.zalo_user_id,
                                                     contact.full_name, decision.chain))
        deliveries = [d for p in planned for d in decided[p.notification_id][2]]
        # Deliveries due now are inserted claimed, as many as the providers have slots for; the slots stay reserved
        # until the caller starts the calls (so a concurrent claim cannot take them meanwhile).
        due = [i for i, d in enumerate(deliveries) if d.not_before <= now] if claim else []
        free = min(len(due), max(0, self._claimable()))
        for i in due[:free]:
            deliveries[i] = replace(deliveries[i], claim_provider=self._provider_for(deliveries[i].channel, sms_provider))
        self._reserved += free
        try:
            async with self._pool.acquire() as conn:
                if others:
                    async with conn.transaction():
                        for statement in others:
                            await statement(conn)
                        moved, inserted = await repository.plan_deliveries(conn, planned, deliveries)
                else:
                    moved, inserted = await repository.plan_deliveries(conn, planned, deliveries)
        finally:
            self._reserved -= free
        for action in after:
            action()
        for nid in (p.notification_id for p in planned if p.notification_id in moved):
            row, decision, new = decided[nid]
            deferred = [d.channel for d in new if d.not_before > now + timedelta(seconds=1)]
            # DEBUG: each message has its INFO line when it is sent or fails; one more per message cost ~40 us of CPU.
            log.debug("notification_planned", notification_id=str(nid), template=row["template_code"],
                      chain=list(decision.chain), routes=[d.channel for d in new], deferred=deferred or None)
        return inserted

    async def _policy_inputs(self, found: list[policy.Contact]
                             ) -> tuple[dict[str, policy.Preferences], dict[str, policy.ZaloState], set[str]]:
        """Preferences, Zalo states and e-mail suppressions of a batch's contacts: the queries side by side, each on
        its own connection and outside the write (they take no lock; the write re-reads nothing they return)."""
        async def lookup(fetch: Callable[[Any, list[str]], Awaitable[Any]], keys: list[str], empty: Any) -> Any:
            if not any(keys):
                return empty
            async with self._pool.acquire() as conn:
                return await fetch(conn, keys)

        return await asyncio.gather(
            lookup(repository.preferences_many, [c.phone for c in found], {}),
            lookup(repository.zalo_states, [c.zalo_user_id for c in found], {}),
            lookup(repository.suppressed_emails, [c.email for c in found], set()))

    async def _plan_failed(self, row: asyncpg.Record, exc: Exception) -> None:
        """A notification whose planning fails on its own: retried with backoff, failed after `plan_max_attempts`."""
        nid: uuid.UUID = row["id"]
        log.error("notification_plan_failed", notification_id=str(nid), attempt=row["plan_attempts"],
                  error=f"{type(exc).__name__}: {exc}"[:300])
        try:
            if row["plan_attempts"] >= self._s.plan_max_attempts:
                await self._close(nid, "failed", "plan_error", f"planning failed {row['plan_attempts']} times: "
                                  f"{type(exc).__name__}", row)
            else:
                delay = backoff(row["plan_attempts"], base=self._s.retry_base_seconds, cap=self._s.retry_max_seconds)
                async with self._pool.acquire() as conn:
                    await repository.retry_plan(conn, notification_id=nid, delay=delay, reason=f"plan_error: {type(exc).__name__}")
        except Exception as again:  # the lease expires and the row is planned again
            log.warning("notification_plan_failure_not_recorded", notification_id=str(nid), error=f"{type(again).__name__}")

    def _provider_for(self, route: str, sms_provider: str) -> str:
        return sms_provider if route == "sms" else ROUTE_PROVIDER[route]

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

    def _free_slots(self) -> int:
        return self._s.worker_concurrency - len(self._inflight)

    def _claimable(self) -> int:
        """Rows to claim now: never more than the busiest provider can call at once. A claimed row is `sending`
        (committed); if the process dies while the row still waits for a provider slot, the reconciler cannot tell
        it from a call in flight and gives it up (technical-failure) for a provider without an idempotency key.
        And no more than `worker_unrecorded_max` answers may wait for the result writer (back-pressure)."""
        headroom = self._s.worker_provider_concurrency - max(self._busy.values(), default=0) - self._reserved
        # Answers not recorded yet: rows this process holds (`_inflight_ids`) minus the calls still in flight.
        unrecorded = len(self._inflight_ids) - len(self._inflight)
        return min(self._free_slots(), headroom, self._s.worker_unrecorded_max - unrecorded)

    async def send_once(self) -> int:
        """Claim due deliveries (as many as there are free slots, one committed statement) and start sending them."""
        free = self._claimable()
        if free <= 0:
            if self._inflight:
                await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
            else:  # a planning step holds the slots for its claim: it starts its rows in a moment
                await asyncio.sleep(0.01)
            return 1
        sms = self.breaker.choose(self._s.sms_primary, self._s.sms_secondary or None)
        for name in (self._s.sms_primary, self._s.sms_secondary):
            if name:
                CIRCUIT_OPEN.labels(name).set(1 if self.breaker.is_open(name) else 0)
        free = min(free, self._s.worker_batch_size)
        self._reserved += free
        try:
            async with self._pool.acquire() as conn:
                rows = await repository.claim_due(conn, limit=free, sms_provider=sms)
        finally:
            self._reserved -= free
        if rows:
            BATCH_SIZE.labels("claim").observe(len(rows))
        self._start(rows)
        return len(rows)

    def _start(self, rows: list[asyncpg.Record]) -> None:
        """Call the providers of committed `sending` rows, each as its own task."""
        claimed_at = time.monotonic()
        for row in rows:
            task = asyncio.create_task(self._deliver(row, claimed_at))
            self._inflight.add(task)
            self._inflight_ids.add(row["id"])
            self._busy[row["provider"]] = self._busy.get(row["provider"], 0) + 1
            task.add_done_callback(partial(self._settled, row["id"], row["provider"]))

    def _settled(self, delivery_id: uuid.UUID, provider: str, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._busy[provider] -= 1
        if task.cancelled() or task.exception() is not None:  # no outcome will come: the reconciler settles the row
            self._inflight_ids.discard(delivery_id)
            if not task.cancelled():
                log.error("delivery_task_crashed", delivery_id=str(delivery_id), error=repr(task.exception())[:300])

    def _limit(self, provider: str) -> asyncio.Semaphore:
        found = self._provider_slots.get(provider)
        if found is None:
            found = self._provider_slots[provider] = asyncio.Semaphore(self._s.worker_provider_concurrency)
        return found

    async def _deliver(self, row: asyncpg.Record, claimed_at: float) -> None:
        """Call the provider for one claimed row; its outcome is recorded by the result writer (in a batch)."""
        provider_name = row["provider"]
        provider = self.providers.get(provider_name)
        if provider is None:
            await self._push(_Outcome(row, None, failed=("technical-failure", "provider_not_configured",
                                                          f"no client for {provider_name}")))
            return
        message = OutboundMessage(
            delivery_id=str(row["id"]), tracking_id=row["tracking_id"], route=row["channel"], recipient=row["recipient"],
            body=row["body"], subject=row["subject"], body_html=row["body_html"],
            zns_template_id=row["zns_template_id"], zns_data=json.loads(row["zns_data"]), unicode=self._s.sms_unicode,
        )
        error: ProviderError | None = None
        async with self._limit(provider_name):
            if time.monotonic() - claimed_at > self._s.sending_stale_seconds / 2:
                # Waited so long for a slot that the reconciler could soon take the row for abandoned: not sent, back in line.
                await self._push(_Outcome(row, provider, requeue=True))
                return
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self._s.provider_timeout_seconds + 1):  # no extra task, unlike wait_for
                    accepted = await provider.send(message)
            except ProviderError as exc:
                error = exc
            except TimeoutError:
                error = ProviderError(provider_name, "timeout", "no answer in time", retryable=True, provider_fault=True,
                                      ambiguous=True)
            except Exception as exc:
                log.exception("provider_client_crashed", provider=provider_name)
                error = ProviderError(provider_name, "client_error", f"{type(exc).__name__}: {exc}", retryable=True,
                                      ambiguous=True)
            PROVIDER_SECONDS.labels(provider_name).observe(time.perf_counter() - started)
        if error is None:
            self.breaker.success(provider_name)
            await self._push(_Outcome(row, provider, accepted=accepted))
            return
        PROVIDER_ERRORS.labels(provider_name, error.code, str(error.retryable).lower()).inc()
        if error.provider_fault and self.breaker.failure(provider_name):
            log.warning("provider_circuit_opened", provider=provider_name, open_s=self._s.circuit_open_seconds)
        await self._push(_Outcome(row, provider, error=error))

    # -- recording outcomes ------------------------------------------------------------------------

    async def _push(self, outcome: _Outcome) -> None:
        if self._flush_task is not None and not self._flush_task.done():
            self._outcomes.append(outcome)
            self._outcomes_ready.set()
        else:  # not running (tests driving one step): record at once
            await self._record([outcome])

    async def _flush_loop(self) -> None:
        """Record provider outcomes in batches: everything that arrived while the previous commit ran goes in the next."""
        while True:
            await self._outcomes_ready.wait()
            self._outcomes_ready.clear()
            while self._outcomes:
                batch = self._outcomes[:self._s.worker_batch_size]
                del self._outcomes[:len(batch)]
                await self._record(batch)
            if self._closing:
                return

    async def _record(self, batch: list[_Outcome]) -> None:
        """Commit `batch` in one transaction; when that fails, each outcome alone (a poison one cannot hold the rest)."""
        try:
            await self._record_batch(batch)
        finally:
            self._inflight_ids.difference_update(o.row["id"] for o in batch)

    async def _record_batch(self, batch: list[_Outcome]) -> None:
        for attempt in range(1, 6):
            try:
                await self._record_in_one(batch)
                return
            except asyncio.CancelledError:
                raise
            except _CONNECTION_ERRORS as exc:  # the database, not the batch: try the whole batch again
                log.warning("delivery_record_retry", outcomes=len(batch), attempt=attempt, error=f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(backoff(attempt, base=0.2, cap=5.0))
            except Exception as exc:
                if len(batch) == 1:
                    await self._record_poisoned(batch[0], exc)
                    return
                RECORD_FALLBACKS.inc()
                log.warning("delivery_record_batch_failed", outcomes=len(batch), error=f"{type(exc).__name__}: {exc}"[:300])
                for outcome in batch:
                    await self._record_batch([outcome])
                return
        log.error("delivery_record_gave_up", outcomes=len(batch), detail="rows stay in sending for the reconciler")

    async def _record_in_one(self, batch: list[_Outcome]) -> None:
        BATCH_SIZE.labels("record").observe(len(batch))
        after: list[Callable[[], None]] = []
        sent = [o for o in batch if o.accepted is not None]
        async with self._pool.acquire() as conn, conn.transaction():
            if sent:
                await self._sent_in(conn, sent, after)
            for outcome in batch:
                if outcome.requeue:
                    await repository.retry_later(conn, delivery_id=outcome.row["id"], attempt=outcome.row["attempts"], delay=0,
                                                 error_code="worker_busy", error="waited too long for a provider slot",
                                                 pin_provider=False)
                elif outcome.failed is not None:
                    status, code, reason = outcome.failed
                    await self._failed_in(conn, outcome.row, status, code, reason, after)
                elif outcome.error is not None:
                    assert outcome.provider is not None
                    await self._handle_error_in(conn, outcome.row, outcome.provider, outcome.error, after)
        for action in after:
            action()

    async def _sent_in(self, conn: Any, sent: list[_Outcome], after: list[Callable[[], None]]) -> None:
        by_id = {o.row["id"]: o for o in sent}
        results = []
        for o in sent:
            route, provider_name = o.row["channel"], o.row["provider"]
            assert o.accepted is not None
            cost = 0 if o.accepted.duplicate else self._costs.get(route if route in ("zalo_cs", "zns") else provider_name, 0)
            results.append(repository.SentResult(o.row["id"], o.row["attempts"], o.accepted.provider_message_id, cost))
        # A failure receipt or a bounce that raced ahead of this record keeps its status, and the notification its own:
        # only deliveries now sent (or delivered) come back, with their notification's facts.
        updated = await repository.record_sent(conn, results)
        costs = {r.delivery_id: r.cost_vnd for r in results}
        events = []
        for r in updated:
            events.append(outbound_events.sent(
                notification_id=str(r["notification_id"]), template_code=r["template_code"], route=r["channel"],
                provider=r["provider"], provider_message_id=r["provider_message_id"] or "", attempt=r["attempts"],
                dossier_code=r["dossier_code"], booking_id=r["booking_id"], source_event_id=r["source_event_id"]))
            duplicate = bool(by_id[r["id"]].accepted and by_id[r["id"]].accepted.duplicate)  # type: ignore[union-attr]
            after.append(partial(self._count_sent, r, costs[r["id"]], duplicate))
        if events:
            await enqueue(conn, *events)

    def _count_sent(self, row: asyncpg.Record, cost: int, duplicate: bool) -> None:
        DELIVERIES.labels(row["channel"], row["provider"], "sent").inc()
        COST.labels(row["channel"]).inc(cost)
        log.info("delivery_sent", delivery_id=str(row["id"]), notification_id=str(row["notification_id"]), route=row["channel"],
                 provider=row["provider"], attempt=row["attempts"], duplicate=duplicate or None)

    async def _record_poisoned(self, outcome: _Outcome, exc: Exception) -> None:
        """An outcome that cannot be recorded on its own: the row becomes technical-failure (never re-sent) if possible."""
        row = outcome.row
        log.error("delivery_record_failed", delivery_id=str(row["id"]), provider=row["provider"],
                  accepted=outcome.accepted is not None, error=f"{type(exc).__name__}: {exc}"[:300])
        after: list[Callable[[], None]] = []
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await self._failed_in(conn, row, "technical-failure", "record_failed",
                                      f"the provider's answer could not be recorded ({type(exc).__name__}); not re-sent",
                                      after, fallback=False)
        except Exception as again:  # left in sending: the reconciler settles it
            log.error("delivery_record_failed_again", delivery_id=str(row["id"]), error=f"{type(again).__name__}")
            return
        for action in after:
            action()

    async def _handle_error_in(self, conn: Any, row: asyncpg.Record, provider: Provider, error: ProviderError,
                               after: list[Callable[[], None]]) -> None:
        did, route, provider_name, attempt = row["id"], row["channel"], row["provider"], row["attempts"]
        if not error.retryable:
            await self._failed_in(conn, row, "permanent-failure", error.code, error.message, after)
            return
        if error.ambiguous and not provider.idempotent:
            await self._failed_in(conn, row, "technical-failure", error.code,
                                  f"outcome unknown ({error.message}); {provider_name} has no idempotency key, not re-sent",
                                  after, fallback=self._s.fallback_after_unknown_outcome)
            return
        age = (datetime.now(UTC) - (row["first_attempt_at"] or datetime.now(UTC))).total_seconds()
        delay = next_retry_in(attempt=attempt, first_attempt_age=age, base=self._s.retry_base_seconds,
                              cap=self._s.retry_max_seconds, total=self._s.retry_total_seconds)
        if delay is None:
            await self._failed_in(conn, row, "technical-failure", error.code,
                                  f"still failing after {age:.0f}s of retries: {error.message}", after)
            return
        if await repository.retry_later(conn, delivery_id=did, attempt=attempt, delay=delay, error_code=error.code,
                                        error=error.message, pin_provider=error.ambiguous and provider.idempotent):
            await repository.record_attempt(conn, delivery_id=did, attempt=attempt, channel=route, provider=provider_name,
                                            status="temporary-failure", error_code=error.code, retryable=True)
        after.append(partial(DELIVERIES.labels(route, provider_name, "retry").inc))
        after.append(partial(log.info, "delivery_retry_scheduled", delivery_id=str(did), route=route, provider=provider_name,
                             attempt=attempt, error_code=error.code, retry_in_s=round(delay, 3)))

    async def _failed_in(self, conn: Any, row: asyncpg.Record, status: str, code: str, reason: str,
                         after: list[Callable[[], None]], *, fallback: bool = True) -> None:
        did, route, provider_name, attempt = row["id"], row["channel"], row["provider"], row["attempts"]
        failed = await repository.mark_failed(conn, delivery_id=did, status=status, error_code=code, error=reason,
                                              attempt=attempt, from_statuses=("sending",))
        if failed is None:
            return
        await repository.record_attempt(conn, delivery_id=did, attempt=attempt, channel=route, provider=provider_name,
                                        status=status, error_code=code, retryable=False)
        await self._after_failure(conn, failed, status, code, reason, fallback=fallback)
        if route == "email" and status == "permanent-failure" and code in HARD_BOUNCE_CODES:
            await repository.suppress_email(conn, address=row["recipient"], reason="hard_bounce", status_code=code,
                                            diagnostic=reason, delivery_id=did)
            after.append(partial(log.info, "email_address_suppressed", delivery_id=str(did), email=row["recipient"],
                                 reason="hard_bounce", status_code=code))
        after.append(partial(DELIVERIES.labels(route, provider_name, status).inc))

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
                if row["id"] in self._inflight_ids:
                    continue  # ours and still going (a slow provider, an outcome not yet recorded), not abandoned
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
                    if failed is not None:  # not sent again on this channel; the next route, if so configured
                        await self._after_failure(conn, failed, "technical-failure", "stuck_sending",
                                                  "outcome unknown after a crash",
                                                  fallback=self._s.fallback_after_unknown_outcome)
                    RECONCILED.labels("technical_failure").inc()
                    log.warning("delivery_reconciled", delivery_id=str(row["id"]), provider=row["provider"],
                                outcome="technical_failure")
                settled += 1
        if settled:
            self._send_wake.set()
        return settled

    # -- receipts ----------------------------------------------------------------------------------

    async def apply_bounce(self, report: dsn.Report) -> bool:
        """Apply an e-mail bounce or complaint (see bounces.py); return whether it named one of our deliveries.

        A permanent failure marks the delivery `permanent-failure` (whatever it was: e-mail has no
        other receipt, so it was `sent`); a failure about the address, or a complaint, suppresses the
        address for future e-mails. Idempotent; delays and "delivered" reports change nothing."""
        after: list[Callable[[], None]] = []
        async with self._pool.acquire() as conn, conn.transaction():
            row = await repository.find_for_receipt(conn, provider="smtp", provider_message_id="",
                                                    tracking_id=report.tracking_id) if report.tracking_id else None
            if row is not None and row["channel"] != "email":
                row = None
            if report.kind == "bounce" and row is not None:
                failed = await repository.mark_failed(
                    conn, delivery_id=row["id"], status="permanent-failure", error_code=report.status,
                    error=f"bounced: {report.diagnostic or report.status}", attempt=None,
                    from_statuses=("sending", "sent", "delivered", "technical-failure", "temporary-failure"))
                if failed is not None:
                    await self._after_failure(conn, failed, "permanent-failure", report.status, "the e-mail bounced",
                                              fallback=False)
                    after.append(partial(DELIVERIES.labels("email", "smtp", "permanent-failure").inc))
            address = row["recipient"] if row is not None else report.recipient
            if report.kind in ("bounce", "complaint") and report.suppress and address:
                await repository.suppress_email(conn, address=address, reason="complaint" if report.kind == "complaint"
                                                else "hard_bounce", status_code=report.status, diagnostic=report.diagnostic,
                                                delivery_id=row["id"] if row is not None else None)
                after.append(partial(log.info, "email_address_suppressed", email=address, reason=report.kind,
                                     status_code=report.status))
        for action in after:
            action()
        return row is not None

    async def apply_receipt(self, *, provider: str, provider_message_id: str, tracking_id: str, status: str,
                            error_code: str, occurred_at: datetime) -> tuple[bool, str]:
        """Apply a provider's delivery receipt; return (matched, notification id). Idempotent.

        Receipts that arrive together (a provider answers a burst of messages with a burst of receipts) are
        applied together: the "delivered" ones by one statement, in one transaction with the others. If that
        transaction fails, each receipt of it is applied again on its own, so one bad receipt fails alone.
        """
        return await self._receipts.run(_Receipt(provider, provider_message_id, tracking_id, status, error_code,
                                                 occurred_at))

    async def _apply_receipts(self, receipts: list[_Receipt]) -> list[tuple[bool, str] | BaseException]:
        try:
            return list(await self._apply_receipts_in_one(receipts))
        except Exception as exc:
            if len(receipts) == 1:
                raise
            RECEIPT_FALLBACKS.inc()
            log.warning("notification_receipt_batch_failed", receipts=len(receipts), error=f"{type(exc).__name__}: {exc}")
        outcomes: list[tuple[bool, str] | BaseException] = []
        for receipt in receipts:
            try:
                outcomes.extend(await self._apply_receipts_in_one([receipt]))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    async def _apply_receipts_in_one(self, receipts: list[_Receipt]) -> list[tuple[bool, str]]:
        """`receipts` in one transaction; the delivery metrics counted once it committed."""
        counted: list[tuple[str, str, str]] = []
        async with self._pool.acquire() as conn, conn.transaction():
            outcomes = await self._apply_receipt_batch(conn, receipts, counted)
        for route, provider, status in counted:
            DELIVERIES.labels(route, provider, status).inc()
        return outcomes

    async def _apply_receipt_batch(self, conn: asyncpg.Connection, receipts: list[_Receipt],
                                   counted: list[tuple[str, str, str]]) -> list[tuple[bool, str]]:
        outcomes: list[tuple[bool, str]] = [(False, "")] * len(receipts)
        delivered = [i for i, r in enumerate(receipts) if r.status == "delivered"]
        if delivered:
            rows = await repository.mark_delivered_many(conn, [
                (receipts[i].provider, receipts[i].provider_message_id, receipts[i].tracking_id, receipts[i].occurred_at)
                for i in delivered])
            events = []
            for row in rows:
                index = delivered[row["i"] - 1]
                receipt = receipts[index]
                outcomes[index] = (True, str(row["notification_id"]))
                if row["moved"]:
                    events.append(outbound_events.delivered(
                        notification_id=str(row["notification_id"]), template_code=row["template_code"],
                        route=row["channel"], provider=row["provider"],
                        provider_message_id=receipt.provider_message_id or row["provider_message_id"] or "",
                        dossier_code=row["dossier_code"], booking_id=row["booking_id"],
                        source_event_id=row["source_event_id"], at=receipt.occurred_at))
                    counted.append((row["channel"], row["provider"], "delivered"))
            await enqueue(conn, *events)
        for index, receipt in enumerate(receipts):
            if receipt.status != "delivered":
                outcomes[index] = await self._apply_other_receipt(conn, receipt, counted)
        return outcomes

    async def _apply_other_receipt(self, conn: asyncpg.Connection, receipt: _Receipt,
                                   counted: list[tuple[str, str, str]]) -> tuple[bool, str]:
        """A receipt other than "delivered" (failed, or sent: only matched), within the batch's transaction."""
        row = await repository.find_for_receipt(conn, provider=receipt.provider,
                                                provider_message_id=receipt.provider_message_id,
                                                tracking_id=receipt.tracking_id)
        if row is None:
            return False, ""
        if receipt.status == "failed":
            error_code = receipt.error_code
            final = "permanent-failure" if error_code in PERMANENT_RECEIPT_CODES else "temporary-failure"
            failed = await repository.mark_failed(conn, delivery_id=row["id"], status=final, error_code=error_code,
                                                  error="reported by the provider's delivery receipt", attempt=None,
                                                  from_statuses=("sending", "sent", "technical-failure"))
            if failed is not None:
                await self._after_failure(conn, failed, final, error_code or "receipt_failed",
                                          "the provider reported the message undelivered", fallback=True)
                counted.append((row["channel"], row["provider"], final))
        return True, str(row["notification_id"])
