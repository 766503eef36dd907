"""Shared fixtures of the platform tests: a migrated schema and a group-less topic reader."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import asyncpg
import pytest
from aiokafka import AIOKafkaClient, AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from motcua_platform.db import create_pool
from motcua_platform.migrations import apply_migrations, platform_track

Records = list[ConsumerRecord[bytes, bytes]]


class TopicReader(Protocol):
    def __call__(
        self,
        bootstrap: str,
        topic: str,
        *,
        until: Callable[[Records], bool] | None = None,
        timeout: float = 20.0,
    ) -> Awaitable[Records]: ...


async def topic_partitions(bootstrap: str, topic: str) -> set[int]:
    """Return the partitions of `topic` without creating it (empty when it does not exist)."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap)
    try:
        await client.bootstrap()
        cluster = await client.fetch_all_metadata()
        return set(cluster.partitions_for_topic(topic) or ())
    finally:
        await client.close()


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[Records], bool] | None = None,
    timeout: float = 20.0,
) -> Records:
    """Read every record of `topic` from the beginning, without a group, until `until(records)` or `timeout`.

    Records of one partition are in offset order. Without `until`, return what
    the topic holds now. The caller asserts on the result: a timeout is not an error here.
    """
    deadline = time.monotonic() + timeout
    partitions: set[int] = set()
    while not partitions:
        partitions = await topic_partitions(bootstrap, topic)
        if partitions or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    if not partitions:
        return []
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    records: Records = []
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        while True:
            ends = await consumer.end_offsets(tps)
            while any([await consumer.position(tp) < ends[tp] for tp in tps]):
                batch = await consumer.getmany(*tps, timeout_ms=200)
                for tp in tps:
                    records.extend(batch.get(tp, []))
                if time.monotonic() > deadline:
                    break
            if until is None or until(records) or time.monotonic() > deadline:
                return records
            await asyncio.sleep(0.1)
    finally:
        await consumer.stop()


@pytest.fixture
def topic_reader() -> TopicReader:
    """The `read_topic` helper (fixtures are how test modules share code under importlib mode)."""
    return read_topic


@pytest.fixture
async def platform_pool(postgres_url: str, db_schema: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a fresh schema with the platform migrations (outbox, inbox) applied."""
    await apply_migrations(postgres_url, schema=db_schema, tracks=[platform_track()])
    pool = await create_pool(postgres_url, schema=db_schema, min_size=2, max_size=20)
    try:
        yield pool
    finally:
        await pool.close()


async def wait_until(predicate: Callable[[], Awaitable[Any]], *, timeout: float, interval: float = 0.05) -> Any:
    """Poll `predicate` until it returns something truthy; return it, or the last falsy value at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(interval)


@pytest.fixture
def poll() -> Callable[..., Awaitable[Any]]:
    """The `wait_until` helper: poll an async predicate with a deadline."""
    return wait_until
