"""Channel policy and provider failures against the fakes: retries, SMS failover, ZNS->SMS fallback, quiet hours, Zalo."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest

from motcua.notification.v1 import notification_service_pb2 as pb
from motcua.notification.v1.notification_service_pb2_grpc import NotificationServiceStub
from motcua_notification.domain.policy import VIETNAM
from motcua_notification.fakes.server import Failure, FakeProviders
from motcua_notification.testing import (
    BOOKING_CANCELLED,
    DOSSIER_RECEIVED,
    ContactDirectory,
    RunningNotification,
    booking_cancelled,
    dossier_received,
    running_notification,
)
from motcua_platform.grpc_client import decode_rpc_error

pytestmark = pytest.mark.integration


async def statuses(pool: Any, dossier_code: str) -> list[tuple[str, str, str, int]]:
    rows = await pool.fetch(
        """SELECT d.channel, d.status, d.provider, d.attempts FROM deliveries d JOIN notifications n ON n.id = d.notification_id
           WHERE n.dossier_code = $1 ORDER BY d.step""", dossier_code)
    return [(r["channel"], r["status"], r["provider"], r["attempts"]) for r in rows]


async def test_provider_5xx_for_a_while_then_recovers_all_delivered_none_twice_sms_fails_over(
    service: RunningNotification, contacts: ContactDirectory, fakes: FakeProviders, publisher: Any,
    poll: Callable[..., Awaitable[Any]],
) -> None:
    # ZNS answers 500 to its next 6 calls then recovers; eSMS answers 500 for the whole test: its circuit
    # opens and SMS go to SpeedSMS. Half of the citizens have no Zalo account (ZNS -118 -> SMS).
    fakes.state.failures["zalo_zns"] = Failure(mode="http_500", until=time.monotonic() + 60, remaining=6)
    fakes.state.failures["esms"] = Failure(mode="http_500", until=None, remaining=None)
    codes = []
    for i in range(8):
        phone = f"+8491300{i:04d}"
        if i % 2:
            fakes.state.recipient_codes[("zalo_zns", phone[1:])] = "-118"
        ref = contacts.add(f"ct_{uuid.uuid4().hex}", phone=phone)
        code = f"000.00.04.H15-260102-{i:04d}"
        codes.append(code)
        await publisher.publish(service.settings.dossier_topic, DOSSIER_RECEIVED, dossier_received(code, ref), key=code)

    async def all_sent() -> bool:
        results = [await statuses(service.pool, c) for c in codes]
        return all(r and r[-1][1] == "sent" for r in results)

    assert await poll(all_sent, timeout=30), [await statuses(service.pool, c) for c in codes]
    for i, code in enumerate(codes):
        final = (await statuses(service.pool, code))[-1]
        phone = f"8491300{i:04d}"
        if i % 2:
            assert final[:3] == ("sms", "sent", "speedsms")
            assert len(fakes.state.by_channel("sms", phone)) == 1
        else:
            assert final[:3] == ("zns", "sent", "zalo_zns")
            assert len(fakes.state.by_channel("zns", phone)) == 1
    assert len(fakes.state.messages) == 8  # nothing twice, nothing through eSMS
    assert fakes.state.calls["zalo_zns"] == 8 + 6  # the 500s were retried, each message accepted once
    assert service.parts.worker.breaker.is_open("esms")


async def test_zns_refused_falls_back_to_sms_and_permanent_errors_are_never_retried(
    service: RunningNotification, contacts: ContactDirectory, fakes: FakeProviders, publisher: Any,
    poll: Callable[..., Awaitable[Any]], topic_events: Any,
) -> None:
    fakes.state.recipient_codes[("zalo_zns", "84914000001")] = "-118"  # not a Zalo user -> SMS
    fakes.state.recipient_codes[("zalo_zns", "84914000002")] = "-118"
    fakes.state.recipient_codes[("esms", "0914000002")] = "99"  # and this number is blocked at the SMS gateway
    ok_ref = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84914000001")
    bad_ref = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84914000002")
    await publisher.publish(service.settings.dossier_topic, DOSSIER_RECEIVED, dossier_received("A-1", ok_ref), key="A-1")
    await publisher.publish(service.settings.dossier_topic, DOSSIER_RECEIVED, dossier_received("A-2", bad_ref), key="A-2")

    async def settled() -> bool:
        a1, a2 = await statuses(service.pool, "A-1"), await statuses(service.pool, "A-2")
        return len(a1) == 2 and a1[-1][1] == "sent" and len(a2) == 2 and a2[-1][1] == "permanent-failure"

    assert await poll(settled), (await statuses(service.pool, "A-1"), await statuses(service.pool, "A-2"))
    assert await statuses(service.pool, "A-1") == [("zns", "permanent-failure", "zalo_zns", 1), ("sms", "sent", "esms", 1)]
    assert await statuses(service.pool, "A-2") == [("zns", "permanent-failure", "zalo_zns", 1),
                                                   ("sms", "permanent-failure", "esms", 1)]
    sms = fakes.state.by_channel("sms", "0914000001")
    assert len(sms) == 1 and sms[0].text.startswith("Ho so A-1 da duoc tiep nhan. Hen tra: Chieu ngay 02/12/2026")
    await asyncio.sleep(1.0)  # retry backoff is 0.1-0.5 s here: a retry would have happened by now
    assert fakes.state.calls["esms"] == 2 and fakes.state.calls["zalo_zns"] == 2
    status = await service.pool.fetchrow("SELECT status, reason FROM notifications WHERE dossier_code = 'A-2'")
    assert status["status"] == "failed" and status["reason"].startswith("99:")
    failed = await topic_events("motcua.notification.v1.failed")
    assert any(e["dossierCode"] == "A-2" and e["errorCode"] == "99" and e["attempts"] == 2 for e in failed)


async def test_quiet_hours_defer_non_urgent_messages_and_let_urgent_ones_through(
    topics: Any, make_settings: Callable[..., Any], db_schema: str, contacts: ContactDirectory, fakes: FakeProviders,
    publisher: Any, poll: Callable[..., Awaitable[Any]],
) -> None:
    now = datetime.now(VIETNAM)
    start, end = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0), \
        (now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    settings = make_settings(quiet_hours_start=start, quiet_hours_end=end)
    async with running_notification(settings, db_schema) as running:
        ref = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84915000001")
        await publisher.publish(settings.dossier_topic, DOSSIER_RECEIVED, dossier_received("Q-1", ref), key="Q-1")
        await publisher.publish(settings.scheduler_topic, BOOKING_CANCELLED, booking_cancelled("bk-q-2", ref), key="bk-q-2",
                                source="/motcua/scheduler")

        async def cancelled_sent() -> bool:
            return await running.pool.fetchval(
                """SELECT d.status = 'sent' FROM deliveries d JOIN notifications n ON n.id = d.notification_id
                   WHERE n.booking_id = 'bk-q-2'""") or False

        assert await poll(cancelled_sent)

        async def held_row() -> Any:
            return await running.pool.fetchrow(
                """SELECT d.status, d.not_before FROM deliveries d JOIN notifications n ON n.id = d.notification_id
                   WHERE n.dossier_code = 'Q-1'""")

        held = await poll(held_row)
        assert held is not None and held["status"] == "created"  # deferred, not dropped
        expected_end = datetime.combine(now.date(), end, tzinfo=VIETNAM)
        if expected_end < now:
            expected_end += timedelta(days=1)
        assert abs((held["not_before"] - expected_end).total_seconds()) < 1
        assert [m.template_data.get("booking_code") for m in fakes.state.by_channel("zns")] == ["BKQ2"]
        # When the quiet hours end, it goes out.
        await running.pool.execute("UPDATE deliveries SET not_before = now() WHERE status = 'created'")
        running.parts.worker.wake()
        assert await poll(lambda: _count(fakes, "zns", 2))


async def _count(fakes: FakeProviders, channel: str, n: int) -> bool:
    return len(fakes.state.by_channel(channel)) >= n


async def test_zalo_follower_in_reply_window_gets_a_customer_service_message_and_expired_tokens_are_refreshed(
    service: RunningNotification, contacts: ContactDirectory, fakes: FakeProviders, publisher: Any,
    poll: Callable[..., Awaitable[Any]],
) -> None:
    async with grpc.aio.insecure_channel(service.address) as channel:
        stub = NotificationServiceStub(channel)
        reply = await stub.RecordZaloInteraction(pb.RecordZaloInteractionRequest(
            zalo_user_id="zu-1001", interaction=pb.ZALO_INTERACTION_MESSAGE))
        assert reply.reply_window_ends_at.ToDatetime(tzinfo=UTC) > datetime.now(UTC) + timedelta(hours=47)
    fakes.state.access_tokens.clear()  # the OA access token expired
    ref = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84916000001", zalo_user_id="zu-1001")
    await publisher.publish(service.settings.dossier_topic, DOSSIER_RECEIVED, dossier_received("Z-1", ref), key="Z-1")
    assert await poll(lambda: _count(fakes, "zalo_cs", 1))
    message = fakes.state.by_channel("zalo_cs")[0]
    assert message.recipient == "zu-1001"
    assert message.text.startswith("Kính gửi Trần Văn An,\nHồ sơ Z-1 (Thủ tục đăng ký khai sinh)")
    assert fakes.state.calls["zalo_oauth"] == 1
    stored = await service.pool.fetchrow("SELECT access_token, refresh_token FROM provider_tokens WHERE provider = 'zalo_oa'")
    assert stored["access_token"] in fakes.state.access_tokens and stored["refresh_token"] in fakes.state.refresh_tokens

    async def sent() -> bool:
        return await statuses(service.pool, "Z-1") == [("zalo_cs", "sent", "zalo_oa", 1)]

    assert await poll(sent), await statuses(service.pool, "Z-1")


async def test_direct_send_needs_consent_or_a_case_and_is_idempotent(
    rpc_service: RunningNotification, fakes: FakeProviders, poll: Callable[..., Awaitable[Any]],
) -> None:
    async with grpc.aio.insecure_channel(rpc_service.address) as channel:
        stub = NotificationServiceStub(channel)
        request = pb.SendMessageRequest(idempotency_key="direct-1", recipient=pb.Recipient(phone="0917000001"),
                                        template_code="officer_message", params={"message": "Mời ông/bà đến nhận kết quả."},
                                        channel_preference=[pb.NOTIFICATION_CHANNEL_SMS], urgent=True)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.SendMessage(request)
        error = decode_rpc_error(refused.value)
        assert error is not None and error.code == "TEMPLATE_PARAMS_MISSING"
        request.params["dossier_code"] = ""
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.SendMessage(request)
        error = decode_rpc_error(refused.value)
        assert error is not None and error.code == "NO_LEGAL_BASIS"
        consent = pb.Preferences(phone="+84917000001")
        consent.consent.purpose = "notifications"
        await stub.SetPreferences(pb.SetPreferencesRequest(preferences=consent))
        first = await stub.SendMessage(request)
        again = await stub.SendMessage(request)
        assert first.id == again.id and first.recipient.phone == "+84917000001"
        assert await poll(lambda: _count(fakes, "sms", 1))
        await asyncio.sleep(0.3)
        assert len(fakes.state.by_channel("sms", "0917000001")) == 1
        status = await stub.GetDeliveryStatus(pb.GetDeliveryStatusRequest(notification_id=first.id))
        assert status.status == pb.DELIVERY_STATUS_SENT and status.recipient.phone == "+8491****001"
        assert [a.status_detail for a in status.attempts] == ["sent"]
        listed = await stub.ListNotifications(pb.ListNotificationsRequest(phone="+84917000001"))
        assert [n.id for n in listed.items] == [first.id]


async def test_template_missing_parameter_is_refused_at_save_time_and_previewable(rpc_service: RunningNotification) -> None:
    async with grpc.aio.insecure_channel(rpc_service.address) as channel:
        stub = NotificationServiceStub(channel)
        bad = pb.Template(code="dossier_received", channel="sms", body="Hồ sơ {{dossier_code}}: lệ phí {{fee}}.")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.SaveTemplate(pb.SaveTemplateRequest(template=bad, actor_id="vanhanh"))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        error = decode_rpc_error(refused.value)
        assert error is not None and error.code == "TEMPLATE_INVALID"
        assert "'fee' is not provided by event motcua.dossier.v1.received" in error.message
        good = pb.Template(code="dossier_received", channel="sms", body="Hồ sơ {{dossier_code}} đã được tiếp nhận.")
        saved = await stub.SaveTemplate(pb.SaveTemplateRequest(template=good, actor_id="vanhanh"))
        assert saved.version == 2 and list(saved.parameters) == ["dossier_code"]
        preview = await stub.PreviewTemplate(pb.PreviewTemplateRequest(
            template_code="dossier_received", channel=pb.NOTIFICATION_CHANNEL_SMS, params={"dossier_code": "X-9"}))
        assert preview.body == "Ho so X-9 da duoc tiep nhan." and preview.sms_segments == 1
        email = await stub.PreviewTemplate(pb.PreviewTemplateRequest(
            template_code="dossier_received", channel=pb.NOTIFICATION_CHANNEL_EMAIL, params={"dossier_code": "X-9"}))
        assert email.subject == "Hồ sơ X-9 đã được tiếp nhận" and "full_name" in email.missing_params
