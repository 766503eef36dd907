"""SchedulerService over real gRPC: booking, idempotency, tokens, bad input in Vietnamese, officers' work, events."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from datetime import date, datetime, timedelta

import asyncpg
import grpc
import pytest
from google.protobuf import timestamp_pb2

from motcua.common.v1 import common_pb2
from motcua.scheduler.v1 import scheduler_service_pb2 as pb
from motcua.scheduler.v1 import scheduler_service_pb2_grpc as pb_grpc
from motcua_platform.grpc_client import decode_rpc_error
from motcua_scheduler.domain import model as m
from motcua_scheduler.domain.calendar import DayException, at_local, local_day
from motcua_scheduler.testing import Clock, RunningScheduler

pytestmark = pytest.mark.integration

OFFICER = common_pb2.Actor(id="canbo.saigon", role=common_pb2.ACTOR_ROLE_OFFICER, display_name="Cán bộ Lan")
CONSENT = common_pb2.Consent(purpose="assisted_help_booking", text_version="2025-01")
KIOSK_WINDOWS = [m.Window(d, "17:30", "20:30", 30, 2, 1) for d in range(1, 6)]


def ts(value: datetime) -> timestamp_pb2.Timestamp:
    t = timestamp_pb2.Timestamp()
    t.FromDatetime(value)
    return t


def citizen(phone: str = "0912345678", *, street: str = "", ward: str = "") -> pb.Citizen:
    return pb.Citizen(full_name="Trần Thị Bảy", phone=phone,
                      address=common_pb2.Address(street=street, ward_code=ward))


async def rpc_error(call: Awaitable[object]) -> tuple[grpc.StatusCode, str, str, dict[str, str]]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    domain = decode_rpc_error(caught.value)
    assert domain is not None, caught.value
    return caught.value.code(), domain.code, domain.message_vi, domain.metadata


def create(slot_id: str = "", key: str = "key-00000001", **kw: object) -> pb.CreateBookingRequest:
    fields: dict = {"idempotency_key": key, "slot_id": slot_id, "citizen": citizen(),
                    "help_type": pb.HELP_TYPE_VNEID_LEVEL2, "consent": CONSENT, "channel": common_pb2.CHANNEL_ZALO}
    fields.update(kw)
    return pb.CreateBookingRequest(**fields)


async def test_book_replay_get_with_token_reschedule_and_cancel(scheduler: RunningScheduler, clock: Clock,
                                                                stub: pb_grpc.SchedulerServiceStub,
                                                                db: asyncpg.Connection) -> None:
    await scheduler.point("kiosk-a")
    first = await scheduler.slot("kiosk-a", clock.now + timedelta(days=1), capacity=2)
    second = await scheduler.slot("kiosk-a", clock.now + timedelta(days=2), capacity=2)

    made = await stub.CreateBooking(create(first, note="Gọi trước 15 phút"))
    booking = made.booking
    assert (made.replayed, booking.status, booking.slot.remaining) == (False, pb.BOOKING_STATUS_CONFIRMED, 1)
    assert booking.token and booking.contact_ref.startswith("ct_")
    assert booking.citizen.phone == "+84912345678"

    again = await stub.CreateBooking(create(first, note="Gọi trước 15 phút"))
    assert again.replayed and again.booking.id == booking.id and again.booking.token == booking.token
    code, reason, message_vi, _ = await rpc_error(stub.CreateBooking(create(second, note="Gọi trước 15 phút")))
    assert (code, reason) == (grpc.StatusCode.INVALID_ARGUMENT, "IDEMPOTENCY_KEY_REUSED")
    assert "Idempotency-Key" in message_vi

    seen = await stub.GetBooking(pb.GetBookingRequest(booking_id=booking.id, token=booking.token))
    assert seen.citizen.full_name == "Trần Thị Bảy" and seen.token == ""  # the token is not shown back
    assert [h.action for h in seen.history] == ["confirmed"] and not seen.history[0].HasField("actor")
    for token in ("", "not-the-token", booking.token[:-1] + ("y" if booking.token.endswith("x") else "x")):
        assert (await rpc_error(stub.GetBooking(pb.GetBookingRequest(booking_id=booking.id, token=token))))[1] == (
            "BOOKING_NOT_FOUND")
    officer_view = await stub.GetBooking(pb.GetBookingRequest(booking_id=booking.id, actor=OFFICER))
    assert officer_view.token == booking.token

    moved = await stub.RescheduleBooking(pb.RescheduleBookingRequest(
        idempotency_key="move-00000001", booking_id=booking.id, token=booking.token, new_slot_id=second,
        reason="Bận việc nhà"))
    assert moved.slot.slot_id == second and moved.status == pb.BOOKING_STATUS_CONFIRMED
    replay = await stub.RescheduleBooking(pb.RescheduleBookingRequest(
        idempotency_key="move-00000001", booking_id=booking.id, token=booking.token, new_slot_id=second,
        reason="Bận việc nhà"))
    assert replay.slot.slot_id == second
    assert await db.fetchval("SELECT booked FROM slot WHERE id = $1", first) == 0
    assert await db.fetchval("SELECT booked FROM slot WHERE id = $1", second) == 1

    cancelled = await stub.CancelBooking(pb.CancelBookingRequest(booking_id=booking.id, token=booking.token,
                                                                 reason="Đã tự làm được"))
    assert cancelled.status == pb.BOOKING_STATUS_CANCELLED
    assert (await stub.CancelBooking(pb.CancelBookingRequest(booking_id=booking.id, token=booking.token))).status == (
        pb.BOOKING_STATUS_CANCELLED)  # idempotent
    assert await db.fetchval("SELECT booked FROM slot WHERE id = $1", second) == 0
    history = await stub.GetBooking(pb.GetBookingRequest(booking_id=booking.id, actor=OFFICER))
    assert [(h.action, h.from_slot_id, h.to_slot_id) for h in history.history] == [
        ("confirmed", "", first), ("rescheduled", first, second), ("cancelled", second, "")]

    types = [r["type"].rsplit(".", 1)[1] for r in await db.fetch(
        "SELECT type FROM outbox WHERE partition_key = $1 ORDER BY id", booking.id)]
    assert types == ["booking_confirmed", "booking_rescheduled", "booking_cancelled"]
    for row in await db.fetch("SELECT data FROM outbox"):
        text = bytes(row["data"]).decode()
        assert "912345678" not in text and "Trần Thị Bảy" not in text  # contact_ref only
    contact = await stub.ResolveContact(pb.ResolveContactRequest(contact_ref=booking.contact_ref))
    assert (contact.full_name, contact.phone) == ("Trần Thị Bảy", "+84912345678")


async def test_bad_input_gets_a_clear_vietnamese_error_and_books_nothing(
    scheduler: RunningScheduler, clock: Clock, stub: pb_grpc.SchedulerServiceStub, db: asyncpg.Connection,
) -> None:
    today = local_day(clock.now)  # a Monday, 09:00 in Vietnam
    wednesday = today + timedelta(days=2)
    await scheduler.service.configure(holidays=[(wednesday, "Ngày lễ kiểm thử")])
    await scheduler.point("kiosk-evening", windows=KIOSK_WINDOWS,
                          help_types=[m.HelpType.VNEID_LEVEL2, m.HelpType.SCAN_DOCUMENTS])
    await scheduler.service.plan()
    full = await scheduler.slot("kiosk-evening", at_local(today + timedelta(days=7), "07:00"), capacity=1)
    await scheduler.book(full)

    def at(day: date, hhmm: str) -> dict:
        return {"point_id": "kiosk-evening", "starts_at": ts(at_local(day, hhmm))}

    cases = [
        (create(**at(today, "08:00")), "SLOT_IN_PAST", "đã qua"),
        (create(**at(today, "09:05")), "SLOT_TOO_SOON", "ít nhất 15 phút"),
        (create(**at(today + timedelta(days=1), "10:00")), "OUTSIDE_OPENING_HOURS",
         "Giờ phục vụ: 17:30–20:30 Thứ Hai–Thứ Sáu"),
        (create(**at(wednesday, "18:00")), "POINT_CLOSED_HOLIDAY", "ngày nghỉ lễ (Ngày lễ kiểm thử)"),
        (create(**at(today + timedelta(days=1), "18:00"), help_type=pb.HELP_TYPE_PAY_FEES), "HELP_TYPE_NOT_OFFERED",
         "không hỗ trợ “Thanh toán phí, lệ phí trực tuyến”"),
        (create(**at(today + timedelta(days=1), "18:00"), citizen=citizen(ward="99999")), "UNKNOWN_AREA",
         "không thuộc địa bàn"),
        (create(**at(today + timedelta(days=1), "18:00"), citizen=citizen("12345")), "PHONE_INVALID",
         "Số điện thoại không hợp lệ"),
        (create(**at(today + timedelta(days=1), "18:00"), consent=common_pb2.Consent()), "CONSENT_REQUIRED",
         "Nghị định 13/2023"),
        (create(**at(today + timedelta(days=1), "18:00"), idempotency_key=""), "IDEMPOTENCY_KEY_REQUIRED",
         "Idempotency-Key"),
        (create(point_id="no-such-point", starts_at=ts(clock.now + timedelta(days=1))), "POINT_NOT_FOUND",
         "Không tìm thấy điểm hỗ trợ"),
        (create(**at(today + timedelta(days=60), "18:00")), "BOOKING_NOT_OPEN_YET", "tối đa 35 ngày"),
    ]
    for i, (request, reason, text) in enumerate(cases):
        request.idempotency_key = request.idempotency_key and f"bad-input-{i:04d}"
        _, got, message_vi, _ = await rpc_error(stub.CreateBooking(request))
        assert (got, text in message_vi) == (reason, True), (got, message_vi)

    code, reason, message_vi, metadata = await rpc_error(stub.CreateBooking(create(full, key="full-0000001",
                                                                                  citizen=citizen("0987654321"))))
    assert (code, reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "SLOT_FULL")
    assert "đã hết chỗ" in message_vi
    offered = json.loads(metadata["next_slots"])
    assert offered and all(s["point_id"] == "kiosk-evening" and s["remaining"] > 0 for s in offered)
    assert offered == sorted(offered, key=lambda s: s["starts_at"])
    # Only the setup booking exists: no attempt left anything behind.
    assert await db.fetchval("SELECT count(*) FROM booking") == 1
    assert await db.fetchval("SELECT count(*) FROM idempotency_key") == 1
    assert await db.fetchval("SELECT sum(booked) FROM slot") == 1


async def test_priority_share_and_overlapping_bookings(scheduler: RunningScheduler, clock: Clock,
                                                       stub: pb_grpc.SchedulerServiceStub) -> None:
    await scheduler.point("kiosk-a")
    await scheduler.point("kiosk-b")
    slot = await scheduler.slot("kiosk-a", clock.now + timedelta(days=3), capacity=2, reserved=1)
    overlapping = await scheduler.slot("kiosk-b", clock.now + timedelta(days=3, minutes=15), capacity=5)
    await scheduler.book(slot, phone="0911111111")
    _, reason, message_vi, metadata = await rpc_error(stub.CreateBooking(create(slot, citizen=citizen("0922222222"))))
    assert reason == "SLOT_FULL" and metadata["reserved_for_priority"] == "true" and "ưu tiên" in message_vi
    made = await stub.CreateBooking(create(slot, key="key-priority1", citizen=citizen("0922222222"), priority=True))
    assert made.booking.priority
    _, reason, message_vi, _ = await rpc_error(stub.CreateBooking(create(overlapping, key="key-overlap1",
                                                                         citizen=citizen("092 222 2222"))))
    assert reason == "BOOKING_OVERLAPS" and "trùng thời gian" in message_vi


async def test_hold_then_complete_or_lapse(scheduler: RunningScheduler, clock: Clock,
                                           stub: pb_grpc.SchedulerServiceStub, db: asyncpg.Connection) -> None:
    await scheduler.point("kiosk-a")
    slot = await scheduler.slot("kiosk-a", clock.now + timedelta(days=1), capacity=1)
    held = await stub.HoldBooking(pb.HoldBookingRequest(idempotency_key="hold-0000001", slot_id=slot,
                                                        help_type=pb.HELP_TYPE_SCAN_DOCUMENTS))
    assert held.status == pb.BOOKING_STATUS_HELD and held.hold_expires_at.ToDatetime().minute is not None
    assert (await rpc_error(stub.HoldBooking(pb.HoldBookingRequest(
        idempotency_key="hold-0000002", slot_id=slot, help_type=pb.HELP_TYPE_SCAN_DOCUMENTS))))[1] == "SLOT_FULL"
    done = await stub.CreateBooking(create(key="complete-001", hold_booking_id=held.id, help_type=0))
    assert (done.booking.id, done.booking.status, done.booking.help_type) == (
        held.id, pb.BOOKING_STATUS_CONFIRMED, pb.HELP_TYPE_SCAN_DOCUMENTS)

    other = await scheduler.slot("kiosk-a", clock.now + timedelta(days=2), capacity=1)
    lapsing = await stub.HoldBooking(pb.HoldBookingRequest(idempotency_key="hold-0000003", slot_id=other,
                                                           help_type=pb.HELP_TYPE_VNEID_LEVEL2))
    clock.advance(timedelta(minutes=11))
    assert (await rpc_error(stub.CreateBooking(create(key="complete-002", hold_booking_id=lapsing.id,
                                                      citizen=citizen("0933333333")))))[1] == "HOLD_EXPIRED"
    # The lapsed hold does not block the slot even before the sweeper runs.
    taken = await stub.CreateBooking(create(other, key="after-lapse1", citizen=citizen("0944444444")))
    assert taken.booking.status == pb.BOOKING_STATUS_CONFIRMED
    assert await db.fetchval("SELECT status FROM booking WHERE id = $1::uuid", lapsing.id) == "expired"
    assert await db.fetchval("SELECT booked FROM slot WHERE id = $1", other) == 1


async def test_home_visit_is_verified_assigned_and_completed(scheduler: RunningScheduler, clock: Clock,
                                                             stub: pb_grpc.SchedulerServiceStub,
                                                             db: asyncpg.Connection) -> None:
    await scheduler.point("home-team", m.Model.HOME_VISIT)
    await scheduler.service.configure(resources=[
        m.Resource("cb-lan", m.ResourceKind.STAFF, "Nguyễn Thị Lan"),
        m.Resource("tnv-an", m.ResourceKind.VOLUNTEER, "Nguyễn Văn An", skills=(m.HelpType.SCAN_DOCUMENTS,)),
    ])
    start = clock.now + timedelta(hours=6)
    slot = await scheduler.slot("home-team", start, minutes=60, capacity=3)
    parallel = await scheduler.slot("home-team", start + timedelta(minutes=30), minutes=60, capacity=3)

    _, reason, _, _ = await rpc_error(stub.CreateBooking(create(slot, key="home-noaddr")))
    assert reason == "ADDRESS_REQUIRED"
    _, reason, _, _ = await rpc_error(stub.CreateBooking(create(slot, key="home-other1",
                                                                citizen=citizen(street="5 Hai Bà Trưng", ward="26734"))))
    assert reason == "OUT_OF_AREA"
    first = (await stub.CreateBooking(create(slot, key="home-000001", priority=False,
                                             citizen=citizen(street="5 Lê Lợi", ward="26740")))).booking
    urgent = (await stub.CreateBooking(create(parallel, key="home-000002", priority=True,
                                              citizen=citizen("0955555555", street="7 Lê Lợi", ward="26740")))).booking
    assert first.status == urgent.status == pb.BOOKING_STATUS_REQUESTED

    queue = await stub.ListVerificationQueue(pb.ListVerificationQueueRequest(ward_code="26740"))
    assert [b.id for b in queue.items] == [urgent.id, first.id]  # priority first, then oldest

    unreachable = await stub.VerifyBooking(pb.VerifyBookingRequest(
        booking_id=first.id, actor=OFFICER, outcome=pb.VERIFICATION_OUTCOME_UNREACHABLE, note="Không nghe máy"))
    assert (unreachable.status, unreachable.verification_attempts) == (pb.BOOKING_STATUS_REQUESTED, 1)
    confirmed = await stub.VerifyBooking(pb.VerifyBookingRequest(
        booking_id=first.id, actor=OFFICER, outcome=pb.VERIFICATION_OUTCOME_CONFIRMED, note="Cụ 82 tuổi"))
    assert confirmed.status == pb.BOOKING_STATUS_CONFIRMED and confirmed.history[-1].actor.id == "canbo.saigon"
    assert (await rpc_error(stub.VerifyBooking(pb.VerifyBookingRequest(
        booking_id=first.id, outcome=pb.VERIFICATION_OUTCOME_CONFIRMED))))[1] == "ACTOR_REQUIRED"

    assigned = await stub.AssignResource(pb.AssignResourceRequest(booking_id=first.id, resource_id="cb-lan",
                                                                  actor=OFFICER))
    assert assigned.resource.id == "cb-lan"
    verified = await stub.VerifyBooking(pb.VerifyBookingRequest(booking_id=urgent.id, actor=OFFICER,
                                                                outcome=pb.VERIFICATION_OUTCOME_CONFIRMED))
    code, reason, message_vi, _ = await rpc_error(stub.AssignResource(pb.AssignResourceRequest(
        booking_id=verified.id, resource_id="cb-lan", actor=OFFICER)))
    assert (code, reason) == (grpc.StatusCode.ALREADY_EXISTS, "RESOURCE_BUSY") and "trùng thời gian" in message_vi
    assert (await rpc_error(stub.AssignResource(pb.AssignResourceRequest(
        booking_id=verified.id, resource_id="tnv-an", actor=OFFICER))))[1] == "RESOURCE_CANNOT_GIVE_HELP"

    day = pb.GetDayScheduleRequest(resource_id="cb-lan", date=common_pb2.LocalDate(
        year=local_day(start).year, month=local_day(start).month, day=local_day(start).day))
    schedule = await stub.GetDaySchedule(day)
    assert [[b.id for b in e.bookings] for e in schedule.entries] == [[first.id]]

    done = await stub.CompleteBooking(pb.CompleteBookingRequest(
        booking_id=first.id, actor=OFFICER, help_given=[pb.HELP_TYPE_VNEID_LEVEL2, pb.HELP_TYPE_ONLINE_DOSSIER],
        dossier_codes=["000.00.41.H29-301104-0001"], note="Đã kích hoạt VNeID"))
    assert done.status == pb.BOOKING_STATUS_COMPLETED and list(done.dossier_codes) == ["000.00.41.H29-301104-0001"]
    assert (await rpc_error(stub.MarkNoShow(pb.MarkNoShowRequest(booking_id=urgent.id, actor=OFFICER))))[1] == (
        "BOOKING_NOT_DUE")
    clock.advance(timedelta(hours=7))
    absent = await stub.MarkNoShow(pb.MarkNoShowRequest(booking_id=urgent.id, actor=OFFICER, note="Không có nhà"))
    assert absent.status == pb.BOOKING_STATUS_NO_SHOW
    types = [r["type"].rsplit(".", 1)[1] for r in await db.fetch(
        "SELECT type FROM outbox WHERE partition_key = $1 ORDER BY id", first.id)]
    assert types == ["booking_requested", "booking_confirmed", "booking_completed"]
    # Completed and no-show bookings keep their places: capacity reflects what was used.
    assert await db.fetchval("SELECT booked FROM slot WHERE id = $1", slot) == 1


async def test_rejection_frees_the_place_and_capacity_changes_are_bounded(
    scheduler: RunningScheduler, clock: Clock, stub: pb_grpc.SchedulerServiceStub, db: asyncpg.Connection,
) -> None:
    await scheduler.point("home-team", m.Model.HOME_VISIT)
    slot = await scheduler.slot("home-team", clock.now + timedelta(days=2), minutes=60, capacity=2)
    b = (await stub.CreateBooking(create(slot, key="home-reject", citizen=citizen(street="1 Lê Lợi",
                                                                                  ward="26740")))).booking
    await scheduler.book(slot, street="2 Lê Lợi", ward="26740")
    reason = (await rpc_error(stub.UpdateSlotCapacity(pb.UpdateSlotCapacityRequest(slot_id=slot, capacity=1,
                                                                                   actor=OFFICER))))
    assert reason[1] == "CAPACITY_BELOW_BOOKED" and "không thể giảm số chỗ xuống 1" in reason[2]
    rejected = await stub.VerifyBooking(pb.VerifyBookingRequest(booking_id=b.id, actor=OFFICER,
                                                                outcome=pb.VERIFICATION_OUTCOME_REJECTED,
                                                                note="Ngoài địa bàn"))
    assert rejected.status == pb.BOOKING_STATUS_REJECTED and rejected.cancel_reason == "Ngoài địa bàn"
    smaller = await stub.UpdateSlotCapacity(pb.UpdateSlotCapacityRequest(slot_id=slot, capacity=1, actor=OFFICER))
    assert (smaller.capacity, smaller.remaining) == (1, 0)
    event = await db.fetchrow("SELECT type, data FROM outbox WHERE partition_key = $1 ORDER BY id DESC LIMIT 1", b.id)
    assert event["type"] == "motcua.scheduler.v1.booking_cancelled"
    assert json.loads(bytes(event["data"]))["status"] == "BOOKING_STATUS_REJECTED"


async def test_listing_points_stops_availability_and_resources(scheduler: RunningScheduler, clock: Clock,
                                                               stub: pb_grpc.SchedulerServiceStub) -> None:
    await scheduler.point("kiosk-a", help_types=[m.HelpType.VNEID_LEVEL2])
    await scheduler.point("remote-desk", m.Model.REMOTE, served=["26734"])
    await scheduler.point("bus-stop", m.Model.MOBILE_BUS, route_id="route-x")
    await scheduler.slot("kiosk-a", clock.now + timedelta(days=1), capacity=2)
    await scheduler.slot("remote-desk", clock.now + timedelta(days=1, hours=1), capacity=2)
    await scheduler.slot("bus-stop", clock.now + timedelta(days=2), minutes=180, capacity=20, stop=True)
    await scheduler.service.configure(resources=[m.Resource("cb-1", m.ResourceKind.STAFF, "Cán bộ Một")])

    points = await stub.ListServicePoints(pb.ListServicePointsRequest(ward_code="26734"))
    assert [p.id for p in points.items] == ["remote-desk"]
    everything = await stub.SearchAvailability(pb.SearchAvailabilityRequest())
    assert [s.point.id for s in everything.slots] == ["kiosk-a", "remote-desk", "bus-stop"]
    assert everything.page_info.total == 3
    scan = await stub.SearchAvailability(pb.SearchAvailabilityRequest(help_type=pb.HELP_TYPE_SCAN_DOCUMENTS))
    assert [s.point.id for s in scan.slots] == ["remote-desk", "bus-stop"]
    stops = await stub.ListRouteStops(pb.ListRouteStopsRequest(route_id="route-x", from_date=common_pb2.LocalDate(
        year=2030, month=3, day=4)))
    assert [s.point.id for s in stops.items] == ["bus-stop"] and stops.items[0].status == pb.ROUTE_STOP_STATUS_SCHEDULED
    assert (await rpc_error(stub.SearchAvailability(pb.SearchAvailabilityRequest(model=pb.SERVICE_MODEL_HOME_VISIT))))[
        1] == "WARD_REQUIRED"
    assert (await rpc_error(stub.SearchAvailability(pb.SearchAvailabilityRequest(ward_code="12345"))))[1] == (
        "UNKNOWN_AREA")
    assert [r.id for r in (await stub.ListResources(pb.ListResourcesRequest())).items] == ["cb-1"]


async def test_a_holiday_declared_later_closes_planned_slots_until_the_point_opens(
    scheduler: RunningScheduler, clock: Clock, stub: pb_grpc.SchedulerServiceStub, db: asyncpg.Connection,
) -> None:
    await scheduler.point("kiosk-evening", windows=KIOSK_WINDOWS)
    await scheduler.service.plan()
    tuesday = local_day(clock.now) + timedelta(days=1)
    request = create(point_id="kiosk-evening", starts_at=ts(at_local(tuesday, "18:00")), key="holiday-late1")
    await scheduler.service.configure(holidays=[(tuesday, "Nghỉ bù")])
    assert await db.fetchval("SELECT count(*) FROM slot WHERE status = 'closed'") == 6
    _, reason, message_vi, _ = await rpc_error(stub.CreateBooking(request))
    assert reason == "POINT_CLOSED_HOLIDAY" and "(Nghỉ bù)" in message_vi
    found = await stub.SearchAvailability(pb.SearchAvailabilityRequest(
        from_date=common_pb2.LocalDate(year=tuesday.year, month=tuesday.month, day=tuesday.day),
        to_date=common_pb2.LocalDate(year=tuesday.year, month=tuesday.month, day=tuesday.day)))
    assert list(found.slots) == []
    await scheduler.service.configure(exceptions=[("kiosk-evening", tuesday, DayException.OPEN, "Vẫn mở")])
    assert await db.fetchval("SELECT count(*) FROM slot WHERE status = 'closed'") == 0
    request.idempotency_key = "holiday-late2"
    assert (await stub.CreateBooking(request)).booking.status == pb.BOOKING_STATUS_CONFIRMED


async def test_old_idempotency_keys_are_forgotten(scheduler: RunningScheduler, clock: Clock,
                                                  db: asyncpg.Connection) -> None:
    await scheduler.point("kiosk-a")
    await scheduler.book(await scheduler.slot("kiosk-a", clock.now + timedelta(days=1), capacity=2), key="old-key-0001")
    await scheduler.book(await scheduler.slot("kiosk-a", clock.now + timedelta(days=2), capacity=2), key="new-key-0001")
    await db.execute("UPDATE idempotency_key SET created_at = now() - interval '8 days' WHERE key = 'old-key-0001'")
    assert await scheduler.service.prune_idempotency_keys() == 1
    assert [r["key"] for r in await db.fetch("SELECT key FROM idempotency_key")] == ["new-key-0001"]
