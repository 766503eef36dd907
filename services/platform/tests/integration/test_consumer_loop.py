"""The consumer loop handles each event once, dead-letters poison, and survives crashes and broker restarts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from google.protobuf import struct_pb2
from prometheus_client import REGISTRY

from motcua_platform.cloudevents import CloudEvent, data_from_message, message_from_data, parse_time, to_kafka
from motcua_platform.consumer import Consumer, PermanentError, ReceivedEvent
from motcua_platform.kafka import TopicSpec, ensure_topics, make_producer

pytestmark = pytest.mark.integration

SOURCE = "/motcua/test"


def make_event(kind: str, **data: Any) -> CloudEvent:
    body = struct_pb2.Struct()
    body.update(data)
    return CloudEvent(
        id=str(uuid4()),
        source=SOURCE,
        type=f"motcua.test.v1.{kind}",
        time=datetime.now(UTC),
        subject=None,
        data=data_from_message(body),
    )


async def create_effects(pool: asyncpg.Pool) -> None:
    # No unique constraint on purpose: only the inbox may prevent a double effect.
    await pool.execute("CREATE TABLE effects (event_id text NOT NULL, consumer text NOT NULL, note text)")


async def record_effect(conn: asyncpg.Connection, received: ReceivedEvent, consumer: str) -> None:
    note = message_from_data(received.event.data, struct_pb2.Struct)["note"]
    await conn.execute("INSERT INTO effects (event_id, consumer, note) VALUES ($1, $2, $3)", received.event.id, consumer, note)


async def effect_counts(pool: asyncpg.Pool) -> dict[str, int]:
    return dict(await pool.fetch("SELECT event_id, count(*) FROM effects GROUP BY event_id"))


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@asynccontextmanager
async def started_producer(bootstrap: str, idempotence: bool) -> AsyncIterator[AIOKafkaProducer]:
    producer = make_producer(bootstrap, idempotence=idempotence)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def produce(producer: AIOKafkaProducer, topic: str, event: CloudEvent, key: str) -> None:
    k, value, headers = to_kafka(event, key=key)
    await producer.send_and_wait(topic, value=value, key=k, headers=headers)


@asynccontextmanager
async def consuming(consumer: Consumer) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(consumer.run())
    try:
        yield task
    finally:
        if not task.done():
            await asyncio.wait_for(consumer.stop(), 20)
        await asyncio.wait_for(task, 5)


def new_consumer(
    name: str, pool: asyncpg.Pool, bootstrap: str, idempotence: bool, topic: str, dlt: str, handler: Any, **kw: Any
) -> Consumer:
    return Consumer(
        name=name,
        pool=pool,
        bootstrap=bootstrap,
        topics=[topic],
        handler=handler,
        idempotence=idempotence,
        dead_letter_topic=dlt,
        session_timeout_ms=kw.pop("session_timeout_ms", 6000),  # the embedded broker joins in half of it
        **kw,
    )


@pytest.fixture
async def topics(kafka_bootstrap: str, unique_topic: Callable[[str], str]) -> tuple[str, str]:
    topic, dlt = unique_topic("in"), unique_topic("dlt")
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, partitions=3), TopicSpec(dlt, partitions=1)])
    return topic, dlt


async def test_same_event_twice_has_one_effect(
    platform_pool: asyncpg.Pool,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    topics: tuple[str, str],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    topic, dlt = topics
    name = f"dup-{uuid4().hex[:8]}"
    await create_effects(platform_pool)
    event = make_event("happened", note="once")
    other = make_event("happened", note="other")

    async def handler(conn: asyncpg.Connection, received: ReceivedEvent) -> None:
        await record_effect(conn, received, name)

    async with started_producer(kafka_bootstrap, kafka_idempotence) as producer:
        for e in (event, event, other, event):
            await produce(producer, topic, e, key="dossier-1")
    consumer = new_consumer(name, platform_pool, kafka_bootstrap, kafka_idempotence, topic, dlt, handler)
    async with consuming(consumer):
        assert await poll(lambda: _async(metric("motcua_consumer_duplicates_total", consumer=name) == 2), timeout=20)
        assert consumer.healthy
    assert await effect_counts(platform_pool) == {event.id: 1, other.id: 1}
    assert metric("motcua_consumer_processed_total", consumer=name) == 2
    inbox = await platform_pool.fetch("SELECT consumer, source, event_id, kafka_offset FROM inbox ORDER BY kafka_offset")
    assert [(r["consumer"], r["source"], r["event_id"]) for r in inbox] == [(name, SOURCE, event.id), (name, SOURCE, other.id)]
    assert [r["kafka_offset"] for r in inbox] == [0, 2]  # fetched together: the first copy is the one recorded


async def _async(value: Any) -> Any:
    return value


async def test_a_slow_partition_does_not_hold_back_the_others(
    platform_pool: asyncpg.Pool,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    topics: tuple[str, str],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    """Partitions are handled side by side: while one record of partition 0 takes seconds, partition 1's records
    are handled and committed; partition 0's next records still wait for it (per-key order)."""
    topic, dlt = topics
    name = f"side-{uuid4().hex[:8]}"
    await create_effects(platform_pool)
    release = asyncio.Event()
    handled: list[tuple[int, str]] = []

    async def handler(conn: asyncpg.Connection, received: ReceivedEvent) -> None:
        note = message_from_data(received.event.data, struct_pb2.Struct)["note"]
        handled.append((received.partition, note))
        if note == "slow":
            await asyncio.wait_for(release.wait(), 30)
        await record_effect(conn, received, name)

    first = [make_event("happened", note=n) for n in ("slow", "p0-a", "p0-b")]
    second = [make_event("happened", note=f"p1-{i}") for i in range(5)]
    consumer = new_consumer(name, platform_pool, kafka_bootstrap, kafka_idempotence, topic, dlt, handler)
    async with consuming(consumer), started_producer(kafka_bootstrap, kafka_idempotence) as producer:
        for partition, batch in ((0, first), (1, second)):
            for event in batch:
                k, value, headers = to_kafka(event, key=f"key-{partition}")
                await producer.send_and_wait(topic, value=value, key=k, headers=headers, partition=partition)
            if partition == 0:  # partition 1's records come while the slow one is in hand, not in the same fetch
                assert await poll(lambda: _async(bool(handled)), timeout=20)
        # Partition 1 is done while partition 0's first record is still being handled.
        assert await poll(lambda: _count_effects(platform_pool, len(second)), timeout=20)
        assert [n for p, n in handled if p == 0] == ["slow"]
        assert await effect_counts(platform_pool) == {e.id: 1 for e in second}
        release.set()
        assert await poll(lambda: _count_effects(platform_pool, len(first) + len(second)), timeout=20)
    assert [n for p, n in handled if p == 0] == ["slow", "p0-a", "p0-b"]
    assert await effect_counts(platform_pool) == {e.id: 1 for e in first + second}


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_partition_moves_on(
    platform_pool: asyncpg.Pool,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    topics: tuple[str, str],
    topic_reader: Callable[..., Awaitable[list[Any]]],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    topic, dlt = topics
    name = f"poison-{uuid4().hex[:8]}"
    await create_effects(platform_pool)
    calls: dict[str, int] = {}

    async def handler(conn: asyncpg.Connection, received: ReceivedEvent) -> None:
        kind = received.event.type.rsplit(".", 1)[-1]
        calls[kind] = calls.get(kind, 0) + 1
        await record_effect(conn, received, name)  # rolled back when we raise below
        if kind == "explodes":
            raise RuntimeError("handler bug: cannot handle this dossier")
        if kind == "refused":
            raise PermanentError("procedure code unknown")

    explodes = make_event("explodes", note="always fails")
    refused = make_event("refused", note="permanent")
    good = make_event("happened", note="after the poison")
    key = "dossier-poison"
    async with started_producer(kafka_bootstrap, kafka_idempotence) as producer:
        # Not a CloudEvent at all: no ce_ headers.
        await producer.send_and_wait(topic, value=b'{"hello": "world"}', key=key.encode(), headers=[("origin", b"legacy")])
        await produce(producer, topic, explodes, key)
        await produce(producer, topic, refused, key)
        await produce(producer, topic, good, key)

    consumer = new_consumer(
        name,
        platform_pool,
        kafka_bootstrap,
        kafka_idempotence,
        topic,
        dlt,
        handler,
        max_attempts=3,
        backoff_base=0.01,
        backoff_max=0.05,
    )
    async with consuming(consumer):
        assert await poll(lambda: effect_counts(platform_pool), timeout=20)
        dead = await topic_reader(kafka_bootstrap, dlt, until=lambda r: len(r) >= 3)

    assert await effect_counts(platform_pool) == {good.id: 1}
    assert calls == {"explodes": 3, "refused": 1, "happened": 1}
    assert len(dead) == 3
    originals = sorted(dead, key=lambda r: int(dict(r.headers)["dlt_original_offset"]))
    invalid, exploded, refused_record = ({k: v.decode() for k, v in r.headers} for r in originals)
    partition = int(invalid["dlt_original_partition"])
    for headers in (invalid, exploded, refused_record):
        assert headers["dlt_original_topic"] == topic
        assert int(headers["dlt_original_partition"]) == partition
        assert headers["dlt_consumer"] == name
        assert (datetime.now(UTC) - parse_time(headers["dlt_failed_at"])).total_seconds() < 60
    assert [int(h["dlt_original_offset"]) for h in (invalid, exploded, refused_record)] == [0, 1, 2]
    assert invalid["dlt_error"].startswith("InvalidEvent: ")
    assert invalid["origin"] == "legacy"
    assert exploded["dlt_error"] == "RuntimeError: handler bug: cannot handle this dossier"
    assert exploded["ce_id"] == explodes.id
    assert refused_record["dlt_error"] == "PermanentError: procedure code unknown"
    # Key and value travel unchanged.
    assert all(r.key == key.encode() for r in originals)
    assert originals[0].value == b'{"hello": "world"}'
    assert json.loads(originals[1].value) == json.loads(explodes.data)
    assert metric("motcua_consumer_dead_lettered_total", consumer=name, reason="invalid_event") == 1
    assert metric("motcua_consumer_dead_lettered_total", consumer=name, reason="max_attempts") == 1
    assert metric("motcua_consumer_dead_lettered_total", consumer=name, reason="permanent_error") == 1
    assert await platform_pool.fetchval("SELECT count(*) FROM inbox") == 1


async def test_killed_before_the_offset_commit_redelivers_without_a_second_effect(
    platform_pool: asyncpg.Pool,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    topics: tuple[str, str],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    topic, dlt = topics
    name = f"killed-{uuid4().hex[:8]}"
    await create_effects(platform_pool)
    first = make_event("happened", note="done before the kill")
    second = make_event("happened", note="in hand at the kill")
    in_hand = asyncio.Event()

    async def doomed_handler(conn: asyncpg.Connection, received: ReceivedEvent) -> None:
        await record_effect(conn, received, "doomed")
        if received.event.id == second.id:
            in_hand.set()
            await asyncio.Event().wait()  # the process dies here

    handled_by_successor: list[str] = []

    async def handler(conn: asyncpg.Connection, received: ReceivedEvent) -> None:
        handled_by_successor.append(received.event.id)
        await record_effect(conn, received, "successor")

    async with started_producer(kafka_bootstrap, kafka_idempotence) as producer:
        # One produce batch: both records reach the doomed consumer in one fetch, so the
        # first is durable in the database but its offset is not committed yet.
        for event in (first, second):
            k, value, headers = to_kafka(event, key="dossier-k")
            await producer.send(topic, value=value, key=k, headers=headers)
        await producer.flush()

    # batch_size=1: the record-by-record path, where the first record is durable before the kill.
    doomed = new_consumer(name, platform_pool, kafka_bootstrap, kafka_idempotence, topic, dlt, doomed_handler, batch_size=1)
    task = asyncio.create_task(doomed.run())
    try:
        await asyncio.wait_for(in_hand.wait(), 20)
        assert await effect_counts(platform_pool) == {first.id: 1}
    finally:
        task.cancel()  # killed: no stop(), no offset commit
        with pytest.raises(asyncio.CancelledError):
            await task

    duplicates_before = metric("motcua_consumer_duplicates_total", consumer=name)
    successor = new_consumer(name, platform_pool, kafka_bootstrap, kafka_idempotence, topic, dlt, handler, batch_size=1)
    async with consuming(successor):
        assert await poll(lambda: _has_effect(platform_pool, second.id), timeout=20)
        assert await poll(lambda: _async(metric("motcua_consumer_duplicates_total", consumer=name) > duplicates_before), timeout=5)

    assert metric("motcua_consumer_duplicates_total", consumer=name) - duplicates_before == 1, "first was redelivered"
    assert handled_by_successor == [second.id], "the redelivered first event never reached the handler again"
    rows = await platform_pool.fetch("SELECT event_id, consumer FROM effects ORDER BY event_id")
    assert sorted((r["event_id"], r["consumer"]) for r in rows) == sorted([(first.id, "doomed"), (second.id, "successor")])


async def _has_effect(pool: asyncpg.Pool, event_id: str) -> bool:
    return bool(await pool.fetchval("SELECT count(*) FROM effects WHERE event_id = $1", event_id))


async def test_consumer_survives_a_broker_that_restarted_and_forgot(
    platform_pool: asyncpg.Pool,
    restartable_broker: Any,
    unique_topic: Callable[[str], str],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    broker = restartable_broker
    topic, dlt = unique_topic("in"), unique_topic("dlt")
    specs = [TopicSpec(topic, partitions=3), TopicSpec(dlt, partitions=1)]
    await ensure_topics(broker.bootstrap, specs)
    name = f"restart-{uuid4().hex[:8]}"
    await create_effects(platform_pool)

    async def handler(conn: asyncpg.Connection, received: ReceivedEvent) -> None:
        await record_effect(conn, received, name)

    before = [make_event("happened", note=f"before {i}") for i in range(20)]
    after = [make_event("happened", note=f"after {i}") for i in range(10)]
    consumer = new_consumer(name, platform_pool, broker.bootstrap, False, topic, dlt, handler, backoff_max=1.0)
    async with consuming(consumer) as task:
        async with started_producer(broker.bootstrap, False) as producer:
            for i, event in enumerate(before):
                await produce(producer, topic, event, key=f"dossier-{i % 7}")
        assert await poll(lambda: _count_effects(platform_pool, 20), timeout=20)

        await asyncio.to_thread(broker.restart)  # memory wiped: topics, messages, committed offsets
        await ensure_topics(broker.bootstrap, specs)
        # What a relay does after a broker forgot: everything again, plus what is new.
        async with started_producer(broker.bootstrap, False) as producer:
            for i, event in enumerate(before + after):
                await produce(producer, topic, event, key=f"dossier-{i % 7}")
        assert await poll(lambda: _count_effects(platform_pool, 30), timeout=25)
        assert await poll(lambda: _async(metric("motcua_consumer_duplicates_total", consumer=name) >= 20), timeout=10)
        assert not task.done()

    counts = await effect_counts(platform_pool)
    assert counts == {e.id: 1 for e in before + after}


async def _count_effects(pool: asyncpg.Pool, expected: int) -> bool:
    return await pool.fetchval("SELECT count(*) FROM effects") >= expected


async def test_killed_in_the_middle_of_a_batch_keeps_nothing_then_redelivers_each_once(
    platform_pool: asyncpg.Pool,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    topics: tuple[str, str],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    topic, dlt = topics
    name = f"batch-{uuid4().hex[:8]}"
    await create_effects(platform_pool)
    events = [make_event("happened", note=f"n{i}") for i in range(20)]
    stuck = asyncio.Event()

    async def doomed_handler(conn: asyncpg.Connection, received: ReceivedEvent) -> None:
        await record_effect(conn, received, "doomed")
        if received.event.id == events[10].id:
            stuck.set()
            await asyncio.Event().wait()  # the process dies here, mid-batch

    async def handler(conn: asyncpg.Connection, received: ReceivedEvent) -> None:
        await record_effect(conn, received, "successor")

    async with started_producer(kafka_bootstrap, kafka_idempotence) as producer:
        for event in events:
            k, value, headers = to_kafka(event, key="dossier-k")
            await producer.send(topic, value=value, key=k, headers=headers)
        await producer.flush()

    doomed = new_consumer(name, platform_pool, kafka_bootstrap, kafka_idempotence, topic, dlt, doomed_handler)
    task = asyncio.create_task(doomed.run())
    try:
        await asyncio.wait_for(stuck.wait(), 20)
        # The first ten handler effects share the batch's open transaction: nothing is durable yet.
        assert await effect_counts(platform_pool) == {}
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    successor = new_consumer(name, platform_pool, kafka_bootstrap, kafka_idempotence, topic, dlt, handler)
    async with consuming(successor):
        assert await poll(lambda: _count_effects(platform_pool, 20), timeout=20)
    assert await effect_counts(platform_pool) == {e.id: 1 for e in events}


async def _count_effects(pool: asyncpg.Pool, n: int) -> bool:
    return await pool.fetchval("SELECT count(*) FROM effects") >= n


async def test_a_chunk_handler_takes_the_new_events_of_a_chunk_at_once_and_a_failed_chunk_goes_record_by_record(
    platform_pool: asyncpg.Pool,
    kafka_bootstrap: str,
    kafka_idempotence: bool,
    topics: tuple[str, str],
    poll: Callable[..., Awaitable[Any]],
) -> None:
    """The chunk handler gets the new events in order (a copy already in the inbox is left out); when it fails,
    nothing of the chunk is kept and the per-record handler takes each event once."""
    topic, dlt = topics
    name = f"chunk-{uuid4().hex[:8]}"
    await create_effects(platform_pool)
    chunks: list[list[str]] = []
    singles: list[str] = []

    async def handler(conn: asyncpg.Connection, received: ReceivedEvent) -> None:
        singles.append(message_from_data(received.event.data, struct_pb2.Struct)["note"])
        await record_effect(conn, received, name)

    async def chunk_handler(conn: asyncpg.Connection, received: Any) -> None:
        notes = [message_from_data(r.event.data, struct_pb2.Struct)["note"] for r in received]
        chunks.append(notes)
        for item in received:
            await record_effect(conn, item, name)
        if "fails-in-a-chunk" in notes:
            raise RuntimeError("this chunk fails")

    first = [make_event("happened", note=f"a{i}") for i in range(5)]
    async with started_producer(kafka_bootstrap, kafka_idempotence) as producer:
        for e in [*first, first[1]]:  # first[1] twice: the second copy is not new
            await produce(producer, topic, e, key="k")
    consumer = new_consumer(name, platform_pool, kafka_bootstrap, kafka_idempotence, topic, dlt, handler,
                            chunk_handler=chunk_handler)
    async with consuming(consumer):
        assert await poll(lambda: _count_effects(platform_pool, 5), timeout=20)
        assert chunks == [["a0", "a1", "a2", "a3", "a4"]] and singles == []
        failing = [make_event("happened", note=n) for n in ("b0", "fails-in-a-chunk", "b2")]
        async with started_producer(kafka_bootstrap, kafka_idempotence) as producer:
            batch = producer.create_batch()
            for e in failing:  # one produce request: fetched together
                k, value, headers = to_kafka(e, key="k")
                batch.append(key=k, value=value, timestamp=None, headers=headers)
            await (await producer.send_batch(batch, topic, partition=0))
        assert await poll(lambda: _count_effects(platform_pool, 8), timeout=20)
    assert chunks[1:] == [["b0", "fails-in-a-chunk", "b2"]]
    assert singles == ["b0", "fails-in-a-chunk", "b2"]  # after the rollback, record by record
    assert await effect_counts(platform_pool) == {e.id: 1 for e in first + failing}
