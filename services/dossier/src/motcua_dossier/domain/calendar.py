"""The legal working calendar and the return appointment (ngày hẹn trả kết quả).

Three layers decide whether a day is a working day, the later winning:

1. **Statutory rules** (Bộ luật Lao động 2019, Điều 111–112), computed for any year:
   Saturday and Sunday off; Tết Dương lịch 1/1; Tết Nguyên đán 5 days (default:
   the last two days of the lunar year and mùng 1–3); Giỗ Tổ Hùng Vương 10/3
   lunar; 30/4; 1/5; Quốc khánh 2/9 plus one adjacent day (default: 3/9 when 2/9
   is a Monday or a Thursday, else 1/9 — the pattern of 2021–2025). A statutory
   day on a weekend gives a substitute day off (nghỉ bù) on the next working day.
2. **Official decisions** (`calendar_data/decisions.json`, DATA): the schedule the
   government published for a holiday of a year — exact days off, swapped days and
   make-up working Saturdays. A decision replaces the rule's days for that holiday
   and year.
3. **Overrides** (table `calendar_overrides`): a later decision or an agency's own
   day off / working day, nationwide or for one agency.

Working hours (documented choice, the common schedule of one-stop desks):
08:00–12:00 and 13:30–17:30, Vietnam time (UTC+7, no daylight saving).
A receipt before 08:00 counts from 08:00; during the lunch break from 13:30; after
17:30 or on a day off from 08:00 of the next working day. The result is due N
working days later at the same time of day: "Sáng" before 12:00, "Chiều" from 12:00.
N = 0 ("trong ngày") is due at 17:30 of the day counting starts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from importlib import resources

from motcua_dossier.domain import lunar

VIETNAM = timezone(timedelta(hours=7), "ICT")
MORNING = (time(8, 0), time(12, 0))
AFTERNOON = (time(13, 30), time(17, 30))
NOON = time(12, 0)
#: Longest stretch searched for a working day before giving up (a broken calendar, not a real one).
_MAX_SEARCH_DAYS = 400

WEEKDAY_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: str


@dataclass(frozen=True)
class Override:
    """A row of `calendar_overrides`: `kind` is 'off' or 'work'; agency None means nationwide."""

    day: date
    kind: str
    reason: str
    agency_code: str | None = None


@dataclass(frozen=True)
class Decision:
    id: str
    year: int
    replaces: str
    title: str
    verified: bool
    days_off: tuple[tuple[date, str], ...]
    working_days: tuple[tuple[date, str], ...]


@dataclass(frozen=True)
class DueDate:
    """A computed appointment and how it was reached."""

    received_at: datetime
    counted_from: datetime
    working_days: int
    due_at: datetime
    skipped: tuple[SkippedDay, ...]
    paused_minutes: int = 0
    #: Weekend days counted as working days (a swap's make-up day), with their reasons.
    make_up: tuple[SkippedDay, ...] = ()

    @property
    def session(self) -> str:
        return session_of(self.due_at)

    @property
    def label_vi(self) -> str:
        return label_vi(self.due_at)


def session_of(moment: datetime) -> str:
    return "morning" if moment.astimezone(VIETNAM).time() < NOON else "afternoon"


def label_vi(moment: datetime) -> str:
    """'Sáng ngày 09/12/2020' before noon, 'Chiều ngày 09/12/2020' from noon (Vietnam time)."""
    local = moment.astimezone(VIETNAM)
    return f"{'Sáng' if local.time() < NOON else 'Chiều'} ngày {local:%d/%m/%Y}"


def _parse_day(text: str) -> date:
    return date.fromisoformat(text)


def _expand(start: str, end: str) -> Iterable[date]:
    day, last = _parse_day(start), _parse_day(end)
    while day <= last:
        yield day
        day += timedelta(days=1)


@lru_cache(maxsize=1)
def shipped_decisions() -> tuple[Decision, ...]:
    """The official decisions shipped in `calendar_data/decisions.json` (read once)."""
    text = resources.files("motcua_dossier").joinpath("calendar_data/decisions.json").read_text(encoding="utf-8")
    return tuple(load_decisions(json.loads(text)))


def load_decisions(raw: dict) -> list[Decision]:
    """Parse decisions in the `motcua.dossier.calendar.v1` format."""
    decisions = []
    for d in raw["decisions"]:
        off = tuple((day, reason) for start, end, reason in d["days_off"] for day in _expand(start, end))
        work = tuple((_parse_day(day), reason) for day, reason in d["working_days"])
        decisions.append(Decision(d["id"], int(d["year"]), d["replaces"], d["title"], bool(d.get("verified", False)),
                                  off, work))
    return decisions


def national_day_extra(year: int) -> date:
    """The day adjacent to 2/9 when no decision names it: 3/9 if 2/9 is a Monday or Thursday, else 1/9."""
    weekday = date(year, 9, 2).weekday()
    return date(year, 9, 3) if weekday in (0, 3) else date(year, 9, 1)


def statutory_holidays(year: int) -> dict[str, list[tuple[date, str]]]:
    """The rule-derived public holidays of `year`, by holiday key (before substitutes and decisions)."""
    tet = lunar.tet(year)
    tet_days = [*lunar.last_days_of_lunar_year(year, 2), tet, tet + timedelta(days=1), tet + timedelta(days=2)]
    labels = ["Tết Nguyên đán (cuối năm âm lịch)"] * 2 + [f"Tết Nguyên đán (mùng {i} tháng Giêng)" for i in (1, 2, 3)]
    extra = national_day_extra(year)
    national = sorted([(date(year, 9, 2), "Quốc khánh (2/9)"), (extra, "Nghỉ Quốc khánh (ngày liền kề 2/9)")])
    return {
        "new_year": [(date(year, 1, 1), "Tết Dương lịch")],
        "tet": list(zip(tet_days, labels, strict=True)),
        "hung_kings": [(lunar.hung_kings_day(year), "Giỗ Tổ Hùng Vương (10/3 âm lịch)")],
        "reunification_labour": [(date(year, 4, 30), "Ngày Chiến thắng (30/4)"),
                                 (date(year, 5, 1), "Ngày Quốc tế Lao động (1/5)")],
        "national_day": national,
    }


@dataclass
class _Year:
    off: dict[date, str] = field(default_factory=dict)
    work: dict[date, str] = field(default_factory=dict)


class WorkingCalendar:
    """Answers 'is this a working day, and if not why' for the nation or one agency.

    Immutable once built; build a new one when the overrides change.
    """

    def __init__(self, decisions: list[Decision] | None = None, overrides: Iterable[Override] = ()) -> None:
        self.decisions = list(shipped_decisions() if decisions is None else decisions)
        self._by_year: dict[int, list[Decision]] = {}
        for decision in self.decisions:
            self._by_year.setdefault(decision.year, []).append(decision)
        self._national: dict[date, Override] = {}
        self._agency: dict[tuple[str, date], Override] = {}
        for o in overrides:
            if o.agency_code:
                self._agency[(o.agency_code, o.day)] = o
            else:
                self._national[o.day] = o
        self._years: dict[int, _Year] = {}

    # -- days ------------------------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        result = _Year()
        decided = self._by_year.get(year, [])
        replaced = {d.replaces for d in decided}
        statutory = [(day, reason) for key, days in statutory_holidays(year).items() if key not in replaced
                     for day, reason in days]
        for day, reason in statutory:
            result.off.setdefault(day, reason)
        for decision in decided:
            for day, reason in decision.days_off:
                result.off[day] = f"{WEEKDAY_VI[day.weekday()]} – {reason}" if day.weekday() >= 5 else reason
            for day, reason in decision.working_days:
                result.work[day] = reason
        # Substitute days (nghỉ bù): a statutory day on a weekend moves to the next working day.
        for day, reason in sorted(statutory):
            if day.weekday() < 5:
                continue
            result.off[day] = f"{WEEKDAY_VI[day.weekday()]} – {reason}"
            candidate = day + timedelta(days=1)
            while candidate.weekday() >= 5 or candidate in result.off:
                candidate += timedelta(days=1)
            result.off[candidate] = f"Nghỉ bù {reason} ({day:%d/%m/%Y} trùng {WEEKDAY_VI[day.weekday()]})"
        self._years[year] = result
        return result

    def day_off_reason(self, day: date, agency_code: str | None = None) -> str | None:
        """None for a working day, else why the day is off (in Vietnamese)."""
        if agency_code:
            override = self._agency.get((agency_code, day))
            if override is not None:
                return override.reason if override.kind == "off" else None
        override = self._national.get(day)
        if override is not None:
            return override.reason if override.kind == "off" else None
        year = self._year(day.year)
        if day in year.work:
            return None
        if day in year.off:
            return year.off[day]
        if day.weekday() >= 5:
            return WEEKDAY_VI[day.weekday()]
        return None

    def is_working_day(self, day: date, agency_code: str | None = None) -> bool:
        return self.day_off_reason(day, agency_code) is None

    def work_reason(self, day: date, agency_code: str | None = None) -> str | None:
        """Why a weekend day is a working day (make-up Saturday), else None."""
        if day.weekday() < 5 or not self.is_working_day(day, agency_code):
            return None
        if agency_code and (agency_code, day) in self._agency:
            return self._agency[(agency_code, day)].reason
        if day in self._national:
            return self._national[day].reason
        return self._year(day.year).work.get(day)

    def days_off(self, start: date, end: date, agency_code: str | None = None) -> list[SkippedDay]:
        """Every non-working day in [start, end], with its reason."""
        found = []
        day = start
        while day <= end:
            reason = self.day_off_reason(day, agency_code)
            if reason is not None:
                found.append(SkippedDay(day, reason))
            day += timedelta(days=1)
        return found

    def next_working_day(self, day: date, agency_code: str | None = None) -> date:
        """The first working day strictly after `day`."""
        for _ in range(_MAX_SEARCH_DAYS):
            day += timedelta(days=1)
            if self.is_working_day(day, agency_code):
                return day
        raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days after {day}")

    # -- times -----------------------------------------------------------------------------------

    def counting_start(self, received_at: datetime, agency_code: str | None = None) -> datetime:
        """When the clock starts for a receipt at `received_at` (see the module doc)."""
        local = _local(received_at)
        day, clock = local.date(), local.time()
        if self.is_working_day(day, agency_code):
            if clock < MORNING[0]:
                return _at(day, MORNING[0])
            if clock < MORNING[1]:
                return local
            if clock < AFTERNOON[0]:
                return _at(day, AFTERNOON[0])
            if clock < AFTERNOON[1]:
                return local
        return _at(self.next_working_day(day, agency_code), MORNING[0])

    def due_date(self, received_at: datetime, working_days: int, agency_code: str | None = None) -> DueDate:
        """The appointment N working days after the receipt, at the same time of day, and the days skipped."""
        if working_days < 0:
            raise ValueError("working_days must not be negative")
        start = self.counting_start(received_at, agency_code)
        day = start.date()
        if working_days == 0:
            due = _at(day, AFTERNOON[1])
        else:
            counted = 0
            for _ in range(working_days + _MAX_SEARCH_DAYS):
                day += timedelta(days=1)
                if self.is_working_day(day, agency_code):
                    counted += 1
                    if counted == working_days:
                        break
            due = _at(day, start.timetz().replace(tzinfo=None))
        skipped = self.days_off(_local(received_at).date(), due.date(), agency_code)
        return DueDate(_local(received_at), start, working_days, due, tuple(skipped),
                       make_up=tuple(self.make_up_days(start.date(), due.date(), agency_code)))

    def make_up_days(self, start: date, end: date, agency_code: str | None = None) -> list[SkippedDay]:
        """Every weekend day in [start, end] that is a working day (a swap's make-up day), with its reason."""
        found = []
        day = start
        while day <= end:
            reason = self.work_reason(day, agency_code) if day.weekday() >= 5 else None
            if reason is not None:
                found.append(SkippedDay(day, reason))
            day += timedelta(days=1)
        return found

    def working_minutes_between(self, start: datetime, end: datetime, agency_code: str | None = None) -> int:
        """Working minutes in [start, end): what a pause took off the clock."""
        start, end = _local(start), _local(end)
        if end <= start:
            return 0
        total = 0.0
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day, agency_code):
                for open_, close in (MORNING, AFTERNOON):
                    lo = max(start, _at(day, open_))
                    hi = min(end, _at(day, close))
                    if hi > lo:
                        total += (hi - lo).total_seconds() / 60
            day += timedelta(days=1)
        return int(total)

    def add_working_minutes(self, moment: datetime, minutes: int, agency_code: str | None = None) -> datetime:
        """`moment` moved forward by `minutes` of working time (how a resumed dossier's appointment moves)."""
        current = _local(moment)
        remaining = float(minutes)
        if remaining <= 0:
            return current
        day = current.date()
        for _ in range(_MAX_SEARCH_DAYS * 2):
            if self.is_working_day(day, agency_code):
                for open_, close in (MORNING, AFTERNOON):
                    lo = max(current, _at(day, open_))
                    hi = _at(day, close)
                    if hi <= lo:
                        continue
                    available = (hi - lo).total_seconds() / 60
                    if remaining <= available:
                        return lo + timedelta(minutes=remaining)
                    remaining -= available
            day += timedelta(days=1)
            current = _at(day, time(0, 0))
        raise ValueError("working time could not be added within the search horizon")

    def shifted_due(self, due: DueDate, paused_minutes: int, agency_code: str | None = None) -> DueDate:
        """The appointment after pauses totalling `paused_minutes` of working time (added to earlier pauses)."""
        if paused_minutes <= 0:
            return due
        new_due = self.add_working_minutes(due.due_at, paused_minutes, agency_code)
        skipped = self.days_off(due.received_at.date(), new_due.date(), agency_code)
        return DueDate(due.received_at, due.counted_from, due.working_days, new_due, tuple(skipped),
                       due.paused_minutes + paused_minutes)


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return moment.astimezone(VIETNAM)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, VIETNAM)


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """Rules and shipped decisions, without database overrides (tests, tools)."""
    return WorkingCalendar()
