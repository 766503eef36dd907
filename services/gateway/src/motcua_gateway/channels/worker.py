"""The durable inbox worker: claims verified webhook events, processes them, retries, parks poison rows.

Delivery guarantees:
- the webhook stored the event (unique on its message id) before answering 200, so a crash
  after the 200 loses nothing and a redelivery is a no-op;
- rows are leased (`locked_until`) with FOR UPDATE SKIP LOCKED: several gateway replicas share
  the work; a crashed worker's lease expires and the row is processed again;
- one sender's rows are processed one at a time in arrival order (conversation state);
- a handler's side effects are idempotent (replies keyed by the inbound id and rank, bookings
  keyed by the inbound id), and its database writes (conversation state, identity) commit in
  the same transaction that marks the row done: reprocessing after a crash repeats nothing;
- failures come back after capped exponential backoff; after `max_attempts`, or at once for a
  permanent error, the row is parked (status 'parked', kept for an operator).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import grpc
from prometheus_client import Counter, Histogram

from motcua_gateway.channels import repository as repo
from motcua_gateway.channels.repository import Conn, InboxRow
from motcua_gateway.settings import ChannelSettings
from motcua_platform.logging import get_logger

log = get_logger(__name__)

PROCESSED = Counter("motcua_channel_events_total", "Inbound channel events processed", ["channel", "event", "outcome"])
PROCESS_SECONDS = Histogram("motcua_channel_event_seconds", "Time from webhook receipt to processed", ["channel"],
                            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))

Write = Callable[[Conn], Awaitable[None]]


@dataclass
class Outcome:
    """Database writes of one processed event, committed with its 'done' mark."""

    writes: list[Write] = field(default_factory=list)

    def add(self, write: Write) -> None:
        self.writes.append(write)


Handler = Callable[[InboxRow, Outcome], Awaitable[None]]


class PermanentError(Exception):
    """Processing this event can never succeed: park it."""


_PERMANENT_GRPC = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.PERMISSION_DENIED,
                   grpc.StatusCode.UNIMPLEMENTED}


def backoff(attempt: int, *, base: float, cap: float) -> float:
    return min(cap, base * 2 ** max(0, attempt - 1)) * (0.5 + random.random() / 2)


class InboxWorker:
    def __init__(self, *, pool: asyncpg.Pool, settings: ChannelSettings, handlers: dict[str, Handler]) -> None:
        self._pool = pool
        self._s = settings
        self._handlers = handlers
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="channel-inbox-worker")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, 10)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                done = await self.run_once()
                failures = 0
            except asyncpg.UndefinedTableError:
                log.warning("channel_inbox_missing", detail="gateway migrations not applied; channel worker idle")
                await self._sleep(30)
                continue
            except Exception as exc:
                failures += 1
                log.warning("channel_worker_step_failed", error=f"{type(exc).__name__}: {exc}", attempt=failures)
                await self._sleep(backoff(failures, base=0.2, cap=5.0))
                continue
            if not done:
                await self._sleep(self._s.poll_interval_seconds)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def run_once(self) -> int:
        """Claim and process one batch; return how many rows were claimed."""
        async with self._pool.acquire() as conn:
            rows = await repo.claim(conn, limit=self._s.worker_concurrency, lease_seconds=self._s.lease_seconds)
        if rows:
            await asyncio.gather(*(self._process(row) for row in rows))
        return len(rows)

    async def _process(self, row: InboxRow) -> None:
        handler = self._handlers.get(row.channel)
        outcome = Outcome()
        try:
            if handler is None:
                raise PermanentError(f"no handler for channel {row.channel}")
            await handler(row, outcome)
        except Exception as exc:
            await self._failed(row, exc)
            return
        async with self._pool.acquire() as conn, conn.transaction():
            for write in outcome.writes:
                await write(conn)
            await repo.mark_done(conn, row_id=row.id)
        PROCESSED.labels(row.channel, row.event_name, "done").inc()
        with contextlib.suppress(Exception):
            from datetime import UTC, datetime

            PROCESS_SECONDS.labels(row.channel).observe((datetime.now(UTC) - row.received_at).total_seconds())

    async def _failed(self, row: InboxRow, exc: Exception) -> None:
        permanent = isinstance(exc, PermanentError) or (
            isinstance(exc, grpc.aio.AioRpcError) and exc.code() in _PERMANENT_GRPC)
        error = f"{type(exc).__name__}: {_describe(exc)}"
        async with self._pool.acquire() as conn:
            if permanent or row.attempts >= self._s.max_attempts:
                await repo.park(conn, row_id=row.id, error=error)
                PROCESSED.labels(row.channel, row.event_name, "parked").inc()
                log.error("channel_event_parked", channel=row.channel, event_name=row.event_name, inbox_id=row.id,
                          attempts=row.attempts, error=error)
                return
            delay = backoff(row.attempts, base=self._s.retry_base_seconds, cap=self._s.retry_max_seconds)
            await repo.retry_later(conn, row_id=row.id, delay=delay, error=error)
        PROCESSED.labels(row.channel, row.event_name, "retry").inc()
        log.warning("channel_event_retry", channel=row.channel, event_name=row.event_name, inbox_id=row.id,
                    attempt=row.attempts, retry_in_s=round(delay, 2), error=error)


def _describe(exc: Any) -> str:
    if isinstance(exc, grpc.aio.AioRpcError):
        return f"{exc.code().name} {exc.details()}"[:300]
    return str(exc)[:300]
