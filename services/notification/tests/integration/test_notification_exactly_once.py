"""One message per (event, recipient, channel): redelivered events, and a crash between the provider call and the commit."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from motcua_notification import repository
from motcua_notification.fakes.server import FakeProviders, Hook
from motcua_notification.testing import (
    DOSSIER_RECEIVED,
    ContactDirectory,
    RunningNotification,
    dossier_received,
    env_of,
    migrate,
    running_notification,
    spawn_child,
)
from motcua_platform.db import create_pool

pytestmark = pytest.mark.integration


async def deliveries(pool: Any, dossier_code: str) -> list[Any]:
    return await pool.fetch(
        """SELECT d.channel, d.status, d.attempts, d.provider, d.last_error_code FROM deliveries d
           JOIN notifications n ON n.id = d.notification_id WHERE n.dossier_code = $1 ORDER BY d.created_at""",
        dossier_code)


async def test_event_redelivered_five_times_sends_one_message(
    service: RunningNotification, contacts: ContactDirectory, fakes: FakeProviders, publisher: Any,
    poll: Callable[..., Awaitable[Any]],
) -> None:
    ref = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84912000001", email="an.tran@example.vn")
    code = "000.00.04.H15-260101-0001"
    event_id = str(uuid.uuid4())
    for _ in range(5):
        await publisher.publish(service.settings.dossier_topic, DOSSIER_RECEIVED, dossier_received(code, ref), key=code,
                                event_id=event_id)

    async def settled() -> bool:
        rows = await deliveries(service.pool, code)
        handled = await service.pool.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", event_id)
        return handled == 1 and len(rows) == 2 and all(r["status"] == "sent" for r in rows)

    assert await poll(settled), await deliveries(service.pool, code)
    await asyncio.sleep(0.5)  # the four redeliveries are processed (skipped) meanwhile
    assert len(fakes.state.by_channel("zns", "84912000001")) == 1
    assert len(fakes.state.by_channel("email", "an.tran@example.vn")) == 1
    assert len(fakes.state.messages) == 2
    zns = fakes.state.by_channel("zns")[0]
    assert zns.template_data["dossier_code"] == code and zns.template_data["customer_name"] == "Trần Văn An"
    email = fakes.state.by_channel("email")[0]
    assert email.subject == f"Hồ sơ {code} đã được tiếp nhận"
    assert "Hẹn trả kết quả: Chiều ngày 02/12/2026" in email.text and "<p>Kính gửi Trần Văn An,</p>" in email.html


async def test_crash_between_provider_call_and_commit_still_sends_once(
    topics: Any, make_settings: Callable[..., Any], db_schema: str, contacts: ContactDirectory, fakes: FakeProviders,
    publisher: Any, poll: Callable[..., Awaitable[Any]],
) -> None:
    """The worker process is SIGKILLed by the SMS provider right after it accepted the message (before the
    worker could commit `sent`); the restarted worker reconciles with the same eSMS RequestId: one SMS."""
    settings = make_settings(sending_stale_seconds=1.0)
    await migrate(settings.database_url, db_schema)
    env = {**os.environ, **env_of(settings), "MOTCUA_TEST_SCHEMA": db_schema, "MOTCUA_LOG_LEVEL": "WARNING"}

    def start_child() -> subprocess.Popen[bytes]:
        return spawn_child(env)

    ref = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84912000002")
    code = "000.00.04.H15-260101-0002"
    # No Zalo account for this number: ZNS fails for good and the message goes by SMS (eSMS).
    fakes.state.recipient_codes[("zalo_zns", "84912000002")] = "-118"
    child = await asyncio.to_thread(start_child)
    pool = await create_pool(settings.database_url, schema=db_schema, max_size=2)
    try:
        fakes.state.hooks["esms"] = Hook(action="sigkill", pid=child.pid, remaining=1)
        await publisher.publish(settings.dossier_topic, DOSSIER_RECEIVED, dossier_received(code, ref), key=code)
        assert await asyncio.to_thread(child.wait, 30) == -9
        rows = await deliveries(pool, code)
        assert [(r["channel"], r["status"]) for r in rows] == [("zns", "permanent-failure"), ("sms", "sending")]
        assert len(fakes.state.by_channel("sms")) == 1  # the provider has it; our commit never happened

        child = await asyncio.to_thread(start_child)

        async def sent() -> list[Any]:
            rows = await deliveries(pool, code)
            return rows if rows[-1]["status"] == "sent" else []

        rows = await poll(sent, timeout=30)
        assert rows, await deliveries(pool, code)
        assert rows[-1]["attempts"] == 2 and rows[-1]["provider"] == "esms"
        assert len(fakes.state.by_channel("sms", "0912000002")) == 1
        assert fakes.state.calls["esms"] == 2  # the resend was answered 124 (duplicate RequestId), nothing sent
    finally:
        child.terminate()
        await asyncio.to_thread(child.wait, 20)
        await pool.close()


@pytest.mark.parametrize("fallback", [True, False], ids=["fallback", "no-fallback"])
async def test_stuck_zns_is_not_resent_and_falls_back_to_sms(
    topics: Any, make_settings: Callable[..., Any], db_schema: str, fakes: FakeProviders, fallback: bool,
) -> None:
    """A ZNS call whose outcome a crash made unknown is never sent again on ZNS; with the default setting the
    citizen's next route (SMS) carries the message, so the receipt is not silently lost."""
    settings = make_settings(sending_stale_seconds=0.2, fallback_after_unknown_outcome=fallback)
    async with running_notification(settings, db_schema, consumer=False, worker=False) as running:
        svc = running.parts.service
        nid = await svc.send_message(idempotency_key="k-stuck-zns", phone="+84912000004", email="", zalo_user_id="",
                                     channel_preference=["zalo", "sms"], template_code="officer_message",
                                     params={"message": "Xin chào", "dossier_code": "X-2"}, dossier_code="X-2",
                                     booking_id="", urgent=True)
        await running.parts.worker.plan_once()
        async with running.pool.acquire() as conn:
            claimed = await repository.claim_due(conn, limit=10, sms_provider="esms")  # committed `sending`, then "crash"
        assert [r["provider"] for r in claimed] == ["zalo_zns"]
        await asyncio.sleep(0.3)
        assert await running.parts.worker.reconcile_once() == 1
        await running.parts.worker.send_once()
        await asyncio.sleep(0.5)
        item = await svc.notification(str(nid))
        routes = [(d["channel"], d["status"], d["last_error_code"]) for d in item["deliveries"]]
        assert routes[0] == ("zns", "technical-failure", "stuck_sending")
        assert fakes.state.by_channel("zns") == []
        if fallback:
            assert routes[1:] == [("sms", "sent", "")] and item["status"] == "sent"
            assert len(fakes.state.by_channel("sms", "0912000004")) == 1
        else:
            assert routes[1:] == [] and item["status"] == "failed"
            assert fakes.state.by_channel("sms") == []


