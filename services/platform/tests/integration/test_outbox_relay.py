"""The outbox relay publishes committed events in per-key order, survives broker outages and amnesia."""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaClient
from google.protobuf import struct_pb2

from motcua_platform.cloudevents import data_from_message, from_kafka
from motcua_platform.kafka import TopicSpec, ensure_topics, make_producer
from motcua_platform.outbox import OutboxEvent, OutboxRelay, enqueue, replay

pytestmark = pytest.mark.integration

EVENT_TYPE = "motcua.test.v1.happened"
SOURCE = "/motcua/test"
KEYS = [f"agg-{i:02d}" for i in range(50)]


def payload(key: str, seq: int) -> bytes:
    data = struct_pb2.Struct()
    data.update({"key": key, "seq": seq})
    return data_from_message(data)


def decode(records: list[Any]) -> list[tuple[str, str, int, int]]:
    """Return (event id, key, seq, partition) per record, in topic order per partition."""
    out = []
    for record in records:
        event = from_kafka(record.headers, record.value, record.key)
        body = json.loads(event.data)
        assert record.key.decode() == body["key"] == event.extensions["partitionkey"]
        out.append((event.id, body["key"], int(body["seq"]), record.partition))
    return out


def first_appearance_by_key(decoded: list[tuple[str, str, int, int]]) -> dict[str, list[int]]:
    seen: set[str] = set()
    by_key: dict[str, list[int]] = defaultdict(list)
    for event_id, key, seq, _partition in decoded:
        if event_id not in seen:
            seen.add(event_id)
            by_key[key].append(seq)
    return by_key


async def setup_aggregates(pool: asyncpg.Pool) -> None:
    await pool.execute("CREATE TABLE test_agg (key text PRIMARY KEY, version integer NOT NULL DEFAULT 0)")
    await pool.executemany("INSERT INTO test_agg (key) VALUES ($1)", [(k,) for k in KEYS])


async def write_events(pool: asyncpg.Pool, topic: str, count: int, *, rng: random.Random, max_per_tx: int = 3) -> int:
    """Write `count` events in transactions of 1..max_per_tx, each bumping its aggregate's version.

    Locking the aggregate row before enqueueing is what keeps one key's events
    in commit order, as a real use case does.
    """
    written = 0
    while written < count:
        keys = sorted(rng.sample(KEYS, k=min(count - written, rng.randint(1, max_per_tx))))
        async with pool.acquire() as conn, conn.transaction():
            events = []
            for key in keys:
                seq = await conn.fetchval("UPDATE test_agg SET version = version + 1 WHERE key = $1 RETURNING version", key)
                events.append(OutboxEvent(topic=topic, key=key, type=EVENT_TYPE, source=SOURCE, data=payload(key, seq)))
            await enqueue(conn, *events)
        written += len(keys)
    return written


async def topic_partitions(bootstrap: str, topic: str) -> set[int]:
    client = AIOKafkaClient(bootstrap_servers=bootstrap)
    await client.bootstrap()
    try:
        cluster = await client.fetch_all_metadata()  # all topics: creates none
        return set(cluster.partitions_for_topic(topic) or ())
    finally:
        await client.close()


