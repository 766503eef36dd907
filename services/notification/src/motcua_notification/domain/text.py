"""Vietnamese text for SMS: removing diacritics, GSM-7 and UCS-2 lengths, segments.

Decision (see the README): by default SMS go out WITHOUT diacritics ("bỏ dấu",
đ→d) in the GSM-7 alphabet, so that one segment holds 160 characters and costs
one message; Vietnamese with diacritics needs UCS-2 (70 characters a segment,
67 when concatenated), which more than doubles the cost of a typical notice.
`sms_unicode=true` sends UCS-2 with diacritics instead. Zalo and e-mail always
keep the diacritics.
"""

from __future__ import annotations

import math
import unicodedata

# GSM 03.38 basic character set (what one septet encodes) and the extension table (two septets).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

_PUNCTUATION = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2026": "...",
    "\u00a0": " ", "\u2022": "-", "\u00b0": "o", "\t": " ",
}

GSM7_SINGLE = 160
GSM7_CONCAT = 153
UCS2_SINGLE = 70
UCS2_CONCAT = 67


def remove_diacritics(text: str) -> str:
    """Return `text` without Vietnamese diacritics: 'Hồ sơ đã được tiếp nhận' -> 'Ho so da duoc tiep nhan'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped)


def to_gsm7(text: str) -> str:
    """Return `text` without diacritics, restricted to the GSM-7 alphabet (anything else becomes '?')."""
    plain = remove_diacritics(text)
    out = []
    for ch in plain:
        ch = _PUNCTUATION.get(ch, ch)
        for c in ch:
            out.append(c if c in GSM7_BASIC or c in GSM7_EXTENSION else "?")
    return "".join(out)


def gsm7_length(text: str) -> int:
    """Septets `text` takes in GSM-7 (extension characters take two)."""
    return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def ucs2_length(text: str) -> int:
    """UTF-16 code units of `text` (what UCS-2 SMS count)."""
    return len(text.encode("utf-16-le")) // 2


def sms_segments(text: str, *, unicode: bool) -> int:
    """Number of SMS segments `text` takes (0 for an empty text)."""
    if not text:
        return 0
    if unicode or not is_gsm7(text):
        length = ucs2_length(text)
        return 1 if length <= UCS2_SINGLE else math.ceil(length / UCS2_CONCAT)
    length = gsm7_length(text)
    return 1 if length <= GSM7_SINGLE else math.ceil(length / GSM7_CONCAT)


def sms_text(text: str, *, unicode: bool) -> str:
    """The text actually sent: as is in UCS-2 mode, else transliterated to GSM-7."""
    return " ".join(text.split()) if unicode else " ".join(to_gsm7(text).split())


def truncate(value: str, limit: int) -> str:
    """Cut `value` to `limit` characters, ending with '...' when cut."""
    if limit <= 0 or len(value) <= limit:
        return value
    return value[: max(0, limit - 3)].rstrip() + "..."
