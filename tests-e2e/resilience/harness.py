"""Fault-injection harness: a stack like `make run` on infrastructure the test owns, and the reconciliation reads.

The test starts the embedded PostgreSQL and broker itself (so it can stop and restart them) and hands
them to the stack through `MOTCUA_DATABASE_URL` / `MOTCUA_KAFKA_BOOTSTRAP`, which the stack honours:
it then neither starts nor supervises them. Everything else is black box: HTTP on the gateway, SQL reads
of the service schemas for the reconciliation, the topics read from the beginning, the provider fakes'
inspection endpoints.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

from e2e_stack import RunningStack, start_stack, stop_stack
from motcua_platform.embedded.broker import EmbeddedBroker
from motcua_platform.embedded.postgres import EmbeddedPostgres
from motcua_platform.embedded.process import child_preexec, free_port
from motcua_platform.kafka import contract_topics, ensure_topics

FULL = os.environ.get("MOTCUA_RESILIENCE_FULL", "").lower() in ("1", "true", "yes")
DOSSIER_TOPIC = "motcua.dossier.events.v1"
SCHEDULER_TOPIC = "motcua.scheduler.events.v1"
RECEIVED = "motcua.dossier.v1.received"
REREGISTER_DEATH = "2.002244.000.00.00.H29"  # Đăng ký lại khai tử (demo seed): no linked dossiers

#: What the e2e stacks of this session wrote (logs) and published (agency-facing topics, dumped as JSON lines
#: before each stack stops), and every personal value handed to them: the input of the session-end PII scan.
STACK_LOGS: list[Path] = []
STACK_EVENTS: list[Path] = []
KNOWN_PII: set[str] = set()
#: How the stack prefixes the lines of the provider fakes in its output.
FAKES_PREFIX = "notification-fakes |"

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
_MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Quốc", "Thu", "Xuân"]
_GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hạnh", "Khoa", "Lan", "Mai", "Nam", "Oanh", "Phúc", "Quân", "Sơn",
          "Tâm", "Uyên", "Vinh", "Xuyến", "Yến", "Thảo"]


def sizes(default: int, full: int) -> int:
    return full if FULL else default


@dataclass(frozen=True)
class Citizen:
    """A made-up applicant whose every personal value is unique to this run (so leaks can be searched for)."""

    index: int
    full_name: str
    phone: str
    id_number: str
    email: str
    street: str


def citizens(n: int, *, seed: int | None = None) -> list[Citizen]:
    """`n` distinct applicants: names, phones (09xxxxxxxx), 12-digit ID numbers, e-mails, streets."""
    base = seed if seed is not None else int(time.time() * 1000) % 900_000
    out: list[Citizen] = []
    for i in range(n):
        k = base + i
        name = f"{_FAMILY[k % 15]} {_MIDDLE[(k // 15) % 10]} {_GIVEN[(k // 150) % 20]} {_GIVEN[(k // 3000) % 20]}"
        out.append(Citizen(
            index=i, full_name=name, phone=f"09{(k * 7919) % 100_000_000:08d}", id_number=f"0791{(k * 104729) % 10**8:08d}",
            email=f"congdan.{k}@example.vn", street=f"{(k % 300) + 1} Đường Lê Lợi"))
    KNOWN_PII.update(v for c in out for v in (c.full_name, c.phone, c.id_number, c.email))
    return out


def submission(c: Citizen, *, email: bool = False) -> dict[str, Any]:
    """A complete online submission of 'Đăng ký lại khai tử' for `c` (documents as the demo seed requires)."""
    return {
        "procedure_code": REREGISTER_DEATH,
        "applicant": {"full_name": c.full_name, "id_number": c.id_number, "phone": c.phone,
                      "email": c.email if email else "",
                      "address": {"street": c.street, "ward_name": "Phường Bến Thành", "province_name": "Thành phố Hồ Chí Minh"}},
        "documents": [{"name": "Tờ khai đăng ký lại khai tử"},
                      {"name": "Bản sao Giấy chứng tử trước đây được cấp hợp lệ hoặc giấy tờ có nội dung liên quan",
                       "originals": 0, "copies": 1}],
        "consent": {"purpose": "dossier_processing", "text_version": "2025-01"},
    }


# -- infrastructure the test owns ------------------------------------------------------------------


class Infra:
    """An embedded PostgreSQL and broker started by the test, restartable at will."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.pg_log = open(tmp / "postgres.log", "ab")  # noqa: SIM115 - closed in stop()
        self.postgres = EmbeddedPostgres(tmp / "pg", port=free_port(), log=self.pg_log)
        self.broker = EmbeddedBroker(port=free_port())
        self.database_url = ""
        self.bootstrap = ""

    def start(self) -> None:
        self.database_url = self.postgres.start()
        self.bootstrap = self.broker.start()
        asyncio.run(ensure_topics(self.bootstrap, contract_topics()))

    def stop_broker(self) -> None:
        self.broker.stop()

    def start_broker(self) -> None:
        self.broker.start()  # in this thread: the broker's parent-death signal is tied to it
        # Create the topics with their declared partitions before the relays' republishing auto-creates them
        # (in a thread of its own: this may be called from inside the test's event loop).
        worker = threading.Thread(target=lambda: asyncio.run(ensure_topics(self.bootstrap, contract_topics())))
        worker.start()
        worker.join()

    def stop(self) -> None:
        self.broker.stop()
        self.postgres.stop()
        self.pg_log.close()


