"""Notifications: events->messages throughput, and the lag from a dossier's commit to the provider call.

The path measured is the real one: a dossier-like service commits an event into ITS outbox
(the platform relay, woken by NOTIFY, publishes it to Kafka), the notification service (a
child process: consumer, delivery worker, outbox relay) records it, resolves the contact over
gRPC (a ResolveContact double in this process), applies the channel policy and calls the
provider - the local ZNS fake in this process, which timestamps each call.

- `events->messages throughput`: a backlog of events committed as fast as possible; messages/s
  from the first commit to the last provider call;
- `commit->provider call lag @ 200 ev/s`: one event per transaction at a steady rate.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import asyncpg

from motcua_devstack.bench import BenchContext, BenchResult, ProcessMeter, summarize
from motcua_notification.fakes.server import FakeProviders, FakesSettings, Sent
from motcua_notification.testing import (
    DOSSIER_RECEIVED,
    ContactDirectory,
    dossier_received,
    env_of,
    migrate,
    settings_for_test,
    spawn_child,
)
from motcua_platform.cloudevents import data_from_message
from motcua_platform.db import create_pool
from motcua_platform.embedded.process import free_port
from motcua_platform.kafka import TopicSpec, ensure_topics
from motcua_platform.migrations import apply_migrations, platform_track
from motcua_platform.outbox import OutboxEvent, OutboxRelay, enqueue

NAME = "notification"
#: Before the benchmarks that start the five services (catalogue, 20): this one runs its own notification process
#: beside the embedded Postgres and broker only, as it does alone. With the whole stack idling beside it (relays
#: and consumers polling on the same two cores), the lag at 200 ev/s measured ~22 ms at p50 instead of ~16.
ORDER = 15
CONTACTS = 2_000
#: Sizes can be lowered for a quick run: MOTCUA_BENCH_NOTIFICATION_EVENTS=600 MOTCUA_BENCH_NOTIFICATION_SECONDS=3.
THROUGHPUT_EVENTS = int(os.environ.get("MOTCUA_BENCH_NOTIFICATION_EVENTS", "3000"))
THROUGHPUT_BATCH = 100
STEADY_RATES = (200, 50)
STEADY_SECONDS = int(os.environ.get("MOTCUA_BENCH_NOTIFICATION_SECONDS", "10"))
#: The notification child's log (warnings and errors) goes here when set.
CHILD_LOG = os.environ.get("MOTCUA_BENCH_NOTIFICATION_LOG") or None


def _event(topic: str, code: str, ref: str) -> OutboxEvent:
    return OutboxEvent(topic=topic, key=code, type=DOSSIER_RECEIVED, source="/motcua/dossier", subject=code,
                       data=data_from_message(dossier_received(code, ref)))


async def _write(pool: asyncpg.Pool, events: list[OutboxEvent]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, *events)


async def run(ctx: BenchContext) -> list[BenchResult]:
    stack = ctx.infrastructure()
    suffix = uuid.uuid4().hex[:8]
    fakes = FakeProviders(FakesSettings(fakes_http_port=free_port(), fakes_smtp_port=free_port(), fakes_receipts=False))
    arrivals: dict[str, float] = {}

    def arrived(sent: Sent) -> None:
        arrivals.setdefault(sent.template_data.get("dossier_code", sent.tracking_id), time.time())

    fakes.state.listeners.append(arrived)
    await fakes.start()
    contacts = ContactDirectory()
    await contacts.start()
    refs = [contacts.add(f"ct_bench_{i}", phone=f"+8498{i:07d}") for i in range(CONTACTS)]

    # The "dossier service": its own schema, outbox and relay, publishing on a private dossier topic.
    dossier_schema, notification_schema = f"bench_dossier_{suffix}", f"bench_notification_{suffix}"
    settings = settings_for_test(postgres_url=stack.database_url, kafka_bootstrap=stack.bootstrap,
                                 idempotence=stack.idempotence, fakes=fakes, contacts_address=contacts.address, suffix=suffix,
                                 database_pool_size=20, worker_concurrency=128, worker_batch_size=500,
                                 worker_poll_interval_seconds=1.0, outbox_poll_interval_seconds=1.0, log_level="WARNING",
                                 provider_timeout_seconds=10.0)  # the production default: the fake is slow, not failing
    topic = settings.dossier_topic
    await ensure_topics(stack.bootstrap, [TopicSpec(topic, 6), TopicSpec(settings.scheduler_topic, 6)])
    await apply_migrations(stack.database_url, schema=dossier_schema, tracks=[platform_track()])
    await migrate(stack.database_url, notification_schema)
    pool = await create_pool(stack.database_url, schema=dossier_schema, max_size=8)
    relay = OutboxRelay(dsn=stack.database_url, pool=pool, schema=dossier_schema, bootstrap=stack.bootstrap,
                        idempotence=stack.idempotence, topics=[TopicSpec(topic, 6)])
    relay_task = asyncio.create_task(relay.run())
    env = {**os.environ, **env_of(settings), "MOTCUA_TEST_SCHEMA": notification_schema}
    child = spawn_child(env, log_path=CHILD_LOG)  # main thread: see BenchContext.start_services
    results: list[BenchResult] = []
    try:
        # Warm up: the consumer joins its group, the relays take leadership, connections open.
        await _write(pool, [_event(topic, f"WARM-{suffix}-{i}", refs[i]) for i in range(20)])
        await _wait(lambda: len(arrivals) >= 20, 60, "warm-up messages")

        # CPU per message says what the path costs even when the shared machine distorts messages/s.
        meter = ProcessMeter(stack, names=())
        meter.pids["notification"] = child.pid

        # 1. Throughput: a backlog committed as fast as possible.
        cpu_before = meter.snapshot()
        before = len(arrivals)
        started = time.time()
        codes = [f"T{suffix}-{i:06d}" for i in range(THROUGHPUT_EVENTS)]
        for start in range(0, THROUGHPUT_EVENTS, THROUGHPUT_BATCH):
            await _write(pool, [_event(topic, c, refs[(start + j) % CONTACTS])
                                for j, c in enumerate(codes[start:start + THROUGHPUT_BATCH])])
        written = time.time() - started
        await _wait(lambda: len(arrivals) >= before + THROUGHPUT_EVENTS, 300, "throughput messages")
        last = max(arrivals[c] for c in codes)
        elapsed = last - started
        cpu_after = meter.snapshot()
        cpu_ms = {name: round((cpu_after[name] - cpu_before.get(name, 0.0)) * 1000 / THROUGHPUT_EVENTS, 2)
                  for name in cpu_after}
        results.append(BenchResult(
            name="notification: events->messages throughput", requests=THROUGHPUT_EVENTS, errors=0,
            seconds=round(elapsed, 2), p50_ms=float("nan"), p95_ms=float("nan"), p99_ms=float("nan"),
            per_second=round(THROUGHPUT_EVENTS / elapsed, 1),
            extra={"events_committed_per_s": round(THROUGHPUT_EVENTS / written, 1), "route": "ZNS (fake)",
                   "duplicates_at_provider": len(fakes.state.messages) - len(arrivals),
                   "cpu_ms_per_message": cpu_ms, "load_avg_1m": round(os.getloadavg()[0], 1)},
        ))

        # 2. Lag at a steady rate (the one asked for, and a lower one): one event per transaction,
        # commit time taken after COMMIT returns.
        for rate in STEADY_RATES:
            committed: dict[str, float] = {}
            cpu_before = meter.snapshot()
            interval = 1 / rate
            began = time.perf_counter()
            for i in range(rate * STEADY_SECONDS):
                delay = began + i * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                code = f"L{rate}-{suffix}-{i:06d}"
                await _write(pool, [_event(topic, code, refs[i % CONTACTS])])
                committed[code] = time.time()
            await _wait(lambda committed=committed: all(c in arrivals for c in committed), 300, "steady-rate messages")
            lags = [arrivals[c] - t for c, t in committed.items() if c in arrivals]
            cpu_after = meter.snapshot()
            cpu_ms = {name: round((cpu_after[name] - cpu_before.get(name, 0.0)) * 1000 / len(committed), 2)
                      for name in cpu_after}
            results.append(summarize(f"notification: commit->provider call lag @ {rate} ev/s", lags,
                                     len(committed) - len(lags), time.perf_counter() - began, rate=rate,
                                     route="ZNS (fake)", cpu_ms_per_message=cpu_ms,
                                     load_avg_1m=round(os.getloadavg()[0], 1),
                                     stages_p50_ms=await _stages(pool, dossier_schema, notification_schema, committed, arrivals)))
    finally:
        child.terminate()
        await asyncio.to_thread(child.wait, 30)
        await relay.stop()
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        for schema in (dossier_schema, notification_schema):
            await pool.execute(f"DROP SCHEMA {schema} CASCADE")
        await pool.close()
        await contacts.stop()
        await fakes.stop()
    return results


async def _stages(pool: asyncpg.Pool, dossier_schema: str, schema: str, committed: dict[str, float],
                  arrivals: dict[str, float]) -> dict[str, float]:
    """Where the lag goes (p50, ms): commit -> marked published by the relay (its acknowledgement came back),
    commit -> consumed (the consumer's transaction started), -> planned (delivery row), -> provider."""
    rows = await pool.fetch(
        f"""SELECT n.dossier_code, extract(epoch FROM o.published_at) AS published,
                   extract(epoch FROM n.created_at) AS consumed, extract(epoch FROM d.created_at) AS planned
            FROM {schema}.notifications n JOIN {schema}.deliveries d ON d.notification_id = n.id
            JOIN {dossier_schema}.outbox o ON o.event_id = n.source_event_id
            WHERE n.dossier_code = ANY($1::text[])""", list(committed))
    spans: dict[str, list[float]] = {"to_published": [], "to_consumer": [], "to_planned": [], "to_provider": []}
    for r in rows:
        code = r["dossier_code"]
        if code not in arrivals:
            continue
        spans["to_published"].append(float(r["published"]) - committed[code])
        spans["to_consumer"].append(float(r["consumed"]) - committed[code])
        spans["to_planned"].append(float(r["planned"]) - float(r["consumed"]))
        spans["to_provider"].append(arrivals[code] - float(r["planned"]))
    return {name: round(sorted(v)[len(v) // 2] * 1000, 1) for name, v in spans.items() if v}


async def _wait(done: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not done within {timeout:.0f}s")
        await asyncio.sleep(0.02)
