"""Kafka client factories with the safe settings spelled out, and topic creation.

Security (TLS, SASL PLAIN / SCRAM) comes from the `MOTCUA_KAFKA_SECURITY_PROTOCOL`,
`MOTCUA_KAFKA_SASL_*` and `MOTCUA_KAFKA_SSL_*` settings: `load_settings` calls
`configure_security` once at start, and every client made here (and by the outbox
relay) takes `client_options()`. The default is PLAINTEXT, what the embedded broker speaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from motcua_platform.logging import get_logger

if TYPE_CHECKING:
    from motcua_platform.settings import ServiceSettings

log = get_logger(__name__)


class KafkaConfigError(ValueError):
    """The Kafka security settings cannot be used; the message is one line naming the variable."""


def security_options(settings: ServiceSettings) -> dict[str, Any]:
    """Map the security settings to aiokafka client arguments (reads the TLS files now)."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = _ssl_context(settings)
    elif settings.kafka_ssl_cafile or settings.kafka_ssl_certfile:
        raise KafkaConfigError(f"MOTCUA_KAFKA_SSL_* files are set but MOTCUA_KAFKA_SECURITY_PROTOCOL is {protocol} "
                               "(use SSL or SASL_SSL)")
    if protocol.startswith("SASL_"):
        if not settings.kafka_sasl_username or settings.kafka_sasl_password is None:
            raise KafkaConfigError(f"MOTCUA_KAFKA_SASL_USERNAME and MOTCUA_KAFKA_SASL_PASSWORD are required with {protocol}")
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password.get_secret_value(),
        )
    return options


def _ssl_context(settings: ServiceSettings) -> ssl.SSLContext:
    """Verify the brokers against the CA file (else the system's CAs); present a client certificate if given."""
    try:
        context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    except (OSError, ssl.SSLError) as exc:
        raise KafkaConfigError(f"MOTCUA_KAFKA_SSL_CAFILE {settings.kafka_ssl_cafile}: {_reason(exc)}") from None
    context.check_hostname = settings.kafka_ssl_check_hostname
    if settings.kafka_ssl_certfile:
        try:
            context.load_cert_chain(settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise KafkaConfigError(
                f"MOTCUA_KAFKA_SSL_CERTFILE/MOTCUA_KAFKA_SSL_KEYFILE {settings.kafka_ssl_certfile}: {_reason(exc)}"
            ) from None
    return context


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or getattr(exc, "reason", None) or type(exc).__name__


_client_options: dict[str, Any] = {}
_consumer_options: dict[str, Any] = {}


def configure_security(settings: ServiceSettings) -> None:
    """Use these security (and consumer fetch) settings for every Kafka client this process makes from now on."""
    global _client_options, _consumer_options
    # No log line here: this runs before logging is configured (load_settings).
    _client_options = security_options(settings)
    _consumer_options = {"fetch_max_wait_ms": settings.kafka_fetch_max_wait_ms}


def client_options() -> dict[str, Any]:
    """The security arguments every aiokafka client of this process must take (empty = PLAINTEXT)."""
    return dict(_client_options)


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
        **{**client_options(), **extra},
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
        **{**client_options(), **_consumer_options, **extra},
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
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000), **client_options())
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
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000), **client_options())
    try:
        await asyncio.wait_for(admin.start(), timeout)
        await asyncio.wait_for(admin.list_topics(), timeout)
    except (TimeoutError, KafkaError, OSError) as exc:
        raise ConnectionError(f"broker {bootstrap} unreachable: {type(exc).__name__}") from exc
    finally:
        await admin.close()
