"""Data-subject rights in the dossier registry: export and erase an applicant's personal data.

A dossier is an administrative record the law requires the agency to keep, so erasure
anonymises it instead of deleting it: code, procedure, agency, channel, statuses with
their history, due dates and the consent record stay; the applicant's name, ID number,
phone, e-mail, Zalo id, street address and the subject's birth date are replaced; the
receipt token is replaced by a secret nobody holds (the QR code of the printed receipt
no longer opens the full view); free texts of the status history lose the identifiers.
Events carry `contact_ref` only, so the topics need no change; archived outbox rows are
scrubbed should any hold an identifier. See docs/data-subject-rights.md.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import asyncpg
import grpc

from motcua.common.v1 import subject_data_pb2 as sd
from motcua_platform import subject_data as dsr
from motcua_platform.logging import get_logger

SERVICE = "dossier"
log = get_logger(__name__)

_MATCH = """
    (applicant->>'phone') = ANY($1::text[])
    OR (applicant->>'id_number') = ANY($2::text[])
    OR lower(applicant->>'email') = ANY($3::text[])
    OR ((applicant->>'zalo_user_id') <> '' AND (applicant->>'zalo_user_id') = ANY($4::text[]))
"""


def _args(subject: dsr.Subject) -> list[list[str]]:
    return [sorted(subject.phones), sorted(subject.id_numbers), sorted(subject.emails), sorted(subject.zalo_user_ids)]


def _linked(rows: list[asyncpg.Record]) -> sd.DataSubject:
    phones, emails, zalo = set(), set(), set()
    for r in rows:
        a = json.loads(r["applicant"])
        if a.get("phone"):
            phones.add(a["phone"])
        if a.get("email"):
            emails.add(a["email"].lower())
        if a.get("zalo_user_id"):
            zalo.add(a["zalo_user_id"])
    return sd.DataSubject(linked_phones=sorted(phones), linked_emails=sorted(emails), linked_zalo_user_ids=sorted(zalo))


async def export(pool: asyncpg.Pool, subject: dsr.Subject) -> sd.ExportSubjectDataResponse:
    """Every dossier whose applicant is the subject, with its status history and the events about it."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        dossiers = await conn.fetch(f"SELECT * FROM dossiers WHERE {_MATCH} ORDER BY id", *_args(subject))
        ids = [r["id"] for r in dossiers]
        history = await conn.fetch(
            "SELECT d.code, h.from_status, h.to_status, h.actor, h.reason, h.at, h.version "
            "FROM status_history h JOIN dossiers d ON d.id = h.dossier_id WHERE h.dossier_id = ANY($1::bigint[]) "
            "ORDER BY h.dossier_id, h.version", ids)
        codes = [r["code"] for r in dossiers]
        events = await dsr.outbox_rows(conn, keys=codes, needles=subject.identifiers())
    records: dict[str, list[dict[str, Any]]] = {
        "dossiers": [dsr.record(r, json_columns=("applicant", "documents", "consent", "assisted_by", "due_basis"))
                     for r in dossiers],
        "status_history": [dsr.record(r, json_columns=("actor",)) for r in history],
        "events": events,
    }
    for d in records["dossiers"]:
        # Internal keys, not data about the person.
        d.pop("request_hash", None)
        d.pop("id", None)
    return sd.ExportSubjectDataResponse(service=SERVICE, data_json=dsr.export_json(SERVICE, records),
                                        counts={k: len(v) for k, v in records.items()}, linked=_linked(list(dossiers)))


def _anonymised(applicant: dict[str, Any]) -> dict[str, Any]:
    address = dict(applicant.get("address") or {})
    address["street"] = dsr.ANONYMISED
    return {"full_name": dsr.ANONYMISED, "id_number": "", "phone": "", "email": "", "zalo_user_id": "", "address": address}


def _texts(applicant: dict[str, Any]) -> list[str]:
    """Personal texts of one applicant that are not identifiers (looked for in free texts)."""
    address = applicant.get("address") or {}
    return [t for t in (applicant.get("full_name", ""), address.get("street", "")) if t and t != dsr.ANONYMISED]


async def erase(pool: asyncpg.Pool, subject: dsr.Subject, *, request_id: str, actor: str,
                reason: str) -> dsr.Erasure:
    """Anonymise the subject's dossiers in one transaction; idempotent on request_id."""
    async with pool.acquire() as conn, conn.transaction():
        done = await dsr.claim_erasure(conn, request_id, actor=actor, reason=reason)
        if done is not None:
            return done
        result = dsr.Erasure()
        rows = await conn.fetch(f"SELECT id, code, applicant FROM dossiers WHERE {_MATCH} ORDER BY id FOR UPDATE",
                                *_args(subject))
        texts: set[str] = set()
        needles = set(subject.identifiers())
        for r in rows:
            applicant = json.loads(r["applicant"])
            texts.update(_texts(applicant))
            needles.update(v for v in (applicant.get("id_number"), applicant.get("email"), applicant.get("zalo_user_id"))
                           if v)
            if applicant.get("phone"):
                needles.add(applicant["phone"][3:])
            await conn.execute(
                "UPDATE dossiers SET applicant = $2::jsonb, subject_birth_date = NULL, public_token = $3 WHERE id = $1",
                r["id"], json.dumps(_anonymised(applicant), ensure_ascii=False), "erased." + secrets.token_urlsafe(32))
        result.add("dossiers", len(rows))
        ids = [r["id"] for r in rows]
        replacements = sorted(needles | texts, key=len, reverse=True)
        history = await conn.fetch("SELECT id, reason FROM status_history WHERE dossier_id = ANY($1::bigint[]) AND reason <> ''",
                                   ids)
        scrubbed = 0
        for h in history:
            cleaned = h["reason"]
            for text in replacements:
                cleaned = cleaned.replace(text, dsr.ANONYMISED)
            if cleaned != h["reason"]:
                await conn.execute("UPDATE status_history SET reason = $2 WHERE id = $1", h["id"], cleaned)
                scrubbed += 1
        result.add("status_history", scrubbed)
        result.add("outbox", await dsr.scrub_outbox(conn, keys=[r["code"] for r in rows], needles=needles, texts=texts))
        await dsr.finish_erasure(conn, request_id, result)
    log.info("subject_data_erased", request_id=request_id, counts=result.counts)
    return result


class SubjectDataRpcs:
    """ExportSubjectData / EraseSubjectData of DossierService (mixed into the servicer, which holds `service.pool`)."""

    service: Any

    async def ExportSubjectData(self, request: sd.ExportSubjectDataRequest, context: grpc.aio.ServicerContext
                                ) -> sd.ExportSubjectDataResponse:
        return await export(self.service.pool, dsr.subject_from_pb(request.subject))

    async def EraseSubjectData(self, request: sd.EraseSubjectDataRequest, context: grpc.aio.ServicerContext
                               ) -> sd.EraseSubjectDataResponse:
        subject = dsr.subject_from_pb(request.subject)
        request_id, actor, reason = dsr.check_erase_request(request.request_id, request.actor, request.reason)
        result = await erase(self.service.pool, subject, request_id=request_id, actor=actor, reason=reason)
        return sd.EraseSubjectDataResponse(service=SERVICE, counts=result.counts, replayed=result.replayed)
