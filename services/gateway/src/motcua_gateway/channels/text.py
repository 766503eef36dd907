"""Reading what citizens type: dossier codes, phone numbers, diacritic-insensitive keywords. Pure."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# <agency code>-<YYMMDD>-<NNNN>, agency code like 000.00.41.H29: 3+2+2 digits, a letter, 2 digits.
_COMPACT_CODE = re.compile(r"^(\d{3})(\d{2})(\d{2})([A-Z])(\d{2})(\d{6})(\d{4,6})$")
_PHONE = re.compile(r"^\+84\d{9,10}$")


def fold(text: str) -> str:
    """Lower-case, without Vietnamese diacritics, spaces collapsed: 'ĐK hỗ  trợ' -> 'dk ho tro'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    stripped = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())


def normalize_dossier_code(text: str) -> str | None:
    """'#000 00 41 h29-250101-0001', '0000041H292501010001' -> '000.00.41.H29-250101-0001'; None if not a code."""
    compact = re.sub(r"[\s.\-_/]", "", text.strip().lstrip("#")).upper()
    match = _COMPACT_CODE.match(compact)
    if match is None:
        return None
    a, b, c, letter, d, day, seq = match.groups()
    return f"{a}.{b}.{c}.{letter}{d}-{day}-{seq}"


def normalize_phone(value: str) -> str | None:
    """'0912 345 678', '84912345678', '+84912345678' -> '+84912345678'; None when not a Vietnamese mobile."""
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("0"):
        digits = "+84" + digits[1:]
    elif digits.startswith("84"):
        digits = "+" + digits
    return digits if _PHONE.match(digits) else None


def mask_phone(phone: str) -> str:
    return phone[:5] + "*" * max(0, len(phone) - 8) + phone[-3:] if phone else ""


@dataclass(frozen=True)
class Lookup:
    """`#<code> [receipt token]`: a dossier status look-up."""

    code: str
    token: str = ""


def parse_lookup(text: str) -> Lookup | None:
    """A '#code' command (tolerant of spaces, case and missing dots), optionally followed by the receipt token."""
    stripped = text.strip()
    if not stripped.startswith("#"):
        return None
    body = stripped[1:].strip()
    # The token, if any, is the last word when it is not part of the code (tokens are long URL-safe strings).
    words = body.split()
    for cut in range(len(words), 0, -1):
        code = normalize_dossier_code(" ".join(words[:cut]))
        if code is not None:
            rest = words[cut:]
            return Lookup(code=code, token=rest[0] if len(rest) == 1 else "")
    return Lookup(code="")  # a '#...' that is not a dossier code: the caller explains the format


def parse_choice(text: str, count: int) -> int | None:
    """'2', ' 2. ', 'số 2' -> 1 (0-based) when within 1..count; None otherwise."""
    match = re.fullmatch(r"(?:so\s*)?(\d{1,2})\s*[.)]?", fold(text))
    if match is None:
        return None
    value = int(match.group(1))
    return value - 1 if 1 <= value <= count else None
