"""The 24 h and 2 h reminders: when each is due, and when one is skipped rather than sent late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from motcua_scheduler.domain.model import ReminderKind
from motcua_scheduler.domain.reminders import reminders_due

DAY, HOURS = ReminderKind.DAY_BEFORE, ReminderKind.HOURS_BEFORE
OFFSETS = {DAY: timedelta(hours=24), HOURS: timedelta(hours=2)}
START = datetime(2030, 3, 10, 1, 0, tzinfo=UTC)


def due(now_before: float, booked_before: float, done: tuple[ReminderKind, ...] = ()) -> tuple:
    return reminders_due(starts_at=START, basis_at=START - timedelta(hours=booked_before),
                         now=START - timedelta(hours=now_before), offsets=OFFSETS, done=done)


def test_booked_days_ahead_gets_both_in_turn() -> None:
    assert due(30, 72) == (None, [])
    assert due(24, 72) == (DAY, [])
    assert due(10, 72, (DAY,)) == (None, [])
    assert due(2, 72, (DAY,)) == (HOURS, [])
    assert due(1, 72, (DAY, HOURS)) == (None, [])


def test_booked_the_evening_before_skips_the_day_before_reminder() -> None:
    assert due(19.9, 20) == (None, [DAY])
    assert due(1.5, 20, (DAY,)) == (HOURS, [])


def test_booked_an_hour_before_gets_no_reminder_at_all() -> None:
    assert due(0.9, 1) == (None, [HOURS, DAY])


def test_after_a_long_outage_only_the_nearest_is_sent() -> None:
    assert due(1, 72) == (HOURS, [DAY])


def test_nothing_once_the_visit_started() -> None:
    assert due(0, 72) == (None, [])
    assert due(-1, 72) == (None, [])
