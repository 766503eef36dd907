"""Cancelling a bus stop window cancels every booking in it, frees the places and offers each citizen the next windows."""

from __future__ import annotations

import json
from datetime import timedelta

import asyncpg
import pytest

from motcua_platform.errors import MotcuaError
from motcua_scheduler.domain import model as m
from motcua_scheduler.service import SlotRef
from motcua_scheduler.testing import OFFICER, Clock, RunningScheduler

pytestmark = pytest.mark.integration

REASON = "Xe phục vụ lưu động gặp sự cố kỹ thuật, xin lỗi bà con."


async def test_every_booking_is_cancelled_with_alternatives_and_can_move(scheduler: RunningScheduler, clock: Clock,
                                                                        db: asyncpg.Connection) -> None:
    await scheduler.point("xe-cho", m.Model.MOBILE_BUS, route_id="tuyen-a")
    await scheduler.point("xe-nvh", m.Model.MOBILE_BUS, route_id="tuyen-a")
    await scheduler.point("xe-khac", m.Model.MOBILE_BUS, route_id="tuyen-b")
    start = clock.now + timedelta(days=2)
    cancelled_slot = await scheduler.slot("xe-cho", start, minutes=180, capacity=6, reserved=1, stop=True)
    same_stop_next = await scheduler.slot("xe-cho", start + timedelta(days=7), minutes=180, capacity=1, stop=True)
    same_route = await scheduler.slot("xe-nvh", start + timedelta(hours=5), minutes=180, capacity=20, stop=True)
    full_same_stop = await scheduler.slot("xe-cho", start + timedelta(days=1), minutes=180, capacity=1, stop=True)
    other_route = await scheduler.slot("xe-khac", start + timedelta(hours=4), minutes=180, capacity=20, stop=True)
    await scheduler.book(full_same_stop)
    bookings = [await scheduler.book(cancelled_slot, priority=i == 0) for i in range(4)]
    held = await scheduler.service.hold(key="held-on-bus", ref=SlotRef(slot_id=cancelled_slot),
                                        help_type=m.HelpType.SCAN_DOCUMENTS, priority=False)
    already_cancelled = await scheduler.book(cancelled_slot)
    await scheduler.service.cancel(booking_id=already_cancelled, token="", actor=OFFICER, reason="")
    stop_id = await db.fetchval("SELECT stop_id FROM slot WHERE id = $1", cancelled_slot)
    before = await db.fetchval("SELECT max(id) FROM outbox")

    stop, affected = await scheduler.service.cancel_stop(stop_id=stop_id, reason=REASON, actor=OFFICER)

    assert (stop.status, stop.cancel_reason) == ("cancelled", REASON)
    assert sorted(a.booking.id for a in affected) == sorted([*bookings, held.booking.id])
    for a in affected:
        assert a.booking.status is m.Status.CANCELLED and a.booking.cancel_reason == REASON
        # Next windows with room: the same stop first, then the same route; nearest first, never the full one.
        assert [s.id for s in a.alternatives] == [same_route, same_stop_next]
    rows = await db.fetch("SELECT id, status, cancelled_by_stop_id FROM booking WHERE slot_id = $1", cancelled_slot)
    assert {r["status"] for r in rows} == {"cancelled"} and len(rows) == 6
    slot_row = await db.fetchrow("SELECT status, booked, booked_priority FROM slot WHERE id = $1", cancelled_slot)
    assert tuple(slot_row) == ("cancelled", 0, 0)

    outbox = await db.fetch("SELECT type, partition_key, data FROM outbox WHERE id > $1 ORDER BY id", before)
    assert len(outbox) == 1 + len(affected)
    assert outbox[0]["type"].endswith("stop_cancelled") and outbox[0]["partition_key"] == stop_id
    assert sorted(json.loads(bytes(outbox[0]["data"]))["affectedBookingIds"]) == sorted(a.booking.id for a in affected)
    per_booking = {r["partition_key"]: json.loads(bytes(r["data"])) for r in outbox[1:]}
    assert set(per_booking) == {a.booking.id for a in affected}
    for data in per_booking.values():
        assert data["stopId"] == stop_id and data["reason"] == REASON
        assert [alt["slotId"] for alt in data["alternatives"]] == [same_route, same_stop_next]

    # A cancelled window takes no new booking, and cancelling it again changes nothing.
    with pytest.raises(MotcuaError) as refused:
        await scheduler.book(cancelled_slot)
    assert refused.value.code == "SLOT_CANCELLED" and REASON in refused.value.message_vi
    again, none = await scheduler.service.cancel_stop(stop_id=stop_id, reason=REASON, actor=OFFICER)
    assert again.status == "cancelled" and none == []

    # The citizen takes an offer: the cancelled booking moves there and is confirmed again.
    moved = await scheduler.service.reschedule(key="take-the-offer", booking_id=bookings[1], token="", actor=OFFICER,
                                               ref=SlotRef(slot_id=same_route), reason="Chọn điểm dừng khác")
    assert (moved.booking.status, moved.booking.slot.id, moved.booking.cancel_reason) == (
        m.Status.CONFIRMED, same_route, "")
    assert await db.fetchval("SELECT booked FROM slot WHERE id = $1", same_route) == 1
    with pytest.raises(MotcuaError) as not_other:
        await scheduler.service.reschedule(key="cannot-revive", booking_id=already_cancelled, token="", actor=OFFICER,
                                           ref=SlotRef(slot_id=other_route), reason="")
    assert not_other.value.code == "BOOKING_NOT_ACTIVE"


async def test_a_stop_that_is_over_cannot_be_cancelled(scheduler: RunningScheduler, clock: Clock,
                                                       db: asyncpg.Connection) -> None:
    await scheduler.point("xe-cho", m.Model.MOBILE_BUS, route_id="tuyen-a")
    slot = await scheduler.slot("xe-cho", clock.now + timedelta(hours=1), minutes=60, capacity=5, stop=True)
    stop_id = await db.fetchval("SELECT stop_id FROM slot WHERE id = $1", slot)
    clock.advance(timedelta(hours=3))
    with pytest.raises(MotcuaError) as over:
        await scheduler.service.cancel_stop(stop_id=stop_id, reason=REASON, actor=OFFICER)
    assert over.value.code == "STOP_ALREADY_OVER"
    with pytest.raises(MotcuaError) as no_reason:
        await scheduler.service.cancel_stop(stop_id=stop_id, reason=" ", actor=OFFICER)
    assert no_reason.value.code == "REASON_REQUIRED"
