"""Vietnamese text folding: what search compares, independent of diacritics, case and Unicode form.

`fold("Thuốc Lá") == fold("thuoc la") == "thuoc la"`, for NFC and NFD input alike;
đ/Đ become d (Unicode has no decomposition for them, so stripping marks alone misses
them). Both the indexed documents and the queries go through the same `fold`, so the
index and the query can never disagree about a letter.
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"[a-z0-9]+")
# Letters with a stroke or ligature that NFD does not decompose.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "ß": "ss"})


def fold(text: str) -> str:
    """Return `text` lower-cased, without diacritics, đ→d, whitespace collapsed to single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def tokens(text: str) -> list[str]:
    """Split `text` into folded ASCII word tokens (letters and digits; everything else separates)."""
    return _TOKEN.findall(fold(text))


def index_text(*parts: str) -> str:
    """Return the folded tokens of `parts` joined by single spaces: what the search columns store."""
    return " ".join(tok for part in parts for tok in tokens(part))


def has_control_characters(text: str) -> bool:
    """True when `text` holds a control (Cc) or format (Cf) character, e.g. NUL, ESC, U+200B."""
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def nfc(text: str) -> str:
    """Return `text` in NFC with surrounding whitespace removed: how names are stored."""
    return unicodedata.normalize("NFC", text).strip()
