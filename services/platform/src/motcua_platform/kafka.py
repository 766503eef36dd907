"""Kafka client factories with the safe settings spelled out, and topic creation."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from motcua_platform.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 3
    replication_factor: int = 1
    retention_ms: int | None = None

    def new_topic(self) -> NewTopic:
        configs = {"retention.ms": str(self.retention_ms)} if self.retention_ms else {}
        return NewTopic(self.name, self.partitions, self.replication_factor, topic_configs=configs)


def contract_topics() -> list[TopicSpec]:
    """Return every topic declared in the contracts' topic registry (`topics.json`)."""
    registry = json.loads(resources.files("motcua.events.v1").joinpath("topics.json").read_text(encoding="utf-8"))
    specs = [
        TopicSpec(t["name"], int(t.get("partitions", 3)), 1, t.get("retention_ms")) for t in registry["topics"]
    ]
    for dlt in registry.get("dead_letter_topics", []):
        name = dlt if isinstance(dlt, str) else dlt["name"]
        specs.append(TopicSpec(name, 1, 1, None))
    return specs


def make_producer(
    bootstrap: str,
    *,
    idempotence: bool,
    client_id: str = "motcua",
    linger_ms: int = 0,
    **extra: Any,
) -> AIOKafkaProducer:
    """Producer with acks=all; idempotence where the broker supports it (not the embedded tansu)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=idempotence,
        linger_ms=linger_ms,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
        **extra,
    )


def make_consumer(
    bootstrap: str,
    *topics: str,
    group_id: str,
    client_id: str = "motcua",
    **extra: Any,
) -> AIOKafkaConsumer:
    """Consumer that commits only when told, and starts from the earliest offset of a new group."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        client_id=client_id,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **extra,
    )


async def ensure_topics(bootstrap: str, specs: list[TopicSpec], *, timeout: float = 30.0) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    Needed because the embedded broker auto-creates unknown topics with a single
    partition on first produce, which would lose the declared partitioning.
    Retries transient errors (a broker that is still starting) until `timeout`.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await _create_missing(bootstrap, specs, timeout=min(10.0, timeout))
        except (TimeoutError, KafkaError, OSError) as exc:
            if asyncio.get_running_loop().time() >= deadline:
                raise ConnectionError(f"cannot create topics on {bootstrap}: {type(exc).__name__}: {exc}") from exc
            await asyncio.sleep(0.3)


async def _create_missing(bootstrap: str, specs: list[TopicSpec], *, timeout: float) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if not missing:
            return []
        # A concurrent starter may create the same topics first.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([s.new_topic() for s in missing])
        created = [s.name for s in missing]
        log.info("topics_created", topics=created)
        return created
    finally:
        await admin.close()


async def broker_ping(bootstrap: str, *, timeout: float = 2.0) -> None:
    """Raise when the broker does not answer a metadata request within `timeout`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(admin.start(), timeout)
        await asyncio.wait_for(admin.list_topics(), timeout)
    except (TimeoutError, KafkaError, OSError) as exc:
        raise ConnectionError(f"broker {bootstrap} unreachable: {type(exc).__name__}") from exc
    finally:
        await admin.close()
