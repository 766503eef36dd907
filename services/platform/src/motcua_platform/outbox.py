"""Transactional outbox: events enqueued in the caller's transaction, published by one relay per schema.

A service writes its state change and its events in ONE transaction
(`enqueue`); the `OutboxRelay` publishes committed rows to Kafka in id order
with acks=all and marks them published (rows are kept, never deleted).

Delivery is at least once: a publish whose acknowledgement was lost is retried,
and a broker that lost its data gets everything again (`outbox_broker_forgot`).
Consumers dedupe on the CloudEvents id (see `motcua_platform.consumer`).

Order: rows are produced in id order and a key always maps to one partition,
so one aggregate's events keep their order as long as the writers of one
aggregate serialise on it (lock the aggregate row, then enqueue) — the normal
shape of a use case that updates a row and enqueues its event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaClient, AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError
from prometheus_client import Counter, Gauge, Histogram

from motcua_platform.cloudevents import CloudEvent, to_kafka
from motcua_platform.db import check_schema_name
from motcua_platform.kafka import TopicSpec, broker_ping, client_options, ensure_topics, make_producer
from motcua_platform.logging import get_logger
from motcua_platform.tracing import inject_headers

log = get_logger(__name__)

PUBLISHED = Counter("motcua_outbox_published", "Outbox events acknowledged by the broker", ["topic"])
PUBLISH_FAILURES = Counter("motcua_outbox_publish_failures", "Outbox events whose publication failed (retried)")
BROKER_FORGOT = Counter("motcua_outbox_broker_forgot", "Times the relay found the broker had lost published events")
LAG = Histogram(
    "motcua_outbox_lag_seconds",
    "Time from the outbox insert to the broker's acknowledgement",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0),
)
PENDING = Gauge("motcua_outbox_pending", "Outbox rows not yet published")

# Errors that mean "the broker is not reachable or not answering": retried forever.
BROKER_ERRORS: tuple[type[BaseException], ...] = (KafkaError, OSError, TimeoutError, ConnectionError)

_EXTENSION_NAME = re.compile(r"^[a-z0-9]+$")


def notify_channel(schema: str) -> str:
    """Return the LISTEN/NOTIFY channel of `schema`'s outbox (Postgres truncates names at 63 bytes)."""
    return f"motcua_outbox_{check_schema_name(schema)}"[:63]


def backoff_delay(attempt: int, *, base: float, cap: float) -> float:
    """Return the capped exponential delay before retry number `attempt` (1-based), with jitter."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return random.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True)
class OutboxEvent:
    """One event to publish: `data` is the proto3 JSON of its message (`cloudevents.data_from_message`)."""

    topic: str
    key: str
    type: str
    source: str
    data: bytes
    subject: str | None = None
    id: str = field(default_factory=lambda: str(uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: W3C trace headers to publish with; None takes the trace context current at `enqueue`
    #: (a batch written on behalf of several requests passes each request's own).
    headers: dict[str, str] | None = field(default=None, compare=False)


_INSERT = """
INSERT INTO outbox (event_id, topic, partition_key, type, source, subject, event_time, data, headers)
SELECT e.event_id, e.topic, e.partition_key, e.type, e.source, e.subject, e.event_time, e.data, e.headers::jsonb
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::bytea[],
            $9::text[])
     WITH ORDINALITY AS e(event_id, topic, partition_key, type, source, subject, event_time, data, headers, ord)
