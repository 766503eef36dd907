"""The channel webhooks' durable inbox against a real Postgres: dedupe, crash recovery, retries, replicas.

Real pieces: Postgres (the gateway's migrations in a fresh schema), the webhook routes served by
FastAPI over ASGI, the inbox worker. The handlers here are test handlers recording what they
process: the worker's guarantees are what is under test (the real handlers are driven end to
end in tests-e2e/test_zalo_channel.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from motcua_gateway import problems
from motcua_gateway.app import tracks
from motcua_gateway.channels import repository as repo
from motcua_gateway.channels.repository import InboxRow
from motcua_gateway.channels.signatures import esms_mo_sign
from motcua_gateway.channels.worker import InboxWorker, Outcome, PermanentError
from motcua_gateway.routes import webhooks_sms, webhooks_zalo
from motcua_gateway.settings import ChannelSettings, Settings
from motcua_platform.db import create_pool
from motcua_platform.migrations import apply_migrations

pytestmark = pytest.mark.integration

APP_ID, OA_KEY = "test-app", "test-oa-key"


class Recorder:
    """A handler that records what it processed; can fail on demand."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.fail_times: dict[str, int] = {}
        self.delay = 0.0

    async def __call__(self, row: InboxRow, out: Outcome) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        left = self.fail_times.get(row.dedupe_key, 0)
        if left == -1:
            raise PermanentError("poison")
        if left:
            self.fail_times[row.dedupe_key] = left - 1
            raise RuntimeError("temporary failure")
        self.seen.append((row.sender, row.dedupe_key))
        out.add(lambda c: repo.save_conversation(c, channel=row.channel, sender=row.sender,
                                                 state={"last": row.dedupe_key}))


class Runtime:
    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


def settings() -> ChannelSettings:
    return ChannelSettings(worker_concurrency=4, poll_interval_seconds=0.05, lease_seconds=1.0, max_attempts=3,
                           retry_base_seconds=0.05, retry_max_seconds=0.1)


@pytest.fixture
async def pool(postgres_url: str, db_schema: str) -> AsyncIterator[asyncpg.Pool]:
    await apply_migrations(postgres_url, schema=db_schema, tracks=tracks())
    created = await create_pool(postgres_url, schema=db_schema, max_size=6)
    yield created
    await created.close()


