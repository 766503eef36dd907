"""National dossier codes `<agency code>-<YYMMDD>-<NNNN>`, e.g. `000.00.04.H15-201125-0080`.

The sequence is per agency and local receipt day (Asia/Ho_Chi_Minh). It is
allocated by the repository in the submission transaction (a counter row per
agency and day), so numbers are gap-free; this module only formats and parses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from motcua_dossier.domain.errors import invalid_code

#: Agency codes as used by the national database, e.g. `000.00.04.H15`, `000.20.41.H29`.
AGENCY_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
_CODE = re.compile(r"^(?P<agency>\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-(?P<day>\d{6})-(?P<seq>\d{4,6})$")
#: Longest accepted code: agency (13) + 2 dashes + 6 + 6.
MAX_LENGTH = 27
#: The form prints four digits; an agency past 9,999 dossiers in a day gets more digits rather than a refusal.
MIN_SEQUENCE_DIGITS = 4


@dataclass(frozen=True, order=True)
class DossierCode:
    agency_code: str
    day: date
    sequence: int

    def __str__(self) -> str:
        return format_code(self.agency_code, self.day, self.sequence)


def format_code(agency_code: str, day: date, sequence: int) -> str:
    """Return the printed code; `sequence` is 1-based."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"{agency_code}-{day:%y%m%d}-{sequence:0{MIN_SEQUENCE_DIGITS}d}"


def parse_code(text: str) -> DossierCode:
    """Parse a code; raise InvalidArgument (422) for a wrong shape, an impossible date or sequence 0."""
    candidate = text.strip().lstrip("#") if isinstance(text, str) else ""
    if len(candidate) > MAX_LENGTH:
        raise invalid_code(text[:40], "too long")
    match = _CODE.match(candidate)
    if not match:
        raise invalid_code(candidate, "expected <agency code>-<YYMMDD>-<NNNN>, e.g. 000.00.04.H15-201125-0080")
    raw_day = match.group("day")
    try:
        day = date(2000 + int(raw_day[:2]), int(raw_day[2:4]), int(raw_day[4:6]))
    except ValueError:
        raise invalid_code(candidate, f"{raw_day} is not a date") from None
    sequence = int(match.group("seq"))
    if sequence < 1:
        raise invalid_code(candidate, "the sequence starts at 0001")
    return DossierCode(match.group("agency"), day, sequence)


def is_agency_code(text: str) -> bool:
    return bool(AGENCY_CODE.match(text))
