"""Data-subject rights across the services: export everything held about a citizen, erase it, audit both.

The gateway asks each service that holds personal data (SERVICES, in this order) over
its ExportSubjectData / EraseSubjectData RPCs and handles its own tables (GATEWAY_TABLES)
itself. Order matters: the registry and the gateway's channel identities are asked first
because the identifiers found on their records (e-mail, Zalo id, the phone behind an ID
number) let the scheduler and the notification service find the same person.

Erasure is resumable: progress is kept per Idempotency-Key in `data_subject_erasures`;
each service's own erasure is idempotent on a request id derived from that key, so a
retry after a partial failure finishes the services still pending and replays the
finished ones without redoing them. Every export and every erasure attempt appends a
row to `data_subject_audit` (salted hashes of the identifiers, never the identifiers).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import grpc

from motcua.common.v1 import subject_data_pb2 as sd
from motcua.dossier.v1.dossier_service_pb2_grpc import DossierServiceStub
from motcua.notification.v1.notification_service_pb2_grpc import NotificationServiceStub
from motcua.scheduler.v1.scheduler_service_pb2_grpc import SchedulerServiceStub
from motcua_platform import subject_data as dsr
from motcua_platform.errors import InvalidArgument
from motcua_platform.logging import get_logger

log = get_logger(__name__)

#: Services holding personal data, in the order they are asked; the gateway's own tables come last.
SERVICES: dict[str, type] = {"dossier": DossierServiceStub, "scheduler": SchedulerServiceStub,
                             "notification": NotificationServiceStub}
GATEWAY = "gateway"
DEADLINE_SECONDS = 15.0
#: gRPC codes meaning "that service is not reachable now": the erasure stays pending, a retry resumes.
_UNREACHABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED,
                grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL, grpc.StatusCode.RESOURCE_EXHAUSTED)


@dataclass(frozen=True)
class GatewayTable:
    """One gateway table holding personal data: how its rows are matched, and that they are deleted.

    `match` is a SQL condition over $1 (phones, E.164) and $2 (Zalo user ids); `linked_zalo`
    names a column whose values are Zalo ids of the person (to find them elsewhere).
    """

    name: str
    match: str
    linked_zalo: str | None = None


#: The gateway's own tables with personal data (migrations/0001_channels.sql). Extend this list
#: when a migration adds one; the integration test scans the whole schema for leftovers.
GATEWAY_TABLES: tuple[GatewayTable, ...] = (
    GatewayTable("channel_identities", "phone = ANY($1::text[]) OR sender = ANY($1::text[]) OR sender = ANY($2::text[])",
                 linked_zalo="CASE WHEN channel = 'zalo' THEN sender END"),
    GatewayTable("channel_conversations", "sender = ANY($1::text[]) OR sender = ANY($2::text[])"),
    GatewayTable("channel_attachments", "sender = ANY($1::text[]) OR sender = ANY($2::text[])"),
    GatewayTable("channel_inbox", "sender = ANY($1::text[]) OR sender = ANY($2::text[])"),
)


@dataclass
class Identity:
    """The verified identifiers and those found on the person's records."""

    phone: str = ""
    id_number: str = ""
    phones: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    zalo_user_ids: set[str] = field(default_factory=set)

    def merge(self, linked: sd.DataSubject) -> None:
        self.phones.update(p for p in linked.linked_phones if p)
        self.emails.update(e.lower() for e in linked.linked_emails if e)
        self.zalo_user_ids.update(z for z in linked.linked_zalo_user_ids if z)

    def to_pb(self) -> sd.DataSubject:
        return sd.DataSubject(phone=self.phone, id_number=self.id_number,
                              linked_phones=sorted(self.phones - {self.phone})[:20], linked_emails=sorted(self.emails)[:15],
                              linked_zalo_user_ids=sorted(self.zalo_user_ids)[:15])

    def all_phones(self) -> list[str]:
        return sorted(self.phones | ({self.phone} if self.phone else set()))

    def linked_json(self) -> str:
        return json.dumps({"phones": sorted(self.phones), "emails": sorted(self.emails),
                           "zalo_user_ids": sorted(self.zalo_user_ids)})

    def load_linked(self, raw: str | None) -> None:
        if raw:
            data = json.loads(raw)
            self.phones.update(data.get("phones", []))
            self.emails.update(data.get("emails", []))
            self.zalo_user_ids.update(data.get("zalo_user_ids", []))


def identity(phone: str | None, id_number: str | None) -> Identity:
    """Normalise what the operator typed (InvalidArgument → 422 in Vietnamese)."""
    phone = (phone or "").strip()
    id_number = (id_number or "").strip()
    if not phone and not id_number:
        raise InvalidArgument("SUBJECT_REQUIRED", "phone or id_number is required",
                              "Cần số điện thoại hoặc số định danh (CCCD/CMND) của người yêu cầu.")
    return Identity(phone=dsr.normalize_phone(phone) if phone else "",
                    id_number=dsr.normalize_id_number(id_number) if id_number else "")