def stack_env(extra: dict[str, str] | None = None, *, fakes: bool = True) -> tuple[dict[str, str], dict[str, int]]:
    """The environment of a scenario's stack: fakes on known ports, no quiet hours, generous anonymous limits."""
    ports = {"fakes_http": free_port(), "fakes_smtp": free_port()}
    env = {
        "MOTCUA_DEV_FAKES_HTTP_PORT": str(ports["fakes_http"]),
        "MOTCUA_DEV_FAKES_SMTP_PORT": str(ports["fakes_smtp"]),
        # A nightly run must not wait for the morning: receipts are non-urgent and quiet hours would hold them.
        "MOTCUA_QUIET_HOURS_START": "null",
        "MOTCUA_QUIET_HOURS_END": "null",
        # Every request of a scenario comes from 127.0.0.1: the per-address limits are not what is under test here.
        "MOTCUA_DOSSIER_SUBMIT_RATE_PER_SECOND": "100000",
        "MOTCUA_DOSSIER_SUBMIT_BURST": "100000",
        "MOTCUA_SCHEDULING_WRITE_RATE_PER_SECOND": "100000",
        "MOTCUA_SCHEDULING_WRITE_BURST": "100000",
    }
    if not fakes:
        env.pop("MOTCUA_DEV_FAKES_HTTP_PORT")
    env.update(extra or {})
    return env, ports


@dataclass
class Scenario:
    """A running stack on test-owned infrastructure."""

    infra: Infra
    stack: RunningStack
    fakes_url: str
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.stack.base_url

    def service_pid(self, name: str) -> int:
        """The pid of a service process of the stack (`python -m motcua_<name>`), found in its process tree."""
        wanted = f"motcua_{name}"
        for child in psutil.Process(self.stack.process.pid).children(recursive=False):
            try:
                cmd = child.cmdline()
            except psutil.NoSuchProcess:
                continue
            if cmd[-1:] == [wanted]:
                return child.pid
        raise LookupError(f"no {wanted} process under the stack")


@contextmanager
def scenario(tmp: Path, extra_env: dict[str, str] | None = None) -> Iterator[Scenario]:
    infra = Infra(tmp)
    infra.start()
    STACK_LOGS.append(tmp / "postgres.log")
    env, ports = stack_env({"MOTCUA_DATABASE_URL": infra.database_url, "MOTCUA_KAFKA_BOOTSTRAP": infra.bootstrap,
                            "MOTCUA_KAFKA_IDEMPOTENCE": "false", **(extra_env or {})})
    stack = None
    try:
        stack = start_stack(tmp, env)
        STACK_LOGS.append(stack.log_path)
        yield Scenario(infra, stack, f"http://127.0.0.1:{ports['fakes_http']}")
    finally:
        if stack is not None:
            dump_events(infra.bootstrap, tmp / "events.jsonl")
            stop_stack(stack)
        infra.stop()


