"""Data-subject rights in the scheduler: export finds every booking, erase cancels the active ones and leaves no trace."""

from __future__ import annotations

import json
from datetime import timedelta

import asyncpg
import grpc
import pytest

from motcua.common.v1 import common_pb2
from motcua.common.v1 import subject_data_pb2 as sd
from motcua.scheduler.v1 import scheduler_service_pb2 as pb
from motcua.scheduler.v1 import scheduler_service_pb2_grpc as pb_grpc
from motcua_platform.subject_data import find_traces
from motcua_scheduler.testing import Clock, RunningScheduler

pytestmark = pytest.mark.integration

CONSENT = common_pb2.Consent(purpose="assisted_help_booking", text_version="2025-01")
OFFICER = common_pb2.Actor(id="canbo.saigon", role=common_pb2.ACTOR_ROLE_OFFICER, display_name="Cán bộ Lan")
NAME, STREET, ZALO = "Trần Thị Bảy", "5 Trần Hưng Đạo", "zalo-5501234"
PLANTED = [NAME, STREET, "912345678", ZALO]


def _create(slot_id: str, key: str, *, name: str = NAME, phone: str = "0912345678", street: str = STREET,
            zalo: str = ZALO, note: str = "") -> pb.CreateBookingRequest:
    return pb.CreateBookingRequest(
        idempotency_key=key, slot_id=slot_id, help_type=pb.HELP_TYPE_VNEID_LEVEL2, consent=CONSENT,
        channel=common_pb2.CHANNEL_ZALO, note=note,
        citizen=pb.Citizen(full_name=name, phone=phone, zalo_user_id=zalo, address=common_pb2.Address(street=street)))


async def _plant(scheduler: RunningScheduler, clock: Clock, stub: pb_grpc.SchedulerServiceStub) -> tuple[str, str, str]:
    await scheduler.point("kiosk-a")
    slots = [await scheduler.slot("kiosk-a", clock.now + timedelta(days=d), capacity=2) for d in (1, 2, 3)]
    active = (await stub.CreateBooking(_create(slots[0], "dsr-key-0001", note=f"Gọi {NAME} trước"))).booking
    gone = (await stub.CreateBooking(_create(slots[1], "dsr-key-0002"))).booking
    await stub.CancelBooking(pb.CancelBookingRequest(booking_id=gone.id, actor=OFFICER,
                                                     reason="Bà Bảy gọi 0912345678 báo bận"))
    other = (await stub.CreateBooking(_create(slots[2], "dsr-key-0003", name="Phạm Văn Cường", phone="0987654321",
                                              street="9 Lý Tự Trọng", zalo=""))).booking
    return active.id, gone.id, other.id


async def test_export_finds_every_booking_of_the_phone(scheduler: RunningScheduler, clock: Clock,
                                                       stub: pb_grpc.SchedulerServiceStub) -> None:
    active, gone, other = await _plant(scheduler, clock, stub)
    out = await stub.ExportSubjectData(sd.ExportSubjectDataRequest(subject=sd.DataSubject(phone="+84912345678")))
    doc = json.loads(out.data_json)
    assert doc["service"] == out.service == "scheduler"
    assert sorted(b["id"] for b in doc["records"]["bookings"]) == sorted([active, gone])
    assert other not in out.data_json and "Phạm Văn Cường" not in out.data_json
    assert all(p in out.data_json for p in PLANTED)
    assert out.counts["booking_history"] == 3 and out.counts["events"] >= 3
    assert list(out.linked.linked_zalo_user_ids) == [ZALO] and list(out.linked.linked_phones) == ["+84912345678"]
    by_zalo = await stub.ExportSubjectData(sd.ExportSubjectDataRequest(
        subject=sd.DataSubject(id_number="079190001234", linked_zalo_user_ids=[ZALO])))
    assert by_zalo.counts["bookings"] == 2


async def test_erase_cancels_through_the_normal_path_and_leaves_no_trace(
        scheduler: RunningScheduler, clock: Clock, stub: pb_grpc.SchedulerServiceStub, db: asyncpg.Connection,
        db_schema: str) -> None:
    active, gone, other = await _plant(scheduler, clock, stub)
    request = sd.EraseSubjectDataRequest(subject=sd.DataSubject(phone="0912 345 678"), request_id="erase-sch-0001",
                                         actor="vanhanh", reason="Yêu cầu số 7")
    first = await stub.EraseSubjectData(request)
    assert not first.replayed
    # The officer's cancellation reason named the phone: in the history, on the booking and in the event's reason.
    assert dict(first.counts) == {"bookings_cancelled": 1, "bookings": 2, "free_texts": 2, "idempotency_keys": 2,
                                  "outbox": 1}

    seen = await stub.GetBooking(pb.GetBookingRequest(booking_id=active, actor=OFFICER))
    assert seen.status == pb.BOOKING_STATUS_CANCELLED and seen.slot.remaining == 2  # the place went back
    assert [h.action for h in seen.history][-1] == "cancelled"
    events = await db.fetch("SELECT type FROM outbox WHERE partition_key = $1 ORDER BY id", active)
    assert events[-1]["type"].endswith("cancelled")
    assert await find_traces(db, db_schema, PLANTED) == []
    assert {t[2] for t in await find_traces(db, db_schema, ["Phạm Văn Cường", "987654321", "9 Lý Tự Trọng"])} == {
        "Phạm Văn Cường", "987654321", "9 Lý Tự Trọng"}
    assert (await stub.GetBooking(pb.GetBookingRequest(booking_id=other, actor=OFFICER))).citizen.full_name == "Phạm Văn Cường"
    consent = await db.fetchrow("SELECT consent_purpose, consent_given_at FROM booking WHERE id = $1::uuid", gone)
    assert consent["consent_purpose"] == "assisted_help_booking" and consent["consent_given_at"] is not None
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ResolveContact(pb.ResolveContactRequest(contact_ref=seen.contact_ref))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND

    again = await stub.EraseSubjectData(request)
    assert again.replayed and dict(again.counts) == dict(first.counts)
    second = await stub.EraseSubjectData(sd.EraseSubjectDataRequest(
        subject=sd.DataSubject(phone="0912345678"), request_id="erase-sch-0002", actor="vanhanh"))
    assert dict(second.counts) == {}
    after = await stub.ExportSubjectData(sd.ExportSubjectDataRequest(subject=sd.DataSubject(phone="0912345678")))
    assert after.counts["bookings"] == 0
    # The citizen can book again with the same phone (the overlap key went with the data).
    slot = await scheduler.slot("kiosk-a", clock.now + timedelta(days=1, minutes=30), capacity=1)
    assert (await stub.CreateBooking(_create(slot, "dsr-key-0004"))).booking.status == pb.BOOKING_STATUS_CONFIRMED
