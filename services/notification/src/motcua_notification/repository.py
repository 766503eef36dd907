"""All SQL of the notification service. Functions take the connection (the caller owns the transaction)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import asyncpg

from motcua_notification.domain.policy import Preferences, ZaloState
from motcua_notification.domain.templates import Template

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy

TERMINAL = ("delivered", "permanent-failure", "temporary-failure", "technical-failure")
FAILED = ("permanent-failure", "temporary-failure", "technical-failure")


# -- templates ---------------------------------------------------------------------------------------


def _template(r: asyncpg.Record) -> Template:
    return Template(code=r["code"], channel=r["channel"], body=r["body"], parameters=tuple(r["parameters"]),
                    subject=r["subject"], body_html=r["body_html"], zns_template_id=r["zns_template_id"],
                    zns_params=json.loads(r["zns_params"]), version=r["version"], created_by=r["created_by"])


async def current_templates(conn: Conn, *, code: str = "") -> list[tuple[Template, datetime]]:
    rows = await conn.fetch(
        """
        SELECT DISTINCT ON (code, channel) code, channel, version, subject, body, body_html, zns_template_id,
               zns_params::text AS zns_params, parameters, created_at, created_by
        FROM templates WHERE ($1 = '' OR code = $1) ORDER BY code, channel, version DESC
        """,
        code,
    )
    return [(_template(r), r["created_at"]) for r in rows]


async def insert_template(conn: Conn, *, template: Template, first_only: bool = False) -> tuple[Template, datetime] | None:
    """Store `template` as the next version of its (code, channel); with `first_only`, only if none exists."""
    row = await conn.fetchrow(
        f"""
        INSERT INTO templates (code, channel, version, subject, body, body_html, zns_template_id, zns_params,
                               parameters, created_by)
        SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5, $6, $7::text::jsonb, $8, $9
        FROM templates WHERE code = $1 AND channel = $2
        {"HAVING count(*) = 0" if first_only else ""}
        ON CONFLICT DO NOTHING
        RETURNING code, channel, version, subject, body, body_html, zns_template_id, zns_params::text AS zns_params,
                  parameters, created_at, created_by
        """,
        template.code, template.channel, template.subject, template.body, template.body_html,
        template.zns_template_id, json.dumps(dict(template.zns_params), ensure_ascii=False), list(template.parameters),
        template.created_by,
    )
    return (_template(row), row["created_at"]) if row else None


# -- notifications -----------------------------------------------------------------------------------


async def insert_notification(
    conn: Conn, *, source_key: str, template_code: str, params: dict[str, str], contact_source: str,
    contact_ref: str = "", source_event_id: str = "", event_type: str = "", dossier_code: str = "",
    booking_id: str = "", procedure_code: str = "", urgent: bool = False, essential: bool = True,
    legal_basis: str = "", channel_order: Sequence[str] = (), phone: str | None = None, email: str | None = None,
    zalo_user_id: str | None = None, full_name: str | None = None,
) -> tuple[uuid.UUID, bool]:
    """Insert a notification unless its source_key exists; return (id, created)."""
    new_id = uuid.uuid4()
    row = await conn.fetchrow(
        """
        INSERT INTO notifications (id, source_key, source_event_id, event_type, template_code, params, contact_source,
                                   contact_ref, dossier_code, booking_id, procedure_code, urgent, essential, legal_basis,
                                   channel_order, phone, email, zalo_user_id, full_name)
        VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
        ON CONFLICT (source_key) DO NOTHING RETURNING id
        """,
        new_id, source_key, source_event_id, event_type, template_code, json.dumps(params, ensure_ascii=False),
        contact_source, contact_ref, dossier_code, booking_id, procedure_code, urgent, essential, legal_basis,
        list(channel_order), phone, email, zalo_user_id, full_name,
    )
    if row is not None:
        return row["id"], True
    existing = await conn.fetchval("SELECT id FROM notifications WHERE source_key = $1", source_key)
    return existing, False


async def record_events(conn: Conn, wanted: Sequence[tuple[dict[str, Any] | None, dict[str, Any] | None]]
                        ) -> tuple[int, int]:
    """`record_event` for many events in ONE statement (the consumer's chunk): each (notification, webhook) pair as
    `record_event` takes it, in order. Return (how many notifications were new, how many webhook deliveries)."""
    notes = [n for n, _ in wanted if n is not None]
    hooks = [w for _, w in wanted if w is not None]
    if not notes and not hooks:
        return 0, 0
    row = await conn.fetchrow(
        """
        WITH note AS (
            INSERT INTO notifications (id, source_key, source_event_id, event_type, template_code, params, contact_source,
                                       contact_ref, dossier_code, booking_id, procedure_code, urgent, essential, legal_basis)
            SELECT u.id, u.source_key, u.source_event_id, u.event_type, u.template_code, u.params::jsonb,
                   u.contact_source, u.contact_ref, u.dossier_code, u.booking_id, u.procedure_code, u.urgent,
                   u.essential, u.legal_basis
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                        $9::text[], $10::text[], $11::text[], $12::bool[], $13::bool[], $14::text[]) WITH ORDINALITY
                 AS u(id, source_key, source_event_id, event_type, template_code, params, contact_source, contact_ref,
                      dossier_code, booking_id, procedure_code, urgent, essential, legal_basis, ord)
            ORDER BY u.ord
            ON CONFLICT (source_key) DO NOTHING RETURNING id
        ), hooks AS (
            INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, body)
            SELECT gen_random_uuid(), s.id, w.event_id, w.event_type, w.body
            FROM unnest($15::text[], $16::text[], $17::text[], $18::bytea[], $19::bool[]) WITH ORDINALITY
                 AS w(event_id, event_type, procedure_code, body, dossier_event, ord)
            JOIN subscriptions s ON s.active AND s.deleted_at IS NULL
              AND ((cardinality(s.event_types) = 0 AND w.dossier_event) OR w.event_type = ANY(s.event_types))
              AND (NOT w.dossier_event OR cardinality(s.procedure_codes) = 0 OR w.procedure_code = ANY(s.procedure_codes))
            ORDER BY w.ord, s.id
            ON CONFLICT ON CONSTRAINT webhook_deliveries_once DO NOTHING
            RETURNING id
        )
        SELECT (SELECT count(*) FROM note) AS notes, (SELECT count(*) FROM hooks) AS hooks
        """,
        [uuid.uuid4() for _ in notes], [n["source_key"] for n in notes], [n["source_event_id"] for n in notes],
        [n["event_type"] for n in notes], [n["template_code"] for n in notes],
        [json.dumps(n["params"], ensure_ascii=False) for n in notes], [n["contact_source"] for n in notes],
        [n["contact_ref"] for n in notes], [n["dossier_code"] for n in notes], [n["booking_id"] for n in notes],
        [n["procedure_code"] for n in notes], [n["urgent"] for n in notes], [n["essential"] for n in notes],
        [n["legal_basis"] for n in notes],
        [w["event_id"] for w in hooks], [w["event_type"] for w in hooks], [w["procedure_code"] for w in hooks],
        [w["body"] for w in hooks], [w["dossier_event"] for w in hooks],
    )
    return int(row["notes"]), int(row["hooks"])


async def record_event(conn: Conn, *, notification: dict[str, Any] | None, webhook: dict[str, Any] | None
                       ) -> tuple[uuid.UUID | None, int]:
    """What one event asks for, in ONE statement (the consumer's per-event cost): the notification unless its
    source_key exists, and one pending webhook delivery per active subscription that wants the event.

    An empty `event_types` means every dossier event (appointment events must be named); the procedure
    filter applies to dossier events only (appointment events carry no procedure).
    Return (the new notification's id or None, how many webhook deliveries were created)."""
    n = notification or {}
    w = webhook or {}
    row = await conn.fetchrow(
        """
        WITH note AS (
            INSERT INTO notifications (id, source_key, source_event_id, event_type, template_code, params, contact_source,
                                       contact_ref, dossier_code, booking_id, procedure_code, urgent, essential, legal_basis)
            SELECT $2, $3, $4, $5, $6, $7::text::jsonb, $8, $9, $10, $11, $12, $13, $14, $15 WHERE $1
            ON CONFLICT (source_key) DO NOTHING RETURNING id
        ), hooks AS (
            INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, body)
            SELECT gen_random_uuid(), s.id, $17, $18, $20 FROM subscriptions s
            WHERE $16 AND s.active AND s.deleted_at IS NULL
              AND ((cardinality(s.event_types) = 0 AND $21) OR $18 = ANY(s.event_types))
              AND (NOT $21 OR cardinality(s.procedure_codes) = 0 OR $19 = ANY(s.procedure_codes))
            ON CONFLICT ON CONSTRAINT webhook_deliveries_once DO NOTHING
            RETURNING id
        )
        SELECT (SELECT id FROM note) AS id, (SELECT count(*) FROM hooks) AS hooks
        """,
        notification is not None, uuid.uuid4(), n.get("source_key", ""), n.get("source_event_id", ""),
        n.get("event_type", ""), n.get("template_code", ""), json.dumps(n.get("params", {}), ensure_ascii=False),
        n.get("contact_source", "dossier"), n.get("contact_ref", ""), n.get("dossier_code", ""), n.get("booking_id", ""),
        n.get("procedure_code", ""), n.get("urgent", False), n.get("essential", True), n.get("legal_basis", ""),
        webhook is not None, w.get("event_id", ""), w.get("event_type", ""), w.get("procedure_code", ""),
        w.get("body", b""), w.get("dossier_event", True),
    )
    return row["id"], int(row["hooks"])


async def claim_to_plan(conn: Conn, *, limit: int, lease_seconds: float) -> list[asyncpg.Record]:
    """Lease notifications waiting for planning (contact resolution + policy); a crashed planner's lease expires."""
    return await conn.fetch(
        """
        UPDATE notifications n SET plan_after = clock_timestamp() + make_interval(secs => $2),
                                   plan_attempts = n.plan_attempts + 1
        FROM (SELECT id FROM notifications WHERE state = 'planning' AND plan_after <= statement_timestamp()
              ORDER BY plan_after LIMIT $1 FOR UPDATE SKIP LOCKED) due
        WHERE n.id = due.id
        RETURNING n.id, n.source_key, n.source_event_id, n.template_code, n.params::text AS params, n.contact_source,
                  n.contact_ref, n.phone, n.email, n.zalo_user_id, n.full_name, n.dossier_code, n.booking_id, n.urgent,
                  n.essential, n.legal_basis, n.channel_order, n.created_at, n.plan_attempts
        """,
        limit, lease_seconds,
    )


@dataclass(frozen=True)
class PlannedContact:
    notification_id: uuid.UUID
    phone: str
    email: str
    zalo_user_id: str
    full_name: str
    chain: Sequence[str]


async def finish_notification(conn: Conn, *, notification_id: uuid.UUID, status: str, reason: str,
                              contact: dict[str, str] | None = None) -> asyncpg.Record | None:
    """Close a notification as failed or suppressed; return it (None when it was already closed)."""
    contact = contact or {}
    return await conn.fetchrow(
        """
        UPDATE notifications SET state = 'done', status = $2, reason = $3, updated_at = clock_timestamp(),
               phone = coalesce(phone, nullif($4, '')), email = coalesce(email, nullif($5, ''))
        WHERE id = $1 AND status NOT IN ('failed', 'suppressed')
        RETURNING id, template_code, dossier_code, booking_id, source_event_id
        """,
        notification_id, status, reason[:1000], contact.get("phone", ""), contact.get("email", ""),
    )


async def retry_plan(conn: Conn, *, notification_id: uuid.UUID, delay: float, reason: str) -> None:
    await conn.execute(
        "UPDATE notifications SET plan_after = clock_timestamp() + make_interval(secs => $2), reason = $3 WHERE id = $1",
        notification_id, delay, reason[:1000],
    )


async def set_notification_status(conn: Conn, *, notification_id: uuid.UUID, status: str) -> asyncpg.Record:
    """Advance the overall status (queued < sent < delivered; a failure is overridden by a later success); return it."""
    return await conn.fetchrow(
        """
        WITH moved AS (
            UPDATE notifications SET status = $2, updated_at = clock_timestamp()
            WHERE id = $1 AND (status = 'queued' OR (status = 'sent' AND $2 = 'delivered')
                               OR (status = 'failed' AND $2 <> 'failed'))
        )
        SELECT template_code, dossier_code, booking_id, source_event_id FROM notifications WHERE id = $1
        """,
        notification_id, status,
    )


# -- deliveries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewDelivery:
    notification_id: uuid.UUID
    event_key: str
    recipient: str
    channel: str
    step: int
    not_before: datetime
    subject: str = ""
    body: str = ""
    body_html: str = ""
    zns_template_id: str = ""
    zns_data: dict[str, str] | None = None
    #: Non-empty: the row is inserted already claimed (`sending`, attempt 1) for this provider, so the planning
    #: transaction is also the status guard and the planner calls the provider right after its commit.
    claim_provider: str = ""


_DELIVERY_COLUMNS = """d.id, d.notification_id, d.event_key, d.recipient, d.channel, d.step, d.status, d.provider,
    d.tracking_id, d.subject, d.body, d.body_html, d.zns_template_id, d.zns_data::text AS zns_data, d.attempts,
    d.first_attempt_at, d.sending_since, d.pinned_provider"""


def _insert_deliveries_sql(where: str = "") -> str:
    """INSERT of deliveries from the 13 arrays of `_delivery_arrays` ($1..$13); rows with a provider go in `sending`."""
    return f"""
        INSERT INTO deliveries AS d (id, notification_id, event_key, recipient, channel, step, not_before, subject, body,
                                     body_html, zns_template_id, zns_data, tracking_id, status, provider, attempts,
                                     first_attempt_at, sending_since)
        SELECT n.id, n.nid, n.ek, n.rcpt, n.ch, n.step, n.nb, n.subj, n.body, n.html, n.zt, n.zd::jsonb,
               replace(n.id::text, '-', ''), CASE WHEN n.prov <> '' THEN 'sending' ELSE 'created' END, n.prov,
               CASE WHEN n.prov <> '' THEN 1 ELSE 0 END,
               CASE WHEN n.prov <> '' THEN clock_timestamp() END, CASE WHEN n.prov <> '' THEN clock_timestamp() END
        FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::int[], $7::timestamptz[],
                    $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
             AS n(id, nid, ek, rcpt, ch, step, nb, subj, body, html, zt, zd, prov)
        {where}
        ON CONFLICT ON CONSTRAINT deliveries_once DO NOTHING
        RETURNING {_DELIVERY_COLUMNS}
        """


def _delivery_arrays(rows: Sequence[NewDelivery]) -> list[list[Any]]:
    return [
        [uuid.uuid4() for _ in rows], [r.notification_id for r in rows], [r.event_key for r in rows],
        [r.recipient for r in rows], [r.channel for r in rows], [r.step for r in rows], [r.not_before for r in rows],
        [r.subject for r in rows], [r.body for r in rows], [r.body_html for r in rows], [r.zns_template_id for r in rows],
        [json.dumps(r.zns_data or {}, ensure_ascii=False) for r in rows], [r.claim_provider for r in rows],
    ]


_INSERT_DELIVERIES = _insert_deliveries_sql()


async def insert_deliveries(conn: Conn, deliveries: Iterable[NewDelivery]) -> list[asyncpg.Record]:
    """Insert deliveries in one statement; an existing (event, recipient, channel) is left alone.

    Return the rows inserted (delivery columns); those with a `claim_provider` are in `sending`."""
    rows = list(deliveries)
    if not rows:
        return []
    return await conn.fetch(_INSERT_DELIVERIES, *_delivery_arrays(rows))


_PLAN_DELIVERIES = f"""
    WITH moved AS (
        UPDATE notifications n SET state = 'planned', phone = nullif(u.phone, ''), email = nullif(u.email, ''),
               zalo_user_id = nullif(u.zid, ''), full_name = nullif(u.name, ''),
               chain = CASE WHEN u.chain = '' THEN '{{}}'::text[] ELSE string_to_array(u.chain, ',') END,
               updated_at = clock_timestamp()
        FROM unnest($14::uuid[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[])
             AS u(id, phone, email, zid, name, chain)
        WHERE n.id = u.id AND n.state = 'planning'
        RETURNING n.id
    ), inserted AS ({_insert_deliveries_sql("WHERE n.nid IN (SELECT id FROM moved)")})
    SELECT m.id AS planned_id, i.* FROM moved m LEFT JOIN inserted i ON i.notification_id = m.id
"""


async def plan_deliveries(conn: Conn, planned: Sequence[PlannedContact], deliveries: Sequence[NewDelivery]
                          ) -> tuple[set[uuid.UUID], list[asyncpg.Record]]:
    """`planning -> planned` with the contact found, and the deliveries of the notifications moved, in ONE statement
    (atomic without a transaction: no BEGIN/COMMIT round trips on the path of every message).

    A notification planned by another worker meanwhile is not moved and gets none of its deliveries here.
    Return (the ids moved, the deliveries inserted)."""
    if not planned:
        return set(), []
    rows = await conn.fetch(
        _PLAN_DELIVERIES, *_delivery_arrays(deliveries),
        [p.notification_id for p in planned], [p.phone for p in planned], [p.email for p in planned],
        [p.zalo_user_id for p in planned], [p.full_name for p in planned], [",".join(p.chain) for p in planned],
    )
    return {r["planned_id"] for r in rows}, [r for r in rows if r["id"] is not None]


async def claim_due(conn: Conn, *, limit: int, sms_provider: str) -> list[asyncpg.Record]:
    """Move due deliveries to `sending`, committed by the caller BEFORE any provider is called (the status guard)."""
    return await conn.fetch(
        f"""
        UPDATE deliveries d SET status = 'sending', sending_since = clock_timestamp(), attempts = d.attempts + 1,
               first_attempt_at = coalesce(d.first_attempt_at, clock_timestamp()), updated_at = clock_timestamp(),
               provider = coalesce(d.pinned_provider, CASE d.channel WHEN 'sms' THEN $2 WHEN 'zns' THEN 'zalo_zns'
                                                     WHEN 'zalo_cs' THEN 'zalo_oa' ELSE 'smtp' END)
        FROM (SELECT id FROM deliveries WHERE status = 'created' AND not_before <= statement_timestamp()
              ORDER BY not_before LIMIT $1 FOR UPDATE SKIP LOCKED) due
        WHERE d.id = due.id
        RETURNING {_DELIVERY_COLUMNS}
        """,
        limit, sms_provider,
    )


async def next_due_at(conn: Conn) -> datetime | None:
    return await conn.fetchval("SELECT min(not_before) FROM deliveries WHERE status = 'created'")


async def record_attempt(conn: Conn, *, delivery_id: uuid.UUID, attempt: int, channel: str, provider: str, status: str,
                         provider_message_id: str = "", error_code: str = "", retryable: bool = False) -> None:
    await conn.execute(
        """
        INSERT INTO delivery_attempts (delivery_id, attempt, channel, provider, status, provider_message_id, error_code,
                                       retryable)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING
        """,
        delivery_id, attempt, channel, provider, status, provider_message_id, error_code, retryable,
    )


@dataclass(frozen=True)
class SentResult:
    delivery_id: uuid.UUID
    attempt: int
    provider_message_id: str
    cost_vnd: int


async def record_sent(conn: Conn, results: Sequence[SentResult]) -> list[asyncpg.Record]:
    """Record accepted provider calls in ONE statement: `sending -> sent` for the attempt made (a failure receipt or
    a bounce that raced ahead keeps its status; a stale attempt is left alone), one `sent` attempt row each, and the
    notifications `sent` (a failure is overridden by a later success).

    Return the deliveries now `sent` or `delivered`, each with its notification's event facts."""
    if not results:
        return []
    return await conn.fetch(
        """
        WITH updated AS (
            UPDATE deliveries d SET status = CASE WHEN d.status = 'sending' THEN 'sent' ELSE d.status END,
                   sent_at = clock_timestamp(), sending_since = NULL, cost_vnd = u.cost, updated_at = clock_timestamp(),
                   provider_message_id = coalesce(nullif(u.pmid, ''), d.provider_message_id), pinned_provider = NULL
            FROM unnest($1::uuid[], $2::int[], $3::text[], $4::int[]) AS u(id, attempt, pmid, cost)
            WHERE d.id = u.id AND d.attempts = u.attempt
              AND d.status IN ('sending', 'delivered', 'permanent-failure', 'temporary-failure')
            RETURNING d.id, d.notification_id, d.channel, d.provider, d.provider_message_id, d.status, d.attempts
        ), attempts AS (
            INSERT INTO delivery_attempts (delivery_id, attempt, channel, provider, status, provider_message_id)
            SELECT id, attempts, channel, provider, 'sent', coalesce(provider_message_id, '') FROM updated
            ON CONFLICT DO NOTHING
        ), notified AS (
            UPDATE notifications SET status = 'sent', updated_at = clock_timestamp()
            WHERE id IN (SELECT notification_id FROM updated WHERE status IN ('sent', 'delivered'))
              AND status IN ('queued', 'failed')
        )
        SELECT u.*, n.template_code, n.dossier_code, n.booking_id, n.source_event_id
        FROM updated u JOIN notifications n ON n.id = u.notification_id
        WHERE u.status IN ('sent', 'delivered')
        """,
        [r.delivery_id for r in results], [r.attempt for r in results], [r.provider_message_id for r in results],
        [r.cost_vnd for r in results],
    )


async def retry_later(conn: Conn, *, delivery_id: uuid.UUID, attempt: int, delay: float, error_code: str, error: str,
                      pin_provider: bool) -> bool:
    status = await conn.execute(
        """
        UPDATE deliveries SET status = 'created', not_before = clock_timestamp() + make_interval(secs => $3),
               sending_since = NULL, last_error_code = $4, last_error = $5, updated_at = clock_timestamp(),
               pinned_provider = CASE WHEN $6 THEN provider ELSE pinned_provider END
        WHERE id = $1 AND attempts = $2 AND status = 'sending'
        """,
        delivery_id, attempt, delay, error_code, error[:1000], pin_provider,
    )
    return status.endswith(" 1")


async def mark_failed(conn: Conn, *, delivery_id: uuid.UUID, status: str, error_code: str, error: str,
                      attempt: int | None = None, from_statuses: Sequence[str] = ("sending",)) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        UPDATE deliveries SET status = $2, failed_at = clock_timestamp(), sending_since = NULL, last_error_code = $3,
               last_error = $4, updated_at = clock_timestamp()
        WHERE id = $1 AND ($5::int IS NULL OR attempts = $5) AND status = ANY($6::text[])
        RETURNING id, notification_id, event_key, channel, step, provider, attempts
        """,
        delivery_id, status, error_code, error[:1000], attempt, list(from_statuses),
    )


async def stale_sending(conn: Conn, *, older_than_seconds: float, limit: int = 500) -> list[asyncpg.Record]:
    """Deliveries left in `sending` by a worker that died between the provider call and its commit."""
    return await conn.fetch(
        f"""
        SELECT {_DELIVERY_COLUMNS} FROM deliveries d
        WHERE d.status = 'sending' AND d.sending_since < statement_timestamp() - make_interval(secs => $1)
        ORDER BY d.sending_since LIMIT $2 FOR UPDATE SKIP LOCKED
        """,
        older_than_seconds, limit,
    )


async def requeue_same_provider(conn: Conn, *, delivery_id: uuid.UUID) -> bool:
    status = await conn.execute(
        """
        UPDATE deliveries SET status = 'created', not_before = clock_timestamp(), sending_since = NULL,
               pinned_provider = provider, last_error_code = 'reconciled', updated_at = clock_timestamp(),
               last_error = 'outcome unknown after a crash; re-sent with the same provider idempotency key'
        WHERE id = $1 AND status = 'sending'
        """,
        delivery_id,
    )
    return status.endswith(" 1")


async def notification_of(conn: Conn, notification_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        SELECT id, source_key, source_event_id, template_code, params::text AS params, phone, email, zalo_user_id,
               full_name, dossier_code, booking_id, chain, status, urgent
        FROM notifications WHERE id = $1
        """,
        notification_id,
    )


async def live_deliveries(conn: Conn, *, notification_id: uuid.UUID) -> int:
    """Deliveries of a notification not failed (created, sending, sent or delivered)."""
    return await conn.fetchval(
        "SELECT count(*) FROM deliveries WHERE notification_id = $1 AND status <> ALL($2::text[])",
        notification_id, list(FAILED),
    )


async def total_attempts(conn: Conn, *, notification_id: uuid.UUID) -> int:
    return await conn.fetchval("SELECT coalesce(sum(attempts), 0) FROM deliveries WHERE notification_id = $1",
                               notification_id)


async def find_for_receipt(conn: Conn, *, provider: str, provider_message_id: str, tracking_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        SELECT id, notification_id, event_key, channel, step, status, provider, provider_message_id, attempts, recipient
        FROM deliveries
        WHERE (nullif($2, '') IS NOT NULL AND provider = $1 AND provider_message_id = $2)
           OR (nullif($3, '') IS NOT NULL AND tracking_id = $3)
        ORDER BY (provider_message_id = $2) DESC LIMIT 1 FOR UPDATE
        """,
        provider, provider_message_id, tracking_id,
    )


async def mark_delivered_many(conn: Conn, receipts: Sequence[tuple[str, str, str, datetime]]) -> list[asyncpg.Record]:
    """Apply "delivered" receipts (provider, provider message id, tracking id, time) in one statement.

    One row per receipt that matched a delivery, `i` = its 1-based position in `receipts`: the delivery
    (as `find_for_receipt` finds it), whether this call moved it to `delivered` (`moved`: at most one receipt
    per delivery), and the notification's fields for the event. The deliveries are locked in id order, so
    concurrent batches cannot deadlock on each other; notifications advance to `delivered` as
    `set_notification_status` advances them.
    """
    return await conn.fetch(
        """
        WITH r AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
                WITH ORDINALITY AS r(provider, pmid, tracking, at, i)
        ), found AS (
            SELECT r.i, r.pmid, r.at, d.id, d.notification_id, d.channel, d.provider, d.provider_message_id
            FROM r CROSS JOIN LATERAL (
                SELECT id, notification_id, channel, provider, provider_message_id FROM deliveries
                WHERE (nullif(r.pmid, '') IS NOT NULL AND provider = r.provider AND provider_message_id = r.pmid)
                   OR (nullif(r.tracking, '') IS NOT NULL AND tracking_id = r.tracking)
                ORDER BY (provider_message_id = r.pmid) DESC LIMIT 1) d
        ), first AS (
            SELECT DISTINCT ON (id) id, i, pmid, at FROM found ORDER BY id, i
        ), locked AS (
            SELECT d.id FROM deliveries d WHERE d.id IN (SELECT id FROM first) ORDER BY d.id FOR UPDATE
        ), moved AS (
            UPDATE deliveries d SET status = 'delivered', delivered_at = f.at, sending_since = NULL,
                   updated_at = clock_timestamp(), provider_message_id = coalesce(d.provider_message_id, nullif(f.pmid, ''))
            FROM first f JOIN locked l ON l.id = f.id
            WHERE d.id = f.id AND d.status IN ('sending', 'sent', 'technical-failure', 'temporary-failure')
            RETURNING f.i, d.notification_id
        ), noted AS (
            UPDATE notifications n SET status = 'delivered', updated_at = clock_timestamp()
            WHERE n.id IN (SELECT notification_id FROM moved) AND n.status IN ('queued', 'sent', 'failed')
        )
        SELECT f.i, f.id, f.notification_id, f.channel, f.provider, f.provider_message_id, (m.i IS NOT NULL) AS moved,
               n.template_code, n.dossier_code, n.booking_id, n.source_event_id
        FROM found f LEFT JOIN moved m ON m.i = f.i LEFT JOIN notifications n ON n.id = f.notification_id
        ORDER BY f.i
        """,
        [r[0] for r in receipts], [r[1] for r in receipts], [r[2] for r in receipts], [r[3] for r in receipts],
    )


async def notifications_by(conn: Conn, *, phone: str = "", dossier_code: str = "", notification_id: uuid.UUID | None = None,
                           limit: int = 20, offset: int = 0) -> tuple[list[asyncpg.Record], int]:
    where = "phone = $1" if phone else ("dossier_code = $1" if dossier_code else "id = $1")
    key: Any = phone or dossier_code or notification_id
    rows = await conn.fetch(
        f"""
        SELECT id, template_code, status, reason, phone, email, zalo_user_id, dossier_code, booking_id, source_event_id,
               created_at, updated_at
        FROM notifications WHERE {where} ORDER BY created_at DESC, id LIMIT $2 OFFSET $3
        """,
        key, limit, offset,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM notifications WHERE {where}", key)
    return rows, int(total)


async def deliveries_of(conn: Conn, notification_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT id, notification_id, channel, status, provider, provider_message_id, attempts, last_error_code, updated_at,
               created_at
        FROM deliveries WHERE notification_id = ANY($1::uuid[]) ORDER BY created_at, step
        """,
        list(notification_ids),
    )


