"""All SQL of the dossier service. Functions take a connection: the caller owns the transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from motcua_dossier.domain.calendar import Override
from motcua_dossier.domain.lifecycle import Status
from motcua_dossier.domain.model import (
    Actor,
    Address,
    Applicant,
    Channel,
    Consent,
    Document,
    Dossier,
    DossierSummary,
    JourneyStep,
    PublicStatus,
    ResultDelivery,
    StatusChange,
)


@dataclass(frozen=True)
class NewDossier:
    """One dossier to insert (its number is allocated at insert time)."""

    agency_code: str
    public_token: str
    procedure_code: str
    procedure_version: int
    procedure_name: str
    agency_name: str
    status: Status
    due_at: datetime | None
    due_basis: dict | None
    processing_working_days: int
    collect_at: str
    assisted_by: Actor | None
    contact_ref: str
    documents: tuple[Document, ...]


@dataclass(frozen=True)
class Registration:
    """One submission to register: its dossiers (the root first, then its linked ones) and what they share."""

    day: date
    received_at: datetime
    dossiers: list[NewDossier]
    channel: Channel
    result_delivery: ResultDelivery
    consent: Consent
    applicant: Applicant
    subject_birth_date: date | None
    idempotency_key: str
    request_hash: bytes
    actor: Actor
    linker: Actor
    link_reason: str


# One statement for a batch of submissions: allocate every (agency, day)'s numbers for the whole
# batch (in sorted order, so concurrent batches lock counter rows in one global order and cannot
# deadlock), insert each root dossier (claiming its idempotency key), the linked dossiers of the
# roots that were inserted, and the first history row of each. A root whose key is already taken
# is not inserted (nor are its linked dossiers): the caller sees it missing from the result and
# rolls the whole batch back, so that no number is consumed by it.
# Per row: $1 submission index, $2 is root, $3 agency, $4 day, $5 position among the batch's rows of
# that (agency, day), $6 how many rows the batch has there; $7.. the row's columns.
_REGISTER = """
WITH batch AS (
    SELECT * FROM unnest($1::int[], $2::bool[], $3::text[], $4::date[], $5::int[], $6::int[], $7::text[], $8::text[],
                         $9::int[], $10::text[], $11::text[], $12::smallint[], $13::timestamptz[], $14::timestamptz[],
                         $15::jsonb[], $16::int[], $17::text[], $18::smallint[], $19::jsonb[], $20::smallint[],
                         $21::jsonb[], $22::text[], $23::jsonb[], $24::jsonb[], $25::date[], $26::text[], $27::bytea[],
                         $28::jsonb[], $29::text[])
        WITH ORDINALITY AS r(grp, is_root, agency, day, pos, k, token, procedure_code, procedure_version, procedure_name,
                             agency_name, status, received_at, due_at, due_basis, days, collect_at, channel, assisted_by,
                             result_delivery, consent, contact_ref, applicant, documents, subject_birth_date,
                             idempotency_key, request_hash, actor, reason, ord)
),
alloc AS (
    INSERT INTO daily_counters AS c (agency_code, day, n)
    SELECT DISTINCT ON (r.agency, r.day) r.agency, r.day, r.k FROM batch r ORDER BY r.agency, r.day
    ON CONFLICT (agency_code, day) DO UPDATE SET n = c.n + EXCLUDED.n
    RETURNING c.agency_code, c.day, c.n
),
todo AS (
    SELECT r.*, r.agency || '-' || to_char(r.day, 'YYMMDD') || '-' ||
           CASE WHEN a.n - r.k + r.pos < 10000 THEN lpad((a.n - r.k + r.pos)::text, 4, '0')
                ELSE (a.n - r.k + r.pos)::text END AS code,
           a.n - r.k + r.pos AS seq
    FROM batch r JOIN alloc a ON a.agency_code = r.agency AND a.day = r.day
),
root AS (
    INSERT INTO dossiers (code, agency_code, receipt_day, seq, public_token, procedure_code, procedure_version, procedure_name,
                          agency_name, status, received_at, due_at, due_basis, processing_working_days, collect_at, channel,
                          assisted_by, result_delivery, consent, contact_ref, applicant, documents, subject_birth_date,
                          parent_code, root_code, updated_at, idempotency_key, request_hash)
    SELECT t.code, t.agency, t.day, t.seq, t.token, t.procedure_code, t.procedure_version, t.procedure_name, t.agency_name,
           t.status, t.received_at, t.due_at, t.due_basis, t.days, t.collect_at, t.channel, t.assisted_by,
           t.result_delivery, t.consent, t.contact_ref, t.applicant, t.documents, t.subject_birth_date, NULL, t.code,
           t.received_at, t.idempotency_key, t.request_hash
    FROM todo t WHERE t.is_root
    ORDER BY t.ord
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, code, status, received_at, procedure_code
),
linked AS (
    INSERT INTO dossiers (code, agency_code, receipt_day, seq, public_token, procedure_code, procedure_version, procedure_name,
                          agency_name, status, received_at, due_at, due_basis, processing_working_days, collect_at, channel,
                          assisted_by, result_delivery, consent, contact_ref, applicant, documents, subject_birth_date,
                          parent_code, root_code, updated_at)
    SELECT t.code, t.agency, t.day, t.seq, t.token, t.procedure_code, t.procedure_version, t.procedure_name, t.agency_name,
           t.status, t.received_at, t.due_at, t.due_basis, t.days, t.collect_at, t.channel, t.assisted_by,
           t.result_delivery, t.consent, t.contact_ref, t.applicant, t.documents, t.subject_birth_date, root.code, root.code,
           t.received_at
    FROM todo t JOIN todo p ON p.grp = t.grp AND p.is_root JOIN root ON root.code = p.code
    WHERE NOT t.is_root
    ORDER BY t.ord
    RETURNING id, code, status, received_at, procedure_code
),
inserted AS (
    SELECT * FROM root UNION ALL SELECT * FROM linked
),
hist AS (
    INSERT INTO status_history (dossier_id, from_status, to_status, actor, reason, at, version)
    SELECT i.id, 0, i.status, t.actor, t.reason, i.received_at, 1 FROM inserted i JOIN todo t ON t.code = i.code
)
SELECT i.code, i.procedure_code, t.grp, t.is_root FROM inserted i JOIN todo t ON t.code = i.code ORDER BY t.ord
"""


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _applicant_json(a: Applicant) -> dict[str, Any]:
    return {"full_name": a.full_name, "id_number": a.id_number, "phone": a.phone, "email": a.email,
            "zalo_user_id": a.zalo_user_id, "address": a.address.__dict__}


def _applicant(raw: dict[str, Any]) -> Applicant:
    return Applicant(raw["full_name"], raw["id_number"], raw["phone"], raw.get("email", ""),
                     Address(**raw.get("address", {})), raw.get("zalo_user_id", ""))


def _documents_json(docs: tuple[Document, ...]) -> list[dict[str, Any]]:
    return [d.__dict__ for d in docs]


def _consent_json(c: Consent) -> dict[str, Any]:
    return {"purpose": c.purpose, "given_at": c.given_at.isoformat(), "text_version": c.text_version}


async def register(conn: asyncpg.Connection, registrations: list[Registration]) -> list[list[tuple[str, str, bool]] | None]:
    """Insert the dossiers of each registration, numbered in order; one statement for all.

    Returns, per registration, its (code, procedure code, is_root) rows (root first), or None when
    its idempotency key was already taken (then nothing of it was inserted; the caller must roll
    back, or the numbers allocated for it stay consumed).
    """
    counts: dict[tuple[str, date], int] = {}
    for reg in registrations:
        for d in reg.dossiers:
            counts[(d.agency_code, reg.day)] = counts.get((d.agency_code, reg.day), 0) + 1
    columns: list[list[Any]] = [[] for _ in range(29)]
    seen: dict[tuple[str, date], int] = {}
    for grp, reg in enumerate(registrations):
        consent, applicant = _json(_consent_json(reg.consent)), _json(_applicant_json(reg.applicant))
        for i, d in enumerate(reg.dossiers):
            where = (d.agency_code, reg.day)
            seen[where] = seen.get(where, 0) + 1
            root = i == 0
            row = (
                grp, root, d.agency_code, reg.day, seen[where], counts[where], d.public_token, d.procedure_code,
                d.procedure_version, d.procedure_name, d.agency_name, int(d.status), reg.received_at, d.due_at,
                _json(d.due_basis), d.processing_working_days, d.collect_at, int(reg.channel),
                _json(d.assisted_by.as_json() if d.assisted_by else None), int(reg.result_delivery), consent,
                d.contact_ref, applicant, _json(_documents_json(d.documents)), reg.subject_birth_date,
                reg.idempotency_key if root else None, reg.request_hash if root else None,
                _json((reg.actor if root else reg.linker).as_json()), "" if root else reg.link_reason,
            )
            for column, value in zip(columns, row, strict=True):
                column.append(value)
    out: list[list[tuple[str, str, bool]] | None] = [None] * len(registrations)
    for r in await conn.fetch(_REGISTER, *columns):
        rows = out[r["grp"]]
        if rows is None:
            rows = out[r["grp"]] = []
        rows.append((r["code"], r["procedure_code"], r["is_root"]))
    return out


async def find_by_idempotency_key(conn: asyncpg.Connection, key: str) -> tuple[bytes, str] | None:
    row = await conn.fetchrow("SELECT request_hash, code FROM dossiers WHERE idempotency_key = $1", key)
    return (bytes(row["request_hash"]), row["code"]) if row else None


_PUBLIC_SELECT = """
SELECT d.code, d.status, d.updated_at, d.due_at, d.procedure_name, d.agency_name,
       array(SELECT h.to_status FROM status_history h WHERE h.dossier_id = d.id ORDER BY h.version) AS statuses,
       array(SELECT h.at FROM status_history h WHERE h.dossier_id = d.id ORDER BY h.version) AS times
