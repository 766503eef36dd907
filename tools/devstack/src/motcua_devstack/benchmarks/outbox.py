"""Outbox relay: throughput (events/s) and commit→published lag at a steady rate.

Runs against the embedded Postgres and broker (or MOTCUA_DATABASE_URL / MOTCUA_KAFKA_BOOTSTRAP),
with a relay in this process, as a service would run it.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from motcua_devstack.bench import BenchContext, BenchResult, summarize
from motcua_platform.db import create_pool
from motcua_platform.kafka import TopicSpec
from motcua_platform.migrations import apply_migrations, platform_track
from motcua_platform.outbox import OutboxEvent, OutboxRelay, enqueue

NAME = "outbox"
ORDER = 10
THROUGHPUT_EVENTS = 20_000
THROUGHPUT_BATCH = 100
STEADY_RATE = 200
STEADY_SECONDS = 15


class _Receiver:
    """Read a topic from the beginning without a group; record when each event id arrives."""

    def __init__(self, bootstrap: str, topic: str, partitions: int) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=5)
        self.topic = topic
        self.partitions = partitions
        self.arrived: dict[str, float] = {}
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        tps = [TopicPartition(self.topic, p) for p in range(self.partitions)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_beginning(*tps)
        self.task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=50)
            now = time.time()
            for records in batch.values():
                for record in records:
                    event_id = dict(record.headers).get("ce_id", b"").decode()
                    self.arrived.setdefault(event_id, now)

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.consumer.stop()


async def run(ctx: BenchContext) -> list[BenchResult]:
    stack = ctx.infrastructure()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    topic = f"bench.outbox.{uuid.uuid4().hex[:8]}"
    spec = TopicSpec(topic, partitions=6)
    await apply_migrations(stack.database_url, schema=schema, tracks=[platform_track()])
    pool = await create_pool(stack.database_url, schema=schema, max_size=8)
    relay = OutboxRelay(dsn=stack.database_url, pool=pool, schema=schema, bootstrap=stack.bootstrap,
                        idempotence=stack.idempotence, topics=[spec])
    relay_task = asyncio.create_task(relay.run())
    receiver = _Receiver(stack.bootstrap, topic, spec.partitions)
    results: list[BenchResult] = []
    try:
        # Let the relay create the topic and take leadership before measuring.
        await _write(pool, topic, 1)
        await _wait_published(pool, 1, 30)
        await receiver.start()

        # 1. Throughput: a backlog written as fast as possible, drained by the relay.
        started = time.perf_counter()
        for start in range(0, THROUGHPUT_EVENTS, THROUGHPUT_BATCH):
            await _write(pool, topic, THROUGHPUT_BATCH, offset=start)
        written = time.perf_counter() - started
        await _wait_published(pool, THROUGHPUT_EVENTS + 1, 120)
        drained = time.perf_counter() - started
        results.append(BenchResult(
            name="outbox relay throughput (backlog)", requests=THROUGHPUT_EVENTS, errors=0, seconds=round(drained, 2),
            p50_ms=float("nan"), p95_ms=float("nan"), p99_ms=float("nan"),
            per_second=round(THROUGHPUT_EVENTS / drained, 1),
            extra={"writer_events_per_s": round(THROUGHPUT_EVENTS / written, 1), "batch_per_tx": THROUGHPUT_BATCH},
        ))

        # 2. Lag at a steady rate: one event per transaction, commit time recorded after COMMIT returns.
        committed: dict[str, float] = {}
        interval = 1 / STEADY_RATE
        total = STEADY_RATE * STEADY_SECONDS
        began = time.perf_counter()
        for i in range(total):
            target = began + i * interval
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            ids = await _write(pool, topic, 1, offset=10_000_000 + i)
            committed[ids[0]] = time.time()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(i in receiver.arrived for i in committed):
            await asyncio.sleep(0.05)
        lags = [receiver.arrived[i] - t for i, t in committed.items() if i in receiver.arrived]
        missing = len(committed) - len(lags)
        results.append(summarize(f"commit→consumer lag @ {STEADY_RATE} ev/s", lags, missing,
                                 time.perf_counter() - began, rate=STEADY_RATE))
        db_lags = await pool.fetch(
            "SELECT extract(epoch FROM published_at - created_at) AS lag FROM outbox WHERE event_id = ANY($1::text[])",
            list(committed),
        )
        results.append(summarize(f"insert→marked published @ {STEADY_RATE} ev/s",
                                 [float(r["lag"]) for r in db_lags if r["lag"] is not None], 0,
                                 time.perf_counter() - began))
    finally:
        await receiver.stop()
        await relay.stop()
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await pool.execute(f"DROP SCHEMA {schema} CASCADE")
        await pool.close()
    return results


async def _write(pool: asyncpg.Pool, topic: str, count: int, offset: int = 0) -> list[str]:
    async with pool.acquire() as conn, conn.transaction():
        events = [
            OutboxEvent(topic=topic, key=f"key-{(offset + i) % 500}", type="motcua.bench.v1.tick",
                        source="/motcua/bench", data=b'{"n":%d}' % (offset + i))
            for i in range(count)
        ]
        return await enqueue(conn, *events)


async def _wait_published(pool: asyncpg.Pool, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL") >= count:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the relay did not publish {count} events within {timeout}s")