async def test_stuck_send_without_idempotency_key_becomes_technical_failure_not_resent(
    topics: Any, make_settings: Callable[..., Any], db_schema: str, fakes: FakeProviders,
    poll: Callable[..., Awaitable[Any]],
) -> None:
    settings = make_settings(sending_stale_seconds=0.2)
    async with running_notification(settings, db_schema, consumer=False, worker=False) as running:
        svc = running.parts.service
        await svc.set_preferences(phone="+84912000003", channels=["email"], opted_out=[], opt_out_all=False, quiet_start=None,
                                  quiet_end=None, consent_purpose="notifications", consent_given_at=None,
                                  consent_text_version="")
        nid = await svc.send_message(idempotency_key="k-stuck", phone="", email="binh@example.vn", zalo_user_id="",
                                     channel_preference=["email"], template_code="officer_message",
                                     params={"message": "Xin chào", "dossier_code": "X-1"}, dossier_code="X-1",
                                     booking_id="", urgent=True)
        await running.parts.worker.plan_once()
        async with running.pool.acquire() as conn:
            claimed = await repository.claim_due(conn, limit=10, sms_provider="esms")  # committed `sending`, then "crash"
        assert [r["provider"] for r in claimed] == ["smtp"]
        await asyncio.sleep(0.3)
        assert await running.parts.worker.reconcile_once() == 1
        item = await svc.notification(str(nid))
        assert item["status"] == "failed"
        assert [(d["channel"], d["status"], d["last_error_code"]) for d in item["deliveries"]] == [
            ("email", "technical-failure", "stuck_sending")]
        await running.parts.worker.send_once()
        await asyncio.sleep(0.2)
        assert fakes.state.by_channel("email") == []