FROM dossiers d
"""
_PUBLIC = _PUBLIC_SELECT + "WHERE d.code = $1"
_PUBLIC_MANY = _PUBLIC_SELECT + "WHERE d.code = ANY($1::text[])"


def _public(row: asyncpg.Record) -> PublicStatus:
    return PublicStatus(
        code=row["code"], status=Status(row["status"]), last_update=row["updated_at"], due_at=row["due_at"],
        procedure_name=row["procedure_name"], agency_name=row["agency_name"],
        history=tuple(zip((Status(s) for s in row["statuses"]), row["times"], strict=True)),
    )


async def get_public(conn: asyncpg.Connection | asyncpg.Pool, code: str) -> PublicStatus | None:
    """One round trip: the public fields and the public history."""
    row = await conn.fetchrow(_PUBLIC, code)
    return _public(row) if row is not None else None


async def get_public_many(conn: asyncpg.Connection | asyncpg.Pool, codes: list[str]) -> dict[str, PublicStatus]:
    """One round trip for many codes: the public status of each that exists, by code."""
    return {row["code"]: _public(row) for row in await conn.fetch(_PUBLIC_MANY, codes)}


_FULL = """
SELECT d.*,
       array(SELECT c.code FROM dossiers c WHERE c.parent_code = d.code ORDER BY c.id) AS linked_codes,
       (SELECT json_agg(json_build_object('f', h.from_status, 't', h.to_status, 'a', h.actor, 'r', h.reason, 'at', h.at)
                        ORDER BY h.version)
          FROM status_history h WHERE h.dossier_id = d.id) AS history