async def _salt(conn: asyncpg.Connection) -> bytes:
    return (await conn.fetchval("SELECT value FROM data_subject_secret WHERE name = 'subject_salt'")).encode()


def _hashes(salt: bytes, who: Identity) -> list[str]:
    items = ([f"phone:{who.phone}"] if who.phone else []) + ([f"id_number:{who.id_number}"] if who.id_number else [])
    return [hmac.new(salt, item.encode(), hashlib.sha256).hexdigest() for item in items]


async def subject_hashes(pool: asyncpg.Pool, who: Identity) -> list[str]:
    """The audit form of the verified identifiers (what an auditor recomputes to find a person's requests)."""
    async with pool.acquire() as conn:
        return _hashes(await _salt(conn), who)


async def _audit(conn: asyncpg.Connection, *, kind: str, actor: str, actor_name: str, hashes: list[str], reason: str,
                 outcome: str, answered: list[str], pending: list[str], counts: Mapping[str, Any], key: str | None = None) -> int:
    return await conn.fetchval(
        """
        INSERT INTO data_subject_audit (kind, actor, actor_name, subject_hashes, reason, idempotency_key, outcome,
                                        services_answered, services_pending, counts)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb) RETURNING id
        """, kind, actor, actor_name, hashes, reason, key, outcome, answered, pending, json.dumps(counts, sort_keys=True))


# -- the gateway's own tables ------------------------------------------------------------------------


async def _gateway_linked(conn: asyncpg.Connection, who: Identity) -> None:
    for table in GATEWAY_TABLES:
        if table.linked_zalo:
            rows = await conn.fetch(f"SELECT DISTINCT {table.linked_zalo} AS z FROM {table.name} WHERE {table.match}",
                                    who.all_phones(), sorted(who.zalo_user_ids))
            who.zalo_user_ids.update(r["z"] for r in rows if r["z"])


async def export_gateway(pool: asyncpg.Pool, who: Identity) -> dict[str, Any]:
    """The gateway's records about the person, one list per table."""
    async with pool.acquire() as conn:
        await _gateway_linked(conn, who)
        records = {}
        for table in GATEWAY_TABLES:
            rows = await conn.fetch(f"SELECT * FROM {table.name} WHERE {table.match}", who.all_phones(),
                                    sorted(who.zalo_user_ids))
            records[table.name] = [dsr.record(r, json_columns=("payload", "state")) for r in rows]
    return {"service": GATEWAY, "records": records}


async def erase_gateway(conn: asyncpg.Connection, who: Identity) -> dict[str, int]:
    """Delete the person's rows from every table of GATEWAY_TABLES (caller's transaction)."""
    counts: dict[str, int] = {}
    for table in GATEWAY_TABLES:
        status = await conn.execute(f"DELETE FROM {table.name} WHERE {table.match}", who.all_phones(),
                                    sorted(who.zalo_user_ids))
        if n := int(status.split()[-1]):
            counts[table.name] = n
    return counts


# -- export ------------------------------------------------------------------------------------------


class ServicesUnavailable(Exception):
    """Some services did not answer: `pending` names them; `done` holds what the others answered."""

    def __init__(self, pending: list[str], done: dict[str, Any]) -> None:
        super().__init__(", ".join(pending))
        self.pending = pending
        self.done = done


def _stub(channels: Mapping[str, grpc.aio.Channel], service: str) -> Any:
    return SERVICES[service](channels[service])


async def export(*, pool: asyncpg.Pool, channels: Mapping[str, grpc.aio.Channel], who: Identity, actor: str,
                 actor_name: str, reason: str) -> dict[str, Any]:
    """The bundle of everything held about the person: {"generated_at", "services": {name: {...}}, "counts"}."""
    sections: dict[str, Any] = {}
    counts: dict[str, Any] = {}
    pending: list[str] = []
    async with pool.acquire() as conn:
        await _gateway_linked(conn, who)  # Zalo ids the citizen shared with the OA lead to their messages
    for service in SERVICES:
        try:
            out = await _stub(channels, service).ExportSubjectData(sd.ExportSubjectDataRequest(subject=who.to_pb()),
                                                                   timeout=DEADLINE_SECONDS)
        except grpc.aio.AioRpcError as exc:
            if exc.code() not in _UNREACHABLE:
                raise
            log.warning("data_subject_service_unavailable", service=service, grpc_code=exc.code().name)
            pending.append(service)
            continue
        who.merge(out.linked)
        sections[service] = json.loads(out.data_json)
        counts[service] = dict(out.counts)
    # The gateway's tables again: Zalo ids found by the services may name more of its rows.
    gateway = await export_gateway(pool, who)
    sections[GATEWAY] = gateway
    counts[GATEWAY] = {k: len(v) for k, v in gateway["records"].items()}
    async with pool.acquire() as conn:
        audit_id = await _audit(conn, kind="export", actor=actor, actor_name=actor_name, hashes=_hashes(await _salt(conn), who),
                                reason=reason, outcome="partial" if pending else "complete", answered=sorted(sections),
                                pending=pending, counts=counts)
    log.info("data_subject_exported", audit_id=audit_id, services=sorted(sections), pending=pending)
    if pending:
        raise ServicesUnavailable(pending, counts)
    return {"audit_id": audit_id, "generated_at": datetime.now(UTC).isoformat(), "services": sections, "counts": counts}


