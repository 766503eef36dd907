"""Data-subject rights in the notification service: export and erase what a citizen was sent.

Found by phone number, e-mail address or Zalo user id (the gateway passes the ones the
registry and the scheduler found on the citizen's records). Erase, in one transaction:
- notifications: phone, e-mail, Zalo id and name cleared, parameters scrubbed of the
  person's name and identifiers; kept: template, event, dossier code / booking id,
  status and times (the proof that the citizen was informed);
- deliveries: recipient replaced by a per-row placeholder, rendered bodies replaced
  (they held the name), ZNS data emptied; kept: channel, provider, status, cost, times;
  deliveries not yet sent are closed as `permanent-failure` (SUBJECT_ERASED) so the
  worker never sends to an erased person;
- preferences (keyed by phone), Zalo follower state and e-mail suppressions (hard
  bounces, complaints) of the person's addresses deleted (nothing the law asks to keep);
- agency webhook deliveries and the outbox archive scrubbed should they hold an identifier.
See docs/data-subject-rights.md.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import grpc

from motcua.common.v1 import subject_data_pb2 as sd
from motcua_notification import repository
from motcua_platform import subject_data as dsr
from motcua_platform.logging import get_logger

SERVICE = "notification"
log = get_logger(__name__)

_MATCH = """
    n.phone = ANY($1::text[]) OR lower(n.email) = ANY($2::text[]) OR n.zalo_user_id = ANY($3::text[])
"""


def _args(subject: dsr.Subject) -> list[list[str]]:
    return [sorted(subject.phones), sorted(subject.emails), sorted(subject.zalo_user_ids)]


def _recipients(subject: dsr.Subject) -> list[str]:
    return sorted({*subject.phones, *subject.emails, *subject.zalo_user_ids})


async def export(pool: asyncpg.Pool, subject: dsr.Subject) -> sd.ExportSubjectDataResponse:
    """Every notification to the citizen with its deliveries and attempts, their preferences and Zalo state."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        notifications = await conn.fetch(f"SELECT * FROM notifications n WHERE {_MATCH} ORDER BY created_at", *_args(subject))
        ids = [r["id"] for r in notifications]
        deliveries = await conn.fetch(
            "SELECT * FROM deliveries WHERE notification_id = ANY($1::uuid[]) OR recipient = ANY($2::text[]) ORDER BY created_at",
            ids, _recipients(subject))
        attempts = await conn.fetch("SELECT * FROM delivery_attempts WHERE delivery_id = ANY($1::uuid[]) "
                                    "ORDER BY delivery_id, attempt", [r["id"] for r in deliveries])
        preferences = await conn.fetch("SELECT * FROM preferences WHERE phone = ANY($1::text[])", sorted(subject.phones))
        zalo = {r["zalo_user_id"] for r in notifications if r["zalo_user_id"]} | set(subject.zalo_user_ids)
        followers = await conn.fetch("SELECT * FROM zalo_followers WHERE zalo_user_id = ANY($1::text[])", sorted(zalo))
        emails = {r["email"].lower() for r in notifications if r["email"]} | set(subject.emails)
        suppressions = await conn.fetch("SELECT * FROM email_suppressions WHERE address = ANY($1::text[])", sorted(emails))
        lifts = await conn.fetch("SELECT * FROM email_suppression_lifts WHERE address_sha256 = ANY($1::text[])",
                                 sorted(repository.address_sha256(e) for e in emails))
        events = await dsr.outbox_rows(conn, keys=[str(i) for i in ids], needles=subject.identifiers())
    records: dict[str, list[dict[str, Any]]] = {
        "notifications": [dsr.record(r, json_columns=("params",)) for r in notifications],
        "deliveries": [dsr.record(r, json_columns=("zns_data",)) for r in deliveries],
        "delivery_attempts": [dsr.record(r) for r in attempts],
        "preferences": [dsr.record(r) for r in preferences],
        "zalo_followers": [dsr.record(r) for r in followers],
        "email_suppressions": [dsr.record(r) for r in suppressions],
        "email_suppression_lifts": [dsr.record(r) for r in lifts],
        "events": events,
    }
    linked = sd.DataSubject(linked_emails=sorted({r["email"].lower() for r in notifications if r["email"]}),
                            linked_zalo_user_ids=sorted(zalo))
    return sd.ExportSubjectDataResponse(service=SERVICE, data_json=dsr.export_json(SERVICE, records),
                                        counts={k: len(v) for k, v in records.items()}, linked=linked)


def _scrub(text: str, replacements: list[str]) -> str:
    for r in replacements:
        text = text.replace(r, dsr.ANONYMISED)
    return text