FROM dossiers d WHERE d.code = $1
"""


def _dossier(row: asyncpg.Record) -> Dossier:
    consent = json.loads(row["consent"])
    history = [
        StatusChange(h["f"], Status(h["t"]), Actor.from_json(h["a"]) or Actor("", ""), h["r"], datetime.fromisoformat(h["at"]))
        for h in json.loads(row["history"] or "[]")
    ]
    return Dossier(
        code=row["code"],
        public_token=row["public_token"],
        version=row["version"],
        procedure_code=row["procedure_code"],
        procedure_version=row["procedure_version"],
        procedure_name=row["procedure_name"],
        agency_code=row["agency_code"],
        agency_name=row["agency_name"],
        status=Status(row["status"]),
        received_at=row["received_at"],
        due_at=row["due_at"],
        due_basis=json.loads(row["due_basis"]) if row["due_basis"] else None,
        paused_at=row["paused_at"],
        processing_working_days=row["processing_working_days"],
        collect_at=row["collect_at"],
        channel=Channel(row["channel"]),
        assisted_by=Actor.from_json(json.loads(row["assisted_by"]) if row["assisted_by"] else None),
        result_delivery=ResultDelivery(row["result_delivery"]),
        consent=Consent(consent["purpose"], datetime.fromisoformat(consent["given_at"]), consent.get("text_version", "")),
        contact_ref=row["contact_ref"],
        applicant=_applicant(json.loads(row["applicant"])),
        documents=tuple(Document(**d) for d in json.loads(row["documents"])),
        parent_code=row["parent_code"] or "",
        root_code=row["root_code"],
        updated_at=row["updated_at"],
        history=history,
        linked_codes=list(row["linked_codes"]),
    )


async def get_full(conn: asyncpg.Connection | asyncpg.Pool, code: str) -> Dossier | None:
    row = await conn.fetchrow(_FULL, code)
    return _dossier(row) if row else None


@dataclass(frozen=True)
class Locked:
    id: int
    code: str
    status: Status
    version: int
    due_at: datetime | None
    due_basis: dict | None
    paused_at: datetime | None
    agency_code: str
    procedure_code: str
    procedure_name: str
    processing_working_days: int
    contact_ref: str
    result_delivery: ResultDelivery
    collect_at: str


async def lock(conn: asyncpg.Connection, code: str) -> Locked | None:
    """Lock the dossier row for a transition (SELECT ... FOR UPDATE)."""
    row = await conn.fetchrow(
        """
        SELECT id, code, status, version, due_at, due_basis, paused_at, agency_code, procedure_code, procedure_name,
               processing_working_days, contact_ref, result_delivery, collect_at
        FROM dossiers WHERE code = $1 FOR UPDATE
        """,
        code,
    )
    if row is None:
        return None
    return Locked(row["id"], row["code"], Status(row["status"]), row["version"], row["due_at"],
                  json.loads(row["due_basis"]) if row["due_basis"] else None, row["paused_at"], row["agency_code"],
                  row["procedure_code"], row["procedure_name"], row["processing_working_days"], row["contact_ref"],
                  ResultDelivery(row["result_delivery"]), row["collect_at"])


_TRANSITION = """
WITH upd AS (
    UPDATE dossiers SET status = $2::smallint, version = version + 1, due_at = $3::timestamptz, due_basis = $4::jsonb,
                        paused_at = $5::timestamptz, updated_at = $6::timestamptz
    WHERE id = $1
    RETURNING id, version
)
INSERT INTO status_history (dossier_id, from_status, to_status, actor, reason, at, version)
SELECT id, $7::smallint, $2::smallint, $8::jsonb, $9::text, $6::timestamptz, version FROM upd
"""


async def apply_transition(
    conn: asyncpg.Connection, locked: Locked, *, to: Status, due_at: datetime | None, due_basis: dict | None,
    paused_at: datetime | None, at: datetime, actor: Actor, reason: str,
) -> None:
    await conn.execute(_TRANSITION, locked.id, int(to), due_at, _json(due_basis), paused_at, at, int(locked.status),
                       _json(actor.as_json()), reason)


async def journey(conn: asyncpg.Connection | asyncpg.Pool, code: str) -> list[JourneyStep]:
    """Every dossier of the journey `code` belongs to, root first then in creation order."""
    rows = await conn.fetch(
        """
        SELECT j.code, j.procedure_code, j.procedure_name, j.agency_code, j.agency_name, j.parent_code, j.status, j.due_at
        FROM dossiers d JOIN dossiers j ON j.root_code = d.root_code
        WHERE d.code = $1 ORDER BY j.id
        """,
        code,
    )
    return [JourneyStep(r["code"], r["procedure_code"], r["procedure_name"], r["agency_code"], r["agency_name"],
                        r["parent_code"] or "", Status(r["status"]), r["due_at"]) for r in rows]


async def list_dossiers(
    conn: asyncpg.Connection | asyncpg.Pool, *, statuses: list[int], agency_code: str, due_before: datetime | None,
    procedure_code: str, limit: int, offset: int,
) -> tuple[list[DossierSummary], int]:
    rows = await conn.fetch(
        """
        SELECT code, procedure_code, procedure_name, agency_code, status, applicant->>'full_name' AS applicant_name,
               received_at, due_at, channel, count(*) OVER () AS total
        FROM dossiers
        WHERE (cardinality($1::smallint[]) = 0 OR status = ANY($1::smallint[]))
          AND ($2 = '' OR agency_code = $2)
          AND ($3::timestamptz IS NULL OR due_at < $3)
          AND ($4 = '' OR procedure_code = $4)
        ORDER BY due_at NULLS LAST, code
        LIMIT $5 OFFSET $6
        """,
        statuses, agency_code, due_before, procedure_code, limit, offset,
    )
    total = rows[0]["total"] if rows else 0
    return [DossierSummary(r["code"], r["procedure_code"], r["procedure_name"], r["agency_code"], Status(r["status"]),
                           r["applicant_name"], r["received_at"], r["due_at"], Channel(r["channel"])) for r in rows], total


async def resolve_contact(conn: asyncpg.Connection | asyncpg.Pool, contact_ref: str) -> Applicant | None:
    raw = await conn.fetchval("SELECT applicant FROM dossiers WHERE contact_ref = $1", contact_ref)
    return _applicant(json.loads(raw)) if raw else None


async def resolve_contacts(conn: asyncpg.Connection | asyncpg.Pool, contact_refs: list[str]) -> dict[str, Applicant]:
    """One round trip for many references: the applicant of each that exists, by reference."""
    rows = await conn.fetch("SELECT contact_ref, applicant FROM dossiers WHERE contact_ref = ANY($1::text[])",
                            contact_refs)
    return {r["contact_ref"]: _applicant(json.loads(r["applicant"])) for r in rows}


async def load_overrides(conn: asyncpg.Connection | asyncpg.Pool) -> list[Override]:
    rows = await conn.fetch("SELECT day, kind, reason, agency_code FROM calendar_overrides ORDER BY day")
    return [Override(r["day"], r["kind"], r["reason"], r["agency_code"]) for r in rows]


async def add_override(conn: asyncpg.Connection | asyncpg.Pool, override: Override, decision_ref: str = "") -> None:
    await conn.execute(
        """
        INSERT INTO calendar_overrides (day, agency_code, kind, reason, decision_ref) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (day, agency_code) DO UPDATE SET kind = EXCLUDED.kind, reason = EXCLUDED.reason,
                                                     decision_ref = EXCLUDED.decision_ref, updated_at = now()
        """,
        override.day, override.agency_code, override.kind, override.reason, decision_ref,
    )


@dataclass(frozen=True)
class OverrideRow:
    """A row of the override table as the API shows it."""

    override: Override
    decision_ref: str
    updated_by: Actor | None
    updated_at: datetime


def _override_row(r: asyncpg.Record) -> OverrideRow:
    return OverrideRow(Override(r["day"], r["kind"], r["reason"], r["agency_code"]), r["decision_ref"],
                       Actor.from_json(json.loads(r["updated_by"]) if r["updated_by"] else None), r["updated_at"])


async def list_overrides(conn: asyncpg.Connection | asyncpg.Pool, *, from_day: date, to_day: date,
                         agency_code: str | None) -> list[OverrideRow]:
    rows = await conn.fetch(
        """
        SELECT day, agency_code, kind, reason, decision_ref, updated_by, updated_at FROM calendar_overrides
        WHERE day BETWEEN $1 AND $2 AND (agency_code IS NULL OR agency_code = $3)
        ORDER BY day, agency_code NULLS FIRST
        """, from_day, to_day, agency_code)
    return [_override_row(r) for r in rows]


async def put_override(conn: asyncpg.Connection, override: Override, *, decision_ref: str, actor: Actor) -> OverrideRow:
    """Insert or replace the override of (day, agency) and record the change, in the caller's transaction."""
    row = await conn.fetchrow(
        """
        INSERT INTO calendar_overrides (day, agency_code, kind, reason, decision_ref, updated_by, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6::jsonb, now())
        ON CONFLICT (day, agency_code) DO UPDATE SET kind = EXCLUDED.kind, reason = EXCLUDED.reason,
            decision_ref = EXCLUDED.decision_ref, updated_by = EXCLUDED.updated_by, updated_at = now()
        RETURNING day, agency_code, kind, reason, decision_ref, updated_by, updated_at
        """,
        override.day, override.agency_code, override.kind, override.reason, decision_ref, _json(actor.as_json()))
    await conn.execute(
        "INSERT INTO calendar_override_changes (day, agency_code, action, kind, reason, decision_ref, actor) "
        "VALUES ($1, $2, 'put', $3, $4, $5, $6::jsonb)",
        override.day, override.agency_code, override.kind, override.reason, decision_ref, _json(actor.as_json()))
    assert row is not None
    return _override_row(row)