def dump_events(bootstrap: str, path: Path) -> None:
    """Write every record of the agency-facing topics (dossier, scheduler) to `path` for the session-end scan."""

    async def read_all() -> list[TopicRecord]:
        return [r for topic in (DOSSIER_TOPIC, SCHEDULER_TOPIC) for r in await read_topic(bootstrap, topic)]

    try:
        records: list[TopicRecord] = []
        worker = threading.Thread(target=lambda: records.extend(asyncio.run(read_all())))
        worker.start()
        worker.join(120)
    except Exception as exc:  # the broker may be down in a failed scenario: the scan then lacks these events
        print(f"could not dump the events of {bootstrap}: {exc}")
        return
    with path.open("w", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps({"topic": r.topic, "key": r.key, "headers": r.headers, "value": r.value},
                                 ensure_ascii=False) + "\n")
    STACK_EVENTS.append(path)


# -- more processes of a service (scaling) ----------------------------------------------------------

#: The variables naming ports a service process listens on: each replica needs its own.
LISTEN_PORTS = ("MOTCUA_GRPC_PORT", "MOTCUA_METRICS_PORT", "MOTCUA_BOUNCE_SMTP_PORT")


@dataclass
class Replica:
    """One more process of a stack's service, started by the test (the stack neither sees nor restarts it)."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> tuple[int, float]:
        """Send `sig` and wait for the exit; return (exit code, seconds it took). SIGKILL after `timeout`."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode, time.monotonic() - started


def start_replica(sc: Scenario, service: str, name: str, extra_env: dict[str, str] | None = None) -> Replica:
    """Start `python -m motcua_<service>` with the environment of the stack's own process of that service
    (same database, broker, consumer group, providers), on its own free ports, its Kafka client id `name`
    (consumer group member ids start with it), its output in `<tmp>/<name>.log` (scanned like the stack's).

    It dies with the test process (parent-death signal); stop it with `Replica.stop`.
    """
    env = psutil.Process(sc.service_pid(service)).environ()
    env.update({var: str(free_port()) for var in LISTEN_PORTS if var in env})
    env.update({"MOTCUA_KAFKA_CLIENT_ID": name, **(extra_env or {})})
    log_path = sc.infra.tmp / f"{name}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen([sys.executable, "-m", f"motcua_{service}"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, preexec_fn=child_preexec(None, die_with_parent=True))
    STACK_LOGS.append(log_path)
    return Replica(name, process, log_path)


