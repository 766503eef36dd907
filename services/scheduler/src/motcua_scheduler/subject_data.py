"""Data-subject rights in the scheduler: export and erase a citizen's bookings.

Erase first cancels the citizen's active bookings through the normal path
(`SchedulerService.cancel`, as the system: the place is given back, history and an
`appointment.cancelled` event follow), then, in one transaction, removes the personal
fields of every booking of the citizen (name, phone, street, Zalo id, note; the overlap
key becomes a per-booking placeholder), scrubs the identifiers out of free texts of the
history, deletes the idempotency rows (their request hash was computed over the
personal data) and scrubs the outbox archive. Kept: slot, time, help type, statuses,
history, channel, ward, and the consent record (purpose, time, text version).
With the name gone, `ResolveContact` answers CONTACT_NOT_FOUND, so a notification
still queued for the booking is suppressed instead of sent. See docs/data-subject-rights.md.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import grpc

from motcua.common.v1 import subject_data_pb2 as sd
from motcua_platform import subject_data as dsr
from motcua_platform.logging import get_logger
from motcua_scheduler.domain import model as m
from motcua_scheduler.domain.rules import citizen_key

SERVICE = "scheduler"
CANCEL_REASON = "Hủy theo yêu cầu xoá dữ liệu cá nhân của công dân"
log = get_logger(__name__)

_MATCH = """
    b.phone = ANY($1::text[]) OR b.citizen_key = ANY($2::text[])
    OR (b.zalo_user_id <> '' AND b.zalo_user_id = ANY($3::text[]))
"""


def _args(subject: dsr.Subject) -> list[list[str]]:
    return [sorted(subject.phones), sorted(citizen_key(p) for p in subject.phones), sorted(subject.zalo_user_ids)]


async def export(pool: asyncpg.Pool, subject: dsr.Subject) -> sd.ExportSubjectDataResponse:
    """Every booking of the citizen with its history, reminders and events."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        bookings = await conn.fetch(
            f"SELECT b.*, s.point_id, s.starts_at, s.ends_at, s.model FROM booking b JOIN slot s ON s.id = b.slot_id "
            f"WHERE {_MATCH} ORDER BY b.created_at", *_args(subject))
        ids = [r["id"] for r in bookings]
        history = await conn.fetch("SELECT * FROM booking_history WHERE booking_id = ANY($1::uuid[]) ORDER BY id", ids)
        reminders = await conn.fetch("SELECT * FROM reminder WHERE booking_id = ANY($1::uuid[]) ORDER BY created_at", ids)
        events = await dsr.outbox_rows(conn, keys=[str(i) for i in ids], needles=subject.identifiers())
    records: dict[str, list[dict[str, Any]]] = {
        "bookings": [dsr.record(r) for r in bookings],
        "booking_history": [dsr.record(r) for r in history],
        "reminders": [dsr.record(r) for r in reminders],
        "events": events,
    }
    for b in records["bookings"]:
        b.pop("citizen_key", None)  # an internal hash, not data about the person
    linked = sd.DataSubject(linked_phones=sorted({r["phone"] for r in bookings if r["phone"]}),
                            linked_zalo_user_ids=sorted({r["zalo_user_id"] for r in bookings if r["zalo_user_id"]}))
    return sd.ExportSubjectDataResponse(service=SERVICE, data_json=dsr.export_json(SERVICE, records),
                                        counts={k: len(v) for k, v in records.items()}, linked=linked)