async def attempts_of(conn: Conn, delivery_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM delivery_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY at, attempt",
        list(delivery_ids),
    )


# -- preferences, Zalo state, tokens -----------------------------------------------------------------


async def preferences(conn: Conn, *, phone: str) -> tuple[Preferences, asyncpg.Record | None]:
    row = await conn.fetchrow("SELECT * FROM preferences WHERE phone = $1", phone) if phone else None
    if row is None:
        return Preferences(), None
    return Preferences(
        channels=tuple(row["channels"]), opted_out=frozenset(row["opted_out"]), opt_out_all=row["opt_out_all"],
        quiet_start=row["quiet_start"], quiet_end=row["quiet_end"], has_consent=row["consent_given_at"] is not None,
    ), row


async def preferences_many(conn: Conn, phones: Iterable[str]) -> dict[str, Preferences]:
    """Preferences of many phones in one query (phones without a row are absent)."""
    wanted = sorted({p for p in phones if p})
    if not wanted:
        return {}
    rows = await conn.fetch("SELECT * FROM preferences WHERE phone = ANY($1::text[])", wanted)
    return {row["phone"]: Preferences(
        channels=tuple(row["channels"]), opted_out=frozenset(row["opted_out"]), opt_out_all=row["opt_out_all"],
        quiet_start=row["quiet_start"], quiet_end=row["quiet_end"], has_consent=row["consent_given_at"] is not None,
    ) for row in rows}