async def group_members(bootstrap: str, group: str) -> list[str]:
    """The member ids of consumer group `group` as the broker describes it now (each starts with its client id)."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        described = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    return sorted(m[0] for response in described for g in response.groups for m in g[5])


def log_records(path: Path, *, prefix: str = "", event: str | None = None) -> list[dict[str, Any]]:
    """The JSON log records in `path` (lines starting with `prefix`, as the stack prefixes its services'),
    only those whose `event` is `event` when given."""
    out: list[dict[str, Any]] = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.lstrip()  # the stack right-aligns the names of its sources
        if not line.startswith(prefix):
            continue
        text = line[len(prefix):].strip()
        if not text.startswith("{"):
            continue
        try:
            record = json.loads(text)
        except ValueError:
            continue
        if event is None or record.get("event") == event:
            out.append(record)
    return out


# -- the client side --------------------------------------------------------------------------------


@dataclass
class Outcome:
    key: str
    citizen: Citizen
    statuses: list[int] = field(default_factory=list)
    code: str = ""
    retry_after_missing: int = 0
    errors: list[str] = field(default_factory=list)


async def submit_until_accepted(client: httpx.AsyncClient, c: Citizen, *, deadline: float,
                                key: str | None = None) -> Outcome:
    """POST one dossier; on 503 (or a dropped connection) wait Retry-After and repeat with the SAME key."""
    out = Outcome(key or str(uuid.uuid4()), c)
    body = submission(c)
    while time.monotonic() < deadline:
        try:
            reply = await client.post("/api/v1/dossiers", json=body, headers={"Idempotency-Key": out.key})
        except httpx.TransportError as exc:
            out.statuses.append(0)
            out.errors.append(type(exc).__name__)
            await asyncio.sleep(0.5)
            continue
        out.statuses.append(reply.status_code)
        if reply.status_code in (200, 201):
            out.code = reply.json()["code"]
            return out
        if reply.status_code == 503:
            retry_after = reply.headers.get("Retry-After")
            if retry_after is None:
                out.retry_after_missing += 1
            await asyncio.sleep(min(float(retry_after or 1), 5.0))
            continue
        out.errors.append(f"{reply.status_code} {reply.text[:300]}")
        if reply.status_code >= 500:
            await asyncio.sleep(0.5)  # recorded as a failure of the scenario; still retried to learn the end state
            continue
        return out
    out.errors.append("deadline")
    return out


async def run_paced(n: int, per_second: float, concurrency: int, work: Any) -> list[Any]:
    """Start `work(i)` for i < n at `per_second`, at most `concurrency` in flight; return the results in order."""
    gate = asyncio.Semaphore(concurrency)
    started = time.monotonic()

    async def one(i: int) -> Any:
        await asyncio.sleep(max(0.0, started + i / per_second - time.monotonic()))
        async with gate:
            return await work(i)

    return await asyncio.gather(*(one(i) for i in range(n)))


# -- reconciliation reads ------------------------------------------------------------------------------


async def sql(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def execute(database_url: str, script: str) -> None:
    """Run a SQL script (several statements, no parameters): fault injection in the test-owned database."""
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        await conn.execute(script)
    finally:
        await conn.close()


@dataclass(frozen=True)
class TopicRecord:
    topic: str
    partition: int
    offset: int
    key: str
    headers: dict[str, str]
    value: str

    @property
    def ce_id(self) -> str:
        return self.headers.get("ce_id", "")

    @property
    def ce_type(self) -> str:
        return self.headers.get("ce_type", "")


async def read_topic(bootstrap: str, topic: str, *, timeout: float = 60.0, idle: float = 2.0) -> list[TopicRecord]:
    """Every record of `topic` from the beginning of each partition (no consumer group).

    Reads until the partitions stay quiet for `idle` seconds: the embedded broker reports a partition's
    end offset as the base offset of its last batch + 1, so end offsets cannot say where a partition ends.
    """
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                                auto_offset_reset="earliest", request_timeout_ms=10_000)
    await consumer.start()
    try:
        await consumer.topics()  # fetches the cluster's metadata
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        out: list[TopicRecord] = []
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < idle:
            assert time.monotonic() < deadline, f"{topic} kept growing for {timeout}s"
            batch = await consumer.getmany(timeout_ms=300, max_records=5000)
            if any(batch.values()):
                quiet_since = time.monotonic()
            for tp, records in batch.items():
                out.extend(TopicRecord(
                    topic, tp.partition, r.offset, (r.key or b"").decode("utf-8", "replace"),
                    {k: (v or b"").decode("utf-8", "replace") for k, v in (r.headers or ())},
                    (r.value or b"").decode("utf-8", "replace")) for r in records)
        return out
    finally:
        await consumer.stop()


async def fakes_messages(fakes_url: str, **params: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as client:
        reply = await client.get(f"{fakes_url}/messages", params={"limit": "1000000", **params})
        reply.raise_for_status()
        return reply.json()["items"]


def digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def by_phone(messages: list[dict[str, Any]]) -> dict[str, int]:
    """Messages per recipient phone, keyed on the last nine digits (providers write 84…/0…)."""
    counts: dict[str, int] = {}
    for m in messages:
        d = digits(str(m.get("recipient", "")))
        if len(d) >= 9:
            counts[d[-9:]] = counts.get(d[-9:], 0) + 1
    return counts


async def wait_for(check: Any, *, timeout: float, interval: float = 1.0) -> Any:
    """Poll the async `check()` until it returns a truthy value; return the last value either way."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(interval)
    return value


def report(name: str, figures: dict[str, Any]) -> None:
    """Print the scenario's figures (shown with -s and in the captured output of a failure)."""
    print(f"\nRESILIENCE {name}: " + json.dumps(figures, ensure_ascii=False, default=str))
