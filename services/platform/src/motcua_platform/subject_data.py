"""Data-subject rights plumbing every service shares: the subject, JSON export, the erasure log, outbox scrubbing.

Knows nothing of any domain: each service decides which of its rows belong to a subject
and how to anonymise them (docs/data-subject-rights.md); this module gives them the same
identifier rules, the same idempotent erasure log (table `subject_erasures`, platform
migration 0003) and a generic scan of a schema for leftover identifiers.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import asyncpg

from motcua_platform.errors import InvalidArgument

#: What replaces a personal text field that must keep a value (NOT NULL columns, receipts).
ANONYMISED = "(đã ẩn danh)"
_REQUEST_ID = re.compile(r"^[\x21-\x7e]{8,128}$")
_ID_NUMBER = re.compile(r"^(?:\d{12}|\d{9})$")
_NATIONAL = re.compile(r"^0(\d{9,10})$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_ZALO_ID = re.compile(r"^[\x21-\x7e]{1,64}$")
MAX_LINKED = 50


def normalize_phone(raw: str) -> str:
    """'0912 345 678', '84912345678', '+84912345678' → '+84912345678' (the services' E.164 form)."""
    digits = re.sub(r"[\s.\-()]", "", raw or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    match = _NATIONAL.match(digits)
    if not match:
        raise InvalidArgument("PHONE_INVALID", "phone must be a Vietnamese number (+84... or 0...)",
                              "Số điện thoại không hợp lệ (ví dụ 0912345678 hoặc +84912345678).")
    return "+84" + match.group(1)


def normalize_id_number(raw: str) -> str:
    """A CCCD (12 digits) or CMND (9 digits), spaces removed."""
    value = re.sub(r"\s", "", raw or "")
    if not _ID_NUMBER.match(value):
        raise InvalidArgument("ID_NUMBER_INVALID", "id_number must be 12 (CCCD) or 9 (CMND) digits",
                              "Số định danh không hợp lệ (CCCD 12 số hoặc CMND 9 số).")
    return value


@dataclass(frozen=True)
class Subject:
    """The person whose data is exported or erased: normalised identifiers, never empty."""

    phones: frozenset[str] = frozenset()
    id_numbers: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    zalo_user_ids: frozenset[str] = frozenset()

    @property
    def phone_needles(self) -> list[str]:
        """The national significant numbers: a substring of every written form (+84…, 84…, 0…)."""
        return sorted(p[3:] for p in self.phones)

    def identifiers(self) -> list[str]:
        """Every identifier as a substring to look for in stored text."""
        return sorted({*self.phone_needles, *self.id_numbers, *self.emails, *self.zalo_user_ids})


def subject_from_pb(message: Any) -> Subject:
    """Validate a motcua.common.v1.DataSubject; InvalidArgument when it names nobody or holds junk."""
    if not (message.phone.strip() or message.id_number.strip()):
        raise InvalidArgument("SUBJECT_REQUIRED", "phone or id_number is required",
                              "Cần số điện thoại hoặc số định danh của người yêu cầu.")
    linked = [*message.linked_phones, *message.linked_emails, *message.linked_zalo_user_ids]
    if len(linked) > MAX_LINKED:
        raise InvalidArgument("SUBJECT_TOO_BROAD", "too many linked identifiers", "Quá nhiều định danh liên kết.")
    phones = {normalize_phone(p) for p in [message.phone, *message.linked_phones] if p.strip()}
    ids = {normalize_id_number(message.id_number)} if message.id_number.strip() else set()
    emails = set()
    for e in message.linked_emails:
        e = e.strip().lower()
        if not _EMAIL.match(e):
            raise InvalidArgument("EMAIL_INVALID", "linked e-mail is not an address", "Địa chỉ email không hợp lệ.")
        emails.add(e)
    zalo = set()
    for z in message.linked_zalo_user_ids:
        if not _ZALO_ID.match(z.strip()):
            raise InvalidArgument("ZALO_ID_INVALID", "linked Zalo user id is malformed", "Mã người dùng Zalo không hợp lệ.")
        zalo.add(z.strip())
    return Subject(frozenset(phones), frozenset(ids), frozenset(emails), frozenset(zalo))


def check_erase_request(request_id: str, actor: str, reason: str) -> tuple[str, str, str]:
    """Validate the idempotency id, the operator and the reason of an erasure."""
    request_id = request_id.strip()
    if not _REQUEST_ID.match(request_id):
        raise InvalidArgument("REQUEST_ID_INVALID", "request_id: 8 to 128 visible ASCII characters",
                              "Mã yêu cầu phải gồm 8 đến 128 ký tự ASCII.")
    actor = actor.strip()
    if not actor or len(actor) > 128:
        raise InvalidArgument("ACTOR_REQUIRED", "actor is required", "Thiếu người thực hiện.")
    reason = reason.strip()
    if len(reason) > 500 or any(ord(c) < 32 for c in reason):
        raise InvalidArgument("REASON_INVALID", "reason: at most 500 characters", "Lý do không hợp lệ.")
    return request_id, actor, reason


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.hex()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, frozenset | set | tuple):
        return list(value)
    if isinstance(value, asyncpg.Range):
        return {"lower": value.lower, "upper": value.upper}
    raise TypeError(f"not serialisable: {type(value).__name__}")


def record(row: Mapping[str, Any], *, json_columns: Iterable[str] = ()) -> dict[str, Any]:
    """A row as a JSON-ready dict; `json_columns` (jsonb text) are parsed so the export nests them."""
    out = dict(row)
    for name in json_columns:
        if isinstance(out.get(name), str):
            out[name] = json.loads(out[name])
    return out


def export_json(service: str, records: Mapping[str, list[dict[str, Any]]]) -> str:
    """The documented export document: {"service": ..., "records": {kind: [record, ...]}}."""
    return json.dumps({"service": service, "records": records}, ensure_ascii=False, default=_default, sort_keys=True)


@dataclass
class Erasure:
    """The outcome of one erasure request: counts per kind, or the replay of an earlier run."""

    counts: dict[str, int] = field(default_factory=dict)
    replayed: bool = False

    def add(self, kind: str, n: int) -> None:
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n


async def claim_erasure(conn: asyncpg.Connection, request_id: str, *, actor: str, reason: str) -> Erasure | None:
    """Claim request_id inside the caller's transaction; return the earlier result when it was done already.

    A concurrent duplicate waits on the primary key until the first commits, then replays.
    """
    claimed = await conn.fetchval(
        "INSERT INTO subject_erasures (request_id, actor, reason) VALUES ($1, $2, $3) "
        "ON CONFLICT (request_id) DO NOTHING RETURNING true", request_id, actor, reason)
    if claimed:
        return None
    counts = await conn.fetchval("SELECT counts FROM subject_erasures WHERE request_id = $1", request_id)
    return Erasure({k: int(v) for k, v in json.loads(counts).items()}, replayed=True)


async def finish_erasure(conn: asyncpg.Connection, request_id: str, erasure: Erasure) -> None:
    """Store the counts with the claim (same transaction as the work)."""
    await conn.execute("UPDATE subject_erasures SET counts = $2 WHERE request_id = $1", request_id,
                       json.dumps(erasure.counts, sort_keys=True))


async def outbox_rows(conn: asyncpg.Connection, *, keys: Iterable[str], needles: Iterable[str]) -> list[dict[str, Any]]:
    """Outbox rows about the subject: keyed by one of its aggregates, or whose data holds an identifier."""
    rows = await conn.fetch(
        """
        SELECT event_id, topic, partition_key, type, subject, event_time, published_at, convert_from(data, 'UTF8') AS data
          FROM outbox
         WHERE partition_key = ANY($1::text[])
            OR EXISTS (SELECT 1 FROM unnest($2::text[]) AS n WHERE strpos(convert_from(data, 'UTF8'), n) > 0)
         ORDER BY id
        """, sorted(set(keys)), sorted(set(needles)))
    return [record(r, json_columns=("data",)) for r in rows]


async def scrub_outbox(conn: asyncpg.Connection, *, keys: Iterable[str], needles: Iterable[str],
                       texts: Iterable[str] = ()) -> int:
    """Replace identifiers (anywhere) and other personal texts (in the subject's own events) in archived outbox rows.

    Events are meant to carry a contact_ref, never personal data (a contract test checks the
    messages); this is the safety net for older or foreign payloads. Returns the rows changed.
    """
    # Longest first, so that a needle inside a longer one does not break the longer one's replacement.
    needles = sorted({n for n in needles if n and len(n) >= 4}, key=len, reverse=True)
    texts = sorted({t for t in texts if t and len(t) >= 4}, key=len, reverse=True)
    rows = await conn.fetch(
        """
        SELECT id, partition_key = ANY($1::text[]) AS own, convert_from(data, 'UTF8') AS data, headers::text AS headers
          FROM outbox
         WHERE EXISTS (SELECT 1 FROM unnest($2::text[]) AS n
                        WHERE strpos(convert_from(data, 'UTF8'), n) > 0 OR strpos(headers::text, n) > 0)
            OR (partition_key = ANY($1::text[])
                AND EXISTS (SELECT 1 FROM unnest($3::text[]) AS n WHERE strpos(convert_from(data, 'UTF8'), n) > 0))
        FOR UPDATE
        """, sorted(set(keys)), needles, texts)
    changed = 0
    for row in rows:
        data, headers = row["data"], row["headers"]
        for needle in sorted([*needles, *(texts if row["own"] else [])], key=len, reverse=True):
            data = data.replace(needle, ANONYMISED)
            headers = headers.replace(needle, ANONYMISED)
        await conn.execute("UPDATE outbox SET data = convert_to($2, 'UTF8'), headers = $3::jsonb WHERE id = $1",
                           row["id"], data, headers)
        changed += 1
    return changed


_SCANNED_TYPES = ("text", "character varying", "jsonb", "json", "bytea", "ARRAY")


async def find_traces(conn: asyncpg.Connection, schema: str, needles: Iterable[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) of `schema` whose text, json, bytea or array column still holds a needle.

    Generic over information_schema, so a table added later is covered without a change.
    Used by the tests and by operators to verify an erasure.
    """
    needles = [n for n in needles if n]
    columns = await conn.fetch(
        """
        SELECT c.table_name, c.column_name, c.data_type
          FROM information_schema.columns c
          JOIN information_schema.tables t USING (table_schema, table_name)
         WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE' AND c.data_type = ANY($2::text[])
         ORDER BY 1, 2
        """, schema, list(_SCANNED_TYPES))
    found: list[tuple[str, str, str]] = []
    for col in columns:
        ident = f'"{schema}"."{col["table_name"]}"'
        column = f'"{col["column_name"]}"'
        if col["data_type"] == "bytea":
            # Not every bytea is UTF-8 (ciphertexts): search the bytes themselves.
            condition = f"position(convert_to($1, 'UTF8') in {column}) > 0"
        else:
            condition = f"strpos({column}::text, $1) > 0"
        for needle in needles:
            hit = await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {ident} WHERE {condition})", needle)
            if hit:
                found.append((col["table_name"], col["column_name"], needle))
    return found