# -- erase -------------------------------------------------------------------------------------------


def _request_id(key: str) -> str:
    """The request id each service dedupes on: derived from the Idempotency-Key, the same on every retry."""
    return "dsr-" + hashlib.sha256(key.encode()).hexdigest()[:40]


async def erase(*, pool: asyncpg.Pool, channels: Mapping[str, grpc.aio.Channel], who: Identity, key: str, actor: str,
                actor_name: str, reason: str) -> dict[str, Any]:
    """Erase across the services; resumable and idempotent on `key`. Raises ServicesUnavailable when some are pending."""
    async with pool.acquire() as conn:
        salt = await _salt(conn)
        hashes = _hashes(salt, who)
        request_hash = hmac.new(salt, json.dumps([who.phone, who.id_number, reason]).encode(), hashlib.sha256).hexdigest()
        await conn.execute("INSERT INTO data_subject_erasures (idempotency_key, request_hash, actor) VALUES ($1, $2, $3) "
                           "ON CONFLICT (idempotency_key) DO NOTHING", key, request_hash, actor)
        row = await conn.fetchrow("SELECT request_hash, done::text AS done, linked::text AS linked, completed_at "
                                  "FROM data_subject_erasures WHERE idempotency_key = $1", key)
    if not hmac.compare_digest(row["request_hash"], request_hash):
        raise InvalidArgument("IDEMPOTENCY_KEY_REUSED", "Idempotency-Key was used for another erasure",
                              "Idempotency-Key này đã được dùng cho một yêu cầu xoá khác.")
    done: dict[str, Any] = json.loads(row["done"])
    if row["completed_at"] is not None:
        async with pool.acquire() as conn:
            await _audit(conn, kind="erase", actor=actor, actor_name=actor_name, hashes=hashes, reason=reason,
                         outcome="replayed", answered=sorted(done), pending=[], counts=done, key=key)
        return {"idempotency_key": key, "replayed": True, "complete": True, "counts": done}

    who.load_linked(row["linked"])
    # Find the identifiers on the records first (before the records forget them).
    async with pool.acquire() as conn:
        await _gateway_linked(conn, who)
    for service in SERVICES:
        if service in done:
            continue
        try:
            out = await _stub(channels, service).ExportSubjectData(sd.ExportSubjectDataRequest(subject=who.to_pb()),
                                                                   timeout=DEADLINE_SECONDS)
            who.merge(out.linked)
        except grpc.aio.AioRpcError as exc:
            if exc.code() not in _UNREACHABLE:
                raise
    async with pool.acquire() as conn:
        await conn.execute("UPDATE data_subject_erasures SET linked = $2::jsonb WHERE idempotency_key = $1",
                           key, who.linked_json())

    pending: list[str] = []
    request_id = _request_id(key)
    for service in SERVICES:
        if service in done:
            continue
        try:
            out = await _stub(channels, service).EraseSubjectData(
                sd.EraseSubjectDataRequest(subject=who.to_pb(), request_id=request_id, actor=actor, reason=reason),
                timeout=DEADLINE_SECONDS)
        except grpc.aio.AioRpcError as exc:
            if exc.code() not in _UNREACHABLE:
                raise
            log.warning("data_subject_service_unavailable", service=service, grpc_code=exc.code().name)
            pending.append(service)
            continue
        done[service] = dict(out.counts)
        async with pool.acquire() as conn:
            await conn.execute("UPDATE data_subject_erasures SET done = done || jsonb_build_object($2::text, $3::jsonb) "
                               "WHERE idempotency_key = $1", key, service, json.dumps(done[service]))

    async with pool.acquire() as conn, conn.transaction():
        complete = not pending
        if complete:
            # Last, once every service is done: their records may have named more Zalo ids.
            done[GATEWAY] = await erase_gateway(conn, who)
        else:
            pending.append(GATEWAY)
        await conn.execute(
            """
            UPDATE data_subject_erasures
               SET done = $2::jsonb,
                   linked = CASE WHEN $3 THEN NULL ELSE linked END,
                   completed_at = CASE WHEN $3 THEN now() END
             WHERE idempotency_key = $1
            """, key, json.dumps(done), complete)
        await _audit(conn, kind="erase", actor=actor, actor_name=actor_name, hashes=hashes, reason=reason,
                     outcome="complete" if complete else "partial", answered=sorted(done), pending=pending, counts=done,
                     key=key)
    log.info("data_subject_erased", complete=complete, services=sorted(done), pending=pending)
    if pending:
        raise ServicesUnavailable(pending, done)
    return {"idempotency_key": key, "replayed": False, "complete": True, "counts": done}

