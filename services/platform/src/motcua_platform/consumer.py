"""Kafka consumer loop: CloudEvents in, idempotent handling through the inbox, dead letters out.

Per record, in partition order: decode the CloudEvent; in ONE database
transaction insert the inbox row `(consumer, source, event_id)` and, unless it
already existed, run the handler; commit; then commit the Kafka offset. So a
redelivered record (a crash before the offset commit, a rebalance, a broker
that forgot its offsets, a relay replay) changes nothing the second time.

A record that cannot be decoded, whose handler raises `PermanentError`, or
whose handler keeps failing after `max_attempts` goes to the dead-letter topic
with the original key, value and headers plus `dlt_*` headers; its offset is
committed only once the dead letter is acknowledged, so a partition never
blocks on one bad record. Database and broker outages are not the record's
fault: they are retried without limit and do not count as attempts.

Partitions are handled side by side: each partition's records are handled in
order by one task at a time, and a partition whose previous records are still
being handled is not fetched from meanwhile, so a record never waits for
another partition's transaction. Offsets are committed as partitions finish,
while the other partitions' records are being handled, at most once per
`commit_interval_ms` (200 ms): each commit is a request to the broker, and what
a crash leaves uncommitted is redelivered and absorbed by the inbox. When partitions are
taken away (rebalance), their records in hand are finished first, so a
partition is never handled by two members at once; when the consumer stops,
they are finished and their offsets committed.
"""

from __future__ import annotations

import asyncio
import time as _time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.protocol.group import LeaveGroupRequest
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Histogram

from motcua_platform.cloudevents import CloudEvent, InvalidEvent, format_time, from_kafka
from motcua_platform.kafka import TopicSpec, ensure_topics, make_consumer, make_producer
from motcua_platform.logging import get_logger
from motcua_platform.outbox import backoff_delay
from motcua_platform.tracing import tracer

log = get_logger(__name__)

