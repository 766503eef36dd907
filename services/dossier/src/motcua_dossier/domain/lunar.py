"""Vietnamese lunar calendar (âm lịch) ↔ Gregorian dates, for Tết and Giỗ Tổ Hùng Vương.

Hồ Ngọc Đức's algorithm ("Thuật toán tính âm lịch"): new moons and solar terms
from Jean Meeus' *Astronomical Algorithms*, evaluated at UTC+7. UTC+7 matters:
the Vietnamese and Chinese calendars differ in some years (Tết 1985 is
21/1 in Vietnam, 20/2 in China) because the new moon falls on a different
local day. Valid for 1800–2199, far beyond what the registry needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

TIME_ZONE = 7.0
_JD_OFFSET = 1721425  # Julian day number of 0000-12-31 (proleptic Gregorian), so jd = ordinal + offset
_SYNODIC_MONTH = 29.530588853


def _jd(d: date) -> int:
    return d.toordinal() + _JD_OFFSET


def _from_jd(jd: int) -> date:
    return date.fromordinal(jd - _JD_OFFSET)


def _new_moon(k: int) -> float:
    """Julian date (UT) of the k-th new moon after 1900-01-01."""
    t = k / 1236.85
    t2, t3 = t * t, t * t * t
    dr = math.pi / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * dr) + 0.0021 * math.sin(2 * dr * m)
    c1 += -0.4068 * math.sin(mpr * dr) + 0.0161 * math.sin(dr * 2 * mpr)
    c1 += -0.0004 * math.sin(dr * 3 * mpr)
    c1 += 0.0104 * math.sin(dr * 2 * f) - 0.0051 * math.sin(dr * (m + mpr))
    c1 += -0.0074 * math.sin(dr * (m - mpr)) + 0.0004 * math.sin(dr * (2 * f + m))
    c1 += -0.0004 * math.sin(dr * (2 * f - m)) - 0.0006 * math.sin(dr * (2 * f + mpr))
    c1 += 0.0010 * math.sin(dr * (2 * f - mpr)) + 0.0005 * math.sin(dr * (2 * mpr + m))
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + c1 - delta_t


def _new_moon_day(k: int) -> int:
    """Julian day number of the local (UTC+7) day of the k-th new moon."""
    return math.floor(_new_moon(k) + 0.5 + TIME_ZONE / 24)


def _sun_longitude(jdn: float) -> float:
    """Sun's apparent longitude in radians at Julian date `jdn` (UT)."""
    t = (jdn - 2451545.0) / 36525
    t2 = t * t
    dr = math.pi / 180
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(dr * m)
    dl += (0.019993 - 0.000101 * t) * math.sin(dr * 2 * m) + 0.000290 * math.sin(dr * 3 * m)
    lon = (l0 + dl) * dr
    return lon - 2 * math.pi * math.floor(lon / (2 * math.pi))


def _sun_sector(day_number: int) -> int:
    """Which of the 12 major solar terms (0..11) the sun is in at the start of the local day."""
    return math.floor(_sun_longitude(day_number - 0.5 - TIME_ZONE / 24) / math.pi * 6)


@lru_cache(maxsize=512)
def _lunar_month_11(year: int) -> int:
    """Julian day number of the first day of lunar month 11 (the one holding the winter solstice) of `year`."""
    off = _jd(date(year, 12, 31)) - 2415021
    k = math.floor(off / _SYNODIC_MONTH)
    nm = _new_moon_day(k)
    if _sun_sector(nm) >= 9:
        nm = _new_moon_day(k - 1)
    return nm


def _leap_month_offset(a11: int) -> int:
    k = math.floor((a11 - 2415021.076998695) / _SYNODIC_MONTH + 0.5)
    i = 1
    arc = _sun_sector(_new_moon_day(k + i))
    while True:
        last = arc
        i += 1
        arc = _sun_sector(_new_moon_day(k + i))
        if arc == last or i >= 14:
            break
    return i - 1


@dataclass(frozen=True)
class LunarDate:
    year: int
    month: int
    day: int
    leap: bool = False


def lunar_to_solar(year: int, month: int, day: int, leap: bool = False) -> date:
    """Return the Gregorian date of lunar `day`/`month`/`year`; ValueError for a leap month that year lacks."""
    if month < 11:
        a11, b11 = _lunar_month_11(year - 1), _lunar_month_11(year)
    else:
        a11, b11 = _lunar_month_11(year), _lunar_month_11(year + 1)
    k = math.floor(0.5 + (a11 - 2415021.076998695) / _SYNODIC_MONTH)
    off = month - 11
    if off < 0:
        off += 12
    if b11 - a11 > 365:
        leap_off = _leap_month_offset(a11)
        leap_month = leap_off - 2
        if leap_month < 0:
            leap_month += 12
        if leap and month != leap_month:
            raise ValueError(f"lunar year {year} has no leap month {month}")
        if leap or off >= leap_off:
            off += 1
    elif leap:
        raise ValueError(f"lunar year {year} has no leap month")
    return _from_jd(_new_moon_day(k + off) + day - 1)


def solar_to_lunar(d: date) -> LunarDate:
    """Return the lunar date of Gregorian `d`."""
    day_number = _jd(d)
    k = math.floor((day_number - 2415021.076998695) / _SYNODIC_MONTH)
    month_start = _new_moon_day(k + 1)
    if month_start > day_number:
        month_start = _new_moon_day(k)
    a11 = _lunar_month_11(d.year)
    b11 = a11
    if a11 >= month_start:
        lunar_year = d.year
        a11 = _lunar_month_11(d.year - 1)
    else:
        lunar_year = d.year + 1
        b11 = _lunar_month_11(d.year + 1)
    lunar_day = day_number - month_start + 1
    diff = math.floor((month_start - a11) / 29)
    leap = False
    lunar_month = diff + 11
    if b11 - a11 > 365:
        leap_diff = _leap_month_offset(a11)
        if diff >= leap_diff:
            lunar_month = diff + 10
            if diff == leap_diff:
                leap = True
    if lunar_month > 12:
        lunar_month -= 12
    if lunar_month >= 11 and diff < 4:
        lunar_year -= 1
    return LunarDate(lunar_year, lunar_month, lunar_day, leap)


def tet(year: int) -> date:
    """Mùng 1 Tết (first day of the lunar year that starts in Gregorian `year`)."""
    return lunar_to_solar(year, 1, 1)


def hung_kings_day(year: int) -> date:
    """Giỗ Tổ Hùng Vương, 10th day of the 3rd lunar month."""
    return lunar_to_solar(year, 3, 10)


def last_days_of_lunar_year(year: int, count: int) -> list[date]:
    """The last `count` days of the lunar year ending just before Tết of `year`, in date order."""
    first = tet(year)
    return [first - timedelta(days=i) for i in range(count, 0, -1)]
