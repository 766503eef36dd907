"""Data-subject rights in the notification service: export what a citizen was sent, erase it without a trace."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest

from motcua.common.v1 import subject_data_pb2 as sd
from motcua.notification.v1 import notification_service_pb2 as pb
from motcua.notification.v1.notification_service_pb2_grpc import NotificationServiceStub
from motcua_notification import repository
from motcua_notification.fakes.server import FakeProviders
from motcua_notification.testing import DOSSIER_RECEIVED, ContactDirectory, RunningNotification, dossier_received
from motcua_platform.subject_data import find_traces

pytestmark = pytest.mark.integration

NAME, EMAIL, ZALO = "Hoàng Thị Mai", "mai.hoang@example.vn", "zu-77001"
PLANTED = [NAME, EMAIL, ZALO, "916770011"]
OTHER = ["Đỗ Văn Hùng", "916770099", "hung.do@example.vn"]


async def _plant(service: RunningNotification, contacts: ContactDirectory, fakes: FakeProviders, publisher: Any,
                 poll: Callable[..., Awaitable[Any]], stub: NotificationServiceStub) -> None:
    await stub.RecordZaloInteraction(pb.RecordZaloInteractionRequest(zalo_user_id=ZALO,
                                                                     interaction=pb.ZALO_INTERACTION_FOLLOW))
    prefs = pb.Preferences(phone="0916770011")
    prefs.consent.purpose = "notifications"
    await stub.SetPreferences(pb.SetPreferencesRequest(preferences=prefs))
    mine = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84916770011", email=EMAIL, zalo_user_id=ZALO, full_name=NAME)
    other = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84916770099", email="hung.do@example.vn", full_name="Đỗ Văn Hùng")
    topic = service.settings.dossier_topic
    await publisher.publish(topic, DOSSIER_RECEIVED, dossier_received("DSR-1", mine), key="DSR-1")
    await publisher.publish(topic, DOSSIER_RECEIVED, dossier_received("DSR-2", other), key="DSR-2")

    async def settled() -> bool:
        rows = await service.pool.fetch("SELECT d.status FROM deliveries d JOIN notifications n ON n.id = d.notification_id "
                                        "WHERE n.dossier_code IN ('DSR-1', 'DSR-2')")
        left = await service.pool.fetchval("SELECT count(*) FROM notifications WHERE state = 'planning'")
        return len(rows) >= 4 and left == 0 and all(r["status"] in ("sent", "delivered") for r in rows)

    if not await poll(settled, timeout=30):
        dump = await service.pool.fetch("SELECT n.dossier_code, n.state, n.status, n.reason, d.channel, d.status AS ds "
                                        "FROM notifications n LEFT JOIN deliveries d ON d.notification_id = n.id")
        raise AssertionError([dict(r) for r in dump])


async def test_export_then_erase_leaves_no_trace_and_repeats_are_no_ops(
        service: RunningNotification, contacts: ContactDirectory, fakes: FakeProviders, publisher: Any,
        poll: Callable[..., Awaitable[Any]], db_schema: str) -> None:
    async with grpc.aio.insecure_channel(service.address) as channel:
        stub = NotificationServiceStub(channel)
        await _plant(service, contacts, fakes, publisher, poll, stub)
        # A hard bounce of the citizen's address (what the bounce handler records), with the address in the diagnostic.
        await service.pool.execute("INSERT INTO email_suppressions (address, reason, status_code, diagnostic) "
                                   "VALUES ($1, 'hard_bounce', '5.1.1', $2)", EMAIL, f"550 5.1.1 <{EMAIL}>: no such user")
        # An earlier suppression of that address, lifted by an officer (the audit keeps the address as a hash).
        await service.pool.execute(
            "INSERT INTO email_suppression_lifts (address_sha256, suppression_reason, suppressed_at, lifted_by, lift_reason) "
            "VALUES ($1, 'hard_bounce', now() - interval '30 days', 'canbo.saigon', 'Hộp thư đã khôi phục')",
            repository.address_sha256(EMAIL))
        async with service.pool.acquire() as conn:
            assert {t[2] for t in await find_traces(conn, db_schema, PLANTED)} == set(PLANTED)  # planted indeed

        subject = sd.DataSubject(phone="0916 770 011", linked_zalo_user_ids=[ZALO])
        out = await stub.ExportSubjectData(sd.ExportSubjectDataRequest(subject=subject))
        doc = json.loads(out.data_json)
        assert doc["service"] == "notification"
        assert {n["dossier_code"] for n in doc["records"]["notifications"]} == {"DSR-1"}
        assert out.counts["notifications"] == 1 and out.counts["deliveries"] >= 2
        assert out.counts["preferences"] == 1 and out.counts["zalo_followers"] == 1 and out.counts["email_suppressions"] == 1
        assert out.counts["email_suppression_lifts"] == 1
        assert all(p in out.data_json for p in PLANTED) and not any(o in out.data_json for o in OTHER)
        assert list(out.linked.linked_emails) == [EMAIL]

        request = sd.EraseSubjectDataRequest(subject=subject, request_id="erase-ntf-0001", actor="vanhanh", reason="Yêu cầu")
        first = await stub.EraseSubjectData(request)
        assert not first.replayed
        assert first.counts["notifications"] == 1 and first.counts["deliveries"] == out.counts["deliveries"]
        assert first.counts["preferences"] == 1 and first.counts["zalo_followers"] == 1
        assert first.counts["email_suppressions"] == 1 and first.counts["email_suppression_lifts"] == 1
        assert "deliveries_stopped" not in first.counts  # everything had been sent already
        async with service.pool.acquire() as conn:
            assert await find_traces(conn, db_schema, PLANTED) == []
            assert await conn.fetchval("SELECT count(*) FROM email_suppression_lifts WHERE address_sha256 = $1",
                                       repository.address_sha256(EMAIL)) == 0
            assert {t[2] for t in await find_traces(conn, db_schema, OTHER)} == set(OTHER)
            kept = await conn.fetchrow("SELECT status, template_code, dossier_code FROM notifications WHERE dossier_code = 'DSR-1'")
            assert (kept["status"], kept["dossier_code"]) == ("sent", "DSR-1")  # the proof the citizen was informed

        again = await stub.EraseSubjectData(request)
        assert again.replayed and dict(again.counts) == dict(first.counts)
        fresh = await stub.EraseSubjectData(sd.EraseSubjectDataRequest(subject=subject, request_id="erase-ntf-0002",
                                                                       actor="vanhanh"))
        assert dict(fresh.counts) == {}
        after = await stub.ExportSubjectData(sd.ExportSubjectDataRequest(subject=subject))
        assert sum(after.counts.values()) == 0 and not any(p in after.data_json for p in PLANTED)
