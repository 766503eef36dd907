"""Use cases of the scheduler. Each runs in ONE transaction that also enqueues its event(s).

No-overbooking and no-double-booking are not decided here: places are taken by the single
conditional UPDATE of `repository.take_place` (backed by CHECK (booked <= capacity)), and
overlaps are refused by the exclusion constraints of the booking and resource_commitment
tables. Python only reads the result and explains a refusal. A transaction that loses a
deadlock or serialization race is retried (up to three times); anything refused rolls the
whole transaction back, so nothing half-booked remains.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

import asyncpg

from motcua_platform.logging import get_logger
from motcua_platform.outbox import OutboxEvent, enqueue
from motcua_scheduler import events
from motcua_scheduler import repository as repo
from motcua_scheduler.domain import errors, rules
from motcua_scheduler.domain import model as m
from motcua_scheduler.domain.calendar import (
    VIETNAM,
    DayException,
    NoSlotReason,
    at_local,
    day_state,
    days_between,
    describe_hours,
    explain_no_slot,
    local_day,
    plan_slots,
)
from motcua_scheduler.domain.reminders import reminders_due
from motcua_scheduler.procedures import ProcedureChecker
from motcua_scheduler.tokens import TokenSigner

log = get_logger(__name__)

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_SEARCH_DAYS = 62
NEXT_SLOTS = 3
CONTACT_RETENTION = timedelta(days=30)
IDEMPOTENCY_RETENTION = timedelta(days=7)
OFFICER_ROLES = frozenset({"officer", "system"})
_RETRYABLE = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Policy:
    """Timing rules, from the settings."""

    hold: timedelta = timedelta(minutes=10)
    lead: timedelta = timedelta(minutes=15)
    horizon_days: int = 35
    release: timedelta = timedelta(hours=24)
    reminder_offsets: tuple[tuple[m.ReminderKind, timedelta], ...] = (
        (m.ReminderKind.DAY_BEFORE, timedelta(hours=24)),
        (m.ReminderKind.HOURS_BEFORE, timedelta(hours=2)),
    )

    @property
    def offsets(self) -> dict[m.ReminderKind, timedelta]:
        return dict(self.reminder_offsets)


@dataclass(frozen=True)
class SlotRef:
    """A slot by id, or by a point and a time inside the wanted slot."""

    slot_id: str = ""
    point_id: str = ""
    at: datetime | None = None

    def as_dict(self) -> dict[str, str]:
        return {"slot_id": self.slot_id, "point_id": self.point_id, "at": self.at.isoformat() if self.at else ""}


@dataclass(frozen=True)
class CitizenInput:
    full_name: str
    phone: str
    street: str = ""
    ward_code: str = ""
    zalo_user_id: str = ""


@dataclass(frozen=True)
class Result:
    booking: m.Booking
    token: str
    replayed: bool = False


@dataclass(frozen=True)
class Affected:
    booking: m.Booking
    alternatives: tuple[m.Slot, ...]


@dataclass(frozen=True)
class Page:
    page: int
    size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def page_of(page: int, size: int) -> Page:
    return Page(max(1, min(page or 1, 10_000)), max(1, min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)))


FIGURES_MAX_DAYS = 366


class SchedulerService:
    """The scheduler's use cases over a pool whose search_path starts with the service schema."""

    def __init__(self, *, pool: asyncpg.Pool, tokens: TokenSigner, policy: Policy | None = None,
                 clock: Callable[[], datetime] = utcnow, procedures: ProcedureChecker | None = None) -> None:
        self.pool = pool
        self.tokens = tokens
        self.policy = policy or Policy()
        self.clock = clock
        self.procedures = procedures

    # -- plumbing ----------------------------------------------------------------------------------

    async def _tx(self, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        for attempt in range(1, 4):
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    return await work(conn)
            except _RETRYABLE as exc:
                if attempt == 3:
                    raise
                log.info("transaction_retried", attempt=attempt, reason=type(exc).__name__)
                await asyncio.sleep(0.005 * attempt)
        raise AssertionError("unreachable")

    def _now(self) -> datetime:
        return self.clock()

    def _result(self, booking: m.Booking, *, replayed: bool = False) -> Result:
        return Result(booking, self.tokens.token(booking.id), replayed)

    def _authorize(self, booking: m.Booking | None, booking_id: str, token: str, actor: m.Actor | None, *,
                   helper: bool = True) -> m.Booking:
        """The citizen with the token, an officer, or (`helper`) the volunteer assigned to it; else NOT_FOUND."""
        if booking is None:
            raise errors.booking_not_found(booking_id)
        if actor is not None and actor.role in OFFICER_ROLES:
            return booking
        if (helper and actor is not None and actor.role == "volunteer" and booking.resource
                and booking.resource.account_id == actor.id):
            return booking
        if token and self.tokens.verify(booking.id, token):
            return booking
        raise errors.booking_not_found(booking_id)

    @staticmethod
    def _require_officer(actor: m.Actor | None) -> m.Actor:
        if actor is None or actor.role not in OFFICER_ROLES:
            raise errors.actor_required()
        return actor

    async def _load(self, conn: asyncpg.Connection, booking_id: str, *, with_history: bool = False) -> m.Booking:
        booking = await repo.get_booking(conn, booking_id)
        if booking is None:
            raise errors.booking_not_found(booking_id)
        if with_history:
            booking = replace(booking, history=tuple(await repo.history(conn, booking_id)))
        return booking

    # -- reading -----------------------------------------------------------------------------------

    async def list_points(self, *, model: m.Model | None, ward: str, province: str,
                          page: Page) -> tuple[list[m.Point], int]:
        async with self.pool.acquire() as conn:
            return await repo.list_points(conn, model=str(model) if model else None, ward=ward or None,
                                          province=province or None, limit=page.size, offset=page.offset)

    async def list_route_stops(self, *, route_id: str, ward: str, first: date | None, last: date | None,
                               include_cancelled: bool) -> list[m.RouteStop]:
        first = first or local_day(self._now())
        last = last or first + timedelta(days=30)
        if last < first or (last - first).days > 366:
            raise errors.date_range_invalid(366)
        async with self.pool.acquire() as conn:
            return await repo.list_route_stops(conn, route_id=route_id or None, ward=ward or None,
                                               first=at_local(first, "00:00"),
                                               last=at_local(last + timedelta(days=1), "00:00"),
                                               include_cancelled=include_cancelled)

    async def list_resources(self, *, kind: m.ResourceKind | None, ward: str,
                             help_type: m.HelpType | None) -> list[m.Resource]:
        async with self.pool.acquire() as conn:
            return await repo.list_resources(conn, kind=str(kind) if kind else None, ward=ward or None,
                                             help_type=str(help_type) if help_type else None)

    async def _check_ward(self, conn: asyncpg.Connection, ward_code: str) -> m.Ward:
        rules.check_ward_code(ward_code)
        ward = await repo.get_ward(conn, ward_code)
        if ward is None:
            raise errors.unknown_area(ward_code)
        return ward

    async def _check_procedure(self, code: str, help_type: m.HelpType | None) -> str:
        code = rules.check_procedure_code(code)
        if not code:
            return ""
        if help_type is not None and help_type not in m.PROCEDURE_HELP_TYPES:
            raise errors.procedure_not_applicable(help_type)
        if self.procedures is not None:
            await self.procedures.check(code, help_type or m.HelpType.ONLINE_DOSSIER)
        return code

    async def search(self, *, model: m.Model | None, ward: str, first: date | None, last: date | None,
                     help_type: m.HelpType | None, procedure_code: str, priority: bool, point_id: str,
                     page: Page) -> tuple[list[tuple[m.Slot, int]], int]:
        """Slots with room for this requester between two days (Vietnam time), earliest first."""
        now = self._now()
        first = first or local_day(now)
        last = last or first + timedelta(days=14)
        if last < first or (last - first).days > MAX_SEARCH_DAYS:
            raise errors.date_range_invalid(MAX_SEARCH_DAYS)
        if model in (m.Model.HOME_VISIT, m.Model.VOLUNTEER) and not ward and not point_id:
            raise errors.ward_required()
        if procedure_code and help_type is None:
            help_type = m.HelpType.ONLINE_DOSSIER
        await self._check_procedure(procedure_code, help_type)
        async with self.pool.acquire() as conn:
            if ward:
                await self._check_ward(conn, ward)
            if point_id and await repo.get_point(conn, point_id) is None:
                raise errors.point_not_found(point_id)
            slots, total = await repo.search_slots(
                conn, model=str(model) if model else None, ward=ward or None,
                first=max(at_local(first, "00:00"), now + self.policy.lead),
                last=at_local(last + timedelta(days=1), "00:00"), help_type=str(help_type) if help_type else None,
                priority=priority, point_id=point_id or None, now=now, release=self.policy.release,
                limit=page.size, offset=page.offset,
            )
        return [(s, s.remaining(priority=priority, now=now, release=self.policy.release)) for s in slots], total

    async def get_booking(self, *, booking_id: str, token: str, actor: m.Actor | None) -> Result:
        _check_uuid(booking_id)
        async with self.pool.acquire() as conn:
            booking = self._authorize(await repo.get_booking(conn, booking_id), booking_id, token, actor)
            booking = replace(booking, history=tuple(await repo.history(conn, booking_id)))
        return self._result(booking)

    async def verification_queue(self, *, ward: str, page: Page) -> tuple[list[m.Booking], int]:
        async with self.pool.acquire() as conn:
            return await repo.verification_queue(conn, ward=ward or None, limit=page.size, offset=page.offset)

    async def day_schedule(self, *, day: date, point_id: str = "", stop_id: str = "",
                           resource_id: str = "") -> list[tuple[m.Slot, list[m.Booking]]]:
        if not (point_id or stop_id or resource_id):
            raise errors.target_required()
        first, last = at_local(day, "00:00"), at_local(day + timedelta(days=1), "00:00")
        async with self.pool.acquire() as conn:
            if point_id and await repo.get_point(conn, point_id) is None:
                raise errors.point_not_found(point_id)
            if stop_id and await repo.get_stop(conn, stop_id) is None:
                raise errors.stop_not_found(stop_id)
            if resource_id and await repo.get_resource(conn, resource_id) is None:
                raise errors.resource_not_found(resource_id)
            slots = await repo.slots_of_day(conn, first=first, last=last, point_id=point_id or None,
                                            stop_id=stop_id or None, resource_id=resource_id or None)
            bookings = await repo.bookings_of_slots(conn, [s.id for s in slots], resource_id=resource_id or None)
        by_slot: dict[str, list[m.Booking]] = {}
        for b in bookings:
            by_slot.setdefault(b.slot.id, []).append(b)
        return [(s, by_slot.get(s.id, [])) for s in slots]

    async def figures(self, *, first: date, last: date) -> repo.Figures:
        """Ward figures over the slots of the local days [first, last]."""
        if last < first or (last - first).days > FIGURES_MAX_DAYS:
            raise errors.date_range_invalid(FIGURES_MAX_DAYS + 1)
        async with self.pool.acquire() as conn:
            return await repo.figures(conn, first=at_local(first, "00:00"), last=at_local(last + timedelta(days=1), "00:00"))

    async def resolve_contact(self, contact_ref: str) -> m.Booking:
        """The booking behind an event's contact_ref (for the notification service only)."""
        if not contact_ref.startswith("ct_") or len(contact_ref) > 64:
            raise errors.contact_not_found()
        async with self.pool.acquire() as conn:
            booking = await repo.booking_by_contact_ref(conn, contact_ref)
        # Contact details serve messages about a booking, not marketing: none a month after the visit.
        if booking is None or booking.citizen is None or booking.slot.ends_at + CONTACT_RETENTION < self._now():
            raise errors.contact_not_found()
        return booking

    # -- slots: resolving and explaining -----------------------------------------------------------

    async def _resolve(self, conn: asyncpg.Connection, ref: SlotRef) -> m.Slot:
        """The slot a request names; when a point and time name none, say why (past, holiday, closed...)."""
        if ref.slot_id:
            slot = await repo.get_slot(conn, ref.slot_id)
            if slot is None:
                raise errors.slot_not_found(ref.slot_id)
            return slot
        if not ref.point_id or ref.at is None:
            raise errors.slot_not_found("")
        point = await repo.get_point(conn, ref.point_id)
        if point is None:
            raise errors.point_not_found(ref.point_id)
        slot = await repo.find_slot_at(conn, point.id, ref.at)
        if slot is not None:
            return slot
        now = self._now()
        day = local_day(ref.at)
        windows = (await repo.load_windows(conn, point.id)).get(point.id, [])
        holidays = await repo.load_holidays(conn, day, day)
        exceptions = (await repo.load_exceptions(conn, day, day, point.id)).get(point.id, {})
        reason, holiday = explain_no_slot(
            windows, ref.at, now=now, lead=self.policy.lead,
            horizon_end=local_day(now) + timedelta(days=self.policy.horizon_days),
            holidays=holidays, exceptions=exceptions,
        )
        raise {
            NoSlotReason.PAST: lambda: errors.slot_in_past(),
            NoSlotReason.TOO_SOON: lambda: errors.slot_too_soon(int(self.policy.lead.total_seconds() // 60)),
            NoSlotReason.HOLIDAY: lambda: errors.point_closed_holiday(point.name, day, holiday),
            NoSlotReason.CLOSED_DAY: lambda: errors.point_closed(point.name, day),
            NoSlotReason.OUTSIDE_HOURS: lambda: errors.outside_opening_hours(point.name, ref.at, point.opening_hours_vi),
            NoSlotReason.BEYOND_HORIZON: lambda: errors.beyond_horizon(self.policy.horizon_days),
            NoSlotReason.NO_SLOT: lambda: errors.no_slot_at(point.name, ref.at),
        }[reason]()

    def _check_slot_offers(self, slot: m.Slot, help_type: m.HelpType) -> None:
        if not slot.offers(help_type):
            raise errors.help_type_not_offered(slot.point.name, help_type)

    def _check_visit_area(self, slot: m.Slot, citizen: m.Citizen | None) -> None:
        """A visit at home needs an address in a ward the team or volunteer serves."""
        at_home = slot.model is m.Model.HOME_VISIT or slot.volunteer_location is m.VolunteerLocation.CITIZEN_HOME
        if not at_home or citizen is None:
            return
        if not citizen.street or not citizen.ward_code:
            raise errors.address_required()
        if not slot.point.serves(citizen.ward_code):
            raise errors.out_of_area(slot.point.name, citizen.ward_name or citizen.ward_code)

    async def _next_slots(self, conn: asyncpg.Connection, slot: m.Slot, help_type: m.HelpType, priority: bool,
                          now: datetime, *, ward: str | None = None) -> list[m.Slot]:
        """Nearest slots with room: the same point first, then the same model in the same area."""
        common = {"first": max(slot.starts_at, now + self.policy.lead), "last": slot.starts_at + timedelta(days=60),
                  "help_type": str(help_type), "priority": priority, "now": now, "release": self.policy.release,
                  "offset": 0, "exclude_slot": slot.id}
        found, _ = await repo.search_slots(conn, model=None, ward=None, point_id=slot.point.id, limit=NEXT_SLOTS,
                                           **common)
        if len(found) < NEXT_SLOTS:
            more, _ = await repo.search_slots(conn, model=str(slot.model), ward=ward or slot.point.ward.code,
                                              point_id=None, limit=NEXT_SLOTS * 2, **common)
            seen = {s.id for s in found}
            found += [s for s in more if s.id not in seen][: NEXT_SLOTS - len(found)]
        return found

    def _slot_json(self, slot: m.Slot, *, priority: bool, now: datetime) -> dict[str, object]:
        return {"slot_id": slot.id, "point_id": slot.point.id, "point_name": slot.point.name,
                "starts_at": slot.starts_at.astimezone(VIETNAM).isoformat(),
                "ends_at": slot.ends_at.astimezone(VIETNAM).isoformat(),
                "remaining": slot.remaining(priority=priority, now=now, release=self.policy.release)}

    async def _take(self, conn: asyncpg.Connection, slot: m.Slot, help_type: m.HelpType, priority: bool,
                    now: datetime, *, ward: str | None = None) -> tuple[m.Slot, list[OutboxEvent]]:
        """Take a place in `slot` or raise why not; returns the slot as it is now and the events of lapsed holds.

        When the slot looks full, its lapsed holds (not yet released by the sweeper) are
        released and the place is asked for once more. A refusal rolls all of it back.
        """
        async def take() -> repo.Taken | None:
            return await repo.take_place(conn, slot.id, priority=priority, help_type=str(help_type),
                                         not_before=now + self.policy.lead, now=now, release=self.policy.release)

        def after(taken: repo.Taken) -> m.Slot:
            return replace(slot, capacity=taken.capacity, priority_reserved=taken.priority_reserved,
                           booked=taken.booked, booked_priority=taken.booked_priority)

        taken = await take()
        if taken is not None:
            return after(taken), []
        lapsed = await self._expire(conn, now, slot_id=slot.id)
        if lapsed and (taken := await take()) is not None:
            return after(taken), lapsed
        # Refused by the statement: read the slot as it is now to say why.
        current = await repo.get_slot(conn, slot.id)
        if current is None:
            raise errors.slot_not_found(slot.id)
        if current.starts_at <= now:
            raise errors.slot_in_past()
        if current.status == "cancelled":
            stop = await repo.get_stop(conn, current.stop_id) if current.stop_id else None
            raise errors.slot_cancelled(stop.cancel_reason if stop else "")
        if current.status == "closed":
            day = local_day(current.starts_at)
            state = day_state(day, await repo.load_holidays(conn, day, day),
                              (await repo.load_exceptions(conn, day, day, current.point.id)).get(current.point.id, {}))
            if state.holiday and not state.closed_by_exception:
                raise errors.point_closed_holiday(current.point.name, day, state.holiday)
            raise errors.point_closed(current.point.name, day)
        if current.starts_at < now + self.policy.lead:
            raise errors.slot_too_soon(int(self.policy.lead.total_seconds() // 60))
        self._check_slot_offers(current, help_type)
        reserved = not priority and current.booked < current.capacity
        nxt = await self._next_slots(conn, current, help_type, priority, now, ward=ward)
        raise errors.slot_full(current.point.name, current.starts_at,
                               [self._slot_json(s, priority=priority, now=now) for s in nxt], reserved=reserved)

    # -- holds and bookings ------------------------------------------------------------------------

    async def hold(self, *, key: str, ref: SlotRef, help_type: m.HelpType | None, priority: bool,
                   actor: m.Actor | None = None) -> Result:
        """Hold one place for `policy.hold` while the citizen completes the form. Idempotent on `key`."""
        rules.check_idempotency_key(key)
        if help_type is None:
            raise errors.help_type_required()
        request_hash = rules.request_hash({"op": "hold", "ref": ref.as_dict(), "help": help_type, "priority": priority})
        booking_id = str(uuid.uuid4())

        async def work(conn: asyncpg.Connection) -> Result:
            claimed = await repo.claim_idempotency(conn, scope="hold", key=key, request_hash=request_hash,
                                                   booking_id=booking_id)
            if claimed is not None:
                if claimed.request_hash != request_hash:
                    raise errors.idempotency_key_reused()
                return self._result(await self._load(conn, claimed.booking_id), replayed=True)
            now = self._now()
            slot = await self._resolve(conn, ref)
            self._check_slot_offers(slot, help_type)
            new = repo.NewBooking(id=booking_id, slot=slot, status=m.Status.HELD, help_type=help_type,
                                  procedure_code="", priority=priority, channel=m.Channel.WEB, now=now, booked_by=actor,
                                  hold_expires_at=now + self.policy.hold)
            # The booking row first, the place last: the slot's row lock is held only until commit.
            await repo.insert_booking(conn, new)
            slot, lapsed = await self._take(conn, slot, help_type, priority, now)
            booking = _made(replace(new, slot=slot))
            await enqueue(conn, *lapsed, events.held(booking, now))
            return self._result(booking)

        result = await self._tx(work)
        if not result.replayed:
            log.info("booking_held", booking_id=result.booking.id, slot_id=result.booking.slot.id)
        return result

    async def _citizen(self, conn: asyncpg.Connection, given: CitizenInput | None) -> tuple[m.Citizen, str]:
        if given is None or not (given.full_name or given.phone):
            raise errors.citizen_required()
        name = rules.clean_name(given.full_name)
        phone = rules.normalize_phone(given.phone)
        street = rules.clean_text(given.street, field="địa chỉ", limit=rules.MAX_STREET, allow_newlines=False)
        zalo = rules.clean_text(given.zalo_user_id, field="zalo_user_id", limit=64, allow_newlines=False)
        ward = await self._check_ward(conn, given.ward_code) if given.ward_code else None
        citizen = m.Citizen(full_name=name, phone=phone, street=street, ward_code=ward.code if ward else "",
                            ward_name=ward.name if ward else "", province_code=ward.province_code if ward else "",
                            province_name=ward.province_name if ward else "", zalo_user_id=zalo)
        return citizen, rules.citizen_key(phone)

    async def create_booking(self, *, key: str, ref: SlotRef | None, hold_id: str = "",
                             citizen: CitizenInput | None, help_type: m.HelpType | None, procedure_code: str = "",
                             priority: bool = False, consent: m.Consent | None, channel: m.Channel = m.Channel.WEB,
                             note: str = "", actor: m.Actor | None = None) -> Result:
        """Book a place (or complete a hold). Home visits start REQUESTED, others CONFIRMED. Idempotent on `key`.

        The same key with the same request returns the same booking (replayed); with a
        different request it is refused. The key, the place, the booking, its history and
        its event are one transaction.
        """
        rules.check_idempotency_key(key)
        if hold_id:
            _check_uuid(hold_id)
        elif help_type is None:
            raise errors.help_type_required()
        if consent is None or not consent.purpose:
            raise errors.consent_required()
        note = rules.clean_text(note, field="ghi chú", limit=rules.MAX_NOTE)
        procedure_code = await self._check_procedure(procedure_code, help_type)
        request_hash = rules.request_hash({
            "op": "create", "ref": ref.as_dict() if ref else None, "hold": hold_id, "help": help_type,
            "procedure": procedure_code, "priority": priority, "channel": channel, "note": note,
            "citizen": asdict(citizen) if citizen else None,
            "consent": [consent.purpose, consent.text_version],
        })
        booking_id = hold_id or str(uuid.uuid4())

        async def work(conn: asyncpg.Connection) -> Result:
            claimed = await repo.claim_idempotency(conn, scope="create", key=key, request_hash=request_hash,
                                                   booking_id=booking_id)
            if claimed is not None:
                if claimed.request_hash != request_hash:
                    raise errors.idempotency_key_reused()
                return self._result(await self._load(conn, claimed.booking_id), replayed=True)
            person, person_key = await self._citizen(conn, citizen)
            now = self._now()
            contact_ref = f"ct_{uuid.uuid4()}"
            if hold_id:
                held = await repo.get_booking(conn, hold_id)
                if held is None:
                    raise errors.booking_not_found(hold_id)
                wanted = help_type or held.help_type
                self._check_slot_offers(held.slot, wanted)
                self._check_visit_area(held.slot, person)
                status = m.Status.REQUESTED if held.slot.model is m.Model.HOME_VISIT else m.Status.CONFIRMED
                try:
                    done = await repo.complete_hold(
                        conn, hold_id, status=status, now=now, citizen=person, citizen_key=person_key,
                        consent=consent, contact_ref=contact_ref, help_type=wanted, procedure_code=procedure_code,
                        channel=channel, booked_by=actor, note=note, ward_code=person.ward_code or None)
                except asyncpg.ExclusionViolationError:
                    raise errors.citizen_overlap() from None
                if not done:
                    if held.status is m.Status.HELD or held.status is m.Status.EXPIRED:
                        raise errors.hold_expired()
                    raise errors.booking_not_held()
            else:
                assert ref is not None and help_type is not None
                slot = await self._resolve(conn, ref)
                self._check_slot_offers(slot, help_type)
                self._check_visit_area(slot, person)
                status = m.Status.REQUESTED if slot.model is m.Model.HOME_VISIT else m.Status.CONFIRMED
                new = repo.NewBooking(
                    id=booking_id, slot=slot, status=status, help_type=help_type, procedure_code=procedure_code,
                    priority=priority, channel=channel, now=now, citizen=person, citizen_key=person_key,
                    consent=consent, contact_ref=contact_ref, booked_by=actor, note=note,
                    ward_code=person.ward_code or None)
                try:  # the booking row first, the place last: the slot's row lock is held only until commit
                    await repo.insert_booking(conn, new)
                except asyncpg.ExclusionViolationError:
                    raise errors.citizen_overlap() from None
                slot, lapsed = await self._take(conn, slot, help_type, priority, now, ward=person.ward_code or None)
                booking = _made(replace(new, slot=slot))
                await enqueue(conn, *lapsed, events.created(booking, now))
                return self._result(booking)
            await repo.add_history(conn, booking_id, at=now, action=str(status), from_status=m.Status.HELD,
                                   to_status=status, to_slot=held.slot.id, actor=actor)
            booking = await self._load(conn, booking_id)
            await enqueue(conn, events.created(booking, now))
            return self._result(booking)

        result = await self._tx(work)
        if not result.replayed:
            log.info("booking_created", booking_id=result.booking.id, status=str(result.booking.status),
                     slot_id=result.booking.slot.id, model=str(result.booking.slot.model))
        return result

    async def cancel(self, *, booking_id: str, token: str, actor: m.Actor | None, reason: str) -> Result:
        """Cancel an active booking and give its place back. Cancelling a cancelled booking changes nothing."""
        _check_uuid(booking_id)
        reason = rules.clean_text(reason, field="lý do", limit=rules.MAX_REASON)

        async def work(conn: asyncpg.Connection) -> tuple[Result, bool]:
            booking = self._authorize(await repo.get_booking(conn, booking_id, lock=True), booking_id, token, actor,
                                      helper=False)
            if booking.status in (m.Status.CANCELLED, m.Status.EXPIRED, m.Status.REJECTED):
                return self._result(booking), False
            if not booking.active:
                raise errors.booking_not_active(booking.status)
            now = self._now()
            is_officer = actor is not None and actor.role in OFFICER_ROLES
            if not is_officer and booking.slot.starts_at <= now:
                raise errors.booking_started()
            who = actor or m.Actor("citizen", "citizen")
            await repo.set_status(conn, booking_id, m.Status.CANCELLED, now=now, reason=reason, clear_resource=True)
            await repo.release_place(conn, booking.slot.id, priority=booking.priority)
            await repo.delete_booking_commitments(conn, [booking_id])
            await repo.add_history(conn, booking_id, at=now, action="cancelled", from_status=booking.status,
                                   to_status=m.Status.CANCELLED, from_slot=booking.slot.id, actor=who, note=reason)
            after = await self._load(conn, booking_id)
            await enqueue(conn, events.cancelled(after, now, actor=who, reason=reason))
            return self._result(after), True

        result, changed = await self._tx(work)
        if changed:
            log.info("booking_cancelled", booking_id=booking_id)
        return result

    async def reschedule(self, *, key: str, booking_id: str, token: str, actor: m.Actor | None, ref: SlotRef,
                         reason: str) -> Result:
        """Move a booking to another slot: the new place is taken and the old one freed in one transaction.

        Also moves a booking cancelled by a bus stop cancellation to one of the offered
        slots. An assigned staff member or volunteer moves with it when free at the new time.
        """
        rules.check_idempotency_key(key)
        _check_uuid(booking_id)
        reason = rules.clean_text(reason, field="lý do", limit=rules.MAX_REASON)
        request_hash = rules.request_hash({"op": "reschedule", "booking": booking_id, "ref": ref.as_dict(),
                                           "reason": reason})

        async def work(conn: asyncpg.Connection) -> Result:
            claimed = await repo.claim_idempotency(conn, scope="reschedule", key=key, request_hash=request_hash,
                                                   booking_id=booking_id)
            if claimed is not None:
                if claimed.request_hash != request_hash:
                    raise errors.idempotency_key_reused()
                booking = self._authorize(await repo.get_booking(conn, booking_id), booking_id, token, actor,
                                          helper=False)
                return self._result(booking, replayed=True)
            booking = self._authorize(await repo.get_booking(conn, booking_id, lock=True), booking_id, token, actor,
                                      helper=False)
            now = self._now()
            revive = booking.status is m.Status.CANCELLED and bool(booking.cancelled_by_stop_id)
            if not (booking.active or revive):
                raise errors.booking_not_active(booking.status)
            is_officer = actor is not None and actor.role in OFFICER_ROLES
            if booking.active and not is_officer and booking.slot.starts_at <= now:
                raise errors.booking_started()
            target = await self._resolve(conn, ref)
            if target.id == booking.slot.id:
                raise errors.same_slot()
            self._check_slot_offers(target, booking.help_type)
            self._check_visit_area(target, booking.citizen)
            await repo.lock_slots(conn, [target.id] if revive else [target.id, booking.slot.id])
            _, lapsed = await self._take(conn, target, booking.help_type, booking.priority, now,
                                         ward=booking.ward_code or None)
            if not revive:
                await repo.release_place(conn, booking.slot.id, priority=booking.priority)
            status = _status_after_move(booking, target, revive=revive)
            try:
                await repo.move_booking(conn, booking_id, target, status=status, now=now, revive=revive)
            except asyncpg.ExclusionViolationError:
                raise errors.citizen_overlap() from None
            note = reason
            if booking.resource is not None and not revive:
                note = await self._move_assignment(conn, booking, target, now) or reason
            who = actor or m.Actor("citizen", "citizen")
            await repo.add_history(conn, booking_id, at=now, action="rescheduled", from_status=booking.status,
                                   to_status=status, from_slot=booking.slot.id, to_slot=target.id, actor=who, note=note)
            after = await self._load(conn, booking_id)
            await enqueue(conn, *lapsed, events.rescheduled(after, booking.slot, now, actor=who, reason=reason))
            return self._result(after)

        result = await self._tx(work)
        if not result.replayed:
            log.info("booking_rescheduled", booking_id=booking_id, slot_id=result.booking.slot.id)
        return result

    async def _move_assignment(self, conn: asyncpg.Connection, booking: m.Booking, target: m.Slot,
                               now: datetime) -> str:
        """Keep the assigned person if they are free at the new time; else clear the assignment (say so)."""
        assert booking.resource is not None
        if booking.slot.resource_id and booking.resource.id == booking.slot.resource_id:
            return ""  # the volunteer of the old slot; the new slot has its own
        try:
            async with conn.transaction():  # a savepoint: a refused move must not abort the reschedule
                await repo.move_booking_commitment(conn, booking.id, target.starts_at, target.ends_at)
            return ""
        except asyncpg.ExclusionViolationError:
            await repo.delete_booking_commitments(conn, [booking.id])
            await repo.set_resource(conn, booking.id, None, now)
            return f"Đã bỏ phân công {booking.resource.display_name} (bận vào giờ mới)."

    # -- officers ----------------------------------------------------------------------------------

    async def verify(self, *, booking_id: str, actor: m.Actor | None, outcome: m.VerificationOutcome | None,
                     note: str) -> m.Booking:
        """Record the call-back of a REQUESTED booking: confirm it, reject it, or count an unanswered call."""
        officer = self._require_officer(actor)
        _check_uuid(booking_id)
        if outcome is None:
            raise errors.outcome_required()
        note = rules.clean_text(note, field="ghi chú", limit=rules.MAX_NOTE)

        async def work(conn: asyncpg.Connection) -> m.Booking:
            booking = await repo.get_booking(conn, booking_id, lock=True)
            if booking is None:
                raise errors.booking_not_found(booking_id)
            already = {m.VerificationOutcome.CONFIRMED: m.Status.CONFIRMED,
                       m.VerificationOutcome.REJECTED: m.Status.REJECTED}.get(outcome)
            if booking.status is already:
                return await self._load(conn, booking_id, with_history=True)  # a repeated click
            if booking.status is not m.Status.REQUESTED:
                raise errors.not_awaiting_verification(booking.status)
            now = self._now()
            if outcome is m.VerificationOutcome.UNREACHABLE:
                await repo.record_attempt(conn, booking_id, now)
                await repo.add_history(conn, booking_id, at=now, action="verification_unreachable",
                                       from_status=booking.status, to_status=booking.status, actor=officer, note=note)
                return await self._load(conn, booking_id, with_history=True)
            if outcome is m.VerificationOutcome.CONFIRMED:
                await repo.record_attempt(conn, booking_id, now)
                await repo.set_status(conn, booking_id, m.Status.CONFIRMED, now=now, note=note or None)
                await repo.add_history(conn, booking_id, at=now, action="verified", from_status=booking.status,
                                       to_status=m.Status.CONFIRMED, actor=officer, note=note)
                after = await self._load(conn, booking_id, with_history=True)
                await enqueue(conn, events.confirmed(after, now, by=officer))
                return after
            reason = note or "Không đủ điều kiện hỗ trợ tại nhà sau khi xác minh."
            await repo.record_attempt(conn, booking_id, now)
            await repo.set_status(conn, booking_id, m.Status.REJECTED, now=now, reason=reason, clear_resource=True)
            await repo.release_place(conn, booking.slot.id, priority=booking.priority)
            await repo.delete_booking_commitments(conn, [booking_id])
            await repo.add_history(conn, booking_id, at=now, action="rejected", from_status=booking.status,
                                   to_status=m.Status.REJECTED, actor=officer, note=reason)
            after = await self._load(conn, booking_id, with_history=True)
            await enqueue(conn, events.cancelled(after, now, actor=officer, reason=reason))
            return after

        booking = await self._tx(work)
        log.info("booking_verified", booking_id=booking_id, outcome=str(outcome), status=str(booking.status))
        return booking

    async def assign(self, *, booking_id: str, resource_id: str, actor: m.Actor | None) -> m.Booking:
        """Assign a staff member or volunteer; the exclusion constraint refuses one who is busy then."""
        officer = self._require_officer(actor)
        _check_uuid(booking_id)

        async def work(conn: asyncpg.Connection) -> m.Booking:
            resource = await repo.get_resource(conn, resource_id)
            if resource is None or not resource.active:
                raise errors.resource_not_found(resource_id)
            if resource.kind is m.ResourceKind.VEHICLE:
                raise errors.resource_not_assignable()
            booking = await repo.get_booking(conn, booking_id, lock=True)
            if booking is None:
                raise errors.booking_not_found(booking_id)
            if booking.status not in (m.Status.REQUESTED, m.Status.CONFIRMED):
                raise errors.booking_not_active(booking.status)
            if not resource.can_give(booking.help_type):
                raise errors.resource_cannot_help(resource.display_name, booking.help_type)
            if booking.ward_code and not resource.covers(booking.ward_code):
                raise errors.resource_out_of_area(resource.display_name)
            now = self._now()
            await repo.delete_booking_commitments(conn, [booking_id])
            if resource.id != booking.slot.resource_id:  # a volunteer's own slot is already their commitment
                try:
                    await repo.insert_commitment(conn, resource_id=resource.id, starts_at=booking.slot.starts_at,
                                                 ends_at=booking.slot.ends_at, booking_id=booking_id)
                except asyncpg.ExclusionViolationError:
                    raise errors.resource_busy(resource.display_name) from None
            await repo.set_resource(conn, booking_id, resource.id, now)
            await repo.add_history(conn, booking_id, at=now, action="assigned", from_status=booking.status,
                                   to_status=booking.status, actor=officer, note=resource.display_name)
            return await self._load(conn, booking_id, with_history=True)

        booking = await self._tx(work)
        log.info("booking_assigned", booking_id=booking_id, resource_id=resource_id)
        return booking

    def _require_helper(self, actor: m.Actor | None, booking: m.Booking) -> m.Actor:
        if actor is None or actor.role not in OFFICER_ROLES | {"volunteer"}:
            raise errors.actor_required()
        if actor.role == "volunteer" and not (booking.resource and booking.resource.account_id == actor.id):
            raise errors.not_your_booking()
        return actor

    async def complete(self, *, booking_id: str, actor: m.Actor | None, help_given: Sequence[m.HelpType],
                       dossier_codes: Sequence[str], note: str) -> m.Booking:
        """Record that help was given (from the day of the visit on)."""
        _check_uuid(booking_id)
        note = rules.clean_text(note, field="ghi chú", limit=rules.MAX_NOTE)
        codes = [rules.clean_text(c, field="mã hồ sơ", limit=40, allow_newlines=False) for c in dossier_codes][:20]

        async def work(conn: asyncpg.Connection) -> m.Booking:
            booking = await repo.get_booking(conn, booking_id, lock=True)
            if booking is None:
                raise errors.booking_not_found(booking_id)
            helper = self._require_helper(actor, booking)
            if booking.status is m.Status.COMPLETED:
                return await self._load(conn, booking_id, with_history=True)
            if booking.status is not m.Status.CONFIRMED:
                raise errors.booking_not_active(booking.status)
            now = self._now()
            if local_day(now) < local_day(booking.slot.starts_at):
                raise errors.not_due_yet()
            given = list(dict.fromkeys(help_given)) or [booking.help_type]
            await repo.set_outcome(conn, booking_id, help_given=[str(h) for h in given], dossier_codes=codes)
            await repo.set_status(conn, booking_id, m.Status.COMPLETED, now=now, note=note or None)
            await repo.add_history(conn, booking_id, at=now, action="completed", from_status=booking.status,
                                   to_status=m.Status.COMPLETED, actor=helper, note=note)
            after = await self._load(conn, booking_id, with_history=True)
            await enqueue(conn, events.completed(after, now, actor=helper))
            return after

        booking = await self._tx(work)
        log.info("booking_completed", booking_id=booking_id)
        return booking

    async def no_show(self, *, booking_id: str, actor: m.Actor | None, note: str) -> m.Booking:
        """Record that the citizen did not come (or was not home), once the visit has started."""
        _check_uuid(booking_id)
        note = rules.clean_text(note, field="ghi chú", limit=rules.MAX_NOTE)

        async def work(conn: asyncpg.Connection) -> m.Booking:
            booking = await repo.get_booking(conn, booking_id, lock=True)
            if booking is None:
                raise errors.booking_not_found(booking_id)
            helper = self._require_helper(actor, booking)
            if booking.status is m.Status.NO_SHOW:
                return await self._load(conn, booking_id, with_history=True)
            if booking.status is not m.Status.CONFIRMED:
                raise errors.booking_not_active(booking.status)
            now = self._now()
            if now < booking.slot.starts_at:
                raise errors.not_due_yet()
            await repo.set_status(conn, booking_id, m.Status.NO_SHOW, now=now, note=note or None)
            await repo.add_history(conn, booking_id, at=now, action="no_show", from_status=booking.status,
                                   to_status=m.Status.NO_SHOW, actor=helper, note=note)
            after = await self._load(conn, booking_id, with_history=True)
            await enqueue(conn, events.no_show(after, now, actor=helper))
            return after

        booking = await self._tx(work)
        log.info("booking_no_show", booking_id=booking_id)
        return booking

    async def update_capacity(self, *, slot_id: str, capacity: int, reserved: int, actor: m.Actor | None) -> m.Slot:
        """Change a slot's places; refused below what is taken (a capacity change never cancels anyone)."""
        self._require_officer(actor)
        if not (0 <= capacity <= 500 and 0 <= reserved <= capacity):
            raise errors.capacity_invalid()

        async def work(conn: asyncpg.Connection) -> m.Slot:
            if not await repo.update_capacity(conn, slot_id, capacity, reserved):
                slot = await repo.get_slot(conn, slot_id)
                if slot is None:
                    raise errors.slot_not_found(slot_id)
                raise errors.capacity_below_booked(slot.booked, capacity)
            slot = await repo.get_slot(conn, slot_id)
            assert slot is not None
            return slot

        slot = await self._tx(work)
        log.info("slot_capacity_changed", slot_id=slot_id, capacity=capacity, reserved=reserved)
        return slot

    async def cancel_stop(self, *, stop_id: str, reason: str, actor: m.Actor | None) -> tuple[m.RouteStop, list[Affected]]:
        """Cancel a bus stop window and every booking in it; each citizen is offered the next windows with room.

        One transaction: the stop, its slot, the bookings, their places, the vehicle's
        commitment, the stop_cancelled event and one booking_cancelled event per booking
        (with the alternatives). Cancelling a cancelled stop changes nothing.
        """
        officer = self._require_officer(actor)
        reason = rules.clean_text(reason, field="lý do", limit=rules.MAX_REASON)
        if not reason:
            raise errors.reason_required()

        async def work(conn: asyncpg.Connection) -> tuple[m.RouteStop, list[Affected]]:
            stop = await repo.get_stop(conn, stop_id, lock=True)
            if stop is None:
                raise errors.stop_not_found(stop_id)
            if stop.status == "cancelled":
                return stop, []
            now = self._now()
            if stop.ends_at <= now:
                raise errors.stop_already_over()
            slot_ids = [s.id for s in await repo.slots_of_day(conn, first=stop.starts_at, last=stop.ends_at,
                                                              stop_id=stop.id)]
            await repo.cancel_stop(conn, stop.id, reason=reason, actor_id=officer.id, now=now)
            freed = await repo.cancel_slot_bookings(conn, slot_ids, now=now, reason=reason, stop_id=stop.id)
            ids = [f.booking_id for f in freed]
            await repo.delete_booking_commitments(conn, ids)
            offers: dict[bool, list[m.Slot]] = {}
            affected: list[Affected] = []
            history_rows = []
            outbox: list[OutboxEvent] = []
            for f in freed:
                booking = await self._load(conn, f.booking_id)
                if f.priority not in offers:
                    offers[f.priority] = await self._stop_alternatives(conn, stop, booking.help_type, f.priority, now)
                alternatives = [s for s in offers[f.priority] if s.offers(booking.help_type)]
                affected.append(Affected(booking, tuple(alternatives)))
                history_rows.append((f.booking_id, now, "stop_cancelled", f.old_status, str(m.Status.CANCELLED),
                                     f.slot_id, officer, reason))
                outbox.append(events.cancelled(booking, now, actor=officer, reason=reason, stop_id=stop.id,
                                               alternatives=alternatives))
            await repo.add_history_many(conn, history_rows)
            after = await repo.get_stop(conn, stop.id)
            assert after is not None
            await enqueue(conn, events.stop_cancelled(after, now, actor=officer, reason=reason, booking_ids=ids), *outbox)
            return after, affected

        stop, affected = await self._tx(work)
        log.info("stop_cancelled", stop_id=stop_id, bookings=len(affected))
        return stop, affected

    async def _stop_alternatives(self, conn: asyncpg.Connection, stop: m.RouteStop, help_type: m.HelpType,
                                 priority: bool, now: datetime) -> list[m.Slot]:
        """The next windows of the same stop, then of the same route, with room; nearest first."""
        common = {"model": None, "ward": None, "first": max(stop.starts_at, now + self.policy.lead),
                  "last": stop.starts_at + timedelta(days=60), "help_type": str(help_type), "priority": priority,
                  "now": now, "release": self.policy.release, "offset": 0}
        same_stop, _ = await repo.search_slots(conn, point_id=stop.point.id, limit=NEXT_SLOTS, **common)
        if len(same_stop) >= NEXT_SLOTS:
            return same_stop
        route, _ = await repo.search_slots(conn, point_id=None, route_id=stop.route_id, limit=NEXT_SLOTS * 2, **common)
        seen = {s.id for s in same_stop}
        merged = same_stop + [s for s in route if s.id not in seen]
        return sorted(merged, key=lambda s: s.starts_at)[:NEXT_SLOTS]

    # -- volunteers --------------------------------------------------------------------------------

    async def register_volunteer_availability(
        self, *, volunteer_id: str, day: date, start: time, end: time, location: m.VolunteerLocation | None,
        street: str, ward_code: str, help_types: Sequence[m.HelpType], capacity: int, slot_minutes: int,
        actor: m.Actor | None, point_id: str = "",
    ) -> list[m.Slot]:
        """Publish a volunteer's Saturday/Sunday hours as slots. Idempotent for the same window.

        Each new slot is a commitment of the volunteer: overlapping hours (or an overlapping
        assignment) are refused by the exclusion constraint, and nothing is created.
        """
        if actor is None or actor.role not in OFFICER_ROLES | {"volunteer"}:
            raise errors.actor_required()
        if location is None:
            location = m.VolunteerLocation.CULTURAL_HOUSE
        slot_minutes = slot_minutes or 60
        capacity = capacity or 1
        if not 15 <= slot_minutes <= 240:
            raise errors.volunteer_window_invalid()
        if not 1 <= capacity <= 20 or (location is m.VolunteerLocation.CITIZEN_HOME and capacity != 1):
            raise errors.capacity_invalid()
        if day.isoweekday() not in (6, 7):
            raise errors.volunteer_weekend_only()
        now = self._now()
        today = local_day(now)
        first, last = at_local(day, start), at_local(day, end)
        if last - first < timedelta(minutes=slot_minutes) or first <= now or day > today + timedelta(
                days=self.policy.horizon_days):
            raise errors.volunteer_window_invalid()
        street = rules.clean_text(street, field="địa chỉ", limit=rules.MAX_STREET, allow_newlines=False)

        async def work(conn: asyncpg.Connection) -> list[m.Slot]:
            volunteer = await repo.get_resource(conn, volunteer_id)
            if volunteer is None or not volunteer.active or volunteer.kind is not m.ResourceKind.VOLUNTEER:
                raise errors.resource_not_found(volunteer_id)
            if actor.role == "volunteer" and volunteer.account_id != actor.id:
                raise errors.not_your_availability()
            for h in help_types:
                if not volunteer.can_give(h):
                    raise errors.resource_cannot_help(volunteer.display_name, h)
            offered = tuple(dict.fromkeys(help_types)) or volunteer.skills
            point = await self._volunteer_point(conn, volunteer, location, street, ward_code, point_id)
            holidays = await repo.load_holidays(conn, day, day)
            exceptions = (await repo.load_exceptions(conn, day, day, point.id)).get(point.id, {})
            state = day_state(day, holidays, exceptions)
            if not state.open:
                raise errors.volunteer_holiday(day, state.holiday or "")
            shared = point.owner_resource_id != volunteer.id
            planned: list[repo.NewSlot] = []
            cursor = first
            step = timedelta(minutes=slot_minutes)
            while cursor + step <= last:
                local = cursor.astimezone(VIETNAM)
                suffix = f"-{volunteer.id}" if shared else ""
                planned.append(repo.NewSlot(
                    id=f"{point.id}-{local:%Y%m%d-%H%M}{suffix}", point_id=point.id, model=str(m.Model.VOLUNTEER),
                    starts_at=cursor, ends_at=cursor + step, capacity=capacity, priority_reserved=0,
                    help_types=[str(h) for h in offered], resource_id=volunteer.id,
                    volunteer_location=str(location)))
                cursor += step
            new_ids = set(await repo.insert_slots(conn, planned))
            for s in planned:
                if s.id in new_ids:
                    try:
                        await repo.insert_commitment(conn, resource_id=volunteer.id, starts_at=s.starts_at,
                                                     ends_at=s.ends_at, slot_id=s.id)
                    except asyncpg.ExclusionViolationError:
                        raise errors.volunteer_busy() from None
            found = await repo.get_slots(conn, [s.id for s in planned])
            missing = [s.id for s in planned if s.id not in found]
            if missing:  # the same start was taken by another slot of this volunteer at this point
                raise errors.volunteer_busy()
            return [found[s.id] for s in planned]

        slots = await self._tx(work)
        log.info("volunteer_availability_registered", volunteer_id=volunteer_id, slots=len(slots))
        return slots

    async def _volunteer_point(self, conn: asyncpg.Connection, volunteer: m.Resource, location: m.VolunteerLocation,
                               street: str, ward_code: str, point_id: str) -> m.Point:
        if location is m.VolunteerLocation.CULTURAL_HOUSE and point_id:
            point = await repo.get_point(conn, point_id)
            if point is None or point.model is not m.Model.VOLUNTEER:
                raise errors.point_not_found(point_id)
            return point
        ward_code = ward_code or (volunteer.ward_codes[0] if volunteer.ward_codes else "")
        if not ward_code:
            raise errors.ward_required()
        ward = await self._check_ward(conn, ward_code)
        if location is m.VolunteerLocation.CITIZEN_HOME:
            pid, name, place = f"tnv-{volunteer.id}-tai-nha", f"{volunteer.display_name} – hỗ trợ tại nhà người dân", ""
        elif location is m.VolunteerLocation.VOLUNTEER_HOME:
            if not street:
                raise errors.address_required()
            pid, name, place = f"tnv-{volunteer.id}-nha-rieng", f"Nhà tình nguyện viên {volunteer.display_name}", street
        else:
            if not street:
                raise errors.address_required()
            pid, name, place = f"nvh-{ward.code}-{_slug(street)}"[:96], street, street
        point = m.Point(id=pid, model=m.Model.VOLUNTEER, name=name, ward=ward, street=place,
                        served_wards=volunteer.ward_codes if location is m.VolunteerLocation.CITIZEN_HOME else (),
                        volunteer_location=location,
                        owner_resource_id=volunteer.id if location is not m.VolunteerLocation.CULTURAL_HOUSE else "",
                        opening_hours_vi="Thứ Bảy, Chủ nhật theo lịch đăng ký của tình nguyện viên")
        await repo.upsert_point(conn, point, replace=False)
        found = await repo.get_point(conn, pid)
        assert found is not None
        return found

    # -- background work ---------------------------------------------------------------------------

    async def _expire(self, conn: asyncpg.Connection, now: datetime, *, slot_id: str | None = None,
                      limit: int = 500) -> list[OutboxEvent]:
        freed = await repo.expire_holds(conn, now=now, slot_id=slot_id, limit=limit)
        if not freed:
            return []
        await repo.add_history_many(conn, [(f.booking_id, now, "expired", str(m.Status.HELD), str(m.Status.EXPIRED),
                                            f.slot_id, m.SYSTEM, "") for f in freed])
        out = []
        for f in freed:
            booking = await self._load(conn, f.booking_id)
            out.append(events.cancelled(booking, now, actor=m.SYSTEM, reason="Hết thời gian giữ chỗ."))
        return out

    async def expire_holds(self) -> int:
        """Release every lapsed hold (in batches); return how many."""
        total = 0
        while True:
            async def work(conn: asyncpg.Connection) -> int:
                lapsed = await self._expire(conn, self._now(), limit=200)
                await enqueue(conn, *lapsed)
                return len(lapsed)

            count = await self._tx(work)
            total += count
            if count < 200:
                break
        if total:
            log.info("holds_expired", count=total)
        return total

    async def prune_idempotency_keys(self) -> int:
        """Forget idempotency keys after IDEMPOTENCY_RETENTION (clients retry within minutes, not weeks)."""
        async def work(conn: asyncpg.Connection) -> int:
            return await repo.prune_idempotency_keys(conn, before=utcnow() - IDEMPOTENCY_RETENTION)

        return await self._tx(work)

    async def send_reminders(self) -> int:
        """Emit the reminders that are due, each exactly once (a reminder row per event, same transaction)."""
        offsets = self.policy.offsets
        sent_total = 0
        while True:
            async def work(conn: asyncpg.Connection) -> tuple[int, int]:
                now = self._now()
                candidates = await repo.reminder_candidates(conn, now=now, offsets=offsets, limit=200)
                sent = 0
                outbox = []
                for booking, basis_at, done in candidates:
                    kind, skipped = reminders_due(starts_at=booking.slot.starts_at, basis_at=basis_at, now=now,
                                                  offsets=offsets, done=done)
                    for k in skipped:
                        await repo.insert_reminder(conn, booking_id=booking.id, kind=k,
                                                   starts_at=booking.slot.starts_at, outcome="skipped", event_id=None)
                    if kind is None:
                        continue
                    event = events.reminder_due(booking, kind, now)
                    if await repo.insert_reminder(conn, booking_id=booking.id, kind=kind,
                                                  starts_at=booking.slot.starts_at, outcome="sent", event_id=event.id):
                        outbox.append(event)
                        sent += 1
                await enqueue(conn, *outbox)
                return sent, len(candidates)

            sent, seen = await self._tx(work)
            sent_total += sent
            if seen < 200:
                break
        if sent_total:
            log.info("reminders_due", count=sent_total)
        return sent_total

    async def plan(self, *, point_id: str | None = None) -> int:
        """Generate slots (and bus stop windows) from the opening windows up to the booking horizon; idempotent."""
        today = local_day(self._now())
        last = today + timedelta(days=self.policy.horizon_days)
        days = days_between(today, last)
        async with self.pool.acquire() as conn:
            windows = await repo.load_windows(conn, point_id)
            holidays = await repo.load_holidays(conn, today, last)
            exceptions = await repo.load_exceptions(conn, today, last, point_id)
        created = 0
        for pid, point_windows in windows.items():
            created += await self._plan_point(pid, point_windows, days, holidays, exceptions.get(pid, {}))
        if created:
            log.info("slots_planned", count=created, until=last.isoformat())
        await self.apply_calendar()
        return created

    async def apply_calendar(self) -> None:
        """Close (or re-open) planned slots after holidays or a point's days changed; warn about booked ones."""
        async def work(conn: asyncpg.Connection) -> list[tuple[str, str, int]]:
            return await repo.apply_calendar(conn, now=self._now())

        changed = await self._tx(work)
        for slot_id, status, booked in changed:
            if status == "closed" and booked:
                log.warning("closed_slot_has_bookings", slot_id=slot_id, bookings=booked)
        if changed:
            log.info("calendar_applied", slots=len(changed))

    async def _plan_point(self, point_id: str, windows: Sequence[m.Window], days: Sequence[date],
                          holidays: dict[date, str], exceptions: dict[date, DayException]) -> int:
        now = self._now()
        planned = [p for p in plan_slots(windows, days, holidays, exceptions) if p.starts_at > now]

        async def work(conn: asyncpg.Connection) -> int:
            point = await repo.get_point(conn, point_id)
            if point is None:
                return 0
            vehicle = await repo.route_vehicle(conn, point.route_id) if point.route_id else None
            rows = []
            for p in planned:
                local = p.starts_at.astimezone(VIETNAM)
                slot_id = f"{point.id}-{local:%Y%m%d-%H%M}"
                stop_id = None
                if point.model is m.Model.MOBILE_BUS:
                    stop_id = f"stop-{slot_id}"
                    if await repo.insert_route_stop(conn, stop_id=stop_id, route_id=point.route_id, point_id=point.id,
                                                    starts_at=p.starts_at, ends_at=p.ends_at) and vehicle:
                        try:
                            async with conn.transaction():
                                await repo.insert_commitment(conn, resource_id=vehicle, starts_at=p.starts_at,
                                                             ends_at=p.ends_at, stop_id=stop_id)
                        except asyncpg.ExclusionViolationError:
                            log.warning("stop_window_vehicle_busy", stop_id=stop_id, vehicle_id=vehicle)
                rows.append(repo.NewSlot(id=slot_id, point_id=point.id, model=str(point.model), starts_at=p.starts_at,
                                         ends_at=p.ends_at, capacity=p.capacity, priority_reserved=p.priority_reserved,
                                         help_types=[str(h) for h in point.help_types], stop_id=stop_id))
            return len(await repo.insert_slots(conn, rows))

        return await self._tx(work)

    # -- configuration (seed, tests, operators' tools) ---------------------------------------------

    async def configure_point(self, point: m.Point, windows: Sequence[m.Window]) -> None:
        """Create or update a point with its weekly windows (and the hours text shown to citizens)."""
        async def work(conn: asyncpg.Connection) -> None:
            await repo.upsert_point(conn, point)
            await repo.replace_windows(conn, point.id, windows, describe_hours(windows) or point.opening_hours_vi)

        await self._tx(work)

    async def configure(self, *, wards: Sequence[m.Ward] = (), resources: Sequence[m.Resource] = (),
                        routes: Sequence[tuple[str, str, str | None]] = (),
                        holidays: Sequence[tuple[date, str]] = (),
                        exceptions: Sequence[tuple[str, date, DayException, str]] = ()) -> None:
        async def work(conn: asyncpg.Connection) -> None:
            for ward in wards:
                await repo.upsert_ward(conn, ward)
            for resource in resources:
                await repo.upsert_resource(conn, resource)
            for route_id, name, vehicle in routes:
                await repo.upsert_route(conn, route_id, name, vehicle)
            for day, name in holidays:
                await repo.upsert_holiday(conn, day, name)
            for pid, day, kind, note in exceptions:
                await repo.set_day_exception(conn, pid, day, kind, note)

        await self._tx(work)
        if holidays or exceptions:
            await self.apply_calendar()


def _made(new: repo.NewBooking) -> m.Booking:
    """The booking just inserted, as the database now holds it (without reading it back)."""
    first = m.Change(at=new.now, action=str(new.status), from_status=None, to_status=new.status, to_slot_id=new.slot.id,
                     actor=new.booked_by)
    return m.Booking(
        id=new.id, status=new.status, slot=new.slot, help_type=new.help_type, procedure_code=new.procedure_code,
        citizen=new.citizen, priority=new.priority, channel=new.channel, consent=new.consent,
        contact_ref=new.contact_ref or "", note=new.note, hold_expires_at=new.hold_expires_at,
        ward_code=new.ward_code or new.slot.point.ward.code, version=1, created_at=new.now, updated_at=new.now,
        history=(first,),
    )


def _status_after_move(booking: m.Booking, target: m.Slot, *, revive: bool) -> m.Status:
    """Home visits need a call-back: moving into one from another model (or reviving into one) asks again."""
    if booking.status is m.Status.HELD:
        return m.Status.HELD
    needs_call = target.model is m.Model.HOME_VISIT
    if revive:
        return m.Status.REQUESTED if needs_call else m.Status.CONFIRMED
    if needs_call and booking.slot.model is not m.Model.HOME_VISIT:
        return m.Status.REQUESTED
    if not needs_call and booking.status is m.Status.REQUESTED:
        return m.Status.CONFIRMED
    return booking.status


def _check_uuid(value: str) -> None:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise errors.booking_not_found(str(value)[:64]) from None


def _slug(text: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_only = "".join(c for c in folded if unicodedata.category(c) != "Mn").lower()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_only).split())[:60] or "diem"


__all__ = ["Affected", "CitizenInput", "Page", "Policy", "Result", "SchedulerService", "SlotRef", "page_of"]
