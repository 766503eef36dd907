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
    """One dossier to insert; `rank` is its 1-based position among this submission's dossiers at its agency."""

    agency_code: str
    agency_count: int
    rank: int
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


# One statement: allocate every agency's numbers (agencies in sorted order, so concurrent
# submissions lock counter rows in one global order and cannot deadlock), insert the root
# dossier (claiming the idempotency key), its linked dossiers and their first history rows.
# When the key is already taken the root insert does nothing, no linked row is inserted,
# and the caller rolls the counter increments back.
_REGISTER = """
WITH alloc AS (
    INSERT INTO daily_counters AS c (agency_code, day, n)
    SELECT u.a, $1::date, u.k FROM unnest($2::text[], $3::int[]) AS u(a, k) ORDER BY u.a
    ON CONFLICT (agency_code, day) DO UPDATE SET n = c.n + EXCLUDED.n
    RETURNING c.agency_code, c.n
),
todo AS (
    SELECT r.*, r.agency || '-' || to_char($1::date, 'YYMMDD') || '-' ||
           CASE WHEN a.n - r.k + r.rank < 10000 THEN lpad((a.n - r.k + r.rank)::text, 4, '0')
                ELSE (a.n - r.k + r.rank)::text END AS code,
           a.n - r.k + r.rank AS seq
    FROM unnest($4::text[], $5::int[], $6::int[], $7::text[], $8::text[], $9::int[], $10::text[], $11::text[],
                $12::smallint[], $13::timestamptz[], $14::jsonb[], $15::int[], $16::text[], $17::jsonb[], $18::text[],
                $19::jsonb[])
         WITH ORDINALITY AS r(agency, k, rank, token, procedure_code, procedure_version, procedure_name, agency_name,
                              status, due_at, due_basis, days, collect_at, assisted_by, contact_ref, documents, ord)
    JOIN alloc a ON a.agency_code = r.agency
),
root AS (
    INSERT INTO dossiers (code, agency_code, receipt_day, seq, public_token, procedure_code, procedure_version, procedure_name,
                          agency_name, status, received_at, due_at, due_basis, processing_working_days, collect_at, channel,
                          assisted_by, result_delivery, consent, contact_ref, applicant, documents, subject_birth_date,
                          parent_code, root_code, updated_at, idempotency_key, request_hash)
    SELECT t.code, t.agency, $1::date, t.seq, t.token, t.procedure_code, t.procedure_version, t.procedure_name, t.agency_name,
           t.status, $20::timestamptz, t.due_at, t.due_basis, t.days, t.collect_at, $21::smallint, t.assisted_by,
           $22::smallint, $23::jsonb, t.contact_ref, $24::jsonb, t.documents, $25::date, NULL, t.code, $20::timestamptz,
           $26::text, $27::bytea
    FROM todo t WHERE t.ord = 1
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, code, status, received_at, procedure_code
),
linked AS (
    INSERT INTO dossiers (code, agency_code, receipt_day, seq, public_token, procedure_code, procedure_version, procedure_name,
                          agency_name, status, received_at, due_at, due_basis, processing_working_days, collect_at, channel,
                          assisted_by, result_delivery, consent, contact_ref, applicant, documents, subject_birth_date,
                          parent_code, root_code, updated_at)
    SELECT t.code, t.agency, $1::date, t.seq, t.token, t.procedure_code, t.procedure_version, t.procedure_name, t.agency_name,
           t.status, $20::timestamptz, t.due_at, t.due_basis, t.days, t.collect_at, $21::smallint, t.assisted_by,
           $22::smallint, $23::jsonb, t.contact_ref, $24::jsonb, t.documents, $25::date, root.code, root.code,
           $20::timestamptz
    FROM todo t CROSS JOIN root WHERE t.ord > 1
    ORDER BY t.ord
    RETURNING id, code, status, received_at, procedure_code
),
hist AS (
    INSERT INTO status_history (dossier_id, from_status, to_status, actor, reason, at, version)
    SELECT id, 0, status, $28::jsonb, '', received_at, 1 FROM root
    UNION ALL
    SELECT id, 0, status, $29::jsonb, $30::text, received_at, 1 FROM linked
)
SELECT code, procedure_code, true AS is_root FROM root
UNION ALL
SELECT code, procedure_code, false FROM linked
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


async def register(
    conn: asyncpg.Connection,
    *,
    day: date,
    received_at: datetime,
    dossiers: list[NewDossier],
    channel: Channel,
    result_delivery: ResultDelivery,
    consent: Consent,
    applicant: Applicant,
    subject_birth_date: date | None,
    idempotency_key: str,
    request_hash: bytes,
    actor: Actor,
    linker: Actor,
    link_reason: str,
) -> list[tuple[str, str, bool]] | None:
    """Insert a submission's dossiers (root first); return (code, procedure code, is_root), or None if the key is taken."""
    counts: dict[str, int] = {}
    for d in dossiers:
        counts[d.agency_code] = d.agency_count
    rows = await conn.fetch(
        _REGISTER,
        day,
        list(counts),
        list(counts.values()),
        [d.agency_code for d in dossiers],
        [d.agency_count for d in dossiers],
        [d.rank for d in dossiers],
        [d.public_token for d in dossiers],
        [d.procedure_code for d in dossiers],
        [d.procedure_version for d in dossiers],
        [d.procedure_name for d in dossiers],
        [d.agency_name for d in dossiers],
        [int(d.status) for d in dossiers],
        [d.due_at for d in dossiers],
        [_json(d.due_basis) for d in dossiers],
        [d.processing_working_days for d in dossiers],
        [d.collect_at for d in dossiers],
        [_json(d.assisted_by.as_json() if d.assisted_by else None) for d in dossiers],
        [d.contact_ref for d in dossiers],
        [_json(_documents_json(d.documents)) for d in dossiers],
        received_at,
        int(channel),
        int(result_delivery),
        _json(_consent_json(consent)),
        _json(_applicant_json(applicant)),
        subject_birth_date,
        idempotency_key,
        request_hash,
        _json(actor.as_json()),
        _json(linker.as_json()),
        link_reason,
    )
    if not rows:
        return None
    return [(r["code"], r["procedure_code"], r["is_root"]) for r in rows]


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


async def load_overrides(conn: asyncpg.Connection | asyncpg.Pool) -> list[Override]:
    rows = await conn.fetch("SELECT day, kind, reason, agency_code FROM calendar_overrides ORDER BY day")
    return [Override(r["day"], r["kind"], r["reason"], r["agency_code"]) for r in rows]


async def add_override(conn: asyncpg.Connection | asyncpg.Pool, override: Override, decision_ref: str = "") -> None:
    await conn.execute(
        """
        INSERT INTO calendar_overrides (day, agency_code, kind, reason, decision_ref) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (day, agency_code) DO UPDATE SET kind = EXCLUDED.kind, reason = EXCLUDED.reason,
                                                     decision_ref = EXCLUDED.decision_ref
        """,
        override.day, override.agency_code, override.kind, override.reason, decision_ref,
    )


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