async def save_preferences(conn: Conn, *, phone: str, channels: Sequence[str], opted_out: Sequence[str], opt_out_all: bool,
                           quiet_start: time | None, quiet_end: time | None, consent_purpose: str,
                           consent_given_at: datetime | None, consent_text_version: str) -> asyncpg.Record:
    return await conn.fetchrow(
        """
        INSERT INTO preferences (phone, channels, opted_out, opt_out_all, quiet_start, quiet_end, consent_purpose,
                                 consent_given_at, consent_text_version, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
        ON CONFLICT (phone) DO UPDATE SET channels = EXCLUDED.channels, opted_out = EXCLUDED.opted_out,
            opt_out_all = EXCLUDED.opt_out_all, quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end,
            consent_purpose = CASE WHEN EXCLUDED.consent_given_at IS NULL THEN preferences.consent_purpose
                                   ELSE EXCLUDED.consent_purpose END,
            consent_given_at = coalesce(EXCLUDED.consent_given_at, preferences.consent_given_at),
            consent_text_version = CASE WHEN EXCLUDED.consent_given_at IS NULL THEN preferences.consent_text_version
                                        ELSE EXCLUDED.consent_text_version END,
            updated_at = now()
        RETURNING *
        """,
        phone, list(channels), list(opted_out), opt_out_all, quiet_start, quiet_end, consent_purpose, consent_given_at,
        consent_text_version,
    )