async def unpublished(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")


@asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[asyncio.Task[None]]:
    """Run `relay` in a task; on exit stop it and re-raise anything it raised."""
    task = asyncio.create_task(relay.run())
    try:
        yield task
    finally:
        await asyncio.wait_for(relay.stop(), 20)
        await asyncio.wait_for(task, 5)


def make_relay(
    postgres_url: str, pool: asyncpg.Pool, schema: str, bootstrap: str, idempotence: bool, topic: str, **kw: Any
) -> OutboxRelay:
    return OutboxRelay(
        dsn=postgres_url,
        pool=pool,
        schema=schema,
        bootstrap=bootstrap,
        idempotence=idempotence,
        topics=[TopicSpec(topic, partitions=3)],
        poll_interval=kw.pop("poll_interval", 0.5),
        **kw,
    )


async def test_concurrent_writers_reach_kafka_once_in_per_key_order(
    postgres_url: str,
    db_schema: str,
    platform_pool: asyncpg.Pool,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    unique_topic: Callable[[str], str],
    topic_reader: Callable[..., Awaitable[list[Any]]],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    topic = unique_topic("outbox")
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, partitions=3)])
    await setup_aggregates(platform_pool)
    leader = make_relay(postgres_url, platform_pool, db_schema, kafka_bootstrap, kafka_idempotence, topic)
    standby = make_relay(postgres_url, platform_pool, db_schema, kafka_bootstrap, kafka_idempotence, topic)

    async with running(leader) as leader_task, running(standby) as standby_task:
        started = time.monotonic()
        writers = [write_events(platform_pool, topic, 200, rng=random.Random(seed)) for seed in range(5)]
        assert sum(await asyncio.gather(*writers)) == 1000
        assert await poll(lambda: _all_published(platform_pool), timeout=20)
        elapsed = time.monotonic() - started
        assert not leader_task.done() and not standby_task.done()
        # Exactly one of them led; the other stood by.
        assert {leader.published_total, standby.published_total} == {0, 1000}

        # The leader goes away: the standby takes over.
        first, second = (leader, standby) if leader.published_total else (standby, leader)
        await asyncio.wait_for(first.stop(), 10)
        await write_events(platform_pool, topic, 50, rng=random.Random(99))
        assert await poll(lambda: _all_published(platform_pool), timeout=10)
        assert second.published_total == 50
        assert second.leading and not first.leading
        assert first.broker_forgot_total == second.broker_forgot_total == 0

    records = await topic_reader(kafka_bootstrap, topic, until=lambda r: len(r) >= 1050)
    decoded = decode(records)
    print(f"\n1000 events from 5 concurrent writers published in {elapsed:.2f}s ({1000 / elapsed:.0f} events/s end to end)")
    assert len(decoded) == 1050
    assert len({d[0] for d in decoded}) == 1050, "each event exactly once"
    assert {d[3] for d in decoded} == {0, 1, 2}
    partitions_of_key: dict[str, set[int]] = defaultdict(set)
    for _id, key, _seq, partition in decoded:
        partitions_of_key[key].add(partition)
    assert all(len(p) == 1 for p in partitions_of_key.values())
    by_key = first_appearance_by_key(decoded)
    versions = dict(await platform_pool.fetch("SELECT key, version FROM test_agg"))
    for key, seqs in by_key.items():
        assert seqs == list(range(1, versions[key] + 1)), f"{key} out of order: {seqs}"
    assert sum(len(s) for s in by_key.values()) == 1050


async def _all_published(pool: asyncpg.Pool) -> bool:
    return await pool.fetchval("SELECT count(*) > 0 AND bool_and(published_at IS NOT NULL) FROM outbox")


def crash(broker: Any) -> None:
    """Kill the broker without its graceful drain, mid-publish (SIGKILL)."""
    broker.process.kill()
    broker.stop()