@pytest.fixture
async def http(pool: asyncpg.Pool, postgres_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    problems.install(app)
    app.include_router(webhooks_zalo.router)
    app.include_router(webhooks_sms.router)
    app.state.settings = Settings(database_url=postgres_url, kafka_bootstrap="127.0.0.1:9",
                                  zalo={"app_id": APP_ID, "oa_secret_key": OA_KEY},
                                  sms_mo={"cpid": "CP01", "private_key": "mo-key"})
    app.state.pool = pool
    app.state.channel_runtime = Runtime()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        yield client


def signed(user: str, msg_id: str, text: str = "khai sinh") -> tuple[bytes, dict[str, str]]:
    stamp = str(int(time.time() * 1000))
    body = json.dumps({"app_id": APP_ID, "event_name": "user_send_text", "sender": {"id": user},
                       "message": {"msg_id": msg_id, "text": text}, "timestamp": stamp}, separators=(",", ":")).encode()
    mac = "mac=" + hashlib.sha256(APP_ID.encode() + body + stamp.encode() + OA_KEY.encode()).hexdigest()
    return body, {"X-ZEvent-Signature": mac, "Content-Type": "application/json"}


async def drain(worker: InboxWorker, timeout: float = 15.0) -> None:
    """Run the worker until no row is pending any more (retries wait out their backoff), or fail."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if not await worker.run_once():
            async with worker._pool.acquire() as conn:
                if not await conn.fetchval("SELECT count(*) FROM channel_inbox WHERE status = 'pending'"):
                    return
            await asyncio.sleep(0.02)
    raise AssertionError(f"the inbox still had pending rows after {timeout}s")


async def test_redelivered_msg_id_is_stored_once_and_processed_once(pool: asyncpg.Pool, http: httpx.AsyncClient) -> None:
    body, headers = signed("u1", "m-1")
    first = await http.post("/webhooks/zalo", content=body, headers=headers)
    again = await http.post("/webhooks/zalo", content=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    recorder = Recorder()
    worker = InboxWorker(pool=pool, settings=settings(), handlers={"zalo": recorder})
    await drain(worker)
    assert recorder.seen == [("u1", "msg:m-1")]
    # A redelivery after processing is still a no-op.
    assert (await http.post("/webhooks/zalo", content=body, headers=headers)).json()["duplicate"] is True
    await drain(worker)
    assert recorder.seen == [("u1", "msg:m-1")]


async def test_forged_webhooks_store_nothing(pool: asyncpg.Pool, http: httpx.AsyncClient) -> None:
    body, headers = signed("u1", "m-forged")
    tampered = body.replace(b"khai sinh", b"khai sanh")
    assert (await http.post("/webhooks/zalo", content=tampered, headers=headers)).status_code == 401
    assert (await http.post("/webhooks/zalo", content=body)).status_code == 401
    bad_sms = await http.get("/webhooks/sms", params={"sender": "84912345678", "content": "TC x", "cpid": "CP01",
                                                      "smsid": "s1", "receiverTime": "20250101000000", "sign": "0" * 32})
    assert bad_sms.status_code == 401 and bad_sms.headers["content-type"].startswith("application/problem+json")
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM channel_inbox") == 0


async def test_sms_mo_is_verified_stored_once_and_acknowledged_as_esms_expects(pool: asyncpg.Pool,
                                                                              http: httpx.AsyncClient) -> None:
    now = time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + 7 * 3600))
    params = {"sender": "84912345678", "content": "TC 000.00.41.H29-250101-0001", "serviceNumber": "8079",
              "keyword": "TC", "cpid": "CP01", "smsid": "mo-77", "receiverTime": now}
    params["sign"] = esms_mo_sign(cpid="CP01", smsid="mo-77", content=params["content"], receiver_time=now,
                                  private_key="mo-key")
    first = await http.get("/webhooks/sms", params=params)
    assert first.status_code == 200 and first.headers["content-type"].startswith("application/xml")
    assert "<Smsid>mo-77</Smsid>" in first.text and "<Message></Message>" in first.text
    assert (await http.get("/webhooks/sms", params=params)).status_code == 200
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT sender, event_name FROM channel_inbox WHERE channel = 'sms'")
    assert [(r["sender"], r["event_name"]) for r in rows] == [("+84912345678", "mo")]


async def test_crash_after_the_200_or_mid_processing_is_recovered_after_restart(
        pool: asyncpg.Pool, http: httpx.AsyncClient, postgres_url: str, db_schema: str) -> None:
    for i in range(3):
        body, headers = signed(f"u{i}", f"crash-{i}")
        assert (await http.post("/webhooks/zalo", content=body, headers=headers)).status_code == 200
    # "Process 1" claimed two rows (leases taken) and died before finishing them.
    async with pool.acquire() as conn:
        claimed = await repo.claim(conn, limit=2, lease_seconds=1.0)
    assert len(claimed) == 2
    # "Process 2" starts with its own pool: the unclaimed row at once, the others once their lease expired.
    restarted = await create_pool(postgres_url, schema=db_schema, max_size=4)
    try:
        recorder = Recorder()
        worker = InboxWorker(pool=restarted, settings=settings(), handlers={"zalo": recorder})
        await worker.run_once()
        assert len(recorder.seen) == 1
        await asyncio.sleep(1.1)
        await drain(worker)
        assert sorted(key for _, key in recorder.seen) == ["msg:crash-0", "msg:crash-1", "msg:crash-2"]
        async with restarted.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM channel_inbox WHERE status = 'done'") == 3
            # The handler's state write committed with the 'done' mark.
            assert await repo.conversation(conn, channel="zalo", sender="u1") == {"last": "msg:crash-1"}
    finally:
        await restarted.close()


async def test_failures_retry_with_backoff_then_poison_rows_are_parked(pool: asyncpg.Pool,
                                                                       http: httpx.AsyncClient) -> None:
    for msg in ("flaky", "poison", "always"):
        body, headers = signed(f"user-{msg}", msg)
        await http.post("/webhooks/zalo", content=body, headers=headers)
    recorder = Recorder()
    recorder.fail_times = {"msg:flaky": 2, "msg:poison": -1, "msg:always": 99}
    worker = InboxWorker(pool=pool, settings=settings(), handlers={"zalo": recorder})
    await drain(worker)
    assert recorder.seen == [("user-flaky", "msg:flaky")]
    async with pool.acquire() as conn:
        rows = {r["dedupe_key"]: (r["status"], r["attempts"]) for r in
                await conn.fetch("SELECT dedupe_key, status, attempts FROM channel_inbox")}
    assert rows == {"msg:flaky": ("done", 3), "msg:poison": ("parked", 1), "msg:always": ("parked", 3)}


async def test_two_replicas_process_every_event_once_and_each_sender_in_order(
        pool: asyncpg.Pool, http: httpx.AsyncClient, postgres_url: str, db_schema: str) -> None:
    senders = [f"s{i}" for i in range(5)]
    for n in range(6):
        for sender in senders:
            body, headers = signed(sender, f"{sender}-{n}")
            assert (await http.post("/webhooks/zalo", content=body, headers=headers)).status_code == 200
    other_pool = await create_pool(postgres_url, schema=db_schema, max_size=4)
    try:
        recorders = [Recorder(), Recorder()]
        for r in recorders:
            r.delay = 0.01
        workers = [InboxWorker(pool=p, settings=settings(), handlers={"zalo": r})
                   for p, r in zip((pool, other_pool), recorders, strict=True)]
        for w in workers:
            w.start()
        deadline = time.monotonic() + 30
        while sum(len(r.seen) for r in recorders) < 30 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for w in workers:
            await w.stop()
    finally:
        await other_pool.close()
    processed: list[tuple[str, str]] = recorders[0].seen + recorders[1].seen
    assert len(processed) == 30 and len(set(processed)) == 30
    assert all(r.seen for r in recorders), "both replicas took work"
    async with pool.acquire() as conn:
        order = await conn.fetch("SELECT sender, dedupe_key FROM channel_inbox ORDER BY processed_at, id")
    for sender in senders:
        keys: list[Any] = [r["dedupe_key"] for r in order if r["sender"] == sender]
        assert keys == [f"msg:{sender}-{n}" for n in range(6)]
