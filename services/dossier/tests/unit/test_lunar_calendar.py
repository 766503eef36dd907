"""Lunar → solar conversion (Hồ Ngọc Đức's algorithm, UTC+7) against published dates."""

from __future__ import annotations

from datetime import date

import pytest

from motcua_dossier.domain.lunar import LunarDate, hung_kings_day, lunar_to_solar, solar_to_lunar, tet

TET = {1985: date(1985, 1, 21), 2007: date(2007, 2, 17), 2020: date(2020, 1, 25), 2021: date(2021, 2, 12),
       2022: date(2022, 2, 1), 2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29),
       2026: date(2026, 2, 17), 2027: date(2027, 2, 6)}
HUNG_KINGS = {2022: date(2022, 4, 10), 2023: date(2023, 4, 29), 2024: date(2024, 4, 18), 2025: date(2025, 4, 7),
              2026: date(2026, 4, 26)}


@pytest.mark.parametrize(("year", "expected"), sorted(TET.items()))
def test_tet(year: int, expected: date) -> None:
    assert tet(year) == expected


@pytest.mark.parametrize(("year", "expected"), sorted(HUNG_KINGS.items()))
def test_hung_kings_day(year: int, expected: date) -> None:
    assert hung_kings_day(year) == expected


def test_vietnam_and_china_differ_where_the_time_zone_moves_the_new_moon() -> None:
    assert tet(1985) == date(1985, 1, 21)  # China: 1985-02-20
    assert tet(2007) == date(2007, 2, 17)  # China: 2007-02-18


def test_leap_month_2023_and_round_trip() -> None:
    assert lunar_to_solar(2023, 2, 1, leap=True) == date(2023, 3, 22)  # nhuận tháng 2 Quý Mão
    with pytest.raises(ValueError):
        lunar_to_solar(2024, 2, 1, leap=True)
    day = date(2023, 1, 1)
    while day < date(2027, 1, 1):
        lunar = solar_to_lunar(day)
        assert lunar_to_solar(lunar.year, lunar.month, lunar.day, lunar.leap) == day
        day = date.fromordinal(day.toordinal() + 17)


def test_last_day_of_the_lunar_year() -> None:
    assert solar_to_lunar(date(2024, 2, 9)) == LunarDate(2023, 12, 30)
    assert solar_to_lunar(date(2025, 1, 28)) == LunarDate(2024, 12, 29)