@pytest.mark.parametrize("how", ["stop", "crash"])
async def test_relay_rides_out_a_broker_outage_and_a_broker_that_forgot(
    how: str,
    postgres_url: str,
    db_schema: str,
    platform_pool: asyncpg.Pool,
    restartable_broker: Any,
    unique_topic: Callable[[str], str],
    topic_reader: Callable[..., Awaitable[list[Any]]],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    broker = restartable_broker
    topic = unique_topic("outage")
    await setup_aggregates(platform_pool)
    relay = make_relay(
        postgres_url, platform_pool, db_schema, broker.bootstrap, False, topic, broker_check_interval=1.0, backoff_max=1.0
    )
    rng = random.Random(7)
    trickling = asyncio.Event()
    trickling.set()

    async def trickle() -> int:
        # Keeps publishes in flight while the broker goes away and comes back.
        written, own_rng = 0, random.Random(8)
        while trickling.is_set():
            written += await write_events(platform_pool, topic, 1, rng=own_rng)
            await asyncio.sleep(0.02)
        return written

    async with running(relay) as task:
        trickler = asyncio.create_task(trickle())
        await write_events(platform_pool, topic, 500, rng=rng, max_per_tx=5)
        await asyncio.sleep(0.5)

        await asyncio.to_thread(broker.stop if how == "stop" else lambda: crash(broker))
        down_at = time.monotonic()
        await write_events(platform_pool, topic, 500, rng=rng, max_per_tx=5)
        await asyncio.sleep(max(0.0, 3.0 - (time.monotonic() - down_at)))
        assert await unpublished(platform_pool) >= 500
        assert not relay.healthy, "pending events and no broker: the relay must report unhealthy"
        assert not task.done()

        await asyncio.to_thread(broker.start)
        back_at = time.monotonic()
        await asyncio.sleep(1.0)
        trickling.clear()
        total = 1000 + await trickler
        assert await poll(lambda: _all_published(platform_pool), timeout=25)
        recovered_in = time.monotonic() - back_at
        records = await topic_reader(broker.bootstrap, topic, until=lambda r: len({_ce_id(x) for x in r}) >= total)
        assert not task.done(), "the relay must never crash"
        assert relay.healthy

    decoded = decode(records)
    duplicates = len(decoded) - len({d[0] for d in decoded})
    print(
        f"\nbroker {how}: down {back_at - down_at:.1f}s; all {total} published {recovered_in:.1f}s after it came back; "
        f"{len(decoded)} records on the topic, {duplicates} duplicates, broker_forgot={relay.broker_forgot_total}, "
        f"failed attempts={relay.failed_total}"
    )
    assert len({d[0] for d in decoded}) == total
    assert relay.broker_forgot_total >= 1, "the restarted broker lost the first 500: the relay must notice"
    by_key = first_appearance_by_key(decoded)
    versions = dict(await platform_pool.fetch("SELECT key, version FROM test_agg"))
    assert sum(versions.values()) == total
    for key, seqs in by_key.items():
        assert seqs == list(range(1, versions[key] + 1)), f"{key} out of order: {seqs}"
    row = await platform_pool.fetchrow("SELECT count(*) AS n, count(published_at) AS published FROM outbox")
    assert row["n"] == row["published"] == total


def _ce_id(record: Any) -> str:
    return dict(record.headers)["ce_id"].decode()


async def test_idle_relay_republishes_everything_when_the_broker_forgot(
    postgres_url: str,
    db_schema: str,
    platform_pool: asyncpg.Pool,
    restartable_broker: Any,
    unique_topic: Callable[[str], str],
    topic_reader: Callable[..., Awaitable[list[Any]]],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    broker = restartable_broker
    topic = unique_topic("amnesia")
    await setup_aggregates(platform_pool)
    relay = make_relay(postgres_url, platform_pool, db_schema, broker.bootstrap, False, topic, broker_check_interval=1.0)
    async with running(relay) as task:
        await write_events(platform_pool, topic, 300, rng=random.Random(3))
        assert await poll(lambda: _all_published(platform_pool), timeout=20)
        before = await topic_reader(broker.bootstrap, topic, until=lambda r: len(r) >= 300)
        assert len(before) == 300

        restarted_at = time.monotonic()
        await asyncio.to_thread(broker.restart)  # includes the broker's ~5 s drain of connected clients
        after = await topic_reader(broker.bootstrap, topic, until=lambda r: len({_ce_id(x) for x in r}) >= 300, timeout=20)
        republished_in = time.monotonic() - restarted_at
        assert await poll(lambda: _all_published(platform_pool), timeout=10)
        assert not task.done()

    print(f"\nall 300 events back on the topic {republished_in:.1f}s after the broker restart began")
    assert relay.broker_forgot_total == 1
    assert {_ce_id(r) for r in after} == {_ce_id(r) for r in before}
    assert len(_partitions_used(after)) > 1, "re-created with the declared partitions, not auto-created"
    decoded = decode(after)
    by_key = first_appearance_by_key(decoded)
    for seqs in by_key.values():
        assert seqs == sorted(seqs)


def _partitions_used(records: list[Any]) -> set[int]:
    return {r.partition for r in records}


async def test_rolled_back_events_never_leave_and_replay_republishes_a_range(
    postgres_url: str,
    db_schema: str,
    platform_pool: asyncpg.Pool,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    unique_topic: Callable[[str], str],
    topic_reader: Callable[..., Awaitable[list[Any]]],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    topic = unique_topic("rollback")
    relay = make_relay(postgres_url, platform_pool, db_schema, kafka_bootstrap, kafka_idempotence, topic)

    def events(prefix: str, n: int) -> list[OutboxEvent]:
        return [
            OutboxEvent(topic=topic, key=f"{prefix}-{i % 3}", type=EVENT_TYPE, source=SOURCE, data=payload(prefix, i))
            for i in range(n)
        ]

    async with platform_pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            await enqueue(conn, *events("loose", 1))

    async with running(relay):
        async with platform_pool.acquire() as conn, conn.transaction():
            first = await enqueue(conn, *events("first", 10))
        with pytest.raises(ZeroDivisionError):
            async with platform_pool.acquire() as conn, conn.transaction():
                rolled_back = await enqueue(conn, *events("doomed", 5))
                1 / 0  # noqa: B018 - the use case fails after enqueueing
        midpoint = await platform_pool.fetchval("SELECT clock_timestamp()")
        async with platform_pool.acquire() as conn, conn.transaction():
            second = await enqueue(conn, *events("second", 10))
        assert await poll(lambda: _all_published(platform_pool), timeout=15)
        records = await topic_reader(kafka_bootstrap, topic, until=lambda r: len(r) >= 20)
        published = [_ce_id(r) for r in records]
        assert sorted(published) == sorted(first + second)
        assert not set(rolled_back) & set(published)
        assert await platform_pool.fetchval("SELECT count(*) FROM outbox") == 20

        assert await replay(platform_pool, since=midpoint) == 10
        assert await poll(lambda: _all_published(platform_pool), timeout=15)
        ids = await platform_pool.fetch("SELECT id FROM outbox ORDER BY id")
        assert await replay(platform_pool, from_id=ids[0]["id"], to_id=ids[2]["id"]) == 3
        assert await poll(lambda: _all_published(platform_pool), timeout=15)
        records = await topic_reader(kafka_bootstrap, topic, until=lambda r: len(r) >= 33)

    counts = Counter(_ce_id(r) for r in records)
    assert len(records) == 33
    assert all(counts[i] == 2 for i in second)
    assert [counts[i] for i in first] == [2, 2, 2] + [1] * 7
    assert not set(rolled_back) & set(counts)


async def test_relay_throughput_and_latency(
    postgres_url: str,
    db_schema: str,
    platform_pool: asyncpg.Pool,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    unique_topic: Callable[[str], str],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    """Print backlog throughput and commit-to-published latency at a steady 200 events/s."""
    topic = unique_topic("speed")
    await setup_aggregates(platform_pool)
    backlog = 5000
    rng = random.Random(11)
    async with platform_pool.acquire() as conn:
        for _ in range(backlog // 500):
            async with conn.transaction():
                await enqueue(
                    conn,
                    *[
                        OutboxEvent(topic=topic, key=rng.choice(KEYS), type=EVENT_TYPE, source=SOURCE, data=payload("k", i))
                        for i in range(500)
                    ],
                )
    # Frequent broker checks while big batches go out: none may mistake them for amnesia.
    relay = make_relay(postgres_url, platform_pool, db_schema, kafka_bootstrap, kafka_idempotence, topic, broker_check_interval=0.3)
    async with running(relay):
        started = time.monotonic()
        assert await poll(lambda: _all_published(platform_pool), timeout=30, interval=0.01)
        drained_in = time.monotonic() - started

        # Steady load: one event per transaction, 200 per second, for 3 seconds.
        steady_from = await platform_pool.fetchval("SELECT max(id) FROM outbox")
        tick = time.monotonic()
        for i in range(600):
            async with platform_pool.acquire() as conn, conn.transaction():
                await enqueue(
                    conn, OutboxEvent(topic=topic, key=KEYS[i % 50], type=EVENT_TYPE, source=SOURCE, data=payload("s", i))
                )
            tick += 1 / 200
            await asyncio.sleep(max(0.0, tick - time.monotonic()))
        assert await poll(lambda: _all_published(platform_pool), timeout=15)
    lags = [
        r["lag"]
        for r in await platform_pool.fetch(
            "SELECT extract(epoch FROM published_at - created_at)::float8 AS lag FROM outbox WHERE id > $1", steady_from
        )
    ]
    lags.sort()
    p50 = statistics.median(lags) * 1000
    p99 = lags[int(len(lags) * 0.99) - 1] * 1000
    print(
        f"\nbacklog of {backlog}: drained in {drained_in:.2f}s = {backlog / drained_in:.0f} events/s; "
        f"steady 200 events/s: insert->published p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {lags[-1] * 1000:.1f} ms"
    )
    assert relay.published_total == backlog + 600
    assert relay.broker_forgot_total == 0
    assert len(lags) == 600


async def test_relay_recreates_a_topic_the_broker_auto_created_with_other_partitions(
    postgres_url: str,
    db_schema: str,
    platform_pool: asyncpg.Pool,
    restartable_broker: Any,
    unique_topic: Callable[[str], str],
    topic_reader: Callable[..., Awaitable[list[Any]]],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    broker = restartable_broker
    topic = unique_topic("autocreated")
    await setup_aggregates(platform_pool)
    relay = make_relay(postgres_url, platform_pool, db_schema, broker.bootstrap, False, topic)
    async with running(relay):
        await write_events(platform_pool, topic, 100, rng=random.Random(5))
        assert await poll(lambda: _all_published(platform_pool), timeout=20)

    # While no relay runs, the broker restarts and a client asking for the topic's
    # metadata (a consumer, say) makes it auto-create the topic with its default layout.
    await asyncio.to_thread(broker.restart)
    producer = make_producer(broker.bootstrap, idempotence=False)
    await producer.start()
    try:
        auto_created = await producer.partitions_for(topic)
    finally:
        await producer.stop()
    assert len(auto_created) != 3

    relay = make_relay(postgres_url, platform_pool, db_schema, broker.bootstrap, False, topic)
    async with running(relay):
        records = await topic_reader(broker.bootstrap, topic, until=lambda r: len({_ce_id(x) for x in r}) >= 100)
        assert await poll(lambda: _all_published(platform_pool), timeout=10)

    assert relay.broker_forgot_total == 1
    assert await topic_partitions(broker.bootstrap, topic) == {0, 1, 2}
    assert len({_ce_id(r) for r in records}) == 100
    for seqs in first_appearance_by_key(decode(records)).values():
        assert seqs == sorted(seqs)


async def test_a_lingering_relay_publishes_a_trickle_in_batches(
    postgres_url: str,
    db_schema: str,
    platform_pool: asyncpg.Pool,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    unique_topic: Callable[[str], str],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    """With `linger`, events committed one per transaction shortly after one another go out in one batch: none is
    published before the last is committed, and the first waited the linger (not the poll interval)."""
    topic = unique_topic("linger")
    relay = make_relay(postgres_url, platform_pool, db_schema, kafka_bootstrap, kafka_idempotence, topic,
                       linger=0.3, poll_interval=5.0)
    async with running(relay):
        assert await poll(lambda: _async(relay.leading), timeout=20)
        await asyncio.sleep(0.5)  # connected to the broker, waiting for work
        for i in range(5):
            async with platform_pool.acquire() as conn, conn.transaction():
                await enqueue(conn, OutboxEvent(topic=topic, key=KEYS[i], type=EVENT_TYPE, source=SOURCE, data=payload("l", i)))
            await asyncio.sleep(0.02)
        assert await poll(lambda: _all_published(platform_pool), timeout=10)
    rows = await platform_pool.fetch("SELECT created_at, published_at FROM outbox ORDER BY id")
    assert min(r["published_at"] for r in rows) > max(r["created_at"] for r in rows), "one batch"
    waited = (rows[0]["published_at"] - rows[0]["created_at"]).total_seconds()
    assert 0.3 <= waited < 2.0


async def _async(value: Any) -> Any:
    return value
