"""A point and a time that name no slot get the reason a citizen can act on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from motcua_scheduler.domain.calendar import DayException, NoSlotReason, at_local, explain_no_slot
from motcua_scheduler.domain.model import Window

MONDAY = date(2030, 3, 4)
NOW = at_local(MONDAY, "09:00")
WINDOWS = [Window(d, "17:30", "20:30", 30, 3) for d in range(1, 6)]
HOLIDAYS = {date(2030, 3, 6): "Ngày lễ thử"}


def explain(at_day: date, hhmm: str, **kw: object) -> tuple[NoSlotReason, str]:
    params: dict = {"now": NOW, "lead": timedelta(minutes=15), "horizon_end": MONDAY + timedelta(days=14),
                    "holidays": HOLIDAYS, "exceptions": {}}
    params.update(kw)
    return explain_no_slot(WINDOWS, at_local(at_day, hhmm), **params)


@pytest.mark.parametrize(("day", "hhmm", "reason"), [
    (MONDAY, "08:00", NoSlotReason.PAST),
    (MONDAY, "09:10", NoSlotReason.TOO_SOON),
    (MONDAY, "10:00", NoSlotReason.OUTSIDE_HOURS),
    (MONDAY, "21:00", NoSlotReason.OUTSIDE_HOURS),
    (date(2030, 3, 9), "18:00", NoSlotReason.OUTSIDE_HOURS),
    (date(2030, 3, 6), "18:00", NoSlotReason.HOLIDAY),
    (date(2030, 4, 1), "18:00", NoSlotReason.BEYOND_HORIZON),
    (MONDAY, "18:00", NoSlotReason.NO_SLOT),
])
def test_reason(day: date, hhmm: str, reason: NoSlotReason) -> None:
    assert explain(day, hhmm)[0] is reason


def test_holiday_reason_names_the_holiday_and_an_open_exception_lifts_it() -> None:
    assert explain(date(2030, 3, 6), "18:00") == (NoSlotReason.HOLIDAY, "Ngày lễ thử")
    opened = explain(date(2030, 3, 6), "18:00", exceptions={date(2030, 3, 6): DayException.OPEN})
    assert opened[0] is NoSlotReason.NO_SLOT
    closed = explain(date(2030, 3, 5), "18:00", exceptions={date(2030, 3, 5): DayException.CLOSED})
    assert closed[0] is NoSlotReason.CLOSED_DAY
