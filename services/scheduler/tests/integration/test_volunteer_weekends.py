"""Volunteers publish Saturday/Sunday hours as slots; a volunteer is never committed twice at the same time."""

from __future__ import annotations

from datetime import date, time, timedelta

import asyncpg
import pytest

from motcua_platform.errors import MotcuaError
from motcua_scheduler.domain import model as m
from motcua_scheduler.domain.calendar import at_local, local_day
from motcua_scheduler.testing import OFFICER, WARD, Clock, RunningScheduler

pytestmark = pytest.mark.integration

VOLUNTEER = m.Resource("tnv-an", m.ResourceKind.VOLUNTEER, "Đoàn viên Nguyễn Văn An", account_id="tnv.an",
                       skills=(m.HelpType.VNEID_LEVEL2, m.HelpType.SCAN_DOCUMENTS), ward_codes=(WARD.code,))
AN = m.Actor("tnv.an", "volunteer", "Nguyễn Văn An")


def saturday(clock: Clock) -> date:
    today = local_day(clock.now)
    return today + timedelta(days=(6 - today.isoweekday()) % 7 or 7)


async def register(scheduler: RunningScheduler, day: date, start: int, end: int, *, actor: m.Actor = AN,
                   location: m.VolunteerLocation = m.VolunteerLocation.CULTURAL_HOUSE, capacity: int = 2,
                   street: str = "Nhà văn hoá khu phố 1") -> list[m.Slot]:
    return await scheduler.service.register_volunteer_availability(
        volunteer_id=VOLUNTEER.id, day=day, start=time(start), end=time(end), location=location, street=street,
        ward_code=WARD.code, help_types=(), capacity=capacity, slot_minutes=60, actor=actor)


async def test_weekend_hours_become_slots_once(scheduler: RunningScheduler, clock: Clock,
                                               db: asyncpg.Connection) -> None:
    await scheduler.service.configure(resources=[VOLUNTEER])
    day = saturday(clock)
    slots = await register(scheduler, day, 8, 11)
    assert [s.starts_at for s in slots] == [at_local(day, f"{h:02d}:00") for h in (8, 9, 10)]
    assert {(s.capacity, s.resource_id, s.volunteer_location) for s in slots} == {
        (2, "tnv-an", m.VolunteerLocation.CULTURAL_HOUSE)}
    assert set(slots[0].help_types) == {m.HelpType.VNEID_LEVEL2, m.HelpType.SCAN_DOCUMENTS}
    again = await register(scheduler, day, 8, 11)
    assert [s.id for s in again] == [s.id for s in slots]
    assert await db.fetchval("SELECT count(*) FROM resource_commitment WHERE resource_id = 'tnv-an'") == 3

    for start, end, code in ((10, 12, "VOLUNTEER_BUSY"), (9, 10, "VOLUNTEER_BUSY")):
        with pytest.raises(MotcuaError) as busy:
            await register(scheduler, day, start, end, location=m.VolunteerLocation.VOLUNTEER_HOME,
                           street="Hẻm 18 Trần Quang Khải")
        assert busy.value.code == code
    with pytest.raises(MotcuaError) as weekday:
        await register(scheduler, day + timedelta(days=2), 8, 10)
    assert weekday.value.code == "VOLUNTEER_WEEKEND_ONLY"
    with pytest.raises(MotcuaError) as other:
        await register(scheduler, day, 14, 16, actor=m.Actor("tnv.khac", "volunteer"))
    assert other.value.code == "NOT_YOUR_AVAILABILITY"
    with pytest.raises(MotcuaError) as at_home:
        await register(scheduler, day, 14, 16, location=m.VolunteerLocation.CITIZEN_HOME, capacity=3)
    assert at_home.value.code == "CAPACITY_INVALID"
    await scheduler.service.configure(holidays=[(day + timedelta(days=1), "Ngày lễ thử")])
    with pytest.raises(MotcuaError) as holiday:
        await register(scheduler, day + timedelta(days=1), 8, 10)
    assert holiday.value.code == "POINT_CLOSED_HOLIDAY"


async def test_a_volunteer_giving_a_slot_cannot_be_assigned_elsewhere_then(scheduler: RunningScheduler, clock: Clock,
                                                                          db: asyncpg.Connection) -> None:
    await scheduler.service.configure(resources=[VOLUNTEER])
    day = saturday(clock)
    [own] = await register(scheduler, day, 8, 9, location=m.VolunteerLocation.CITIZEN_HOME, capacity=1, street="")
    booked = await scheduler.book(own.id, street="5 Lê Lợi", ward=WARD.code)
    result = await scheduler.service.get_booking(booking_id=booked, token="", actor=AN)  # the volunteer sees it
    assert result.booking.resource is not None and result.booking.resource.id == "tnv-an"

    await scheduler.point("home-team", m.Model.HOME_VISIT)
    visit_slot = await scheduler.slot("home-team", at_local(day, "08:30"), minutes=60, capacity=2)
    visit = await scheduler.book(visit_slot, street="9 Lê Lợi", ward=WARD.code)
    await scheduler.service.verify(booking_id=visit, actor=OFFICER, outcome=m.VerificationOutcome.CONFIRMED, note="")
    with pytest.raises(MotcuaError) as busy:
        await scheduler.service.assign(booking_id=visit, resource_id="tnv-an", actor=OFFICER)
    assert busy.value.code == "RESOURCE_BUSY"
    overlaps = await db.fetchval(
        """SELECT count(*) FROM resource_commitment a JOIN resource_commitment b
           ON a.resource_id = b.resource_id AND a.id < b.id AND a.during && b.during""")
    assert overlaps == 0
