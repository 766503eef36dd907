"""Opening windows become slots in Vietnam time; holidays close a point unless it opens on purpose."""

from __future__ import annotations

from datetime import UTC, date, datetime

from motcua_scheduler.domain.calendar import (
    DayException,
    at_local,
    day_state,
    days_between,
    describe_hours,
    plan_day,
    plan_slots,
)
from motcua_scheduler.domain.model import Window

MONDAY = date(2030, 3, 4)
SATURDAY = date(2030, 3, 9)
KIOSK = [
    *(Window(d, "17:30", "20:30", 30, 3, 1) for d in range(1, 6)),
    *(Window(d, a, b, 30, 3, 1) for d in (6, 7) for a, b in (("08:00", "11:30"), ("13:30", "17:00"))),
]


def test_evening_window_gives_six_half_hour_slots_in_vietnam_time() -> None:
    slots = plan_day(KIOSK, MONDAY)
    assert [s.starts_at for s in slots] == [
        datetime(2030, 3, 4, h, mi, tzinfo=UTC) for h, mi in ((10, 30), (11, 0), (11, 30), (12, 0), (12, 30), (13, 0))
    ]  # 17:30 ... 20:00 at UTC+7
    assert slots[-1].ends_at == at_local(MONDAY, "20:30")
    assert {(s.capacity, s.priority_reserved) for s in slots} == {(3, 1)}


def test_weekend_has_morning_and_afternoon_and_a_short_tail_is_dropped() -> None:
    assert len(plan_day(KIOSK, SATURDAY)) == 14
    odd = [Window(1, "08:00", "09:50", 30, 1)]
    assert [s.starts_at for s in plan_day(odd, MONDAY)] == [at_local(MONDAY, t) for t in ("08:00", "08:30", "09:00")]


def test_bus_stop_window_is_one_slot_and_validity_dates_apply() -> None:
    bus = [Window(3, "07:30", "10:30", None, 20, 5, valid_from=date(2030, 3, 10))]
    wednesday = date(2030, 3, 6)
    assert plan_day(bus, wednesday) == []
    [window] = plan_day(bus, date(2030, 3, 13))
    assert (window.starts_at, window.ends_at, window.capacity) == (at_local(date(2030, 3, 13), "07:30"),
                                                                   at_local(date(2030, 3, 13), "10:30"), 20)


def test_holiday_closes_unless_the_point_opens_and_a_closed_day_closes() -> None:
    holidays = {MONDAY: "Giỗ Tổ Hùng Vương"}
    week = days_between(MONDAY, date(2030, 3, 10))
    plain = plan_slots(KIOSK, week, holidays, {})
    assert not any(s.starts_at.astimezone(UTC).date() == MONDAY for s in plain)
    assert len(plain) == 4 * 6 + 2 * 14
    opened = plan_slots(KIOSK, week, holidays, {MONDAY: DayException.OPEN})
    assert len(opened) == len(plain) + 6
    closed = plan_slots(KIOSK, week, {}, {SATURDAY: DayException.CLOSED})
    assert len(closed) == 5 * 6 + 14
    assert day_state(MONDAY, holidays, {}).holiday == "Giỗ Tổ Hùng Vương"
    assert not day_state(SATURDAY, {}, {SATURDAY: DayException.CLOSED}).open


def test_hours_are_described_the_way_citizens_read_them() -> None:
    assert describe_hours(KIOSK) == "17:30–20:30 Thứ Hai–Thứ Sáu; 8:00–11:30, 13:30–17:00 Thứ Bảy, Chủ nhật"
    assert describe_hours([Window(2, "11:00", "13:00", None, 25), Window(5, "11:00", "13:00", None, 25)]) == (
        "11:00–13:00 Thứ Ba, Thứ Sáu")
    assert describe_hours([]) == ""
