"""pytest plugin (entry point `motcua`): real PostgreSQL and a real Kafka-wire broker.

Session-scoped servers, chosen in this order:
1. `MOTCUA_TEST_DATABASE_URL` / `MOTCUA_TEST_KAFKA_BOOTSTRAP` when set;
2. testcontainers when a Docker engine answers;
3. the embedded PostgreSQL and tansu broker (the default on the dev machines and CI).

Per-test isolation comes from a fresh schema (`db_schema`) and fresh topic names
(`unique_topic`), never from sharing state between tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from motcua_platform.embedded.process import free_port


def _docker_available() -> bool:
    if os.environ.get("MOTCUA_TEST_NO_DOCKER") or not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real PostgreSQL server for the whole test session."""
    url = os.environ.get("MOTCUA_TEST_DATABASE_URL")
    if url:
        yield url
        return
    if _docker_available():  # pragma: no cover - no Docker engine on the dev machines
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver=None) as container:
            yield container.get_connection_url()
        return
    from motcua_platform.embedded.postgres import EmbeddedPostgres

    # Not under pytest's basetemp: pytest prunes old numbered folders, and a concurrent
    # session on the same machine could delete a running server's data folder.
    base = Path(tempfile.mkdtemp(prefix="motcua-test-pg-"))
    log = open(base / "postgres.log", "ab")  # noqa: SIM115 - closed below
    server = EmbeddedPostgres(base / "data", port=free_port(), durable=False, log=log)
    try:
        server.start()
        yield server.url
    finally:
        server.stop()
        log.close()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of a real Kafka-protocol broker for the whole test session."""
    bootstrap = os.environ.get("MOTCUA_TEST_KAFKA_BOOTSTRAP")
    if bootstrap:
        yield bootstrap
        return
    if _docker_available():  # pragma: no cover - no Docker engine on the dev machines
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as container:
            yield container.get_bootstrap_server()
        return
    from motcua_platform.embedded.broker import EmbeddedBroker

    log = open(tmp_path_factory.mktemp("broker") / "broker.log", "ab")  # noqa: SIM115
    broker = EmbeddedBroker(port=free_port(), log=log)
    broker.start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()
        log.close()


@pytest.fixture(scope="session")
def kafka_idempotence() -> bool:
    """Idempotent producer only on a real Kafka; the embedded tansu rejects InitProducerId."""
    if os.environ.get("MOTCUA_TEST_KAFKA_BOOTSTRAP"):
        return os.environ.get("MOTCUA_TEST_KAFKA_IDEMPOTENCE", "true").lower() == "true"
    return _docker_available()


@pytest.fixture
def restartable_broker(tmp_path: Path) -> Iterator[object]:
    """A private embedded broker the test may stop and start (fault tests)."""
    from motcua_platform.embedded.broker import EmbeddedBroker

    log = open(tmp_path / "broker.log", "ab")  # noqa: SIM115
    broker = EmbeddedBroker(port=free_port(), log=log)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
        log.close()


@pytest.fixture
async def db_schema(postgres_url: str) -> AsyncIterator[str]:
    """A fresh, empty schema name for this test; dropped afterwards."""
    import asyncpg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
    finally:
        await conn.close()
    yield schema
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


@pytest.fixture
def unique_topic() -> Callable[[str], str]:
    """Return a factory of topic names unique to this test."""
    suffix = uuid.uuid4().hex[:8]

    def make(name: str = "events") -> str:
        return f"test.{name}.{suffix}"

    return make
