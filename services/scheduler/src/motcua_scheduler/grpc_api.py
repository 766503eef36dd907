"""gRPC servicer of motcua.scheduler.v1.SchedulerService: proto ↔ domain translation only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import grpc

from motcua.common.v1 import common_pb2
from motcua.scheduler.v1 import scheduler_service_pb2 as pb
from motcua.scheduler.v1 import scheduler_service_pb2_grpc as pb_grpc
from motcua_scheduler.convert import (
    CHANNEL_FROM_PB,
    CHANNEL_TO_PB,
    HELP_FROM_PB,
    HELP_TO_PB,
    KIND_FROM_PB,
    LOCATION_FROM_PB,
    MODEL_FROM_PB,
    MODEL_TO_PB,
    OUTCOME_FROM_PB,
    STATUS_TO_PB,
    actor_from_pb,
    actor_to_pb,
    local_date,
    point_to_pb,
    resource_to_pb,
    slot_to_pb,
    stop_to_pb,
    timestamp,
)
from motcua_scheduler.domain import errors
from motcua_scheduler.domain import model as m
from motcua_scheduler.service import CitizenInput, Page, SchedulerService, SlotRef, page_of
from motcua_scheduler.subject_data import SubjectDataRpcs

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["SchedulerService"].full_name


def _page(request: common_pb2.PageRequest) -> Page:
    return page_of(request.page, request.page_size)


def _page_info(page: Page, total: int) -> common_pb2.PageInfo:
    return common_pb2.PageInfo(total=total, page=page.page, page_size=page.size)


def _date(value: common_pb2.LocalDate) -> date | None:
    if not (value.year or value.month or value.day):
        return None
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        raise errors.date_range_invalid(62) from None


def _time(value: common_pb2.LocalTime) -> time:
    try:
        return time(value.hour, value.minute)
    except ValueError:
        raise errors.volunteer_window_invalid() from None


def _help(value: int) -> m.HelpType | None:
    return HELP_FROM_PB.get(value)


def _ref(slot_id: str, point_id: str, has_start: bool, starts_at: object) -> SlotRef:
    at = starts_at.ToDatetime(UTC) if has_start else None  # type: ignore[attr-defined]
    return SlotRef(slot_id=slot_id, point_id=point_id if not slot_id else "", at=at if not slot_id else None)


def _remaining(service: SchedulerService, slot: m.Slot, priority: bool) -> int:
    return slot.remaining(priority=priority, now=service.clock(), release=service.policy.release)


def booking_to_pb(service: SchedulerService, booking: m.Booking, *, token: str = "", officer: bool = False) -> pb.Booking:
    """A booking as its citizen (with the token) or an officer sees it."""
    message = pb.Booking(
        id=booking.id, status=STATUS_TO_PB[booking.status],
        slot=slot_to_pb(booking.slot, remaining=_remaining(service, booking.slot, booking.priority)),
        help_type=HELP_TO_PB[booking.help_type], procedure_code=booking.procedure_code, priority=booking.priority,
        channel=CHANNEL_TO_PB[booking.channel], token=token, note=booking.note,
        dossier_codes=list(booking.dossier_codes), contact_ref=booking.contact_ref,
        verification_attempts=booking.verification_attempts, cancel_reason=booking.cancel_reason,
        version=booking.version, help_given=[HELP_TO_PB[h] for h in booking.help_given],
    )
    if booking.citizen is not None:
        c = booking.citizen
        message.citizen.CopyFrom(pb.Citizen(
            full_name=c.full_name, phone=c.phone, zalo_user_id=c.zalo_user_id,
            address=common_pb2.Address(street=c.street, ward_code=c.ward_code, ward_name=c.ward_name,
                                       province_code=c.province_code, province_name=c.province_name)))
    if booking.consent is not None:
        message.consent.CopyFrom(common_pb2.Consent(purpose=booking.consent.purpose,
                                                    given_at=timestamp(booking.consent.given_at),
                                                    text_version=booking.consent.text_version))
    if booking.resource is not None:
        message.resource.CopyFrom(resource_to_pb(booking.resource))
    if booking.hold_expires_at is not None:
        message.hold_expires_at.CopyFrom(timestamp(booking.hold_expires_at))
    if booking.created_at is not None:
        message.created_at.CopyFrom(timestamp(booking.created_at))
    if booking.updated_at is not None:
        message.updated_at.CopyFrom(timestamp(booking.updated_at))
    for change in booking.history:
        entry = pb.BookingChange(at=timestamp(change.at), action=change.action,
                                 from_status=STATUS_TO_PB[change.from_status] if change.from_status else 0,
                                 to_status=STATUS_TO_PB[change.to_status], from_slot_id=change.from_slot_id,
                                 to_slot_id=change.to_slot_id, note=change.note)
        if officer and change.actor is not None:
            entry.actor.CopyFrom(actor_to_pb(change.actor))
        message.history.append(entry)
    return message


def _is_officer(actor: m.Actor | None) -> bool:
    return actor is not None and actor.role in ("officer", "system")


class SchedulerServicer(SubjectDataRpcs, pb_grpc.SchedulerServiceServicer):
    def __init__(self, service: SchedulerService) -> None:
        self.service = service

    async def ListServicePoints(self, request: pb.ListServicePointsRequest,
                                context: grpc.aio.ServicerContext) -> pb.ListServicePointsResponse:
        page = _page(request.page)
        points, total = await self.service.list_points(model=MODEL_FROM_PB.get(request.model), ward=request.ward_code,
                                                       province=request.province_code, page=page)
        return pb.ListServicePointsResponse(items=[point_to_pb(p) for p in points], page_info=_page_info(page, total))

    async def ListRouteStops(self, request: pb.ListRouteStopsRequest,
                             context: grpc.aio.ServicerContext) -> pb.ListRouteStopsResponse:
        stops = await self.service.list_route_stops(
            route_id=request.route_id, ward=request.ward_code, first=_date(request.from_date),
            last=_date(request.to_date), include_cancelled=request.include_cancelled)
        return pb.ListRouteStopsResponse(items=[stop_to_pb(s) for s in stops])

    async def SearchAvailability(self, request: pb.SearchAvailabilityRequest,
                                 context: grpc.aio.ServicerContext) -> pb.SearchAvailabilityResponse:
        page = _page(request.page)
        found, total = await self.service.search(
            model=MODEL_FROM_PB.get(request.model), ward=request.ward_code, first=_date(request.from_date),
            last=_date(request.to_date), help_type=_help(request.help_type),
            procedure_code=request.procedure_code, priority=request.priority, point_id=request.point_id, page=page)
        return pb.SearchAvailabilityResponse(slots=[slot_to_pb(s, remaining=r) for s, r in found],
                                             page_info=_page_info(page, total))

    async def HoldBooking(self, request: pb.HoldBookingRequest, context: grpc.aio.ServicerContext) -> pb.Booking:
        result = await self.service.hold(
            key=request.idempotency_key,
            ref=_ref(request.slot_id, request.point_id, request.HasField("starts_at"), request.starts_at),
            help_type=_help(request.help_type), priority=request.priority)
        return booking_to_pb(self.service, result.booking, token=result.token)

    async def CreateBooking(self, request: pb.CreateBookingRequest,
                            context: grpc.aio.ServicerContext) -> pb.CreateBookingResponse:
        citizen = None
        if request.HasField("citizen"):
            c = request.citizen
            citizen = CitizenInput(full_name=c.full_name, phone=c.phone, street=c.address.street,
                                   ward_code=c.address.ward_code, zalo_user_id=c.zalo_user_id)
        consent = None
        if request.HasField("consent") and request.consent.purpose:
            given = request.consent.given_at.ToDatetime(UTC) if request.consent.HasField("given_at") else datetime.now(UTC)
            consent = m.Consent(request.consent.purpose[:64], given, request.consent.text_version[:32])
        result = await self.service.create_booking(
            key=request.idempotency_key,
            ref=None if request.hold_booking_id else _ref(request.slot_id, request.point_id,
                                                          request.HasField("starts_at"), request.starts_at),
            hold_id=request.hold_booking_id, citizen=citizen, help_type=_help(request.help_type),
            procedure_code=request.procedure_code, priority=request.priority, consent=consent,
            channel=CHANNEL_FROM_PB.get(request.channel, m.Channel.WEB), note=request.note,
            actor=actor_from_pb(request.actor))
        return pb.CreateBookingResponse(booking=booking_to_pb(self.service, result.booking, token=result.token),
                                        replayed=result.replayed)

    async def GetBooking(self, request: pb.GetBookingRequest, context: grpc.aio.ServicerContext) -> pb.Booking:
        actor = actor_from_pb(request.actor)
        result = await self.service.get_booking(booking_id=request.booking_id, token=request.token, actor=actor)
        officer = _is_officer(actor)
        return booking_to_pb(self.service, result.booking, token=result.token if officer else "", officer=officer)

    async def CancelBooking(self, request: pb.CancelBookingRequest, context: grpc.aio.ServicerContext) -> pb.Booking:
        actor = actor_from_pb(request.actor)
        result = await self.service.cancel(booking_id=request.booking_id, token=request.token, actor=actor,
                                           reason=request.reason)
        return booking_to_pb(self.service, result.booking, officer=_is_officer(actor))

    async def RescheduleBooking(self, request: pb.RescheduleBookingRequest,
                                context: grpc.aio.ServicerContext) -> pb.Booking:
        actor = actor_from_pb(request.actor)
        result = await self.service.reschedule(
            key=request.idempotency_key, booking_id=request.booking_id, token=request.token, actor=actor,
            ref=_ref(request.new_slot_id, request.new_point_id, request.HasField("new_starts_at"), request.new_starts_at),
            reason=request.reason)
        return booking_to_pb(self.service, result.booking, officer=_is_officer(actor))

    async def VerifyBooking(self, request: pb.VerifyBookingRequest, context: grpc.aio.ServicerContext) -> pb.Booking:
        booking = await self.service.verify(booking_id=request.booking_id, actor=actor_from_pb(request.actor),
                                            outcome=OUTCOME_FROM_PB.get(request.outcome), note=request.note)
        return booking_to_pb(self.service, booking, officer=True)

    async def AssignResource(self, request: pb.AssignResourceRequest, context: grpc.aio.ServicerContext) -> pb.Booking:
        booking = await self.service.assign(booking_id=request.booking_id, resource_id=request.resource_id,
                                            actor=actor_from_pb(request.actor))
        return booking_to_pb(self.service, booking, officer=True)

    async def CompleteBooking(self, request: pb.CompleteBookingRequest,
                              context: grpc.aio.ServicerContext) -> pb.Booking:
        actor = actor_from_pb(request.actor)
        booking = await self.service.complete(
            booking_id=request.booking_id, actor=actor,
            help_given=[h for h in (HELP_FROM_PB.get(v) for v in request.help_given) if h is not None],
            dossier_codes=list(request.dossier_codes), note=request.note)
        return booking_to_pb(self.service, booking, officer=_is_officer(actor))

    async def MarkNoShow(self, request: pb.MarkNoShowRequest, context: grpc.aio.ServicerContext) -> pb.Booking:
        actor = actor_from_pb(request.actor)
        booking = await self.service.no_show(booking_id=request.booking_id, actor=actor, note=request.note)
        return booking_to_pb(self.service, booking, officer=_is_officer(actor))

    async def ListVerificationQueue(self, request: pb.ListVerificationQueueRequest,
                                    context: grpc.aio.ServicerContext) -> pb.ListVerificationQueueResponse:
        page = _page(request.page)
        items, total = await self.service.verification_queue(ward=request.ward_code, page=page)
        return pb.ListVerificationQueueResponse(items=[booking_to_pb(self.service, b, officer=True) for b in items],
                                                page_info=_page_info(page, total))

    async def GetDaySchedule(self, request: pb.GetDayScheduleRequest, context: grpc.aio.ServicerContext) -> pb.DaySchedule:
        day = _date(request.date)
        if day is None:
            raise errors.date_range_invalid(1)
        target = request.WhichOneof("target")
        entries = await self.service.day_schedule(
            day=day, point_id=request.point_id if target == "point_id" else "",
            stop_id=request.stop_id if target == "stop_id" else "",
            resource_id=request.resource_id if target == "resource_id" else "")
        return pb.DaySchedule(date=local_date(day), entries=[
            pb.ScheduleEntry(slot=slot_to_pb(s, remaining=_remaining(self.service, s, True)),
                             bookings=[booking_to_pb(self.service, b, officer=True) for b in bookings])
            for s, bookings in entries
        ])

    async def CancelStopWindow(self, request: pb.CancelStopWindowRequest,
                               context: grpc.aio.ServicerContext) -> pb.CancelStopWindowResponse:
        stop, affected = await self.service.cancel_stop(stop_id=request.stop_id, reason=request.reason,
                                                        actor=actor_from_pb(request.actor))
        return pb.CancelStopWindowResponse(stop=stop_to_pb(stop), affected=[
            pb.AffectedBooking(booking=booking_to_pb(self.service, a.booking, officer=True),
                               alternatives=[slot_to_pb(s, remaining=_remaining(self.service, s, a.booking.priority))
                                             for s in a.alternatives])
            for a in affected
        ])

    async def RegisterVolunteerAvailability(self, request: pb.RegisterVolunteerAvailabilityRequest,
                                            context: grpc.aio.ServicerContext) -> pb.RegisterVolunteerAvailabilityResponse:
        day = _date(request.date)
        if day is None:
            raise errors.volunteer_window_invalid()
        slots = await self.service.register_volunteer_availability(
            volunteer_id=request.volunteer_id, day=day, start=_time(request.start_time), end=_time(request.end_time),
            location=LOCATION_FROM_PB.get(request.location), street=request.address.street,
            ward_code=request.address.ward_code,
            help_types=[h for h in (HELP_FROM_PB.get(v) for v in request.help_types) if h is not None],
            capacity=request.capacity_per_slot, slot_minutes=request.slot_minutes,
            actor=actor_from_pb(request.actor), point_id=request.point_id)
        return pb.RegisterVolunteerAvailabilityResponse(
            slots=[slot_to_pb(s, remaining=_remaining(self.service, s, False)) for s in slots])

    async def ResolveContact(self, request: pb.ResolveContactRequest,
                             context: grpc.aio.ServicerContext) -> common_pb2.ContactDetails:
        booking = await self.service.resolve_contact(request.contact_ref)
        assert booking.citizen is not None
        return common_pb2.ContactDetails(contact_ref=booking.contact_ref, full_name=booking.citizen.full_name,
                                         phone=booking.citizen.phone, zalo_user_id=booking.citizen.zalo_user_id)

    async def UpdateSlotCapacity(self, request: pb.UpdateSlotCapacityRequest,
                                 context: grpc.aio.ServicerContext) -> pb.Slot:
        slot = await self.service.update_capacity(slot_id=request.slot_id, capacity=request.capacity,
                                                  reserved=request.reserved_for_priority,
                                                  actor=actor_from_pb(request.actor))
        return slot_to_pb(slot, remaining=_remaining(self.service, slot, False))

    async def ListResources(self, request: pb.ListResourcesRequest,
                            context: grpc.aio.ServicerContext) -> pb.ListResourcesResponse:
        resources = await self.service.list_resources(kind=KIND_FROM_PB.get(request.kind), ward=request.ward_code,
                                                      help_type=_help(request.help_type))
        return pb.ListResourcesResponse(items=[resource_to_pb(r) for r in resources])

    async def GetFigures(self, request: pb.GetBookingFiguresRequest,
                         context: grpc.aio.ServicerContext) -> pb.BookingFigures:
        first, last = _date(request.from_date), _date(request.to_date)
        if first is None or last is None:
            raise errors.date_range_invalid(367)
        f = await self.service.figures(first=first, last=last)
        return pb.BookingFigures(
            by_model=[pb.ModelFigures(model=MODEL_TO_PB[c.model], booked=c.booked, completed=c.completed,
                                      no_show=c.no_show, cancelled=c.cancelled) for c in f.by_model],
            by_channel=[pb.BookingChannelFigures(channel=CHANNEL_TO_PB[c], booked=b, completed=d) for c, b, d in f.by_channel],
            people_helped=f.people_helped, dossiers_submitted=f.dossiers_submitted)