async def delete_override(conn: asyncpg.Connection, *, day: date, agency_code: str | None, actor: Actor) -> bool:
    """Remove the override of (day, agency) and record the change; False when there was none."""
    row = await conn.fetchrow(
        "DELETE FROM calendar_overrides WHERE day = $1 AND agency_code IS NOT DISTINCT FROM $2 "
        "RETURNING kind, reason, decision_ref", day, agency_code)
    if row is None:
        return False
    await conn.execute(
        "INSERT INTO calendar_override_changes (day, agency_code, action, kind, reason, decision_ref, actor) "
        "VALUES ($1, $2, 'delete', $3, $4, $5, $6::jsonb)",
        day, agency_code, row["kind"], row["reason"], row["decision_ref"], _json(actor.as_json()))
    return True


@dataclass(frozen=True)
class Figures:
    """Aggregates for a ward's report; no personal data."""

    received: int
    online: int
    self_service: int
    by_channel: list[tuple[Channel, int]]
    resolved: int
    resolved_on_time: int
    overdue_now: int


async def figures(conn: asyncpg.Connection | asyncpg.Pool, *, start: datetime, end: datetime, agency_code: str,
                  now: datetime) -> Figures:
    """Count dossiers received in [start, end), those first ready in it (on time or not), and those past due at `now`.

    One statement: every figure comes from the same snapshot.
    """
    row = await conn.fetchrow(
        """
        WITH received AS (
            SELECT channel, count(*) AS n FROM dossiers
            WHERE received_at >= $1 AND received_at < $2 AND ($3 = '' OR agency_code = $3)
            GROUP BY channel
        ), ready AS (
            -- PROCESSED is entered at most once (it only leads to RESULT_RETURNED).
            SELECT DISTINCT ON (d.id) d.due_at, h.at AS ready_at
            FROM status_history h JOIN dossiers d ON d.id = h.dossier_id
            WHERE h.to_status = 9 AND h.at >= $1 AND h.at < $2 AND ($3 = '' OR d.agency_code = $3)
            ORDER BY d.id, h.at
        )
        SELECT
            (SELECT coalesce(sum(n), 0) FROM received) AS received,
            (SELECT coalesce(sum(n), 0) FROM received WHERE channel <> 8) AS online,
            (SELECT coalesce(sum(n), 0) FROM received WHERE channel IN (1, 2, 3)) AS self_service,
            (SELECT coalesce(jsonb_agg(jsonb_build_array(channel, n) ORDER BY n DESC, channel), '[]'::jsonb)
               FROM received) AS by_channel,
            (SELECT count(*) FROM ready) AS resolved,
            (SELECT count(*) FROM ready WHERE due_at IS NOT NULL AND ready_at <= due_at) AS resolved_on_time,
            (SELECT count(*) FROM dossiers WHERE status IN (2, 4) AND due_at < $4
                                             AND ($3 = '' OR agency_code = $3)) AS overdue_now
        """,
        start, end, agency_code, now,
    )
    by_channel = [(Channel(c), int(n)) for c, n in json.loads(row["by_channel"])]
    return Figures(int(row["received"]), int(row["online"]), int(row["self_service"]), by_channel, int(row["resolved"]),
                   int(row["resolved_on_time"]), int(row["overdue_now"]))