async def zalo_state(conn: Conn, *, zalo_user_id: str) -> ZaloState:
    if not zalo_user_id:
        return ZaloState(followed=False)
    row = await conn.fetchrow(
        """
        SELECT f.followed, f.last_interaction_at,
               (SELECT count(*) FROM deliveries d WHERE d.channel = 'zalo_cs' AND d.recipient = f.zalo_user_id
                  AND d.created_at >= f.last_interaction_at AND d.status <> ALL($2::text[])) AS cs_sent
        FROM zalo_followers f WHERE f.zalo_user_id = $1
        """,
        zalo_user_id, list(FAILED),
    )
    if row is None:
        return ZaloState()
    return ZaloState(followed=row["followed"], last_interaction_at=row["last_interaction_at"],
                     cs_sent_in_window=int(row["cs_sent"] or 0))


async def zalo_states(conn: Conn, zalo_user_ids: Iterable[str]) -> dict[str, ZaloState]:
    """`zalo_state` of many users in one query (users the OA webhook never reported are absent)."""
    wanted = sorted({z for z in zalo_user_ids if z})
    if not wanted:
        return {}
    rows = await conn.fetch(
        """
        SELECT f.zalo_user_id, f.followed, f.last_interaction_at,
               (SELECT count(*) FROM deliveries d WHERE d.channel = 'zalo_cs' AND d.recipient = f.zalo_user_id
                  AND d.created_at >= f.last_interaction_at AND d.status <> ALL($2::text[])) AS cs_sent
        FROM zalo_followers f WHERE f.zalo_user_id = ANY($1::text[])
        """,
        wanted, list(FAILED),
    )
    return {r["zalo_user_id"]: ZaloState(followed=r["followed"], last_interaction_at=r["last_interaction_at"],
                                         cs_sent_in_window=int(r["cs_sent"] or 0)) for r in rows}


