"""A model of holds, bookings, verification, cancellation, expiry, reschedules and capacity changes,
checked against the real service and database after every step (hypothesis stateful testing).

The model predicts each outcome (taken, full, overlapping, lapsed...) from its own counts;
after each step the database must agree with it: statuses, places taken per slot (and
by priority citizens), no citizen in two overlapping active bookings, one event per change.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, initialize, invariant, rule, run_state_machine_as_test

from motcua_platform.errors import MotcuaError
from motcua_scheduler.domain import model as m
from motcua_scheduler.service import CitizenInput, Policy, SlotRef
from motcua_scheduler.testing import CONSENT, OFFICER, Clock, RunningScheduler, running_scheduler

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T = TypeVar("T")

START = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)
DAY3 = START + timedelta(days=3)
HOLD = timedelta(minutes=10)
PHONES = ("0911000001", "0911000002", "0911000003")


@dataclass
class ModelSlot:
    id: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    reserved: int
    home: bool


@dataclass
class ModelBooking:
    id: str
    slot: str
    status: m.Status
    priority: bool
    phone: str | None = None
    expires_at: datetime | None = None
    events: int = 1


@dataclass
class Env:
    loop: asyncio.AbstractEventLoop
    running: RunningScheduler
    clock: Clock
    slots: dict[str, ModelSlot] = field(default_factory=dict)


ENV: Env | None = None

SLOT_SPECS = (  # (point, start offset, minutes, capacity, reserved)
    ("kiosk-a", timedelta(hours=0), 30, 2, 1),
    ("kiosk-a", timedelta(hours=1), 30, 2, 0),
    ("kiosk-b", timedelta(hours=0), 30, 1, 0),  # overlaps the first
    ("home-a", timedelta(minutes=15), 60, 2, 1),  # overlaps the first three
)


class BookingMachine(RuleBasedStateMachine):
    holds = Bundle("holds")
    bookings = Bundle("bookings")

    def __init__(self) -> None:
        super().__init__()
        assert ENV is not None
        self.env = ENV
        self.service = ENV.running.service
        self.clock = ENV.clock
        self.model: dict[str, ModelBooking] = {}
        self.slots = ENV.slots

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.env.loop.run_until_complete(coro)

    @initialize()
    def reset(self) -> None:
        self.clock.now = START
        self.run(self._reset())

    async def _reset(self) -> None:
        async with self.env.running.pool.acquire() as conn:
            await conn.execute("DELETE FROM booking_history; DELETE FROM reminder; DELETE FROM idempotency_key; "
                               "DELETE FROM resource_commitment; DELETE FROM booking; DELETE FROM outbox")
            for spec_slot, (_, _, _, capacity, reserved) in zip(self.slots.values(), SLOT_SPECS, strict=True):
                spec_slot.capacity, spec_slot.reserved = capacity, reserved
                await conn.execute("UPDATE slot SET booked = 0, booked_priority = 0, capacity = $2, "
                                   "priority_reserved = $3 WHERE id = $1", spec_slot.id, capacity, reserved)

    # -- the model -------------------------------------------------------------------------------

    def occupying(self, slot_id: str) -> list[ModelBooking]:
        return [b for b in self.model.values() if b.slot == slot_id and b.status in m.OCCUPYING]

    def room(self, slot_id: str, priority: bool) -> int:
        s = self.slots[slot_id]
        taken = self.occupying(slot_id)
        free = s.capacity - len(taken)
        if priority:
            return free
        regular = len([b for b in taken if not b.priority])
        return min(free, s.capacity - s.reserved - regular)

    def lapsed(self, slot_id: str | None = None, *, except_id: str | None = None) -> list[ModelBooking]:
        return [b for b in self.model.values()
                if b.status is m.Status.HELD and b.expires_at and b.expires_at <= self.clock.now
                and (slot_id is None or b.slot == slot_id) and b.id != except_id]

    @staticmethod
    def expire(bookings: list[ModelBooking]) -> None:
        for b in bookings:
            b.status = m.Status.EXPIRED
            b.events += 1

    def can_take(self, slot_id: str, priority: bool, *, except_id: str | None = None) -> list[ModelBooking] | None:
        """None when full; else the lapsed holds the service releases to make room (committed only on success)."""
        if self.room(slot_id, priority) > 0:
            return []
        lapsed = self.lapsed(slot_id, except_id=except_id)
        for b in lapsed:
            b.status = m.Status.EXPIRED
        room = self.room(slot_id, priority)
        for b in lapsed:
            b.status = m.Status.HELD
        return lapsed if lapsed and room > 0 else None

    def overlaps(self, phone: str, slot_id: str, *, except_id: str | None = None) -> bool:
        target = self.slots[slot_id]
        for b in self.model.values():
            if b.phone != phone or b.id == except_id or b.status not in m.ACTIVE:
                continue
            other = self.slots[b.slot]
            if other.starts_at < target.ends_at and target.starts_at < other.ends_at:
                return True
        return False

    def code_of(self, call: Coroutine[Any, Any, object]) -> str:
        try:
            self.run(call)
        except MotcuaError as exc:
            return exc.code
        return "OK"

    # -- rules -------------------------------------------------------------------------------------

    @rule(target=holds, slot=st.sampled_from(range(4)), priority=st.booleans())
    def hold(self, slot: int, priority: bool) -> str:
        slot_id = list(self.slots)[slot]
        freed = self.can_take(slot_id, priority)
        expected = "OK" if freed is not None else "SLOT_FULL"
        try:
            result = self.run(self.service.hold(key=f"h-{uuid.uuid4().hex}", ref=SlotRef(slot_id=slot_id),
                                                help_type=m.HelpType.VNEID_LEVEL2, priority=priority))
        except MotcuaError as exc:
            assert exc.code == expected == "SLOT_FULL"
            return ""
        assert expected == "OK" and freed is not None
        self.expire(freed)
        self.model[result.booking.id] = ModelBooking(result.booking.id, slot_id, m.Status.HELD, priority,
                                                     expires_at=self.clock.now + HOLD)
        return result.booking.id

    @rule(target=bookings, slot=st.sampled_from(range(4)), phone=st.sampled_from(PHONES), priority=st.booleans())
    def book(self, slot: int, phone: str, priority: bool) -> str:
        slot_id = list(self.slots)[slot]
        freed = self.can_take(slot_id, priority)
        if self.overlaps(phone, slot_id):  # the booking row is inserted before the place is taken
            expected = "BOOKING_OVERLAPS"
        elif freed is None:
            expected = "SLOT_FULL"
        else:
            expected = "OK"
        try:
            result = self.run(self.service.create_booking(
                key=f"b-{uuid.uuid4().hex}", ref=SlotRef(slot_id=slot_id),
                citizen=CitizenInput("Nguyễn Văn Mẫu", phone, "1 Lê Lợi", "26740"),
                help_type=m.HelpType.VNEID_LEVEL2, priority=priority, consent=CONSENT))
        except MotcuaError as exc:
            assert exc.code == expected, (exc.code, expected)
            return ""
        assert expected == "OK" and freed is not None, expected
        self.expire(freed)
        status = m.Status.REQUESTED if self.slots[slot_id].home else m.Status.CONFIRMED
        assert result.booking.status is status
        self.model[result.booking.id] = ModelBooking(result.booking.id, slot_id, status, priority, phone)
        return result.booking.id

    @rule(target=bookings, hold_id=consumes(holds), phone=st.sampled_from(PHONES))
    def complete_hold(self, hold_id: str, phone: str) -> str:
        if not hold_id:
            return ""
        b = self.model[hold_id]
        if b.status is not m.Status.HELD:
            expected = "BOOKING_NOT_HELD" if b.status is not m.Status.EXPIRED else "HOLD_EXPIRED"
        elif b.expires_at and b.expires_at <= self.clock.now:
            expected = "HOLD_EXPIRED"
        elif self.overlaps(phone, b.slot, except_id=b.id):
            expected = "BOOKING_OVERLAPS"
        else:
            expected = "OK"
        code = self.code_of(self.service.create_booking(
            key=f"c-{uuid.uuid4().hex}", ref=None, hold_id=hold_id,
            citizen=CitizenInput("Nguyễn Văn Mẫu", phone, "1 Lê Lợi", "26740"), help_type=None, consent=CONSENT))
        assert code == expected, (code, expected)
        if code != "OK":
            return ""
        b.status = m.Status.REQUESTED if self.slots[b.slot].home else m.Status.CONFIRMED
        b.phone, b.expires_at = phone, None
        b.events += 1
        return hold_id

    @rule(booking_id=bookings, confirm=st.booleans())
    def verify(self, booking_id: str, confirm: bool) -> None:
        if not booking_id:
            return
        b = self.model[booking_id]
        outcome = m.VerificationOutcome.CONFIRMED if confirm else m.VerificationOutcome.REJECTED
        target = m.Status.CONFIRMED if confirm else m.Status.REJECTED
        expected = "OK" if b.status in (m.Status.REQUESTED, target) else "BOOKING_NOT_AWAITING_VERIFICATION"
        code = self.code_of(self.service.verify(booking_id=booking_id, actor=OFFICER, outcome=outcome, note=""))
        assert code == expected, (code, expected)
        if code == "OK" and b.status is m.Status.REQUESTED:
            b.status = target
            b.events += 1

    @rule(booking_id=st.one_of(bookings, holds))
    def cancel(self, booking_id: str) -> None:
        if not booking_id:
            return
        b = self.model[booking_id]
        code = self.code_of(self.service.cancel(booking_id=booking_id, token="", actor=OFFICER, reason="thử"))
        assert code == "OK"
        if b.status in m.ACTIVE:
            b.status = m.Status.CANCELLED
            b.events += 1

    @rule(minutes=st.sampled_from([1, 4, 11]))
    def time_passes_and_holds_lapse(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))
        self.run(self.service.expire_holds())
        self.expire(self.lapsed())

    @rule(booking_id=st.one_of(bookings, holds), slot=st.sampled_from(range(4)))
    def reschedule(self, booking_id: str, slot: int) -> None:
        if not booking_id:
            return
        b = self.model[booking_id]
        target = list(self.slots)[slot]
        freed: list[ModelBooking] | None = []
        if b.status not in m.ACTIVE:
            expected = "BOOKING_NOT_ACTIVE"
        elif target == b.slot:
            expected = "RESCHEDULE_SAME_SLOT"
        else:
            freed = self.can_take(target, b.priority, except_id=b.id)
            if freed is None:
                expected = "SLOT_FULL"
            elif b.phone and self.overlaps(b.phone, target, except_id=b.id):
                expected = "BOOKING_OVERLAPS"
            else:
                expected = "OK"
        code = self.code_of(self.service.reschedule(key=f"r-{uuid.uuid4().hex}", booking_id=booking_id, token="",
                                                    actor=OFFICER, ref=SlotRef(slot_id=target), reason=""))
        assert code == expected, (code, expected)
        if code == "OK":
            self.expire(freed or [])
            was_home, home = self.slots[b.slot].home, self.slots[target].home
            if b.status is not m.Status.HELD:
                if home and not was_home:
                    b.status = m.Status.REQUESTED
                elif not home and b.status is m.Status.REQUESTED:
                    b.status = m.Status.CONFIRMED
            b.slot = target
            b.events += 1

    @rule(slot=st.sampled_from(range(4)), capacity=st.integers(0, 4), reserved=st.integers(0, 2))
    def change_capacity(self, slot: int, capacity: int, reserved: int) -> None:
        slot_id = list(self.slots)[slot]
        taken = len(self.occupying(slot_id))
        expected = "CAPACITY_INVALID" if reserved > capacity else (
            "CAPACITY_BELOW_BOOKED" if capacity < taken else "OK")
        code = self.code_of(self.service.update_capacity(slot_id=slot_id, capacity=capacity, reserved=reserved,
                                                         actor=OFFICER))
        assert code == expected, (code, expected)
        if code == "OK":
            self.slots[slot_id].capacity, self.slots[slot_id].reserved = capacity, reserved

    # -- invariants, against the database ---------------------------------------------------------

    @invariant()
    def database_agrees(self) -> None:
        self.run(self._check())

    async def _check(self) -> None:
        async with self.env.running.pool.acquire() as conn:
            rows = await conn.fetch("SELECT id::text, slot_id, status FROM booking")
            assert {r["id"]: (r["slot_id"], r["status"]) for r in rows} == {
                b.id: (b.slot, str(b.status)) for b in self.model.values()}
            for s in await conn.fetch("SELECT id, capacity, priority_reserved, booked, booked_priority FROM slot"):
                taken = self.occupying(s["id"])
                assert s["booked"] == len(taken), s
                assert s["booked_priority"] == len([b for b in taken if b.priority]), s
                assert s["booked"] <= s["capacity"]
                assert (s["capacity"], s["priority_reserved"]) == (self.slots[s["id"]].capacity,
                                                                   self.slots[s["id"]].reserved)
            overlapping = await conn.fetchval(
                """SELECT count(*) FROM booking a JOIN booking b ON a.citizen_key = b.citizen_key AND a.id < b.id
                   WHERE a.during && b.during AND a.status IN ('held', 'requested', 'confirmed')
                     AND b.status IN ('held', 'requested', 'confirmed')""")
            assert overlapping == 0
            events = await conn.fetch("SELECT partition_key, count(*) AS n FROM outbox GROUP BY partition_key")
            assert {r["partition_key"]: r["n"] for r in events} == {b.id: b.events for b in self.model.values()}


def test_booking_lifecycle_keeps_every_invariant(postgres_url: str, db_schema: str) -> None:
    global ENV
    loop = asyncio.new_event_loop()
    clock = Clock(START)
    manager = running_scheduler(postgres_url, db_schema, clock=clock, grpc=False, pool_size=3,
                                policy=Policy(hold=HOLD, lead=timedelta(minutes=15)))
    running = loop.run_until_complete(manager.__aenter__())
    try:
        env = Env(loop, running, clock)
        for i, (point, offset, minutes, capacity, reserved) in enumerate(SLOT_SPECS):
            model = m.Model.HOME_VISIT if point.startswith("home") else m.Model.KIOSK
            loop.run_until_complete(running.point(point, model))
            slot_id = loop.run_until_complete(running.slot(point, DAY3 + offset, minutes=minutes, capacity=capacity,
                                                           reserved=reserved))
            env.slots[slot_id] = ModelSlot(slot_id, DAY3 + offset, DAY3 + offset + timedelta(minutes=minutes),
                                           capacity, reserved, home=model is m.Model.HOME_VISIT)
            assert i == len(env.slots) - 1
        ENV = env
        run_state_machine_as_test(BookingMachine, settings=settings(
            max_examples=60, stateful_step_count=30, deadline=None, derandomize=False,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    finally:
        ENV = None
        loop.run_until_complete(manager.__aexit__(None, None, None))
        loop.close()
