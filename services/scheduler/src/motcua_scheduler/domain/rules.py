"""Pure checks and normalisations of what callers send: phones, names, keys, texts, request hashes."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Any

from motcua_scheduler.domain import errors

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{8,128}$")
PROCEDURE_CODE = re.compile(r"^[0-9]\.[0-9]{6}\.[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9A-Z]{1,3}$")
WARD_CODE = re.compile(r"^[0-9]{5}$")
ID = re.compile(r"^[a-z0-9][a-z0-9\-]{1,95}$")
# Mobile numbers start 03, 05, 07, 08, 09 (10 digits); landlines 02 + area + number (11 digits).
_MOBILE = re.compile(r"^0[35789][0-9]{8}$")
_LANDLINE = re.compile(r"^02[0-9]{9}$")
_NAME_CHAR = re.compile(r"^[^\W\d_]$")

MAX_NOTE = 500
MAX_STREET = 200
MAX_NAME = 100
MAX_REASON = 300


def normalize_phone(raw: str) -> str:
    """Return a Vietnamese phone number in E.164 (+84...) or raise PHONE_INVALID."""
    digits = re.sub(r"[\s.\-()]", "", raw or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not (_MOBILE.match(digits) or _LANDLINE.match(digits)):
        raise errors.phone_invalid()
    return "+84" + digits[1:]


def citizen_key(phone_e164: str) -> str:
    """The key that stops one person holding overlapping bookings (a hash: not the number itself)."""
    return hashlib.sha256(f"motcua.citizen.phone:{phone_e164}".encode()).hexdigest()


def has_control_characters(text: str, *, allow_newlines: bool = False) -> bool:
    for char in text:
        if allow_newlines and char in "\n\r\t":
            continue
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            return True
    return False


def clean_name(raw: str) -> str:
    """Normalise (NFC, single spaces) and check a person's full name."""
    name = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if not 2 <= len(name) <= MAX_NAME or has_control_characters(name):
        raise errors.name_invalid()
    if not all(_NAME_CHAR.match(c) or c in " '.-" for c in name):
        raise errors.name_invalid()
    return name


def clean_text(raw: str, *, field: str, limit: int, allow_newlines: bool = True) -> str:
    """Trim free text and refuse control characters or text over `limit` characters."""
    text = unicodedata.normalize("NFC", (raw or "").strip())
    if len(text) > limit or has_control_characters(text, allow_newlines=allow_newlines):
        raise errors.text_invalid(field, limit)
    return text


def check_idempotency_key(key: str) -> str:
    if not key:
        raise errors.idempotency_key_required()
    if not IDEMPOTENCY_KEY.match(key):
        raise errors.idempotency_key_invalid()
    return key


def check_procedure_code(code: str) -> str:
    code = (code or "").strip()
    if code and not PROCEDURE_CODE.match(code):
        raise errors.procedure_code_invalid(code)
    return code


def check_ward_code(code: str) -> str:
    code = (code or "").strip()
    if code and not WARD_CODE.match(code):
        raise errors.unknown_area(code)
    return code


def request_hash(fields: dict[str, Any]) -> str:
    """A stable hash of what a request asks for, to tell a retry from a different request under one key."""
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
