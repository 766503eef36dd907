"""Booking tokens, and how many places a requester may take (the priority share)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from motcua_scheduler.domain import model as m
from motcua_scheduler.tokens import TokenSigner

WARD = m.Ward("26740", "Phường Sài Gòn", "79", "Thành phố Hồ Chí Minh")
NOW = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)


def test_tokens_are_stable_per_booking_and_key() -> None:
    signer = TokenSigner("a-secret-of-at-least-16-bytes")
    token = signer.token("b1")
    assert token == signer.token("b1") and len(token) == 32
    assert signer.verify("b1", token)
    assert not signer.verify("b2", token)
    assert not signer.verify("b1", "")
    assert not TokenSigner("another-secret-of-16-bytes").verify("b1", token)


def slot(capacity: int, reserved: int, booked: int, booked_priority: int, *, in_hours: float = 72) -> m.Slot:
    point = m.Point("kiosk", m.Model.KIOSK, "Điểm", WARD)
    start = NOW + timedelta(hours=in_hours)
    return m.Slot("s", point, start, start + timedelta(minutes=30), capacity, reserved, booked, booked_priority)


def test_reserved_places_are_kept_for_priority_citizens() -> None:
    release = timedelta(hours=24)
    assert slot(10, 2, 0, 0).remaining(priority=False, now=NOW, release=release) == 8
    assert slot(10, 2, 0, 0).remaining(priority=True, now=NOW, release=release) == 10
    assert slot(10, 2, 8, 0).remaining(priority=False, now=NOW, release=release) == 0
    assert slot(10, 2, 8, 0).remaining(priority=True, now=NOW, release=release) == 2
    # Priority citizens who took regular places do not shrink what is left for others.
    assert slot(10, 2, 5, 5).remaining(priority=False, now=NOW, release=release) == 5
    assert slot(10, 2, 1, 1).remaining(priority=False, now=NOW, release=release) == 8


def test_reserved_places_open_to_everyone_close_to_the_slot() -> None:
    assert slot(10, 2, 8, 0, in_hours=20).remaining(priority=False, now=NOW, release=timedelta(hours=24)) == 2
    assert slot(10, 2, 8, 0, in_hours=20).remaining(priority=False, now=NOW, release=timedelta(0)) == 0
