"""Use cases of the dossier registry, one transaction each. Keyword-only, domain types in and out."""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
import unicodedata
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import asyncpg

from motcua_dossier import receipt as receipts
from motcua_dossier import repository as repo
from motcua_dossier.catalogue import CatalogueClient
from motcua_dossier.domain import errors, lifecycle, linked
from motcua_dossier.domain.calendar import VIETNAM, DueDate, Override, WorkingCalendar
from motcua_dossier.domain.lifecycle import Status
from motcua_dossier.domain.model import (
    SYSTEM_LINKER,
    Actor,
    Applicant,
    Dossier,
    DossierSummary,
    JourneyStep,
    ProcedureFacts,
    PublicStatus,
    ResultDelivery,
    StatusChange,
    Submission,
)
from motcua_dossier.events import linked_created, received, transitioned
from motcua_platform.batching import NaturalBatcher
from motcua_platform.errors import MotcuaError
from motcua_platform.logging import get_logger
from motcua_platform.outbox import OutboxEvent, enqueue
from motcua_platform.tracing import inject_headers

log = get_logger(__name__)

LINK_REASON = "Tạo tự động theo liên thông thủ tục hành chính"
#: Rendered receipts kept per (code, version, format): a PDF costs a few hundred ms of CPU.
RECEIPT_CACHE_SIZE = 256


def _now() -> datetime:
    return datetime.now(UTC)


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def due_basis_json(due: DueDate, pauses: list[dict] | None = None) -> dict:
    return {
        "received_at": due.received_at.isoformat(),
        "counted_from": due.counted_from.isoformat(),
        "working_days": due.working_days,
        "skipped": [{"date": s.day.isoformat(), "reason": s.reason} for s in due.skipped],
        "make_up": [{"date": s.day.isoformat(), "reason": s.reason} for s in due.make_up],
        "paused_minutes": due.paused_minutes,
        "pauses": pauses or [],
    }


class CalendarProvider:
    """The working calendar with the database overrides, reloaded every `refresh_seconds`."""

    def __init__(self, pool: asyncpg.Pool | None, *, refresh_seconds: float = 60.0) -> None:
        self._pool = pool
        self._refresh = refresh_seconds
        self._calendar: WorkingCalendar | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> WorkingCalendar:
        if self._calendar is not None and time.monotonic() - self._loaded_at < self._refresh:
            return self._calendar
        async with self._lock:
            if self._calendar is None or time.monotonic() - self._loaded_at >= self._refresh:
                overrides = await repo.load_overrides(self._pool) if self._pool is not None else []
                self._calendar = WorkingCalendar(overrides=overrides)
                self._loaded_at = time.monotonic()
        return self._calendar

    def invalidate(self) -> None:
        """Reload on the next use (not "loaded at 0": the monotonic clock may be younger than the refresh period)."""
        self._calendar = None


@dataclass(frozen=True)
class Submitted:
    dossier: Dossier
    replayed: bool


