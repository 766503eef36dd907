"""Fixtures of the notification integration tests: the fakes, the contact directory, a running service, events."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from google.protobuf.message import Message

from motcua_notification.fakes.server import FakeProviders, FakesSettings
from motcua_notification.testing import ContactDirectory, RunningNotification, running_notification, settings_for_test
from motcua_platform.cloudevents import CloudEvent, data_from_message, to_kafka
from motcua_platform.embedded.process import free_port
from motcua_platform.kafka import TopicSpec, ensure_topics, make_producer


@pytest.fixture
async def fakes() -> AsyncIterator[FakeProviders]:
    running = FakeProviders(FakesSettings(fakes_http_port=free_port(), fakes_smtp_port=free_port(), fakes_receipts=False))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def contacts() -> AsyncIterator[ContactDirectory]:
    directory = ContactDirectory()
    await directory.start()
    try:
        yield directory
    finally:
        await directory.stop()


@pytest.fixture
def make_settings(postgres_url: str, kafka_bootstrap: str, kafka_idempotence: bool, fakes: FakeProviders,
                  contacts: ContactDirectory) -> Callable[..., Any]:
    suffix = uuid.uuid4().hex[:8]

    def make(**overrides: Any) -> Any:
        return settings_for_test(postgres_url=postgres_url, kafka_bootstrap=kafka_bootstrap, idempotence=kafka_idempotence,
                                 fakes=fakes, contacts_address=contacts.address, suffix=suffix, **overrides)

    return make


@pytest.fixture
async def topics(make_settings: Callable[..., Any], kafka_bootstrap: str) -> Any:
    settings = make_settings()
    await ensure_topics(kafka_bootstrap, [TopicSpec(settings.dossier_topic, 3), TopicSpec(settings.scheduler_topic, 3)])
    return settings


@pytest.fixture
async def service(topics: Any, make_settings: Callable[..., Any], db_schema: str) -> AsyncIterator[RunningNotification]:
    async with running_notification(make_settings(), db_schema) as running:
        yield running


@pytest.fixture
async def rpc_service(make_settings: Callable[..., Any], db_schema: str) -> AsyncIterator[RunningNotification]:
    """The service without its Kafka consumer (for tests of the gRPC API and the worker alone)."""
    async with running_notification(make_settings(), db_schema, consumer=False) as running:
        yield running


class Publisher:
    def __init__(self, bootstrap: str, idempotence: bool) -> None:
        self._producer = make_producer(bootstrap, idempotence=idempotence)

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, topic: str, event_type: str, message: Message, *, key: str, event_id: str | None = None,
                      source: str = "/motcua/dossier") -> CloudEvent:
        event = CloudEvent(id=event_id or str(uuid.uuid4()), source=source, type=event_type, time=datetime.now(UTC),
                           subject=key, data=data_from_message(message))
        k, value, headers = to_kafka(event, key=key)
        await self._producer.send_and_wait(topic, value=value, key=k, headers=headers)
        return event


@pytest.fixture
async def publisher(kafka_bootstrap: str, kafka_idempotence: bool) -> AsyncIterator[Publisher]:
    running = Publisher(kafka_bootstrap, kafka_idempotence)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def wait_until(predicate: Callable[[], Awaitable[Any]], *, timeout: float = 20.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(interval)


@pytest.fixture
def poll() -> Callable[..., Awaitable[Any]]:
    return wait_until


async def read_events(bootstrap: str, topic: str, event_type: str) -> list[dict[str, Any]]:
    """Every event of `event_type` on `topic` so far (data as JSON), read without a group."""
    import json

    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: list[dict[str, Any]] = []
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            batch = await consumer.getmany(*tps, timeout_ms=500)
            for records in batch.values():
                for record in records:
                    if dict(record.headers).get("ce_type", b"").decode() == event_type:
                        found.append(json.loads(record.value))
        return found
    finally:
        await consumer.stop()


@pytest.fixture
def topic_events(kafka_bootstrap: str, poll: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    """Events of one type on motcua.notification.events.v1, waiting a little for the relay."""

    async def read(event_type: str, *, topic: str = "motcua.notification.events.v1", at_least: int = 1) -> list[dict[str, Any]]:
        async def enough() -> list[dict[str, Any]]:
            found = await read_events(kafka_bootstrap, topic, event_type)
            return found if len(found) >= at_least else []

        return await poll(enough, timeout=10, interval=0.3) or []

    return read
