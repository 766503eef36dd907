"""Reminders 24 h and 2 h before: each emitted once, also across restarts of the service process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import grpc
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from motcua.common.v1 import common_pb2
from motcua.scheduler.v1 import scheduler_service_pb2 as pb
from motcua.scheduler.v1 import scheduler_service_pb2_grpc as pb_grpc
from motcua_platform.embedded.process import free_port
from motcua_scheduler.domain import model as m
from motcua_scheduler.service import SchedulerService, SlotRef
from motcua_scheduler.testing import Clock, RunningScheduler, running_scheduler
from motcua_scheduler.tokens import TokenSigner

pytestmark = pytest.mark.integration

REMINDER = "motcua.scheduler.v1.booking_reminder_due"


async def reminders(db: asyncpg.Connection) -> list[tuple[str, str]]:
    rows = await db.fetch("SELECT partition_key, data FROM outbox WHERE type = $1 ORDER BY id", REMINDER)
    return [(r["partition_key"], json.loads(bytes(r["data"]))["reminder"]) for r in rows]


async def test_each_reminder_once_even_with_two_instances_and_a_restart(
    postgres_url: str, db_schema: str, scheduler: RunningScheduler, clock: Clock, db: asyncpg.Connection,
) -> None:
    await scheduler.point("kiosk-a")
    visit = clock.now + timedelta(days=3)
    early = await scheduler.book(await scheduler.slot("kiosk-a", visit, capacity=3))
    late_start = visit - timedelta(hours=16)
    late_slot = await scheduler.slot("kiosk-a", late_start, capacity=3)
    second = SchedulerService(pool=scheduler.pool, tokens=TokenSigner("another-instance-secret"), clock=clock)

    assert await scheduler.service.send_reminders() == 0
    clock.now = visit - timedelta(hours=23)  # the day-before reminder is due for `early`
    late = await scheduler.book(late_slot)  # booked 7 h before: no day-before reminder for it
    sent = await asyncio.gather(scheduler.service.send_reminders(), second.send_reminders())
    assert sum(sent) == 1
    assert await reminders(db) == [(early, "REMINDER_KIND_DAY_BEFORE")]

    # "Restart": a new pool and a new service instance see the same rows and send nothing again.
    async with running_scheduler(postgres_url, db_schema, clock=clock, grpc=False) as restarted:
        assert await restarted.service.send_reminders() == 0
        clock.now = late_start - timedelta(hours=1, minutes=50)
        assert await restarted.service.send_reminders() == 1
        clock.now = visit - timedelta(hours=1)
        assert await restarted.service.send_reminders() == 1
        assert await restarted.service.send_reminders() == 0
    assert await reminders(db) == [(early, "REMINDER_KIND_DAY_BEFORE"), (late, "REMINDER_KIND_HOURS_BEFORE"),
                                   (early, "REMINDER_KIND_HOURS_BEFORE")]
    assert await db.fetchval("SELECT count(*) FROM reminder WHERE outcome = 'skipped'") == 1  # late's day-before


async def test_a_moved_booking_is_reminded_again_for_its_new_time(scheduler: RunningScheduler, clock: Clock,
                                                                  db: asyncpg.Connection) -> None:
    await scheduler.point("kiosk-a")
    start = clock.now + timedelta(days=2)
    booking = await scheduler.book(await scheduler.slot("kiosk-a", start, capacity=1))
    later_slot = await scheduler.slot("kiosk-a", start + timedelta(days=1), capacity=1)
    clock.now = start - timedelta(hours=20)
    assert await scheduler.service.send_reminders() == 1
    clock.now = start - timedelta(hours=19)  # moved well before the new time's day-before reminder
    await scheduler.service.reschedule(key="move-reminded", booking_id=booking, token="",
                                       actor=m.Actor("canbo.1", "officer"), ref=SlotRef(slot_id=later_slot), reason="")
    clock.now = start + timedelta(hours=1)  # 23 h before the new time
    assert await scheduler.service.send_reminders() == 1
    assert [k for _, k in await reminders(db)] == ["REMINDER_KIND_DAY_BEFORE", "REMINDER_KIND_DAY_BEFORE"]


# -- a real process, stopped and started again ----------------------------------------------------


@pytest.fixture
async def private_database(postgres_url: str) -> AsyncIterator[str]:
    """A database of its own, so that the real service can use its real schema name."""
    name = f"sched_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    base, _, _ = postgres_url.rpartition("/")
    yield f"{base}/{name}"
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


class ServiceProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log, self.proc = env, log, None

    async def start(self, stub: pb_grpc.SchedulerServiceStub) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "motcua_scheduler"], env=self.env,  # noqa: ASYNC220
                                     stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                await stub.ListResources(pb.ListResourcesRequest(), timeout=1)
                return
            except grpc.aio.AioRpcError:
                assert self.proc.poll() is None, self.log.read_text()[-3000:]
                await asyncio.sleep(0.1)
        raise AssertionError("the scheduler did not start:\n" + self.log.read_text()[-3000:])

    async def stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        for _ in range(200):
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.1)
        else:
            self.proc.kill()
        assert self.proc.wait() == 0, self.log.read_text()[-3000:]


async def read_reminders(bootstrap: str, booking_id: str, *, expect: int, timeout: float = 30.0) -> list[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    found: list[str] = []
    try:
        tps = [TopicPartition("motcua.scheduler.events.v1", p) for p in range(6)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = asyncio.get_running_loop().time() + timeout
        ends = await consumer.end_offsets(tps)
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                for r in records:
                    headers = dict(r.headers)
                    if r.key == booking_id.encode() and headers.get("ce_type") == REMINDER.encode():
                        found.append(headers["ce_id"].decode())
            positions = [await consumer.position(tp) for tp in tps]
            if len(found) >= expect and all(p >= ends[tp] for p, tp in zip(positions, tps, strict=True)):
                ends = await consumer.end_offsets(tps)
                if all(p >= ends[tp] for p, tp in zip(positions, tps, strict=True)):
                    break
    finally:
        await consumer.stop()
    return found


async def test_reminder_is_published_once_across_a_restart_of_the_service_process(
    private_database: str, kafka_bootstrap: str, kafka_idempotence: bool, tmp_path: Path,
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")} | {
        "MOTCUA_DATABASE_URL": private_database, "MOTCUA_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "MOTCUA_KAFKA_IDEMPOTENCE": str(kafka_idempotence).lower(), "MOTCUA_GRPC_HOST": "127.0.0.1",
        "MOTCUA_GRPC_PORT": str(port), "MOTCUA_METRICS_PORT": "0", "MOTCUA_SCHEDULER_SWEEP_INTERVAL_SECONDS": "0.2",
        "MOTCUA_SCHEDULER_BOOKING_LEAD_MINUTES": "0", "MOTCUA_OUTBOX_POLL_INTERVAL_SECONDS": "0.2",
        "MOTCUA_SHUTDOWN_GRACE_SECONDS": "3",
    }
    service = ServiceProcess(env, tmp_path / "scheduler.log")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = pb_grpc.SchedulerServiceStub(channel)
        await service.start(stub)  # migrates the fresh database
        # A kiosk slot starting in 2 h and a few seconds: the 2-hour reminder falls due just after the booking.
        conn = await asyncpg.connect(private_database, server_settings={"search_path": "scheduler, public"})
        try:
            start = datetime.now(UTC) + timedelta(hours=2, seconds=4)
            await conn.execute("INSERT INTO ward VALUES ('26740', 'Phường Sài Gòn', '79', 'TP HCM')")
            await conn.execute("INSERT INTO service_point (id, model, name, ward_code) "
                               "VALUES ('kiosk-r', 'kiosk', 'Điểm nhắc lịch', '26740')")
            await conn.execute("INSERT INTO slot (id, point_id, model, starts_at, ends_at, capacity) "
                               "VALUES ('kiosk-r-1', 'kiosk-r', 'kiosk', $1, $2, 5)", start, start + timedelta(minutes=30))
            made = await stub.CreateBooking(pb.CreateBookingRequest(
                idempotency_key="restart-reminder-1", slot_id="kiosk-r-1",
                citizen=pb.Citizen(full_name="Lê Văn Năm", phone="0977000111"), help_type=pb.HELP_TYPE_VNEID_LEVEL2,
                consent=common_pb2.Consent(purpose="assisted_help_booking", text_version="2025-01")))
            booking_id = made.booking.id
            for _ in range(300):
                if await conn.fetchval("SELECT count(*) FROM outbox WHERE type = $1 AND published_at IS NOT NULL",
                                       REMINDER):
                    break
                await asyncio.sleep(0.1)
            await service.stop()
            await service.start(stub)
            await asyncio.sleep(1.5)  # several sweeps of the restarted process
            await service.stop()
            assert await conn.fetchval("SELECT count(*) FROM outbox WHERE type = $1", REMINDER) == 1
            assert await conn.fetchval("SELECT count(*) FROM reminder WHERE outcome = 'sent'") == 1
        finally:
            await conn.close()
    published = await read_reminders(kafka_bootstrap, booking_id, expect=1)
    assert len(published) == 1, published