class DossierService:
    def __init__(self, *, pool: asyncpg.Pool, catalogue: CatalogueClient, calendar: CalendarProvider,
                 public_base_url: str, submit_batch_in_flight: int = 2, submit_batch_max: int = 64) -> None:
        self.pool = pool
        self.catalogue = catalogue
        self.calendar = calendar
        self.public_base_url = public_base_url
        self._receipts: dict[tuple[str, int, bool], bytes] = {}
        #: Group commit: submissions checked at the same time are registered in one transaction.
        self._writer: NaturalBatcher[_Pending, list[tuple[str, str, bool]]] | None = (
            NaturalBatcher(self._write, in_flight=submit_batch_in_flight, max_batch=submit_batch_max,
                           name="dossier-register") if submit_batch_in_flight > 0 else None)

    async def close(self) -> None:
        """Let the registrations under way finish (their callers may have gone; the commit still counts)."""
        if self._writer is not None:
            await self._writer.drain()

    # -- submission ------------------------------------------------------------------------------

    async def _facts(self, code: str, version: int) -> ProcedureFacts:
        facts = await self.catalogue.procedure(code, version)
        if facts.status == "withdrawn" and version:
            current = await self.catalogue.procedure(code, 0)
            if current.status == "published":
                raise errors.procedure_version_not_in_force(code, version, current.version)
            facts = current
        if facts.status == "withdrawn":
            raise errors.procedure_withdrawn(facts.code, facts.name, facts.replaced_by_code)
        if facts.status != "published":
            raise errors.procedure_not_found(code)
        return facts

    async def submit(self, submission: Submission) -> Submitted:
        """Register a dossier (and its linked dossiers) with gap-free codes and their events, in one transaction.

        Submissions checked while others are being written share the next transaction (group
        commit, `submit_batch_in_flight`); each still gets exactly its own outcome.
        Idempotent on `submission.idempotency_key`: the key is claimed by the insert itself; a
        repeat with the same request hash returns the first dossier (replayed), another hash
        is refused. A refused or failed submission consumes no number.
        """
        facts = await self._facts(submission.procedure_code, submission.procedure_version)
        agency_code, agency_name = facts.agency_code, facts.agency_name
        if submission.agency_code and submission.agency_code != facts.agency_code:
            name = await self.catalogue.agency_name(submission.agency_code)
            if name is None:
                raise errors.unknown_agency(submission.agency_code)
            agency_code, agency_name = submission.agency_code, name
        provided = {_norm(d.name) for d in submission.documents}
        missing = [d.name for d in facts.required_documents if d.required and _norm(d.name) not in provided]
        if missing:
            raise errors.missing_documents(missing)

        now = _now()
        day = now.astimezone(VIETNAM).date()
        calendar = await self.calendar.get()
        officer = submission.assisted_by is not None and submission.assisted_by.role == "officer"
        status = Status.RECEIVED if officer else Status.NEW
        working_days = facts.working_days_for(submission.channel)
        due = calendar.due_date(now, working_days, agency_code)
        root = self._new(facts, agency_code, agency_name, status, due, working_days, submission.result_delivery,
                         submission.assisted_by, submission.documents)
        dossiers = [root]
        if not submission.skip_linked and submission.subject_birth_date is None and linked.needs_birth_date(facts.code):
            # Without it the registry cannot tell whether the child gets the linked dossiers: say so, not skip them.
            raise errors.invalid("subject_birth_date", "a birth registration needs the child's birth date "
                                 "(or skip_linked to create no linked dossiers)",
                                 "Cần ngày sinh của trẻ để tạo hồ sơ liên thông (đăng ký thường trú, cấp thẻ bảo hiểm "
                                 "y tế cho trẻ dưới 6 tuổi); nếu không làm liên thông, chọn không tạo hồ sơ liên thông.")
        if not submission.skip_linked:
            for code in linked.linked_codes(facts.code, subject_birth_date=submission.subject_birth_date, on=day):
                try:
                    other = await self._facts(code, 0)
                except MotcuaError as exc:
                    log.warning("linked_procedure_unavailable", procedure_code=code, reason=exc.code)
                    continue
                days = other.working_days_for(submission.channel)
                dossiers.append(self._new(other, other.agency_code, other.agency_name, Status.NEW,
                                          calendar.due_date(now, days, other.agency_code), days,
                                          submission.result_delivery, SYSTEM_LINKER, ()))
        actor = submission.assisted_by or Actor("citizen", "citizen")
        pending = _Pending(repo.Registration(
            day=day, received_at=now, dossiers=dossiers, channel=submission.channel,
            result_delivery=submission.result_delivery, consent=submission.consent, applicant=submission.applicant,
            subject_birth_date=submission.subject_birth_date, idempotency_key=submission.idempotency_key,
            request_hash=submission.request_hash, actor=actor, linker=SYSTEM_LINKER, link_reason=LINK_REASON,
        ), assisted=submission.assisted_by is not None, headers=inject_headers())
        rows = await (self._writer.run(pending) if self._writer is not None else self._write_one(pending))
        codes = {procedure_code: code for code, procedure_code, is_root in rows if not is_root}
        root_code = next(code for code, _, is_root in rows if is_root)
        log.info("dossier_received", dossier_code=root_code, procedure_code=facts.code, agency_code=agency_code,
                 status=int(status), linked=len(dossiers) - 1, channel=submission.channel.name.lower())
        history = [StatusChange(0, status, actor, "", now)]
        return Submitted(Dossier(
            code=root_code, public_token=root.public_token, version=1, procedure_code=facts.code,
            procedure_version=facts.version, procedure_name=facts.name, agency_code=agency_code, agency_name=agency_name,
            status=status, received_at=now, due_at=due.due_at, due_basis=root.due_basis, paused_at=None,
            processing_working_days=working_days, collect_at=root.collect_at, channel=submission.channel,
            assisted_by=submission.assisted_by, result_delivery=submission.result_delivery, consent=submission.consent,
            contact_ref=root.contact_ref, applicant=submission.applicant, documents=submission.documents, parent_code="",
            root_code=root_code, updated_at=now, history=history, linked_codes=[codes[d.procedure_code] for d in dossiers[1:]],
        ), replayed=False)

    async def _write_one(self, pending: _Pending) -> list[tuple[str, str, bool]]:
        outcome = (await self._write([pending]))[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def _write(self, batch: list[_Pending]) -> list[list[tuple[str, str, bool]] | BaseException]:
        """Register `batch` in one transaction: numbers, dossiers, history, events; or each alone if one fails.

        When one submission of the batch cannot be written (its idempotency key is taken, a row is
        refused), the transaction rolls back, numbers included, and each submission is written again
        in its own transaction, so that only that one fails.
        """
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                written = await repo.register(conn, [p.registration for p in batch])
                if any(rows is None for rows in written):
                    raise _KeyTaken
                await enqueue(conn, *(e for p, rows in zip(batch, written, strict=True) for e in _events(p, rows or [])))
            return [rows or [] for rows in written]
        except _KeyTaken:
            if len(batch) == 1:
                return [_KeyTaken()]
        except Exception as exc:
            if len(batch) == 1:
                raise
            log.warning("dossier_batch_retried_singly", size=len(batch), error=type(exc).__name__)
        singles = await asyncio.gather(*(self._write([p]) for p in batch), return_exceptions=True)
        return [one if isinstance(one, BaseException) else one[0] for one in singles]

    async def submit_or_replay(self, submission: Submission) -> Submitted:
        try:
            return await self.submit(submission)
        except _KeyTaken:
            pass
        async with self.pool.acquire() as conn:
            found = await repo.find_by_idempotency_key(conn, submission.idempotency_key)
            if found is None:  # the first request rolled back after all: try again once
                return await self.submit(submission)
            request_hash, code = found
            if not hmac.compare_digest(request_hash, submission.request_hash):
                raise errors.idempotency_key_reused()
            dossier = await repo.get_full(conn, code)
        assert dossier is not None
        log.info("dossier_submission_replayed", dossier_code=code)
        return Submitted(dossier, replayed=True)

    @staticmethod
    def _new(facts: ProcedureFacts, agency_code: str, agency_name: str, status: Status, due: DueDate | None,
             working_days: int, delivery: ResultDelivery, assisted_by: Actor | None, documents: tuple) -> repo.NewDossier:
        collect_at = f"Bộ phận Một cửa, {agency_name}"
        if delivery == ResultDelivery.POST:
            collect_at = "Địa chỉ của người nộp hồ sơ (dịch vụ bưu chính công ích)"
        elif delivery == ResultDelivery.ONLINE:
            collect_at = "Cổng Dịch vụ công (kết quả điện tử)"
        return repo.NewDossier(
            agency_code=agency_code, public_token=secrets.token_urlsafe(24),
            procedure_code=facts.code, procedure_version=facts.version, procedure_name=facts.name, agency_name=agency_name,
            status=status, due_at=due.due_at if due else None, due_basis=due_basis_json(due) if due else None,
            processing_working_days=working_days, collect_at=collect_at, assisted_by=assisted_by,
            contact_ref=f"ct_{uuid.uuid4()}", documents=tuple(documents),
        )

    # -- reads -----------------------------------------------------------------------------------

    async def public_status(self, *, code: str) -> PublicStatus:
        found = await repo.get_public(self.pool, code)
        if found is None:
            raise errors.dossier_not_found(code)
        return found

    async def public_statuses(self, *, codes: list[str]) -> dict[str, PublicStatus]:
        """Public statuses of many (well-formed) codes in one query; unknown codes are absent."""
        return await repo.get_public_many(self.pool, sorted(set(codes)))

    async def get(self, *, code: str) -> Dossier:
        found = await repo.get_full(self.pool, code)
        if found is None:
            raise errors.dossier_not_found(code)
        return found

    async def get_by_token(self, *, code: str, token: str) -> Dossier:
        """The full view for the holder of the receipt's token; one answer for a wrong token and an unknown code."""
        found = await repo.get_full(self.pool, code)
        expected = found.public_token if found is not None else secrets.token_urlsafe(24)
        if not hmac.compare_digest(expected.encode(), token.encode()) or found is None:
            raise errors.token_denied()
        return found

    async def get_for_applicant(self, *, code: str, id_number: str) -> Dossier:
        """The full view for the applicant, whose ID number the caller verified (a citizen's sign-in); one answer
        for an unknown code and another person's dossier. An erased dossier's applicant no longer matches."""
        found = await repo.get_full(self.pool, code)
        expected = found.applicant.id_number if found is not None and found.applicant.id_number else secrets.token_hex(6)
        if not hmac.compare_digest(expected.encode(), id_number.encode()) or found is None:
            raise errors.applicant_denied()
        return found

    async def journey(self, *, code: str) -> list[JourneyStep]:
        steps = await repo.journey(self.pool, code)
        if not steps:
            raise errors.dossier_not_found(code)
        return steps

    async def list(self, *, statuses: list[int], agency_code: str, due_before: datetime | None, procedure_code: str,
                   page: int, page_size: int) -> tuple[list[DossierSummary], int]:
        return await repo.list_dossiers(self.pool, statuses=statuses, agency_code=agency_code, due_before=due_before,
                                        procedure_code=procedure_code, limit=page_size, offset=(page - 1) * page_size)

    async def figures(self, *, from_day: date, to_day: date, agency_code: str = "") -> repo.Figures:
        """Ward figures over the local days [from_day, to_day]; `overdue_now` is taken at this instant."""
        start = datetime(from_day.year, from_day.month, from_day.day, tzinfo=VIETNAM)
        after = to_day + timedelta(days=1)
        end = datetime(after.year, after.month, after.day, tzinfo=VIETNAM)
        return await repo.figures(self.pool, start=start, end=end, agency_code=agency_code, now=_now())

    async def resolve_contact(self, *, contact_ref: str) -> Applicant:
        found = await repo.resolve_contact(self.pool, contact_ref)
        if found is None or not (found.phone or found.email or found.zalo_user_id):  # unknown, or erased
            raise errors.contact_not_found()
        return found

    async def resolve_contacts(self, *, contact_refs: list[str]) -> dict[str, Applicant]:
        """The contacts of many references in one query; unknown and erased ones are absent."""
        found = await repo.resolve_contacts(self.pool, sorted(set(contact_refs)))
        return {ref: a for ref, a in found.items() if a.phone or a.email or a.zalo_user_id}

    # -- calendar overrides ------------------------------------------------------------------------

    async def list_overrides(self, *, from_day: date, to_day: date, agency_code: str = "") -> list[repo.OverrideRow]:
        return await repo.list_overrides(self.pool, from_day=from_day, to_day=to_day, agency_code=agency_code or None)

    async def put_override(self, override: Override, *, decision_ref: str, actor: Actor) -> repo.OverrideRow:
        """Add or replace one day's override; appointments computed from now on follow it (this replica at once)."""
        if override.agency_code and await self.catalogue.agency_name(override.agency_code) is None:
            raise errors.unknown_agency(override.agency_code)
        async with self.pool.acquire() as conn, conn.transaction():
            row = await repo.put_override(conn, override, decision_ref=decision_ref, actor=actor)
        self.calendar.invalidate()
        log.info("calendar_override_set", day=override.day.isoformat(), agency_code=override.agency_code or "",
                 kind=override.kind, actor_id=actor.id)
        return row

    async def delete_override(self, *, day: date, agency_code: str = "", actor: Actor) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            removed = await repo.delete_override(conn, day=day, agency_code=agency_code or None, actor=actor)
        if not removed:
            raise errors.override_not_found(day, agency_code)
        self.calendar.invalidate()
        log.info("calendar_override_removed", day=day.isoformat(), agency_code=agency_code, actor_id=actor.id)

    async def due_date(self, *, received_at: datetime, working_days: int, agency_code: str = "") -> DueDate:
        calendar = await self.calendar.get()
        return calendar.due_date(received_at, working_days, agency_code or None)

    async def receipt(self, *, code: str, pdf: bool, token: str = "") -> tuple[bytes, str, str]:
        """The rendered receipt: (content, content type, file name). With `token`, the token must match."""
        dossier = await (self.get_by_token(code=code, token=token) if token else self.get(code=code))
        key = (dossier.code, dossier.version, pdf)
        cached = self._receipts.get(key)
        if cached is None:
            view = receipts.view_of(dossier, receipts.status_url(self.public_base_url, dossier.code, dossier.public_token))
            cached = await asyncio.to_thread(receipts.render_pdf, view) if pdf else receipts.render_html(view)
            if len(self._receipts) >= RECEIPT_CACHE_SIZE:
                self._receipts.pop(next(iter(self._receipts)))
            self._receipts[key] = cached
        if pdf:
            return cached, "application/pdf", receipts.filename(code, True)
        return cached, "text/html; charset=utf-8", receipts.filename(code, False)

    # -- lifecycle -------------------------------------------------------------------------------

    async def transition(self, *, code: str, to: Status, actor: Actor, reason: str = "", expected_version: int = 0) -> Dossier:
        """Move a dossier along the lifecycle table; record who, when, why; emit exactly one event; bump the version."""
        reason = reason.strip()
        calendar = await self.calendar.get()
        async with self.pool.acquire() as conn, conn.transaction():
            locked = await repo.lock(conn, code)
            if locked is None:
                raise errors.dossier_not_found(code)
            if expected_version and expected_version != locked.version:
                raise errors.stale_version(code, expected_version, locked.version)
            row = lifecycle.find(locked.status, to)
            if row is None:
                allowed = [lifecycle.label(s) for s in lifecycle.allowed_from(locked.status)]
                raise errors.transition_refused(code, lifecycle.label(locked.status), lifecycle.label(to), allowed)
            if row.reason_required and not reason:
                raise errors.reason_required(lifecycle.label(to))
            now = _now()
            due_at, basis, paused_at = locked.due_at, locked.due_basis, locked.paused_at
            if due_at is None and to == Status.RECEIVED:
                # Registered before every receipt carried its appointment: the clock starts at acceptance.
                due = calendar.due_date(now, locked.processing_working_days, locked.agency_code)
                due_at, basis, paused_at = due.due_at, due_basis_json(due), None
            elif row.clock == "pause" and due_at is not None and paused_at is None:
                paused_at = now
            elif row.clock == "resume" and paused_at is not None and due_at is not None and basis is not None:
                minutes = calendar.working_minutes_between(paused_at, now, locked.agency_code)
                due_at = calendar.add_working_minutes(due_at, minutes, locked.agency_code)
                received_day = datetime.fromisoformat(basis["received_at"]).date()
                basis = {**basis,
                         "skipped": [{"date": s.day.isoformat(), "reason": s.reason}
                                     for s in calendar.days_off(received_day, due_at.astimezone(VIETNAM).date(),
                                                                locked.agency_code)],
                         "make_up": [{"date": s.day.isoformat(), "reason": s.reason}
                                     for s in calendar.make_up_days(received_day, due_at.astimezone(VIETNAM).date(),
                                                                    locked.agency_code)],
                         "paused_minutes": basis.get("paused_minutes", 0) + minutes,
                         "pauses": [*basis.get("pauses", []),
                                    {"from": paused_at.isoformat(), "to": now.isoformat(), "working_minutes": minutes}]}
                paused_at = None
            await repo.apply_transition(conn, locked, to=to, due_at=due_at, due_basis=basis, paused_at=paused_at, at=now,
                                        actor=actor, reason=reason)
            await enqueue(conn, transitioned(row.event, locked, to=to, at=now, actor=actor, reason=reason, due_at=due_at))
            dossier = await repo.get_full(conn, code)
        assert dossier is not None
        log.info("dossier_transitioned", dossier_code=code, from_status=int(locked.status), to_status=int(to),
                 event_type=row.event, actor_id=actor.id, version=dossier.version)
        return dossier


class _KeyTaken(Exception):
    """The idempotency key belongs to an earlier submission."""


@dataclass(frozen=True)
class _Pending:
    """A checked submission waiting to be registered, with the trace context of its request."""

    registration: repo.Registration
    assisted: bool
    headers: dict[str, str]


def _events(pending: _Pending, rows: list[tuple[str, str, bool]]) -> list[OutboxEvent]:
    """The events of one registered submission: `received` for each dossier, `linked_created` for each linked one."""
    reg = pending.registration
    root = reg.dossiers[0]
    codes = {procedure_code: code for code, procedure_code, is_root in rows if not is_root}
    root_code = next(code for code, _, is_root in rows if is_root)
    channel, delivery = int(reg.channel), int(reg.result_delivery)
    events = [received(root_code, root, at=reg.received_at, channel=channel, result_delivery=delivery,
                       assisted=pending.assisted, parent_code="")]
    for d in reg.dossiers[1:]:
        code = codes[d.procedure_code]
        events.append(received(code, d, at=reg.received_at, channel=channel, result_delivery=delivery, assisted=True,
                               parent_code=root_code))
        events.append(linked_created(code, d, at=reg.received_at, parent_code=root_code,
                                     parent_procedure_code=root.procedure_code))
    return [replace(e, headers=pending.headers) for e in events]