PROCESSED = Counter("motcua_consumer_processed", "Events handled and committed", ["consumer"])
DUPLICATES = Counter("motcua_consumer_duplicates", "Events skipped because the inbox already had them", ["consumer"])
DEAD_LETTERED = Counter("motcua_consumer_dead_lettered", "Records sent to the dead-letter topic", ["consumer", "reason"])
RETRIES = Counter("motcua_consumer_retries", "Handler attempts that failed and were retried", ["consumer"])
HANDLE_SECONDS = Histogram(
    "motcua_consumer_handle_seconds",
    "Time to handle one record (inbox, handler, commit)",
    ["consumer"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

#: Longest `dlt_error` header, in characters.
DLT_ERROR_MAX = 1000

# asyncpg failures of the connection itself, as opposed to failures of a statement.
_DB_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
)

_INBOX_INSERT = """
INSERT INTO inbox (consumer, source, event_id, event_type, topic, partition, kafka_offset)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT DO NOTHING
RETURNING true
"""
#: The inbox rows of a chunk (one partition) in one statement; returns the offsets that were new.
_INBOX_INSERT_CHUNK = """
INSERT INTO inbox (consumer, source, event_id, event_type, topic, partition, kafka_offset)
SELECT $1, u.source, u.event_id, u.event_type, u.topic, u.partition, u.kafka_offset
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[])
     AS u(source, event_id, event_type, topic, partition, kafka_offset)
ON CONFLICT DO NOTHING
RETURNING kafka_offset
"""


@dataclass(frozen=True)
class ReceivedEvent:
    """A decoded event and where it came from."""

    event: CloudEvent
    topic: str
    partition: int
    offset: int
    key: str | None


Handler = Callable[[asyncpg.Connection, ReceivedEvent], Awaitable[None]]
#: Handles the new events of a chunk in order, in one go: the same effects as `Handler` on each in turn.
ChunkHandler = Callable[[asyncpg.Connection, Sequence[ReceivedEvent]], Awaitable[None]]


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help: the record is dead-lettered at once."""


class _HandlerFailed(Exception):
    """Wraps an exception raised by the handler itself (as opposed to the inbox or commit)."""


class Consumer:
    """Consume `topics` as group `name`, handling each event once through the inbox.

    `handler(conn, received)` runs inside the inbox transaction on `conn`: all
    its writes commit together with the inbox row, or not at all. It must not
    commit or open its own connection for work that has to be exactly-once.

    `chunk_handler(conn, events)`, when given, takes the new events of a chunk in
    one call (one statement for many events, say) and must leave what `handler`
    called on each in turn would. A chunk that fails is handled again record by
    record with `handler`.
    """

    def __init__(
        self,
        *,
        name: str,
        pool: asyncpg.Pool,
        bootstrap: str,
        topics: list[str],
        handler: Handler,
        idempotence: bool,
        dead_letter_topic: str,
        max_attempts: int = 5,
        backoff_base: float = 0.2,
        backoff_max: float = 5.0,
        client_id: str | None = None,
        session_timeout_ms: int = 10_000,
        batch_size: int = 100,
        chunk_handler: ChunkHandler | None = None,
        commit_interval_ms: int = 200,
    ) -> None:
        if not topics:
            raise ValueError("a consumer needs at least one topic")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._name = name
        self._pool = pool
        self._bootstrap = bootstrap
        self._topics = list(topics)
        self._handler = handler
        self._chunk_handler = chunk_handler
        #: Finished offsets are committed at most this often (and always when stopping): every commit is a request
        #: to the broker, and a redelivery after a crash is absorbed by the inbox.
        self._commit_interval = max(0, commit_interval_ms) / 1000
        self._idempotence = idempotence
        self._dlt = dead_letter_topic
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._client_id = client_id or name
        self._session_timeout_ms = session_timeout_ms
        self._batch_size = max(1, batch_size)
        self._stopping = asyncio.Event()
        self._done = asyncio.Event()
        self._running = False
        self._healthy = False
        self._dlt_producer: AIOKafkaProducer | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def healthy(self) -> bool:
        """True while connected to the group and neither the database nor the broker is failing."""
        return self._healthy

    async def run(self) -> None:
        """Consume until `stop()`; reconnect after broker or database outages instead of raising."""
        if self._running:
            raise RuntimeError("Consumer.run() is already running")
        self._running = True
        self._done.clear()
        failures = 0
        try:
            while not self._stopping.is_set():
                kafka: AIOKafkaConsumer | None = None
                try:
                    await ensure_topics(self._bootstrap, [TopicSpec(self._dlt, partitions=1)], timeout=10)
                    kafka = make_consumer(
                        self._bootstrap,
                        group_id=self._name,
                        client_id=self._client_id,
                        session_timeout_ms=self._session_timeout_ms,
                        heartbeat_interval_ms=max(200, self._session_timeout_ms // 4),
                    )
                    work = _PartitionWork(self._name, self._commit_interval)
                    kafka.subscribe(topics=self._topics, listener=_FinishRevoked(work))
                    await asyncio.wait_for(kafka.start(), 30)
                    self._healthy = True
                    failures = 0
                    log.info("consumer_started", consumer=self._name, topics=self._topics)
                    await self._consume(kafka, work)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    failures += 1
                    self._healthy = False
                    delay = backoff_delay(failures, base=self._backoff_base, cap=self._backoff_max)
                    log.warning(
                        "consumer_error",
                        consumer=self._name,
                        error=f"{type(exc).__name__}: {exc}",
                        attempt=failures,
                        retry_in_s=round(delay, 2),
                    )
                    await self._sleep(delay)
                finally:
                    self._healthy = False
                    if kafka is not None:
                        # Offsets were committed (or, when killed, not) explicitly before.
                        await _leave_and_close(kafka)
        finally:
            producer, self._dlt_producer = self._dlt_producer, None
            if producer is not None:
                await _quietly(producer.stop(), 10)
            self._running = False
            self._done.set()
            log.info("consumer_stopped", consumer=self._name)

    async def stop(self) -> None:
        """Finish the record in hand, commit its offset, leave the group; wait until done."""
        self._stopping.set()
        if self._running:
            await self._done.wait()

    # -- the loop ------------------------------------------------------------

    async def _consume(self, kafka: AIOKafkaConsumer, work: _PartitionWork) -> None:
        """Fetch from the partitions not busy, hand each batch to a task of its partition, commit as they finish."""
        try:
            while not self._stopping.is_set():
                work.reap()
                await work.commit_now(kafka)
                idle = [tp for tp in kafka.assignment() if tp not in work.busy]
                if work.busy and not idle:  # every partition busy: wait for one to finish
                    await asyncio.wait(list(work.busy.values()), return_when=asyncio.FIRST_COMPLETED)
                    continue
                # While some partitions are busy, poll briefly so a finished one is fetched from again soon; with
                # offsets waiting for their commit, no longer than until it is due.
                timeout_ms = _BUSY_POLL_MS if work.busy else min(500, work.commit_due_ms())
                batch = await kafka.getmany(*idle, timeout_ms=timeout_ms, max_records=500)
                for tp, records in batch.items():
                    work.start(tp, self._process_partition(tp, records))
        finally:
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # cancelled, not stopped: the records in hand are not finished
                for busy in work.busy.values():
                    busy.cancel()
            await work.finish(kafka)

    async def _process_partition(
        self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]
    ) -> tuple[TopicPartition, int | None]:
        """Handle `records` in order; return the offset to commit (last done + 1), or None.

        Fast path: a chunk of records is handled in ONE transaction (one commit instead of
        one per record). If anything in the chunk fails, that transaction rolls back and the
        chunk is handled again record by record, with the usual retries and dead letters.
        Handlers must therefore keep their effects inside the transaction they are given.
        """
        next_offset: int | None = None
        for start in range(0, len(records), self._batch_size):
            if self._stopping.is_set():
                break
            chunk = records[start:start + self._batch_size]
            if len(chunk) > 1 and await self._try_chunk(chunk):
                next_offset = chunk[-1].offset + 1
                continue
            for record in chunk:
                if self._stopping.is_set():
                    return tp, next_offset
                if not await self._process_record(record):
                    return tp, next_offset
                next_offset = record.offset + 1
        return tp, next_offset

    async def _try_chunk(self, chunk: list[ConsumerRecord[bytes, bytes]]) -> bool:
        """Handle every record of `chunk` in one transaction; False (nothing kept) on any failure."""
        started = _time.monotonic()
        received: list[ReceivedEvent] = []
        for record in chunk:
            try:
                event = from_kafka(record.headers, record.value, record.key)
            except InvalidEvent:
                return False
            received.append(ReceivedEvent(
                event=event, topic=record.topic, partition=record.partition, offset=record.offset,
                key=record.key.decode("utf-8", errors="replace") if record.key is not None else None,
            ))
        outcomes: list[bool] = []
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                # Every inbox row of the chunk in one statement (a redelivered event, or one twice in the chunk, is
                # not new), then the handler of each new event in order. Any failure rolls the whole chunk back and
                # it is handled again record by record, so no savepoint per record is needed.
                new = {r["kafka_offset"] for r in await conn.fetch(
                    _INBOX_INSERT_CHUNK, self._name, [i.event.source for i in received], [i.event.id for i in received],
                    [i.event.type for i in received], [i.topic for i in received], [i.partition for i in received],
                    [i.offset for i in received])}
                outcomes = [item.offset in new for item in received]
                if self._chunk_handler is not None:
                    fresh = [(item, record) for item, record, inserted in zip(received, chunk, outcomes, strict=True)
                             if inserted]
                    if fresh:
                        await self._handle_chunk(conn, fresh)
                else:
                    for item, record, inserted in zip(received, chunk, outcomes, strict=True):
                        if inserted:
                            parent = propagate.extract(_trace_carrier(record.headers))
                            with tracer().start_as_current_span(f"{record.topic} process", context=parent,
                                                                kind=SpanKind.CONSUMER):
                                await self._handler(conn, item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.info("consumer_chunk_fallback", consumer=self._name, records=len(chunk), error=_describe(exc))
            return False
        self._healthy = True
        elapsed = _time.monotonic() - started
        for item, inserted in zip(received, outcomes, strict=True):
            (PROCESSED if inserted else DUPLICATES).labels(self._name).inc()
            HANDLE_SECONDS.labels(self._name).observe(elapsed / len(chunk))
            log.info("event_processed" if inserted else "event_duplicate_skipped", consumer=self._name,
                     topic=item.topic, partition=item.partition, offset=item.offset, event_id=item.event.id,
                     event_type=item.event.type, batch=len(chunk))
        return True

    async def _handle_chunk(self, conn: asyncpg.Connection,
                            fresh: list[tuple[ReceivedEvent, ConsumerRecord[bytes, bytes]]]) -> None:
        """The chunk handler under one span: a child of the first event's trace, linked to every event's."""
        assert self._chunk_handler is not None
        contexts = [trace.get_current_span(propagate.extract(_trace_carrier(record.headers))).get_span_context()
                    for _, record in fresh]
        links = [trace.Link(context) for context in contexts if context.is_valid]
        parent = propagate.extract(_trace_carrier(fresh[0][1].headers))
        with tracer().start_as_current_span(f"{fresh[0][1].topic} process", context=parent, kind=SpanKind.CONSUMER,
                                            links=links) as span:
            span.set_attribute("messaging.batch.message_count", len(fresh))
            await self._chunk_handler(conn, [item for item, _ in fresh])

    async def _process_record(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        """Handle, skip or dead-letter one record; return False if stopped before it was done."""
        started = _time.monotonic()
        context: dict[str, Any] = {
            "consumer": self._name,
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
        }
        try:
            event = from_kafka(record.headers, record.value, record.key)
        except InvalidEvent as exc:
            with structlog.contextvars.bound_contextvars(**context):
                return await self._dead_letter(record, exc, reason="invalid_event")
        context.update(event_id=event.id, event_type=event.type)
        received = ReceivedEvent(
            event=event,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode("utf-8", errors="replace") if record.key is not None else None,
        )
        parent = propagate.extract(_trace_carrier(record.headers))
        with (
            structlog.contextvars.bound_contextvars(**context),
            tracer().start_as_current_span(f"{record.topic} process", context=parent, kind=SpanKind.CONSUMER) as span,
        ):
            span.set_attribute("messaging.system", "kafka")
            span.set_attribute("messaging.destination.name", record.topic)
            span.set_attribute("messaging.message.id", event.id)
            span.set_attribute("messaging.consumer.group.name", self._name)
            done = await self._handle_with_retries(record, received, started)
            HANDLE_SECONDS.labels(self._name).observe(_time.monotonic() - started)
            return done

    async def _handle_with_retries(self, record: ConsumerRecord[bytes, bytes], received: ReceivedEvent, started: float) -> bool:
        attempt = 0
        outage = 0
        while True:
            try:
                duplicate = await self._handle_once(received)
            except _HandlerFailed as wrapped:
                exc = wrapped.__cause__ or wrapped
                if isinstance(exc, PermanentError | InvalidEvent):
                    return await self._dead_letter(record, exc, reason="permanent_error")
                if isinstance(exc, _DB_CONNECTION_ERRORS):
                    outage += 1
                    if not await self._outage_backoff(exc, outage):
                        return False
                    continue
                attempt += 1
                if attempt >= self._max_attempts:
                    return await self._dead_letter(record, exc, reason="max_attempts", attempts=attempt)
                RETRIES.labels(self._name).inc()
                delay = backoff_delay(attempt, base=self._backoff_base, cap=self._backoff_max)
                log.warning(
                    "event_handler_failed",
                    error=_describe(exc),
                    attempt=attempt,
                    max_attempts=self._max_attempts,
                    retry_in_s=round(delay, 3),
                )
                if not await self._sleep(delay):
                    return False
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The inbox insert, BEGIN or COMMIT failed: the database, not the record.
                outage += 1
                if not await self._outage_backoff(exc, outage):
                    return False
                continue
            self._healthy = True
            duration_ms = round((_time.monotonic() - started) * 1000, 2)
            if duplicate:
                DUPLICATES.labels(self._name).inc()
                log.info("event_duplicate_skipped", duration_ms=duration_ms)
            else:
                PROCESSED.labels(self._name).inc()
                log.info("event_processed", duration_ms=duration_ms, attempts=attempt + 1)
            return True

    async def _handle_once(self, received: ReceivedEvent) -> bool:
        """Run the inbox insert and the handler in one transaction; return True for a duplicate."""
        event = received.event
        async with self._pool.acquire() as conn, conn.transaction():
            inserted = await conn.fetchval(
                _INBOX_INSERT,
                self._name,
                event.source,
                event.id,
                event.type,
                received.topic,
                received.partition,
                received.offset,
            )
            if not inserted:
                return True
            try:
                await self._handler(conn, received)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                raise _HandlerFailed() from exc
        return False

    async def _outage_backoff(self, exc: BaseException, attempt: int) -> bool:
        self._healthy = False
        delay = backoff_delay(attempt, base=self._backoff_base, cap=self._backoff_max)
        log.warning("consumer_database_unavailable", error=_describe(exc), attempt=attempt, retry_in_s=round(delay, 2))
        return await self._sleep(delay)

    # -- dead letters --------------------------------------------------------

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], error: BaseException, *, reason: str, attempts: int | None = None
    ) -> bool:
        """Publish `record` unchanged to the dead-letter topic plus `dlt_*` headers; False if stopped first."""
        headers = [
            *(record.headers or ()),
            ("dlt_original_topic", record.topic.encode()),
            ("dlt_original_partition", str(record.partition).encode()),
            ("dlt_original_offset", str(record.offset).encode()),
            ("dlt_error", _describe(error)[:DLT_ERROR_MAX].encode("utf-8", errors="replace")),
            ("dlt_consumer", self._name.encode()),
            ("dlt_failed_at", format_time(datetime.now(UTC)).encode()),
        ]
        failures = 0
        while True:
            try:
                producer = await self._dead_letter_producer()
                metadata = await asyncio.wait_for(
                    producer.send_and_wait(self._dlt, value=record.value, key=record.key, headers=headers), 30
                )
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError, TimeoutError) as exc:
                failures += 1
                self._healthy = False
                producer, self._dlt_producer = self._dlt_producer, None
                if producer is not None:
                    await _quietly(producer.stop(), 5)
                delay = backoff_delay(failures, base=self._backoff_base, cap=self._backoff_max)
                log.warning("dead_letter_publish_failed", error=_describe(exc), attempt=failures, retry_in_s=round(delay, 2))
                if not await self._sleep(delay):
                    return False
                continue
            DEAD_LETTERED.labels(self._name, reason).inc()
            log.error(
                "event_dead_lettered",
                reason=reason,
                error=_describe(error)[:DLT_ERROR_MAX],
                attempts=attempts,
                dead_letter_topic=self._dlt,
                dead_letter_partition=metadata.partition,
                dead_letter_offset=metadata.offset,
            )
            return True

    async def _dead_letter_producer(self) -> AIOKafkaProducer:
        if self._dlt_producer is None:
            # The broker may have forgotten the topic; never let it auto-create one.
            await ensure_topics(self._bootstrap, [TopicSpec(self._dlt, partitions=1)], timeout=10)
            producer = make_producer(self._bootstrap, idempotence=self._idempotence, client_id=f"{self._client_id}-dlt")
            try:
                await asyncio.wait_for(producer.start(), 10)
            except BaseException:
                await _quietly(producer.stop(), 5)
                raise
            self._dlt_producer = producer
        return self._dlt_producer

    async def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopping; return False when `stop()` was called."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False


#: getmany's wait while some partitions are busy: how soon a partition that finished is fetched from again.
_BUSY_POLL_MS = 2


class _PartitionWork:
    """The partition tasks of one consumer session and the offsets they finished, not yet committed."""

    def __init__(self, name: str, commit_interval: float = 0.0) -> None:
        self.name = name
        self.busy: dict[TopicPartition, asyncio.Task[tuple[TopicPartition, int | None]]] = {}
        self.done: dict[TopicPartition, int] = {}
        self._commit_interval = commit_interval
        self._committed_at = 0.0

    def start(self, tp: TopicPartition, work: Awaitable[tuple[TopicPartition, int | None]]) -> None:
        self.busy[tp] = asyncio.ensure_future(work)

    def reap(self) -> None:
        """Collect finished partition tasks (re-raising a task's failure: the session restarts)."""
        for tp, task in list(self.busy.items()):
            if task.done():
                del self.busy[tp]
                _, offset = task.result()
                if offset is not None:
                    self.done[tp] = offset

    def commit_due_ms(self) -> int:
        """Milliseconds until the finished offsets are due for their commit (500 when there are none)."""
        if not self.done:
            return 500
        return max(0, round(1000 * (self._committed_at + self._commit_interval - _time.monotonic())))

    async def commit_now(self, kafka: AIOKafkaConsumer, *, force: bool = False) -> None:
        """Commit the finished offsets (while the other partitions' tasks go on), at most once per interval."""
        if not self.done or (not force and self.commit_due_ms() > 0):
            return
        offsets, self.done = self.done, {}
        self._committed_at = _time.monotonic()
        await self._commit(kafka, offsets)

    async def settle(self, partitions: set[TopicPartition] | None = None) -> None:
        """Wait for the tasks of `partitions` (all when None) to finish their records in hand."""
        tasks = [t for tp, t in self.busy.items() if partitions is None or tp in partitions]
        if tasks:
            await asyncio.wait(tasks)

    async def finish(self, kafka: AIOKafkaConsumer) -> None:
        """End of the session: records in hand finished (a task stops after its record when stopping), offsets
        committed. A failed task's error is raised after the others' offsets are committed."""
        await self.settle()
        error: BaseException | None = None
        for tp, task in list(self.busy.items()):
            del self.busy[tp]
            if task.cancelled():
                continue
            if task.exception() is not None:
                error = error or task.exception()
                continue
            _, offset = task.result()
            if offset is not None:
                self.done[tp] = offset
        await self.commit_now(kafka, force=True)
        if error is not None:
            raise error

    async def _commit(self, kafka: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        try:
            await kafka.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in offsets.items()})
        except Exception as exc:  # KafkaError, or the consumer closed under it
            # The work is durable and its inbox rows make a redelivery harmless.
            log.warning(
                "consumer_commit_failed",
                consumer=self.name,
                error=f"{type(exc).__name__}: {exc}",
                partitions=[f"{tp.topic}/{tp.partition}" for tp in offsets],
            )


class _FinishRevoked(ConsumerRebalanceListener):  # type: ignore[misc]
    """Before partitions go to another member: finish their records in hand, so the next owner never handles a
    partition while this member still does (per-key order).

    Their finished offsets are NOT committed here: a rebalance is also how the group recovers from a broker that
    restarted and forgot everything, and committing the old positions to it would skip the replayed records. The
    next owner starts from the last offset committed before; the inbox absorbs what it hands over twice."""

    def __init__(self, work: _PartitionWork) -> None:
        self._work = work

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        revoked = set(revoked)
        await self._work.settle(revoked)
        for tp in revoked:
            task = self._work.busy.pop(tp, None)
            if task is not None and not task.cancelled() and task.exception() is not None:
                log.warning("consumer_partition_failed_at_rebalance", consumer=self._work.name,
                            partition=f"{tp.topic}/{tp.partition}", error=_describe(task.exception()))
            self._work.done.pop(tp, None)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None


def _trace_carrier(headers: Any) -> dict[str, str]:
    """Return the W3C trace headers of a record: the plain ones, else the CloudEvents extensions."""
    plain: dict[str, str] = {}
    extension: dict[str, str] = {}
    for name, value in headers or ():
        lowered = name.lower()
        if lowered not in ("traceparent", "tracestate", "ce_traceparent", "ce_tracestate"):
            continue
        text = value.decode("utf-8", errors="replace") if isinstance(value, bytes | bytearray) else str(value)
        if lowered.startswith("ce_"):
            extension[lowered.removeprefix("ce_")] = text
        else:
            plain[lowered] = text
    return plain or extension


async def _leave_and_close(kafka: AIOKafkaConsumer) -> None:
    """Leave the group, then close: the partitions go to the other members at once.

    aiokafka skips LeaveGroup for generation 0, which is the first generation
    the embedded tansu broker hands out; without it the group would wait a
    whole session timeout for this member. Reaches into aiokafka's
    coordinator, guarded: at worst the group waits for the session timeout.
    """
    coordinator = getattr(kafka, "_coordinator", None)
    try:
        if coordinator is not None and coordinator.generation == 0 and coordinator.member_id:
            request = LeaveGroupRequest(coordinator.group_id, coordinator.member_id)
            await asyncio.wait_for(coordinator._send_req(request), 5)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
    except Exception:
        log.debug("consumer_leave_group_failed", exc_info=True)
    await _quietly(kafka.stop(), 10)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


async def _quietly(awaitable: Awaitable[Any], timeout: float) -> None:
    try:
        await asyncio.wait_for(awaitable, timeout)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
    except Exception:
        log.debug("consumer_close_error", exc_info=True)