async def record_zalo_interaction(conn: Conn, *, zalo_user_id: str, followed: bool, message_at: datetime | None) -> asyncpg.Record:
    return await conn.fetchrow(
        """
        INSERT INTO zalo_followers (zalo_user_id, followed, last_interaction_at) VALUES ($1, $2, $3)
        ON CONFLICT (zalo_user_id) DO UPDATE SET followed = EXCLUDED.followed,
            last_interaction_at = GREATEST(zalo_followers.last_interaction_at, EXCLUDED.last_interaction_at),
            updated_at = now()
        RETURNING followed, last_interaction_at
        """,
        zalo_user_id, followed, message_at,
    )


async def load_tokens(conn: Conn, *, provider: str) -> tuple[str, str] | None:
    row = await conn.fetchrow("SELECT access_token, refresh_token FROM provider_tokens WHERE provider = $1", provider)
    return (row["access_token"], row["refresh_token"]) if row else None


async def save_tokens(conn: Conn, *, provider: str, access_token: str, refresh_token: str, expires_in: int) -> None:
    await conn.execute(
        """
        INSERT INTO provider_tokens (provider, access_token, refresh_token, expires_at)
        VALUES ($1, $2, $3, now() + make_interval(secs => $4))
        ON CONFLICT (provider) DO UPDATE SET access_token = EXCLUDED.access_token, refresh_token = EXCLUDED.refresh_token,
            expires_at = EXCLUDED.expires_at, updated_at = now()
        """,
        provider, access_token, refresh_token, float(expires_in),
    )


