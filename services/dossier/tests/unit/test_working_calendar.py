"""The working calendar and the appointment: holidays, Tết, substitute days, make-up Saturdays, sessions, pauses."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from motcua_dossier.domain.calendar import VIETNAM, Override, WorkingCalendar, default_calendar, national_day_extra


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VIETNAM)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return default_calendar()


def test_the_issue_example_afternoon_receipt_comes_back_in_the_afternoon(cal: WorkingCalendar) -> None:
    due = cal.due_date(at(2020, 12, 2, 14, 5), 5)  # Wednesday afternoon, 5 working days
    assert due.label_vi == "Chiều ngày 09/12/2020"
    assert due.due_at == at(2020, 12, 9, 14, 5)
    assert due.session == "afternoon"
    assert [(s.day, s.reason) for s in due.skipped] == [(date(2020, 12, 5), "Thứ Bảy"), (date(2020, 12, 6), "Chủ nhật")]


def test_a_morning_receipt_comes_back_in_the_morning(cal: WorkingCalendar) -> None:
    due = cal.due_date(at(2020, 11, 25, 11, 59), 3)
    assert (due.label_vi, due.session) == ("Sáng ngày 30/11/2020", "morning")


@pytest.mark.parametrize(("received", "counted_from"), [
    (at(2020, 11, 28, 10, 0), at(2020, 11, 30, 8, 0)),    # Saturday → Monday 08:00
    (at(2020, 11, 27, 17, 45), at(2020, 11, 30, 8, 0)),   # Friday after hours → Monday 08:00
    (at(2020, 11, 25, 6, 30), at(2020, 11, 25, 8, 0)),    # before opening → 08:00 the same day
    (at(2020, 11, 25, 12, 40), at(2020, 11, 25, 13, 30)),  # lunch break → the afternoon session
    (at(2020, 11, 25, 17, 29), at(2020, 11, 25, 17, 29)),
])
def test_outside_working_hours_counting_starts_at_the_next_session(
    cal: WorkingCalendar, received: datetime, counted_from: datetime
) -> None:
    assert cal.counting_start(received) == counted_from


def test_a_weekend_receipt_explains_the_weekend_and_returns_in_the_morning(cal: WorkingCalendar) -> None:
    due = cal.due_date(at(2020, 11, 28, 15, 0), 2)
    assert due.label_vi == "Sáng ngày 02/12/2020"
    assert due.skipped[0].day == date(2020, 11, 28) and due.skipped[0].reason == "Thứ Bảy"


def test_zero_days_is_due_at_the_end_of_the_working_day(cal: WorkingCalendar) -> None:
    assert cal.due_date(at(2020, 11, 25, 9, 0), 0).due_at == at(2020, 11, 25, 17, 30)
    assert cal.due_date(at(2020, 11, 28, 9, 0), 0).label_vi == "Chiều ngày 30/11/2020"


def test_tet_2025_official_schedule_with_its_make_up_saturday(cal: WorkingCalendar) -> None:
    due = cal.due_date(at(2025, 1, 23, 14, 0), 5)  # Thursday before Tết Ất Tỵ
    # Working: 24/1 (Fri), then 3/2, 4/2, 5/2, 6/2 — 25/1 to 2/2 is the Tết break.
    assert due.label_vi == "Chiều ngày 06/02/2025"
    skipped = {s.day: s.reason for s in due.skipped}
    assert set(skipped) == {date(2025, 1, d) for d in range(25, 32)} | {date(2025, 2, 1), date(2025, 2, 2)}
    assert skipped[date(2025, 1, 29)] == "Tết Nguyên đán Ất Tỵ"
    assert "làm bù thứ Bảy 08/02/2025" in skipped[date(2025, 1, 27)]
    assert cal.is_working_day(date(2025, 2, 8))
    assert cal.work_reason(date(2025, 2, 8)) == "Làm bù cho thứ Hai 27/01/2025"
    # Counting across the make-up Saturday: it is a working day, and the appointment says why it counted.
    across = cal.due_date(at(2025, 2, 7, 9, 0), 1)
    assert across.label_vi == "Sáng ngày 08/02/2025"
    assert [(d.day, d.reason) for d in across.make_up] == [(date(2025, 2, 8), "Làm bù cho thứ Hai 27/01/2025")]
    assert due.make_up == ()  # the Tết appointment ends on 6/2, before it
    assert [d.day for d in cal.due_date(at(2025, 2, 6, 9, 0), 3).make_up] == [date(2025, 2, 8)]


def test_30_4_and_1_5_2024_swap_and_make_up_saturday(cal: WorkingCalendar) -> None:
    off = {s.day: s.reason for s in cal.days_off(date(2024, 4, 26), date(2024, 5, 5))}
    assert set(off) == {date(2024, 4, d) for d in range(27, 31)} | {date(2024, 5, 1), date(2024, 5, 5)}
    assert "hoán đổi" in off[date(2024, 4, 29)]
    assert cal.is_working_day(date(2024, 5, 4))  # Saturday, làm bù


def test_tet_2024_and_national_day_2024(cal: WorkingCalendar) -> None:
    assert [d.day for d in cal.days_off(date(2024, 2, 7), date(2024, 2, 15))] == [date(2024, 2, d) for d in range(8, 15)]
    assert [d.day for d in cal.days_off(date(2024, 8, 30), date(2024, 9, 4))] == [
        date(2024, 8, 31), date(2024, 9, 1), date(2024, 9, 2), date(2024, 9, 3)]


def test_rules_give_substitute_days_when_a_holiday_falls_on_a_weekend(cal: WorkingCalendar) -> None:
    # 2026: Giỗ Tổ Hùng Vương (10/3 âm lịch) is Sunday 26/4 → nghỉ bù Monday 27/4.
    reason = cal.day_off_reason(date(2026, 4, 27))
    assert reason is not None and reason.startswith("Nghỉ bù Giỗ Tổ Hùng Vương")
    # 2027: Tết (mùng 1 = Saturday 6/2, mùng 2 = Sunday) → two substitute days after mùng 3.
    off = [d.day for d in cal.days_off(date(2027, 2, 3), date(2027, 2, 12)) if d.day.weekday() < 5]
    assert off == [date(2027, 2, 4), date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9), date(2027, 2, 10)]
    # 2027: 1/5 is a Saturday → Monday 3/5.
    assert cal.day_off_reason(date(2027, 5, 3)).startswith("Nghỉ bù Ngày Quốc tế Lao động")  # type: ignore[union-attr]


def test_national_day_adjacent_day_rule() -> None:
    assert national_day_extra(2024) == date(2024, 9, 3)   # 2/9 Monday
    assert national_day_extra(2025) == date(2025, 9, 1)   # 2/9 Tuesday
    assert national_day_extra(2021) == date(2021, 9, 3)   # 2/9 Thursday
    assert national_day_extra(2022) == date(2022, 9, 1)   # 2/9 Friday


def test_overrides_add_days_nationally_and_per_agency() -> None:
    cal = WorkingCalendar(overrides=[
        Override(date(2026, 11, 24), "off", "Ngày Văn hóa Việt Nam (quyết định mới)"),
        Override(date(2026, 11, 25), "off", "Nghỉ bầu cử tại phường", agency_code="000.00.41.H29"),
        Override(date(2026, 11, 28), "work", "Làm bù theo quyết định của UBND", agency_code="000.00.41.H29"),
    ])
    assert cal.day_off_reason(date(2026, 11, 24)) == "Ngày Văn hóa Việt Nam (quyết định mới)"
    assert cal.is_working_day(date(2026, 11, 25))
    assert not cal.is_working_day(date(2026, 11, 25), "000.00.41.H29")
    assert cal.is_working_day(date(2026, 11, 28), "000.00.41.H29") and not cal.is_working_day(date(2026, 11, 28))
    due = cal.due_date(at(2026, 11, 23, 9), 2, "000.00.41.H29")
    assert due.label_vi == "Sáng ngày 27/11/2026"
    assert [s.reason for s in due.skipped] == ["Ngày Văn hóa Việt Nam (quyết định mới)", "Nghỉ bầu cử tại phường"]


def test_pauses_count_working_minutes_and_move_the_appointment(cal: WorkingCalendar) -> None:
    # Paused Friday 16:30 → Monday 09:00: 60 min Friday + 60 min Monday; the weekend does not count.
    assert cal.working_minutes_between(at(2020, 11, 27, 16, 30), at(2020, 11, 30, 9, 0)) == 120
    assert cal.working_minutes_between(at(2020, 11, 25, 11, 0), at(2020, 11, 25, 14, 0)) == 90  # lunch excluded
    due = cal.due_date(at(2020, 11, 23, 10, 0), 3)
    assert due.label_vi == "Sáng ngày 26/11/2020"
    moved = cal.shifted_due(due, 2 * 480 + 150)  # two working days and 2h30
    assert moved.due_at == at(2020, 11, 30, 14, 0) and moved.label_vi == "Chiều ngày 30/11/2020"
    assert moved.paused_minutes == 1110
    assert cal.add_working_minutes(at(2020, 11, 27, 17, 0), 60) == at(2020, 11, 30, 8, 30)


def test_every_shipped_decision_is_consistent() -> None:
    cal = default_calendar()
    for decision in cal.decisions:
        for day, _ in decision.days_off:
            assert day.year == decision.year and not cal.is_working_day(day), decision.id
        for day, _ in decision.working_days:
            assert day.weekday() >= 5 and cal.is_working_day(day), decision.id
