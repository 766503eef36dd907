"""Opening calendars: Vietnam time, weekly windows, holidays and exceptions, slot planning.

A point's week is a list of `Window`s (evenings and weekends for kiosks, office hours for
home visits, dated stop windows for the bus). Those hours are separate from the legal
working-day calendar, but a public holiday closes every point unless the point has an
"open" exception for that day; a "closed" exception closes it on an ordinary day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum

from motcua_scheduler.domain.model import Window

#: Vietnam has one time zone and no daylight saving time.
VIETNAM = timezone(timedelta(hours=7), "ICT")

WEEKDAY_NAMES_VI = {1: "Thứ Hai", 2: "Thứ Ba", 3: "Thứ Tư", 4: "Thứ Năm", 5: "Thứ Sáu", 6: "Thứ Bảy", 7: "Chủ nhật"}


class DayException(StrEnum):
    OPEN = "open"  # open although it is a public holiday
    CLOSED = "closed"  # closed although it is an ordinary day


def parse_hhmm(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes))


def local_day(moment: datetime) -> date:
    """The calendar day in Vietnam of an aware datetime."""
    return moment.astimezone(VIETNAM).date()


def at_local(day: date, hhmm: str | time) -> datetime:
    """The UTC instant of a Vietnam wall-clock time on `day`."""
    wall = parse_hhmm(hhmm) if isinstance(hhmm, str) else hhmm
    return datetime.combine(day, wall, tzinfo=VIETNAM).astimezone(UTC)


def format_local(moment: datetime) -> str:
    """'17:30 ngày 25/11/2026' in Vietnam time."""
    local = moment.astimezone(VIETNAM)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def format_day(day: date) -> str:
    return f"{WEEKDAY_NAMES_VI[day.isoweekday()]}, {day:%d/%m/%Y}"


@dataclass(frozen=True)
class DayState:
    open: bool
    holiday: str = ""  # the holiday's name when a holiday closes (or would close) the day
    closed_by_exception: bool = False


def day_state(day: date, holidays: Mapping[date, str], exceptions: Mapping[date, DayException]) -> DayState:
    """Whether a point opens on `day`: an exception wins, else a public holiday closes it."""
    exception = exceptions.get(day)
    holiday = holidays.get(day, "")
    if exception is DayException.CLOSED:
        return DayState(False, holiday, closed_by_exception=True)
    if exception is DayException.OPEN:
        return DayState(True, holiday)
    return DayState(not holiday, holiday)


@dataclass(frozen=True)
class PlannedSlot:
    starts_at: datetime
    ends_at: datetime
    capacity: int
    priority_reserved: int


def _applies(window: Window, day: date) -> bool:
    return (
        window.weekday == day.isoweekday()
        and (window.valid_from is None or window.valid_from <= day)
        and (window.valid_to is None or day <= window.valid_to)
    )


def plan_day(windows: Sequence[Window], day: date) -> list[PlannedSlot]:
    """The slots the windows give on `day`, ignoring holidays; a trailing part shorter than a slot is dropped."""
    planned: list[PlannedSlot] = []
    for window in windows:
        if not _applies(window, day):
            continue
        start, end = at_local(day, window.opens), at_local(day, window.closes)
        if window.slot_minutes is None:
            planned.append(PlannedSlot(start, end, window.capacity, window.priority_reserved))
            continue
        step = timedelta(minutes=window.slot_minutes)
        while start + step <= end:
            planned.append(PlannedSlot(start, start + step, window.capacity, window.priority_reserved))
            start += step
    return sorted(planned, key=lambda s: s.starts_at)


def plan_slots(
    windows: Sequence[Window],
    days: Iterable[date],
    holidays: Mapping[date, str],
    exceptions: Mapping[date, DayException],
) -> list[PlannedSlot]:
    """Every slot of `days`, skipping days a holiday or an exception closes."""
    planned: list[PlannedSlot] = []
    for day in days:
        if day_state(day, holidays, exceptions).open:
            planned.extend(plan_day(windows, day))
    return planned


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


class NoSlotReason(StrEnum):
    PAST = "past"
    TOO_SOON = "too_soon"
    BEYOND_HORIZON = "beyond_horizon"
    HOLIDAY = "holiday"
    CLOSED_DAY = "closed_day"
    OUTSIDE_HOURS = "outside_hours"
    NO_SLOT = "no_slot"


def explain_no_slot(
    windows: Sequence[Window],
    at: datetime,
    *,
    now: datetime,
    lead: timedelta,
    horizon_end: date,
    holidays: Mapping[date, str],
    exceptions: Mapping[date, DayException],
) -> tuple[NoSlotReason, str]:
    """Why a point has no bookable slot at `at`; the second value is the holiday's name, if any."""
    if at <= now:
        return NoSlotReason.PAST, ""
    if at < now + lead:
        return NoSlotReason.TOO_SOON, ""
    day = local_day(at)
    state = day_state(day, holidays, exceptions)
    if not state.open:
        if state.holiday and not state.closed_by_exception:
            return NoSlotReason.HOLIDAY, state.holiday
        return NoSlotReason.CLOSED_DAY, state.holiday
    inside = any(s.starts_at <= at < s.ends_at for s in plan_day(windows, day))
    if not inside:
        return NoSlotReason.OUTSIDE_HOURS, ""
    if day > horizon_end:
        return NoSlotReason.BEYOND_HORIZON, ""
    return NoSlotReason.NO_SLOT, ""


def _hhmm(value: str) -> str:
    wall = parse_hhmm(value)
    return f"{wall.hour}:{wall.minute:02d}"


def _days_label(days: list[int]) -> str:
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return f"{WEEKDAY_NAMES_VI[days[0]]}–{WEEKDAY_NAMES_VI[days[-1]]}"
    return ", ".join(WEEKDAY_NAMES_VI[d] for d in days)


def describe_hours(windows: Sequence[Window]) -> str:
    """Opening hours as citizens read them: '17:30–20:30 Thứ Hai–Thứ Sáu; 8:00–11:30, 13:30–17:00 Thứ Bảy, Chủ nhật'."""
    per_day: dict[int, tuple[str, ...]] = {}
    for weekday in range(1, 8):
        spans = sorted({(w.opens, w.closes) for w in windows if w.weekday == weekday}, key=lambda s: parse_hhmm(s[0]))
        if spans:
            per_day[weekday] = tuple(f"{_hhmm(a)}–{_hhmm(b)}" for a, b in spans)
    groups: list[tuple[tuple[str, ...], list[int]]] = []
    for weekday, spans in per_day.items():
        for group_spans, group_days in groups:
            if group_spans == spans:
                group_days.append(weekday)
                break
        else:
            groups.append((spans, [weekday]))
    return "; ".join(f"{', '.join(spans)} {_days_label(days)}" for spans, days in groups)