async def erase(pool: asyncpg.Pool, subject: dsr.Subject, *, request_id: str, actor: str, reason: str) -> dsr.Erasure:
    """Anonymise the citizen's notifications and deliveries, delete preferences; idempotent on request_id."""
    async with pool.acquire() as conn, conn.transaction():
        done = await dsr.claim_erasure(conn, request_id, actor=actor, reason=reason)
        if done is not None:
            return done
        result = dsr.Erasure()
        rows = await conn.fetch(f"SELECT id, phone, email, zalo_user_id, full_name, params::text AS params "
                                f"FROM notifications n WHERE {_MATCH} FOR UPDATE", *_args(subject))
        ids = [r["id"] for r in rows]
        needles = set(subject.identifiers())
        texts: set[str] = set()
        zalo = set(subject.zalo_user_ids)
        emails = set(subject.emails)
        for r in rows:
            needles.update(v for v in (r["email"], r["zalo_user_id"]) if v)
            if r["email"]:
                emails.add(r["email"].lower())
            if r["phone"]:
                needles.add(r["phone"][3:])
            if r["zalo_user_id"]:
                zalo.add(r["zalo_user_id"])
            if r["full_name"] and len(r["full_name"]) >= 4:
                texts.add(r["full_name"])
            params = json.loads(r["params"])
            if isinstance(params, dict) and isinstance(params.get("full_name"), str) and len(params["full_name"]) >= 4:
                texts.add(params["full_name"])
        replacements = sorted(needles | texts, key=len, reverse=True)
        for r in rows:
            params = json.loads(_scrub(r["params"], replacements))
            if isinstance(params, dict) and "full_name" in params:
                params["full_name"] = dsr.ANONYMISED
            await conn.execute(
                """
                UPDATE notifications
                   SET phone = NULL, email = NULL, zalo_user_id = NULL, full_name = NULL, params = $2::jsonb,
                       state = CASE WHEN state = 'planning' THEN 'done' ELSE state END,
                       status = CASE WHEN state = 'planning' THEN 'suppressed' ELSE status END,
                       reason = CASE WHEN state = 'planning' THEN 'subject_erased' ELSE reason END,
                       updated_at = clock_timestamp()
                 WHERE id = $1
                """, r["id"], json.dumps(params, ensure_ascii=False))
        result.add("notifications", len(rows))
        closed = await conn.fetchval(
            """
            WITH c AS (
                UPDATE deliveries SET status = 'permanent-failure', last_error_code = 'SUBJECT_ERASED',
                                      last_error = 'personal data erased on request', failed_at = clock_timestamp()
                 WHERE (notification_id = ANY($1::uuid[]) OR recipient = ANY($2::text[]))
                   AND status IN ('created', 'sending', 'temporary-failure')
                RETURNING 1)
            SELECT count(*) FROM c
            """, ids, _recipients(subject))
        result.add("deliveries_stopped", closed)
        deliveries = await conn.fetch(
            "SELECT id, subject FROM deliveries WHERE notification_id = ANY($1::uuid[]) OR recipient = ANY($2::text[]) "
            "FOR UPDATE", ids, _recipients(subject))
        for d in deliveries:
            await conn.execute(
                """
                UPDATE deliveries SET recipient = 'erased:' || id::text, subject = $2, body = $3, body_html = '',
                                      zns_data = '{}', last_error = '', updated_at = clock_timestamp()
                 WHERE id = $1
                """, d["id"], _scrub(d["subject"], replacements), dsr.ANONYMISED)
        result.add("deliveries", len(deliveries))
        result.add("preferences", await _count(conn, "DELETE FROM preferences WHERE phone = ANY($1::text[])",
                                               sorted(subject.phones)))
        result.add("zalo_followers", await _count(conn, "DELETE FROM zalo_followers WHERE zalo_user_id = ANY($1::text[])",
                                                  sorted(zalo)))
        # A hard bounce or complaint of the person's address: nothing to keep once we hold no address of theirs.
        result.add("email_suppressions", await _count(conn, "DELETE FROM email_suppressions WHERE address = ANY($1::text[])",
                                                      sorted(emails)))
        result.add("email_suppression_lifts", await _count(
            conn, "DELETE FROM email_suppression_lifts WHERE address_sha256 = ANY($1::text[])",
            sorted(repository.address_sha256(e) for e in emails)))
        webhook = await conn.fetch(
            "SELECT id, body FROM webhook_deliveries "
            "WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) n WHERE position(convert_to(n, 'UTF8') in body) > 0) FOR UPDATE",
            sorted(needles))
        for w in webhook:
            body = _scrub(bytes(w["body"]).decode("utf-8", errors="replace"), sorted(needles, key=len, reverse=True))
            await conn.execute("UPDATE webhook_deliveries SET body = $2 WHERE id = $1", w["id"], body.encode())
        result.add("webhook_deliveries", len(webhook))
        result.add("outbox", await dsr.scrub_outbox(conn, keys=[str(i) for i in ids], needles=needles, texts=texts))
        await dsr.finish_erasure(conn, request_id, result)
    log.info("subject_data_erased", request_id=request_id, counts=result.counts)
    return result


async def _count(conn: asyncpg.Connection, sql: str, *args: Any) -> int:
    status = await conn.execute(sql, *args)
    return int(status.split()[-1])


class SubjectDataRpcs:
    """ExportSubjectData / EraseSubjectData of NotificationService (mixed into the servicer)."""

    _svc: Any

    @property
    def _subject_pool(self) -> asyncpg.Pool:
        return self._svc._pool  # the service keeps its pool private; these RPCs are its own

    async def ExportSubjectData(self, request: sd.ExportSubjectDataRequest, context: grpc.aio.ServicerContext
                                ) -> sd.ExportSubjectDataResponse:
        return await export(self._subject_pool, dsr.subject_from_pb(request.subject))

    async def EraseSubjectData(self, request: sd.EraseSubjectDataRequest, context: grpc.aio.ServicerContext
                               ) -> sd.EraseSubjectDataResponse:
        subject = dsr.subject_from_pb(request.subject)
        request_id, actor, reason = dsr.check_erase_request(request.request_id, request.actor, request.reason)
        result = await erase(self._subject_pool, subject, request_id=request_id, actor=actor, reason=reason)
        return sd.EraseSubjectDataResponse(service=SERVICE, counts=result.counts, replayed=result.replayed)