ORDER BY e.ord
"""


async def enqueue(conn: asyncpg.Connection, *events: OutboxEvent) -> list[str]:
    """Insert `events` into the outbox within the caller's open transaction; return their ids.

    They become visible to the relay, and so published, only if that
    transaction commits (a trigger notifies the relay at commit). The current
    trace context is stored with them and travels in their Kafka headers.
    Raises RuntimeError outside a transaction: an event must never be
    committed apart from the state change it describes.
    """
    if not conn.is_in_transaction():
        raise RuntimeError("outbox.enqueue must be called inside the transaction of the state change")
    if not events:
        return []
    for event in events:
        if event.time.tzinfo is None:
            raise ValueError(f"OutboxEvent {event.id}: time must be timezone-aware")
    current = json.dumps(inject_headers())
    await conn.execute(
        _INSERT,
        [e.id for e in events],
        [e.topic for e in events],
        [e.key for e in events],
        [e.type for e in events],
        [e.source for e in events],
        [e.subject for e in events],
        [e.time for e in events],
        [bytes(e.data) for e in events],
        [current if e.headers is None else json.dumps(e.headers) for e in events],
    )
    return [e.id for e in events]


async def _mark_unpublished(
    conn: asyncpg.Connection,
    *,
    since: datetime | None = None,
    from_id: int | None = None,
    to_id: int | None = None,
) -> int:
    status = await conn.execute(
        """
        UPDATE outbox SET published_at = NULL
        WHERE published_at IS NOT NULL
          AND ($1::timestamptz IS NULL OR created_at >= $1)
          AND ($2::bigint IS NULL OR id >= $2)
          AND ($3::bigint IS NULL OR id <= $3)
        """,
        since,
        from_id,
        to_id,
    )
    await conn.execute("SELECT pg_notify(left('motcua_outbox_' || current_schema(), 63), '')")
    return int(status.rsplit(" ", 1)[-1])


async def replay(
    pool: asyncpg.Pool,
    *,
    since: datetime | None = None,
    from_id: int | None = None,
    to_id: int | None = None,
) -> int:
    """Mark published rows unpublished again so the relay republishes them; return how many.

    Filters combine: `since` compares with the row's insert time, `from_id` and
    `to_id` (inclusive) with its outbox id; no filter means every row.
    Consumers see the events a second time and skip them by CloudEvents id.
    """
    async with pool.acquire() as conn, conn.transaction():
        count = await _mark_unpublished(conn, since=since, from_id=from_id, to_id=to_id)
    log.info("outbox_replay_requested", count=count, since=since.isoformat() if since else None, from_id=from_id, to_id=to_id)
    return count


@dataclass(frozen=True)
class _Row:
    id: int
    event_id: str
    topic: str
    key: str
    type: str
    source: str
    subject: str | None
    time: datetime
    data: bytes
    headers: dict[str, str]
    created_at: datetime

    def to_record(self) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
        extensions = {k: v for k, v in self.headers.items() if _EXTENSION_NAME.match(k) and isinstance(v, str)}
        extensions["partitionkey"] = self.key
        event = CloudEvent(
            id=self.event_id,
            source=self.source,
            type=self.type,
            time=self.time,
            subject=self.subject,
            data=self.data,
            extensions=extensions,
        )
        return to_kafka(event, key=self.key)


_SELECT = """
SELECT id, event_id, topic, partition_key, type, source, subject, event_time, data, headers::text AS headers, created_at
FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1
"""

_MARK_PUBLISHED = """
WITH marked AS (
    UPDATE outbox SET published_at = clock_timestamp(), attempts = attempts + 1, last_error = NULL
    WHERE id = ANY($1::bigint[]) AND published_at IS NULL
    RETURNING 1
), watermark AS (
    INSERT INTO outbox_broker_watermark AS w (topic, partition, acked_offset)
    SELECT * FROM unnest($2::text[], $3::integer[], $4::bigint[])
    ON CONFLICT (topic, partition) DO UPDATE
        SET acked_offset = GREATEST(w.acked_offset, EXCLUDED.acked_offset), updated_at = now()
    RETURNING 1
)
SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM watermark)
"""

_MARK_FAILED = """
UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[]) AND published_at IS NULL
"""


_COUNT_PENDING = "SELECT count(*) FROM outbox WHERE published_at IS NULL"


class _BrokerForgot(Exception):
    """The broker acknowledged an offset at or below one it acknowledged in an earlier round."""


class _PublishFailed(Exception):
    """Some rows of a batch were not acknowledged; the message says which and why."""


class OutboxRelay:
    """Publish a schema's outbox to Kafka; one active relay per schema, others stand by.

    Leadership is a session advisory lock held on a dedicated connection, which
    also LISTENs for commits; polling every `poll_interval` is the fallback. With `linger`, a relay woken
    by a commit waits that long before it reads, so a steady trickle of events goes out in batches.
    `run()` never raises on database or broker outages: it logs, backs off
    (capped exponential with jitter) and carries on until `stop()`.
    """

    def __init__(
        self,
        *,
        dsn: str,
        pool: asyncpg.Pool,
        schema: str,
        bootstrap: str,
        idempotence: bool,
        topics: list[TopicSpec],
        client_id: str = "motcua-outbox",
        batch_size: int = 500,
        poll_interval: float = 1.0,
        linger: float = 0.0,
        broker_check_interval: float = 5.0,
        backoff_base: float = 0.2,
        backoff_max: float = 5.0,
    ) -> None:
        self._dsn = dsn
        self._pool = pool
        self._schema = check_schema_name(schema)
        self._bootstrap = bootstrap
        self._idempotence = idempotence
        self._specs: dict[str, TopicSpec] = {t.name: t for t in topics}
        self._client_id = client_id
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._linger = linger
        self._check_interval = broker_check_interval
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._lock_key = f"motcua.outbox.{self._schema}"
        self._channel = notify_channel(self._schema)
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._done = asyncio.Event()
        self._running = False
        self._healthy = True
        self._leading = False
        self._producer: AIOKafkaProducer | None = None
        self._watermarks: dict[tuple[str, int], int] = {}
        self.published_total = 0
        self.failed_total = 0
        self.broker_forgot_total = 0

    # -- public surface ---------------------------------------------------

    @property
    def healthy(self) -> bool:
        """True when the last publish attempt succeeded or nothing is pending."""
        return self._healthy

    @property
    def leading(self) -> bool:
        """True while this relay holds the schema's leader lock."""
        return self._leading

    async def run(self) -> None:
        """Publish until `stop()`; stand by while another relay leads this schema."""
        if self._running:
            raise RuntimeError("OutboxRelay.run() is already running")
        self._running = True
        self._done.clear()
        failures = 0
        try:
            while not self._stopping.is_set():
                lock_conn: asyncpg.Connection | None = None
                try:
                    lock_conn = await self._acquire_leadership()
                    if lock_conn is None:
                        break
                    failures = 0
                    await self._lead(lock_conn)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    failures += 1
                    self._healthy = False
                    delay = backoff_delay(failures, base=self._backoff_base, cap=self._backoff_max)
                    log.warning(
                        "outbox_relay_error",
                        schema=self._schema,
                        error=f"{type(exc).__name__}: {exc}",
                        attempt=failures,
                        retry_in_s=round(delay, 2),
                    )
                    await self._sleep(delay)
                finally:
                    self._leading = False
                    await self._close_producer(graceful=self._stopping.is_set())
                    if lock_conn is not None:
                        await _close_quietly(lock_conn)
        finally:
            self._running = False
            self._done.set()
            log.info("outbox_relay_stopped", schema=self._schema)

    async def stop(self) -> None:
        """Ask `run()` to finish the batch in hand and return; wait until it has."""
        self._stopping.set()
        self._wake.set()
        if self._running:
            await self._done.wait()

    # -- leadership --------------------------------------------------------

    async def _acquire_leadership(self) -> asyncpg.Connection | None:
        conn = await asyncpg.connect(
            self._dsn,
            timeout=10,
            server_settings={
                "search_path": f"{self._schema}, public",
                "timezone": "UTC",
                "application_name": f"{self._client_id}-leader"[:63],
            },
        )
        try:
            announced = False
            while not self._stopping.is_set():
                if await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", self._lock_key):
                    self._leading = True
                    return conn
                if not announced:
                    log.info("outbox_relay_standby", schema=self._schema)
                    announced = True
                self._healthy = True
                await self._sleep(self._poll_interval)
        except BaseException:
            await _close_quietly(conn)
            raise
        await _close_quietly(conn)
        return None

    def _on_notify(self, *_args: Any) -> None:
        self._wake.set()

    async def _lead(self, lock_conn: asyncpg.Connection) -> None:
        await lock_conn.add_listener(self._channel, self._on_notify)
        log.info("outbox_relay_leading", schema=self._schema)
        self._watermarks = {
            (r["topic"], r["partition"]): r["acked_offset"]
            for r in await self._pool.fetch("SELECT topic, partition, acked_offset FROM outbox_broker_watermark")
        }
        broker_failures = 0
        next_check = 0.0
        while not self._stopping.is_set():
            if lock_conn.is_closed():
                raise ConnectionError("the relay's leader connection is closed")
            try:
                if self._producer is None:
                    await self._connect_broker()
                    next_check = _time.monotonic() + self._check_interval
                elif _time.monotonic() >= next_check:
                    await lock_conn.fetchval("SELECT 1")  # raises when the leader connection died
                    next_check = _time.monotonic() + self._check_interval
                    reason = await self._broker_forgot_reason()
                    if reason:
                        await self._recover_forgotten(reason)
                        continue
                self._wake.clear()
                rows = await self._fetch()
                if not rows:
                    PENDING.set(0)
                    self._healthy = True
                    broker_failures = 0
                    await self._wait_for_work(max(0.0, min(self._poll_interval, next_check - _time.monotonic())))
                    continue
                try:
                    failed = await self._publish(rows)
                except _BrokerForgot as exc:
                    await self._recover_forgotten(str(exc))
                    continue
                if failed:
                    raise _PublishFailed(failed)
                broker_failures = 0
                if len(rows) < self._batch_size:
                    PENDING.set(0)
                else:
                    PENDING.set(await self._pool.fetchval(_COUNT_PENDING))
            except (_PublishFailed, *BROKER_ERRORS) as exc:
                broker_failures += 1
                await self._close_producer(graceful=False)
                event = "outbox_publish_failed" if isinstance(exc, _PublishFailed) else "outbox_broker_unavailable"
                await self._broker_backoff(event, exc, broker_failures)

    async def _broker_backoff(self, event: str, error: BaseException, attempt: int) -> None:
        pending = await self._pool.fetchval(_COUNT_PENDING)
        PENDING.set(pending)
        self._healthy = pending == 0
        delay = backoff_delay(attempt, base=self._backoff_base, cap=self._backoff_max)
        message = str(error) if isinstance(error, _PublishFailed) else _describe(error)
        log.warning(event, schema=self._schema, error=message, pending=pending, attempt=attempt, retry_in_s=round(delay, 2))
        await self._sleep(delay)

    # -- broker ------------------------------------------------------------

    async def _connect_broker(self) -> None:
        """Check the broker kept what it acknowledged, create the topics, open a producer."""
        reason = await self._broker_forgot_reason()
        if reason:
            await self._recover_forgotten(reason)
        await ensure_topics(self._bootstrap, list(self._specs.values()), timeout=10)
        producer = make_producer(
            self._bootstrap,
            idempotence=self._idempotence,
            client_id=self._client_id,
            max_batch_size=512 * 1024,
        )
        try:
            await asyncio.wait_for(producer.start(), 10)
        except BaseException:
            await _abort_producer(producer)
            raise
        self._producer = producer
        log.info("outbox_broker_connected", schema=self._schema, bootstrap=self._bootstrap)

    async def _close_producer(self, *, graceful: bool) -> None:
        producer, self._producer = self._producer, None
        if producer is None:
            return
        if graceful:
            try:
                await asyncio.wait_for(producer.stop(), 10)
                return
            except Exception:
                log.debug("outbox_producer_stop_error", exc_info=True)
        await _abort_producer(producer)

    async def _cluster_partitions(self) -> dict[str, set[int]]:
        """Return every topic's partitions without creating any (a named metadata request would)."""
        client = AIOKafkaClient(bootstrap_servers=self._bootstrap, client_id=self._client_id, request_timeout_ms=5000,
                                **client_options())
        try:
            await asyncio.wait_for(client.bootstrap(), 10)
            cluster = await asyncio.wait_for(client.fetch_all_metadata(), 10)
        finally:
            await client.close()
        return {topic: set(cluster.partitions_for_topic(topic) or ()) for topic in cluster.topics()}

    async def _broker_forgot_reason(self) -> str | None:
        """Return why the broker lost acknowledged events, or None when it kept them."""
        if not self._watermarks:
            return None
        partitions = await self._cluster_partitions()
        for (topic, partition), acked in sorted(self._watermarks.items()):
            if topic not in partitions:
                return f"topic {topic} is gone (offset {acked} was acknowledged)"
            if partition not in partitions[topic]:
                return f"partition {topic}/{partition} is gone (offset {acked} was acknowledged)"
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            enable_auto_commit=False,
            request_timeout_ms=5000,
            **client_options(),
        )
        try:
            await asyncio.wait_for(consumer.start(), 10)
            tps = [TopicPartition(t, p) for t, p in self._watermarks]
            ends = await asyncio.wait_for(consumer.end_offsets(tps), 10)
        finally:
            await consumer.stop()
        for tp in tps:
            acked = self._watermarks[(tp.topic, tp.partition)]
            if ends.get(tp, 0) <= acked:
                return f"{tp.topic}/{tp.partition} ends at offset {ends.get(tp, 0)} but offset {acked} was acknowledged"
        return None

    async def _recover_forgotten(self, reason: str) -> None:
        """Re-create the topics and mark every row unpublished: the broker lost what it had."""
        self.broker_forgot_total += 1
        BROKER_FORGOT.inc()
        log.warning("outbox_broker_forgot", schema=self._schema, reason=reason)
        await self._close_producer(graceful=False)
        await self._repair_topics()
        async with self._pool.acquire() as conn, conn.transaction():
            count = await _mark_unpublished(conn)
            await conn.execute("DELETE FROM outbox_broker_watermark")
        self._watermarks.clear()
        log.warning("outbox_replay_after_broker_forgot", schema=self._schema, count=count)

    async def _repair_topics(self) -> None:
        """Delete our topics that came back with the wrong partition count, then create what is missing.

        A client asking for metadata of an unknown topic makes the embedded
        broker create it with its default partition count; keys would then
        map to other partitions than the declared ones.
        """
        ours = {topic for topic, _ in self._watermarks} & set(self._specs)
        partitions = await self._cluster_partitions()
        wrong = [t for t in sorted(ours) if t in partitions and len(partitions[t]) != self._specs[t].partitions]
        if wrong:
            admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, request_timeout_ms=10_000, **client_options())
            await asyncio.wait_for(admin.start(), 10)
            try:
                await admin.delete_topics(wrong)
            finally:
                await admin.close()
            log.warning("outbox_topics_recreated", schema=self._schema, topics=wrong)
        await ensure_topics(self._bootstrap, list(self._specs.values()), timeout=10)
        if wrong:
            partitions = await self._cluster_partitions()
            for topic in wrong:
                if len(partitions.get(topic, ())) != self._specs[topic].partitions:
                    # Another client re-created it first; keys still map consistently from now on.
                    log.warning(
                        "outbox_topic_partitions_mismatch",
                        schema=self._schema,
                        topic=topic,
                        partitions=len(partitions.get(topic, ())),
                        declared=self._specs[topic].partitions,
                    )

    # -- publishing ----------------------------------------------------------

    async def _fetch(self) -> list[_Row]:
        records = await self._pool.fetch(_SELECT, self._batch_size)
        return [
            _Row(
                id=r["id"],
                event_id=r["event_id"],
                topic=r["topic"],
                key=r["partition_key"],
                type=r["type"],
                source=r["source"],
                subject=r["subject"],
                time=r["event_time"],
                data=r["data"],
                headers=json.loads(r["headers"]) if r["headers"] != "{}" else {},
                created_at=r["created_at"],
            )
            for r in records
        ]

    async def _publish(self, rows: Sequence[_Row]) -> str | None:
        """Produce `rows` in id order and record the outcome; return an error summary, or None.

        Raises _BrokerForgot when an acknowledged offset went backwards.
        """
        producer = self._producer
        assert producer is not None
        undeclared = sorted({r.topic for r in rows} - set(self._specs))
        if undeclared:
            log.warning("outbox_topic_undeclared", schema=self._schema, topics=undeclared)
            for name in undeclared:
                self._specs[name] = TopicSpec(name)
            await ensure_topics(self._bootstrap, [self._specs[n] for n in undeclared], timeout=10)

        futures: list[asyncio.Future[Any]] = []
        send_error: BaseException | None = None
        try:
            async with asyncio.timeout(30):
                for row in rows:
                    key, value, headers = row.to_record()
                    future = await producer.send(row.topic, value=value, key=key, headers=headers)
                    future.add_done_callback(_retrieve_exception)
                    futures.append(future)
        except BROKER_ERRORS as exc:
            send_error = exc
        if futures:
            await self._await_acks(futures)

        acked: list[tuple[_Row, Any]] = []
        failed: list[tuple[_Row, str]] = []
        for index, row in enumerate(rows):
            fut = futures[index] if index < len(futures) else None
            if fut is None:
                failed.append((row, _describe(send_error) if send_error else "not sent"))
            elif not fut.done():
                failed.append((row, "no acknowledgement (broker unreachable)"))
            elif fut.cancelled():
                failed.append((row, "cancelled"))
            elif fut.exception() is not None:
                failed.append((row, _describe(fut.exception())))
            else:
                acked.append((row, fut.result()))

        for _row, metadata in acked:
            previous = self._watermarks.get((metadata.topic, metadata.partition))
            if previous is not None and metadata.offset <= previous:
                raise _BrokerForgot(
                    f"{metadata.topic}/{metadata.partition} acknowledged offset {metadata.offset} after offset {previous}"
                )
        if acked:
            await self._record_published(acked)
        if failed:
            self.failed_total += len(failed)
            PUBLISH_FAILURES.inc(len(failed))
            async with self._pool.acquire() as conn:
                await conn.execute(_MARK_FAILED, [row.id for row, _ in failed], failed[0][1][:1000])
            return f"{len(failed)} of {len(rows)} events not acknowledged, first id {failed[0][0].id}: {failed[0][1]}"
        self._healthy = True
        return None

    async def _await_acks(self, futures: list[asyncio.Future[Any]]) -> None:
        """Wait for the acknowledgements; give up early when the broker stops answering."""
        pending: set[asyncio.Future[Any]] = set(futures)
        deadline = _time.monotonic() + 30
        while pending and _time.monotonic() < deadline:
            _done, pending = await asyncio.wait(pending, timeout=1.0)
            if pending:
                try:
                    await broker_ping(self._bootstrap, timeout=2.0)
                except ConnectionError:
                    return

    async def _record_published(self, acked: list[tuple[_Row, Any]]) -> None:
        # Per partition, the lowest offset of this round: the embedded broker reports a
        # partition's end offset as its last batch's base offset + 1, so only an offset
        # at or before the start of the last batch is sure to lie below it.
        floor: dict[tuple[str, int], int] = {}
        for _row, md in acked:
            tp = (md.topic, md.partition)
            if tp not in floor or md.offset < floor[tp]:
                floor[tp] = md.offset
        await self._pool.fetchrow(
            _MARK_PUBLISHED,
            [row.id for row, _ in acked],
            [tp[0] for tp in floor],
            [tp[1] for tp in floor],
            list(floor.values()),
        )
        for tp, offset in floor.items():
            self._watermarks[tp] = max(offset, self._watermarks.get(tp, -1))
        now = datetime.now(UTC)
        per_topic: dict[str, int] = {}
        for row, _md in acked:
            per_topic[row.topic] = per_topic.get(row.topic, 0) + 1
            LAG.observe(max(0.0, (now - row.created_at).total_seconds()))
        for topic, count in per_topic.items():
            PUBLISHED.labels(topic).inc(count)
        self.published_total += len(acked)
        log.debug("outbox_published", schema=self._schema, count=len(acked), first_id=acked[0][0].id, last_id=acked[-1][0].id)

    # -- waiting -------------------------------------------------------------

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _wait_for_work(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            return
        if self._linger > 0:  # woken by a commit: let the next few join its batch
            await self._sleep(self._linger)


def _retrieve_exception(future: asyncio.Future[Any]) -> None:
    # The outcome is read in _publish; this only keeps asyncio from warning about
    # futures failed after the relay stopped looking (aborted producer).
    if not future.cancelled():
        future.exception()


def _reraise_if_cancelled() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _describe(exc: BaseException | None) -> str:
    return f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"


async def _close_quietly(conn: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(conn.close(), 5)
    except Exception:
        conn.terminate()


async def _abort_producer(producer: AIOKafkaProducer) -> None:
    """Stop `producer` now, failing what it still holds instead of delivering it later.

    `stop()` alone would keep retrying queued batches until they expire; a
    broker that comes back meanwhile would get them (and, being asked for
    their topics' metadata, auto-create topics the relay has not re-created
    yet). Cancelling the sender first makes the abort immediate. This reaches
    into aiokafka internals (0.11-0.14), guarded: if they change, it degrades
    to a plain `stop()` bounded by a timeout.
    """
    sender = getattr(producer, "_sender", None)
    accumulator = getattr(producer, "_message_accumulator", None)
    try:
        if sender is not None:
            await asyncio.wait_for(sender.close(), 5)
    except asyncio.CancelledError:
        _reraise_if_cancelled()
    except Exception:
        log.debug("outbox_producer_abort_error", exc_info=True)
    if accumulator is not None:
        try:
            batches = [b for queue in accumulator._batches.values() for b in queue]
            batches += list(accumulator._pending_batches)
            accumulator.fail_all(KafkaConnectionError("producer aborted by the outbox relay"))
            for batch in batches:
                # Nobody waits on these any more; read them so asyncio does not warn.
                waiter = batch._drain_waiter
                if waiter.done() and not waiter.cancelled():
                    waiter.exception()
        except Exception:
            log.debug("outbox_producer_abort_error", exc_info=True)
    try:
        await asyncio.wait_for(producer.stop(), 5)
    except asyncio.CancelledError:
        _reraise_if_cancelled()
    except Exception:
        log.debug("outbox_producer_abort_error", exc_info=True)