async def erase(service: Any, subject: dsr.Subject, *, request_id: str, actor: str, reason: str) -> dsr.Erasure:
    """Cancel the active bookings (normal path), then anonymise every booking; idempotent on request_id."""
    pool: asyncpg.Pool = service.pool
    async with pool.acquire() as conn:
        counts = await conn.fetchval("SELECT counts FROM subject_erasures WHERE request_id = $1", request_id)
        active = [] if counts is not None else await conn.fetch(
            f"SELECT b.id FROM booking b WHERE ({_MATCH}) AND b.status IN ('held', 'requested', 'confirmed')",
            *_args(subject))
    system = m.Actor(f"system:data-subject:{actor}"[:128], "system", "Yêu cầu xoá dữ liệu cá nhân")
    cancelled = 0
    for row in active:
        result = await service.cancel(booking_id=str(row["id"]), token="", actor=system, reason=CANCEL_REASON)
        cancelled += int(result.booking.status == m.Status.CANCELLED)

    async with pool.acquire() as conn, conn.transaction():
        done = await dsr.claim_erasure(conn, request_id, actor=actor, reason=reason)
        if done is not None:
            return done
        result = dsr.Erasure()
        result.add("bookings_cancelled", cancelled)
        rows = await conn.fetch(f"SELECT b.id, b.full_name, b.phone, b.street, b.zalo_user_id, b.note FROM booking b "
                                f"WHERE {_MATCH} FOR UPDATE", *_args(subject))
        needles = set(subject.identifiers())
        texts: set[str] = set()
        for r in rows:
            if r["phone"]:
                needles.add(r["phone"][3:])
            if r["zalo_user_id"]:
                needles.add(r["zalo_user_id"])
            texts.update(t for t in (r["full_name"], r["street"]) if t and len(t) >= 4)
        ids = [r["id"] for r in rows]
        await conn.execute(
            """
            UPDATE booking SET full_name = NULL, phone = NULL, street = '', zalo_user_id = '', note = '',
                               citizen_key = 'erased:' || id::text
             WHERE id = ANY($1::uuid[])
            """, ids)
        result.add("bookings", len(rows))
        replacements = sorted(needles | texts, key=len, reverse=True)
        scrubbed = 0
        for table, key, column in (("booking_history", "booking_id", "note"), ("booking", "id", "cancel_reason")):
            for h in await conn.fetch(f"SELECT id, {column} AS text FROM {table} WHERE {key} = ANY($1::uuid[]) "
                                      f"AND {column} <> ''", ids):
                cleaned = h["text"]
                for text in replacements:
                    cleaned = cleaned.replace(text, dsr.ANONYMISED)
                if cleaned != h["text"]:
                    await conn.execute(f"UPDATE {table} SET {column} = $2 WHERE id = $1", h["id"], cleaned)
                    scrubbed += 1
        result.add("free_texts", scrubbed)
        deleted = await conn.fetchval(
            "WITH d AS (DELETE FROM idempotency_key WHERE booking_id = ANY($1::uuid[]) RETURNING 1) SELECT count(*) FROM d", ids)
        result.add("idempotency_keys", deleted)
        result.add("outbox", await dsr.scrub_outbox(conn, keys=[str(i) for i in ids], needles=needles, texts=texts))
        await dsr.finish_erasure(conn, request_id, result)
    log.info("subject_data_erased", request_id=request_id, counts=result.counts)
    return result


class SubjectDataRpcs:
    """ExportSubjectData / EraseSubjectData of SchedulerService (mixed into the servicer, which holds `service`)."""

    service: Any

    async def ExportSubjectData(self, request: sd.ExportSubjectDataRequest, context: grpc.aio.ServicerContext
                                ) -> sd.ExportSubjectDataResponse:
        return await export(self.service.pool, dsr.subject_from_pb(request.subject))

    async def EraseSubjectData(self, request: sd.EraseSubjectDataRequest, context: grpc.aio.ServicerContext
                               ) -> sd.EraseSubjectDataResponse:
        subject = dsr.subject_from_pb(request.subject)
        request_id, actor, reason = dsr.check_erase_request(request.request_id, request.actor, request.reason)
        result = await erase(self.service, subject, request_id=request_id, actor=actor, reason=reason)
        return sd.EraseSubjectDataResponse(service=SERVICE, counts=result.counts, replayed=result.replayed)