# -- e-mail suppressions (hard bounces, complaints) ---------------------------------------------------


async def suppressed_emails(conn: Conn, addresses: Iterable[str]) -> set[str]:
    """The addresses among `addresses` (compared in lower case) that must not get e-mail; lower-cased."""
    wanted = sorted({a.lower() for a in addresses if a})
    if not wanted:
        return set()
    rows = await conn.fetch("SELECT address FROM email_suppressions WHERE address = ANY($1::text[])", wanted)
    return {r["address"] for r in rows}


def address_sha256(address: str) -> str:
    """The key of an address in the lift audit (lower case, SHA-256 hex)."""
    return hashlib.sha256(address.lower().encode()).hexdigest()


async def email_suppression(conn: Conn, *, address: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM email_suppressions WHERE address = $1", address.lower())


async def lift_email_suppression(conn: Conn, *, address: str, actor: str, reason: str) -> asyncpg.Record | None:
    """Delete the suppression of `address` and audit the lift, in ONE statement; return the suppression lifted
    (None when there was none: nothing is audited)."""
    return await conn.fetchrow(
        """
        WITH lifted AS (DELETE FROM email_suppressions WHERE address = $1 RETURNING *),
             audit AS (
                INSERT INTO email_suppression_lifts (address_sha256, suppression_reason, status_code, suppressed_at,
                                                     lifted_by, lift_reason)
                SELECT $2, reason, status_code, updated_at, $3, $4 FROM lifted)
        SELECT * FROM lifted
        """,
        address.lower(), address_sha256(address), actor, reason,
    )


async def suppress_email(conn: Conn, *, address: str, reason: str, status_code: str, diagnostic: str,
                         delivery_id: uuid.UUID | None) -> None:
    await conn.execute(
        """
        INSERT INTO email_suppressions (address, reason, status_code, diagnostic, delivery_id) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (address) DO UPDATE SET reason = EXCLUDED.reason, status_code = EXCLUDED.status_code,
            diagnostic = EXCLUDED.diagnostic, delivery_id = EXCLUDED.delivery_id, updated_at = now()
        """,
        address.lower(), reason, status_code[:20], diagnostic[:1000], delivery_id,
    )


# -- subscriptions and webhook deliveries ------------------------------------------------------------


async def create_subscription(conn: Conn, *, agency_id: str, url: str, event_types: Sequence[str],
                              procedure_codes: Sequence[str], secret_ciphertext: bytes) -> asyncpg.Record:
    return await conn.fetchrow(
        """
        INSERT INTO subscriptions (id, agency_id, url, event_types, procedure_codes, secret_ciphertext)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING *
        """,
        uuid.uuid4(), agency_id, url, list(event_types), list(procedure_codes), secret_ciphertext,
    )


async def list_subscriptions(conn: Conn, *, agency_id: str, limit: int, offset: int) -> tuple[list[asyncpg.Record], int]:
    rows = await conn.fetch(
        """
        SELECT * FROM subscriptions WHERE deleted_at IS NULL AND ($1 = '' OR agency_id = $1)
        ORDER BY created_at, id LIMIT $2 OFFSET $3
        """,
        agency_id, limit, offset,
    )
    total = await conn.fetchval("SELECT count(*) FROM subscriptions WHERE deleted_at IS NULL AND ($1 = '' OR agency_id = $1)",
                                agency_id)
    return rows, int(total)


async def subscription(conn: Conn, *, subscription_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM subscriptions WHERE id = $1 AND deleted_at IS NULL", subscription_id)


async def delete_subscription(conn: Conn, *, subscription_id: uuid.UUID, agency_id: str) -> bool:
    row = await conn.fetchrow(
        """
        UPDATE subscriptions SET deleted_at = now(), active = false
        WHERE id = $1 AND agency_id = $2 AND deleted_at IS NULL RETURNING id
        """,
        subscription_id, agency_id,
    )
    if row is None:
        return False
    await conn.execute("UPDATE webhook_deliveries SET status = 'dropped' WHERE subscription_id = $1 AND status = 'pending'",
                       subscription_id)
    return True


async def claim_webhooks(conn: Conn, *, limit: int, lease_seconds: float) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        UPDATE webhook_deliveries w SET next_attempt_at = clock_timestamp() + make_interval(secs => $2),
               attempts = w.attempts + 1
        FROM (SELECT wd.id FROM webhook_deliveries wd JOIN subscriptions s ON s.id = wd.subscription_id
              WHERE wd.status = 'pending' AND wd.next_attempt_at <= statement_timestamp() AND s.active
              ORDER BY wd.next_attempt_at LIMIT $1 FOR UPDATE OF wd SKIP LOCKED) due, subscriptions s
        WHERE w.id = due.id AND s.id = w.subscription_id
        RETURNING w.id, w.subscription_id, w.event_id, w.event_type, w.body, w.attempts, w.created_at, s.url,
                  s.secret_ciphertext
        """,
        limit, lease_seconds,
    )


async def webhook_delivered(conn: Conn, *, delivery_id: uuid.UUID, http_status: int) -> None:
    row = await conn.fetchrow(
        """
        UPDATE webhook_deliveries SET status = 'delivered', delivered_at = clock_timestamp(), last_http_status = $2,
               last_error = '' WHERE id = $1 AND status = 'pending' RETURNING subscription_id
        """,
        delivery_id, http_status,
    )
    if row is not None:
        await conn.execute("UPDATE subscriptions SET consecutive_failures = 0, failing_since = NULL WHERE id = $1",
                           row["subscription_id"])


async def webhook_failed(conn: Conn, *, delivery_id: uuid.UUID, http_status: int, error: str, retry_in: float | None,
                         disable_after_failures: int, disable_after_seconds: float) -> tuple[bool, asyncpg.Record | None]:
    """Record a failed attempt: retry later or give up; return (subscription disabled now, the delivery if given up)."""
    if retry_in is None:
        given_up = await conn.fetchrow(
            """
            UPDATE webhook_deliveries SET status = 'failed', last_http_status = $2, last_error = $3
            WHERE id = $1 AND status = 'pending' RETURNING id, subscription_id, event_id, event_type, body
            """,
            delivery_id, http_status, error[:1000],
        )
        sub_id = given_up["subscription_id"] if given_up else None
    else:
        given_up = None
        sub_id = await conn.fetchval(
            """
            UPDATE webhook_deliveries SET next_attempt_at = clock_timestamp() + make_interval(secs => $4),
                   last_http_status = $2, last_error = $3
            WHERE id = $1 AND status = 'pending' RETURNING subscription_id
            """,
            delivery_id, http_status, error[:1000], retry_in,
        )
    if sub_id is None:
        return False, given_up
    disabled = await conn.fetchval(
        """
        WITH s AS (SELECT id, consecutive_failures + 1 AS failures, coalesce(failing_since, clock_timestamp()) AS since
                   FROM subscriptions WHERE id = $1 AND active FOR UPDATE),
             d AS (SELECT id, failures, since,
                          failures >= $2 AND clock_timestamp() - since >= make_interval(secs => $3) AS off FROM s)
        UPDATE subscriptions u SET consecutive_failures = d.failures, failing_since = d.since, active = NOT d.off,
               disabled_at = CASE WHEN d.off THEN clock_timestamp() END,
               disabled_reason = CASE WHEN d.off THEN format('disabled after %s failed deliveries in a row', d.failures)
                                      ELSE '' END
        FROM d WHERE u.id = d.id RETURNING d.off
        """,
        sub_id, disable_after_failures, disable_after_seconds,
    )
    return bool(disabled), given_up


async def webhook_log(conn: Conn, *, subscription_id: uuid.UUID, status: str, limit: int,
                      offset: int) -> tuple[list[asyncpg.Record], int]:
    rows = await conn.fetch(
        """
        SELECT id, subscription_id, event_id, event_type, status, attempts, last_http_status, last_error, next_attempt_at,
               delivered_at, created_at
        FROM webhook_deliveries WHERE subscription_id = $1 AND ($2 = '' OR status = $2)
        ORDER BY created_at DESC, id LIMIT $3 OFFSET $4
        """,
        subscription_id, status, limit, offset,
    )
    total = await conn.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE subscription_id = $1 AND ($2 = '' OR status = $2)",
        subscription_id, status,
    )
    return rows, int(total)


async def reenable_subscription(conn: Conn, *, subscription_id: uuid.UUID, agency_id: str) -> asyncpg.Record | None:
    """Re-activate the agency's subscription and reset its failure streak; pending deliveries become due now.

    Return the subscription with `was_active` (None when the agency has no such subscription)."""
    row = await conn.fetchrow(
        """
        WITH before AS (SELECT id, active FROM subscriptions
                        WHERE id = $1 AND agency_id = $2 AND deleted_at IS NULL FOR UPDATE)
        UPDATE subscriptions s SET active = true, consecutive_failures = 0, failing_since = NULL, disabled_at = NULL,
               disabled_reason = ''
        FROM before WHERE s.id = before.id
        RETURNING s.*, before.active AS was_active
        """,
        subscription_id, agency_id,
    )
    if row is not None and not row["was_active"]:
        await conn.execute(
            """UPDATE webhook_deliveries SET next_attempt_at = clock_timestamp()
               WHERE subscription_id = $1 AND status = 'pending'""", subscription_id)
    return row


async def disabled_subscriptions(conn: Conn) -> int:
    return await conn.fetchval("SELECT count(*) FROM subscriptions WHERE NOT active AND deleted_at IS NULL")
