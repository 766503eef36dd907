"""Booking facts as outbox events (motcua.scheduler.events.v1), keyed by booking id, with no personal data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from google.protobuf.message import Message

from motcua.events.v1 import scheduler_events_pb2 as ev
from motcua_platform.cloudevents import data_from_message
from motcua_platform.outbox import OutboxEvent
from motcua_scheduler.convert import (
    CHANNEL_TO_PB,
    HELP_TO_PB,
    MODEL_TO_PB,
    STATUS_TO_PB,
    actor_to_pb,
    local_date,
    timestamp,
)
from motcua_scheduler.domain import model as m
from motcua_scheduler.domain.calendar import local_day

TOPIC = "motcua.scheduler.events.v1"
SOURCE = "/motcua/scheduler"
TYPE_PREFIX = "motcua.scheduler.v1."


def slot_ref(slot: m.Slot, *, ward_code: str | None = None) -> ev.BookingSlotRef:
    """Where and when; for home visits the team and the visited ward, never the address."""
    return ev.BookingSlotRef(slot_id=slot.id, point_id=slot.point.id, point_name=slot.point.name,
                             starts_at=timestamp(slot.starts_at), ends_at=timestamp(slot.ends_at),
                             ward_code=ward_code or slot.point.ward.code)


def _ward(booking: m.Booking) -> str:
    return booking.ward_code if booking.slot.model is m.Model.HOME_VISIT else booking.slot.point.ward.code


def _event(name: str, key: str, message: Message, now: datetime) -> OutboxEvent:
    return OutboxEvent(topic=TOPIC, key=key, type=TYPE_PREFIX + name, source=SOURCE, subject=key,
                       data=data_from_message(message), time=now)


def _common(booking: m.Booking, now: datetime) -> dict[str, object]:
    return {
        "booking_id": booking.id,
        "status": STATUS_TO_PB[booking.status],
        "model": MODEL_TO_PB[booking.slot.model],
        "help_type": HELP_TO_PB[booking.help_type],
        "slot": slot_ref(booking.slot, ward_code=_ward(booking)),
        "occurred_at": timestamp(now),
    }


def held(booking: m.Booking, now: datetime) -> OutboxEvent:
    assert booking.hold_expires_at is not None
    message = ev.BookingHeld(**_common(booking, now), hold_expires_at=timestamp(booking.hold_expires_at))
    return _event("booking_held", booking.id, message, now)


def requested(booking: m.Booking, now: datetime) -> OutboxEvent:
    message = ev.BookingRequested(**_common(booking, now), contact_ref=booking.contact_ref,
                                  procedure_code=booking.procedure_code, priority=booking.priority,
                                  channel=CHANNEL_TO_PB[booking.channel])
    return _event("booking_requested", booking.id, message, now)


def confirmed(booking: m.Booking, now: datetime, *, by: m.Actor | None = None) -> OutboxEvent:
    message = ev.BookingConfirmed(**_common(booking, now), contact_ref=booking.contact_ref,
                                  procedure_code=booking.procedure_code, priority=booking.priority,
                                  channel=CHANNEL_TO_PB[booking.channel])
    if by is not None:
        message.confirmed_by.CopyFrom(actor_to_pb(by, with_name=False))
    return _event("booking_confirmed", booking.id, message, now)


def created(booking: m.Booking, now: datetime) -> OutboxEvent:
    """The event of a new (or completed-hold) booking: held, requested or confirmed."""
    if booking.status is m.Status.HELD:
        return held(booking, now)
    if booking.status is m.Status.REQUESTED:
        return requested(booking, now)
    return confirmed(booking, now)


def rescheduled(booking: m.Booking, previous: m.Slot, now: datetime, *, actor: m.Actor | None,
                reason: str) -> OutboxEvent:
    message = ev.BookingRescheduled(**_common(booking, now), contact_ref=booking.contact_ref,
                                    previous_slot=slot_ref(previous, ward_code=_ward(booking)), reason=reason)
    if actor is not None:
        message.actor.CopyFrom(actor_to_pb(actor, with_name=False))
    return _event("booking_rescheduled", booking.id, message, now)


def cancelled(booking: m.Booking, now: datetime, *, actor: m.Actor | None, reason: str, stop_id: str = "",
              alternatives: Sequence[m.Slot] = ()) -> OutboxEvent:
    """Cancelled, rejected after verification, or an expired hold (the status tells which)."""
    message = ev.BookingCancelled(**_common(booking, now), contact_ref=booking.contact_ref, reason=reason,
                                  stop_id=stop_id, alternatives=[slot_ref(s) for s in alternatives])
    if actor is not None:
        message.actor.CopyFrom(actor_to_pb(actor, with_name=False))
    return _event("booking_cancelled", booking.id, message, now)


def reminder_due(booking: m.Booking, kind: m.ReminderKind, now: datetime) -> OutboxEvent:
    pb_kind = ev.REMINDER_KIND_DAY_BEFORE if kind is m.ReminderKind.DAY_BEFORE else ev.REMINDER_KIND_HOURS_BEFORE
    message = ev.BookingReminderDue(**_common(booking, now), contact_ref=booking.contact_ref, reminder=pb_kind)
    return _event("booking_reminder_due", booking.id, message, now)


def completed(booking: m.Booking, now: datetime, *, actor: m.Actor) -> OutboxEvent:
    message = ev.BookingCompleted(**_common(booking, now), contact_ref=booking.contact_ref,
                                  actor=actor_to_pb(actor, with_name=False),
                                  help_given=[HELP_TO_PB[h] for h in booking.help_given],
                                  dossier_codes=list(booking.dossier_codes))
    return _event("booking_completed", booking.id, message, now)


def no_show(booking: m.Booking, now: datetime, *, actor: m.Actor) -> OutboxEvent:
    message = ev.BookingNoShow(**_common(booking, now), contact_ref=booking.contact_ref,
                               actor=actor_to_pb(actor, with_name=False))
    return _event("booking_no_show", booking.id, message, now)


def stop_cancelled(stop: m.RouteStop, now: datetime, *, actor: m.Actor, reason: str,
                   booking_ids: Sequence[str]) -> OutboxEvent:
    message = ev.StopCancelled(
        stop_id=stop.id, route_id=stop.route_id, route_name=stop.route_name, point_id=stop.point.id,
        point_name=stop.point.name, ward_code=stop.point.ward.code, date=local_date(local_day(stop.starts_at)),
        starts_at=timestamp(stop.starts_at), ends_at=timestamp(stop.ends_at), occurred_at=timestamp(now),
        actor=actor_to_pb(actor, with_name=False), reason=reason, affected_booking_ids=list(booking_ids),
    )
    return _event("stop_cancelled", stop.id, message, now)
