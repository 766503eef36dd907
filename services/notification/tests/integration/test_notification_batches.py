"""The batched worker keeps every guarantee: a crash in the middle of a batch, poison rows inside a batch."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY

from motcua_notification.fakes.server import FakeProviders, Hook
from motcua_notification.providers.base import Accepted, OutboundMessage, Provider
from motcua_notification.testing import (
    DOSSIER_RECEIVED,
    ContactDirectory,
    dossier_received,
    env_of,
    migrate,
    running_notification,
    spawn_child,
)
from motcua_platform.db import create_pool

pytestmark = pytest.mark.integration


def counter(name: str) -> float:
    return REGISTRY.get_sample_value(f"{name}_total") or 0.0


async def by_code(pool: Any, prefix: str) -> dict[str, list[Any]]:
    rows = await pool.fetch(
        """SELECT n.dossier_code, n.status AS note, d.channel, d.status, d.attempts, d.last_error_code
           FROM notifications n LEFT JOIN deliveries d ON d.notification_id = n.id
           WHERE n.dossier_code LIKE $1 || '%' ORDER BY n.dossier_code, d.step""", prefix)
    found: dict[str, list[Any]] = {}
    for r in rows:
        found.setdefault(r["dossier_code"], []).append(r)
    return found


async def test_crash_in_the_middle_of_a_batch_sends_each_message_once(
    topics: Any, make_settings: Callable[..., Any], db_schema: str, contacts: ContactDirectory, fakes: FakeProviders,
    publisher: Any, poll: Callable[..., Awaitable[Any]],
) -> None:
    """Twelve SMS planned and claimed in one batch, four provider calls at a time; the process is SIGKILLed by the
    provider right after it stored the 6th message. After a restart every citizen has exactly one SMS: answers lost
    in the crash are settled with the same eSMS RequestId (answered "duplicate"), the rest is sent."""
    settings = make_settings(sending_stale_seconds=1.0, worker_provider_concurrency=4)
    await migrate(settings.database_url, db_schema)
    env = {**os.environ, **env_of(settings), "MOTCUA_TEST_SCHEMA": db_schema, "MOTCUA_LOG_LEVEL": "WARNING"}
    pool = await create_pool(settings.database_url, schema=db_schema, max_size=2)
    phones = [f"+8492100{i:04d}" for i in range(12)]
    await pool.execute("INSERT INTO preferences (phone, channels) SELECT unnest($1::text[]), '{sms}'", phones)
    refs = [contacts.add(f"ct_{uuid.uuid4().hex}", phone=p) for p in phones]

    def start_child() -> subprocess.Popen[bytes]:
        return spawn_child(env)

    # Published before the service starts: its consumer takes them in one chunk, its planner in one batch.
    for i, ref in enumerate(refs):
        code = f"000.00.04.H15-260201-{i:04d}"
        await publisher.publish(settings.dossier_topic, DOSSIER_RECEIVED, dossier_received(code, ref), key=code)
    child = await asyncio.to_thread(start_child)
    try:
        fakes.state.hooks["esms"] = Hook(action="sigkill", pid=child.pid, remaining=1, after=5)
        assert await asyncio.to_thread(child.wait, 30) == -9
        stored = len(fakes.state.by_channel("sms"))
        assert 6 <= stored < 12, stored  # killed mid-batch: some sent, some not
        states = [r["status"] for rows in (await by_code(pool, "000.00.04.H15-260201-")).values() for r in rows]
        assert len(states) == 12 and "sending" in states, states

        child = await asyncio.to_thread(start_child)

        async def all_sent() -> dict[str, list[Any]]:
            found = await by_code(pool, "000.00.04.H15-260201-")
            return found if len(found) == 12 and all(rows[-1]["status"] == "sent" for rows in found.values()) else {}

        found = await poll(all_sent, timeout=40)
        assert found, await by_code(pool, "000.00.04.H15-260201-")
        for phone in phones:
            assert len(fakes.state.by_channel("sms", "0" + phone[3:])) == 1, phone
        assert len(fakes.state.by_channel("sms")) == 12
        # At least the message whose answer the crash swallowed was sent again with its RequestId: "duplicate".
        assert fakes.state.calls["esms"] > 12
        assert any(rows[-1]["attempts"] >= 2 for rows in found.values())
    finally:
        child.terminate()
        await asyncio.to_thread(child.wait, 20)
        await pool.close()


async def test_a_poison_notification_in_a_planning_batch_holds_back_nothing(
    topics: Any, make_settings: Callable[..., Any], db_schema: str, contacts: ContactDirectory, fakes: FakeProviders,
    publisher: Any, poll: Callable[..., Awaitable[Any]],
) -> None:
    """The dossier service answers ResolveContact with a phone Postgres cannot store (a NUL byte): the batch
    transaction fails, the batch is planned again row by row, the five others go out, the poison one is retried
    with backoff and then failed (`plan_error`) - never a loop, never a block."""
    settings = make_settings(plan_max_attempts=2)
    async with running_notification(settings, db_schema, worker=False) as running:
        worker = running.parts.worker
        refs = [contacts.add(f"ct_{uuid.uuid4().hex}", phone=f"+8492200{i:04d}") for i in range(5)]
        poison = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84922\x0099999")
        for i, ref in enumerate([*refs[:2], poison, *refs[2:]]):
            code = f"P-{i}"
            await publisher.publish(settings.dossier_topic, DOSSIER_RECEIVED, dossier_received(code, ref), key=code)

        async def recorded() -> bool:
            return await running.pool.fetchval("SELECT count(*) FROM notifications WHERE state = 'planning'") == 6

        assert await poll(recorded)
        before = counter("motcua_notification_plan_batch_fallbacks")
        assert await worker.plan_once() == 6
        assert counter("motcua_notification_plan_batch_fallbacks") == before + 1
        found = await by_code(running.pool, "P-")
        assert [rows[0]["channel"] for code, rows in sorted(found.items()) if code != "P-2"] == ["zns"] * 5
        assert found["P-2"][0]["channel"] is None  # not planned, waiting for its retry

        async def poison_closed() -> Any:
            await worker.plan_once()
            return await running.pool.fetchrow("SELECT status, reason FROM notifications WHERE dossier_code = 'P-2' AND "
                                               "state = 'done'")

        closed = await poll(poison_closed, timeout=10, interval=0.2)
        assert closed is not None and closed["status"] == "failed" and closed["reason"].startswith("plan_error:")
        assert await worker.send_once() == 5
        assert await poll(lambda: asyncio.sleep(0, result=len(fakes.state.by_channel("zns")) == 5))

        async def sent() -> bool:
            found = await by_code(running.pool, "P-")
            return all(rows[0]["status"] == "sent" for code, rows in found.items() if code != "P-2")

        assert await poll(sent)


class PoisonAnswer:
    """The real ZNS client, except that one recipient's answer carries a message id Postgres cannot store.

    Every call waits until `batch` calls are in flight, so their outcomes reach the result writer together."""

    def __init__(self, real: Provider, poisoned_phone: str, batch: int) -> None:
        self._real = real
        self.name, self.route, self.idempotent = real.name, real.route, real.idempotent
        self._poisoned = poisoned_phone
        self._arrived = 0
        self._batch = batch
        self._all_in = asyncio.Event()

    async def send(self, message: OutboundMessage) -> Accepted:
        accepted = await self._real.send(message)
        self._arrived += 1
        if self._arrived >= self._batch:
            self._all_in.set()
        await asyncio.wait_for(self._all_in.wait(), 10)
        if message.recipient == self._poisoned:
            return Accepted(provider_message_id="zns\x00" + accepted.provider_message_id)
        return accepted

    async def close(self) -> None:
        await self._real.close()


async def test_a_poison_provider_answer_in_a_recorded_batch_holds_back_nothing_and_is_never_resent(
    topics: Any, make_settings: Callable[..., Any], db_schema: str, contacts: ContactDirectory, fakes: FakeProviders,
    publisher: Any, poll: Callable[..., Awaitable[Any]],
) -> None:
    settings = make_settings(sending_stale_seconds=1.0)
    async with running_notification(settings, db_schema) as running:
        worker = running.parts.worker
        worker.providers["zalo_zns"] = PoisonAnswer(worker.providers["zalo_zns"], "+84923000003", batch=6)
        refs = [contacts.add(f"ct_{uuid.uuid4().hex}", phone=f"+8492300{i:04d}") for i in range(6)]
        before = counter("motcua_notification_record_batch_fallbacks")
        for i, ref in enumerate(refs):
            await publisher.publish(settings.dossier_topic, DOSSIER_RECEIVED, dossier_received(f"Q-{i}", ref), key=f"Q-{i}")

        async def settled() -> dict[str, list[Any]]:
            found = await by_code(running.pool, "Q-")
            done = len(found) == 6 and all(rows[0]["status"] in ("sent", "technical-failure") for rows in found.values())
            return found if done else {}

        found = await poll(settled, timeout=20)
        assert found, await by_code(running.pool, "Q-")
        assert counter("motcua_notification_record_batch_fallbacks") >= before + 1  # recorded as a batch first
        assert {code: (rows[0]["status"], rows[0]["last_error_code"]) for code, rows in found.items()} == {
            **{f"Q-{i}": ("sent", "") for i in range(6) if i != 3}, "Q-3": ("technical-failure", "record_failed")}
        assert found["Q-3"][0]["note"] == "failed"
        await asyncio.sleep(2.0)  # well past sending_stale_seconds and reconcile passes: nothing is sent again
        assert len(fakes.state.by_channel("zns")) == 6
        assert len(fakes.state.by_channel("zns", "84923000003")) == 1


@pytest.mark.parametrize("unrecorded_max", [3, 1000], ids=["bounded", "unbounded"])
async def test_a_stalled_result_writer_stops_new_provider_calls(
    topics: Any, make_settings: Callable[..., Any], db_schema: str, contacts: ContactDirectory, fakes: FakeProviders,
    publisher: Any, poll: Callable[..., Awaitable[Any]], unrecorded_max: int,
) -> None:
    """Back-pressure: while the result writer cannot commit, at most `worker_unrecorded_max` answers (+ the calls in
    flight) wait for it, so a crash then leaves few outcomes unknown; once it commits again, everything goes out."""
    settings = make_settings(worker_unrecorded_max=unrecorded_max, worker_provider_concurrency=2)
    async with running_notification(settings, db_schema) as running:
        worker = running.parts.worker
        gate = asyncio.Event()
        record = worker._record_batch

        async def stalled(batch: list[Any]) -> None:
            await gate.wait()
            await record(batch)

        worker._record_batch = stalled  # type: ignore[method-assign]
        refs = [contacts.add(f"ct_{uuid.uuid4().hex}", phone=f"+8492400{i:04d}") for i in range(12)]
        for i, ref in enumerate(refs):
            await publisher.publish(settings.dossier_topic, DOSSIER_RECEIVED, dossier_received(f"B-{i}", ref), key=f"B-{i}")
        await poll(lambda: asyncio.sleep(0, result=len(fakes.state.by_channel("zns")) >= min(12, unrecorded_max)))
        await asyncio.sleep(1.0)  # time for more calls, if anything let them start
        called = len(fakes.state.by_channel("zns"))
        if unrecorded_max < 12:
            assert called <= unrecorded_max + settings.worker_provider_concurrency, called
        else:
            assert called == 12  # the contrast: without the bound every call goes out while nothing is recorded
        gate.set()

        async def sent() -> bool:
            found = await by_code(running.pool, "B-")
            return len(found) == 12 and all(rows[0]["status"] == "sent" for rows in found.values())

        assert await poll(sent, timeout=20)
        assert len(fakes.state.by_channel("zns")) == 12
