"""Domain ↔ proto translation shared by the gRPC servicer and the events."""

from __future__ import annotations

from datetime import date, datetime

from google.protobuf import timestamp_pb2

from motcua.common.v1 import common_pb2
from motcua.scheduler.v1 import scheduler_service_pb2 as pb
from motcua_scheduler.domain import model as m
from motcua_scheduler.domain.calendar import local_day

MODEL_TO_PB = {
    m.Model.HOME_VISIT: pb.SERVICE_MODEL_HOME_VISIT,
    m.Model.KIOSK: pb.SERVICE_MODEL_KIOSK,
    m.Model.MOBILE_BUS: pb.SERVICE_MODEL_MOBILE_BUS,
    m.Model.VOLUNTEER: pb.SERVICE_MODEL_VOLUNTEER,
    m.Model.REMOTE: pb.SERVICE_MODEL_REMOTE,
}
MODEL_FROM_PB = {v: k for k, v in MODEL_TO_PB.items()}
HELP_TO_PB = {
    m.HelpType.VNEID_LEVEL2: pb.HELP_TYPE_VNEID_LEVEL2,
    m.HelpType.ONLINE_DOSSIER: pb.HELP_TYPE_ONLINE_DOSSIER,
    m.HelpType.SCAN_DOCUMENTS: pb.HELP_TYPE_SCAN_DOCUMENTS,
    m.HelpType.PAY_FEES: pb.HELP_TYPE_PAY_FEES,
    m.HelpType.LOOKUP_DOSSIER: pb.HELP_TYPE_LOOKUP_DOSSIER,
}
HELP_FROM_PB = {v: k for k, v in HELP_TO_PB.items()}
STATUS_TO_PB = {
    m.Status.HELD: pb.BOOKING_STATUS_HELD,
    m.Status.REQUESTED: pb.BOOKING_STATUS_REQUESTED,
    m.Status.CONFIRMED: pb.BOOKING_STATUS_CONFIRMED,
    m.Status.CANCELLED: pb.BOOKING_STATUS_CANCELLED,
    m.Status.COMPLETED: pb.BOOKING_STATUS_COMPLETED,
    m.Status.NO_SHOW: pb.BOOKING_STATUS_NO_SHOW,
    m.Status.EXPIRED: pb.BOOKING_STATUS_EXPIRED,
    m.Status.REJECTED: pb.BOOKING_STATUS_REJECTED,
}
KIND_TO_PB = {
    m.ResourceKind.STAFF: pb.RESOURCE_KIND_STAFF,
    m.ResourceKind.VOLUNTEER: pb.RESOURCE_KIND_VOLUNTEER,
    m.ResourceKind.VEHICLE: pb.RESOURCE_KIND_VEHICLE,
}
KIND_FROM_PB = {v: k for k, v in KIND_TO_PB.items()}
LOCATION_TO_PB = {
    m.VolunteerLocation.CITIZEN_HOME: pb.VOLUNTEER_LOCATION_CITIZEN_HOME,
    m.VolunteerLocation.VOLUNTEER_HOME: pb.VOLUNTEER_LOCATION_VOLUNTEER_HOME,
    m.VolunteerLocation.CULTURAL_HOUSE: pb.VOLUNTEER_LOCATION_CULTURAL_HOUSE,
}
LOCATION_FROM_PB = {v: k for k, v in LOCATION_TO_PB.items()}
OUTCOME_FROM_PB = {
    pb.VERIFICATION_OUTCOME_CONFIRMED: m.VerificationOutcome.CONFIRMED,
    pb.VERIFICATION_OUTCOME_REJECTED: m.VerificationOutcome.REJECTED,
    pb.VERIFICATION_OUTCOME_UNREACHABLE: m.VerificationOutcome.UNREACHABLE,
}
CHANNEL_TO_PB = {
    m.Channel.WEB: common_pb2.CHANNEL_WEB,
    m.Channel.ZALO: common_pb2.CHANNEL_ZALO,
    m.Channel.SMS: common_pb2.CHANNEL_SMS,
    m.Channel.KIOSK: common_pb2.CHANNEL_KIOSK,
    m.Channel.MOBILE_BUS: common_pb2.CHANNEL_MOBILE_BUS,
    m.Channel.HOME_VISIT: common_pb2.CHANNEL_HOME_VISIT,
    m.Channel.VOLUNTEER: common_pb2.CHANNEL_VOLUNTEER,
    m.Channel.COUNTER: common_pb2.CHANNEL_COUNTER,
    m.Channel.REMOTE: common_pb2.CHANNEL_REMOTE,
}
CHANNEL_FROM_PB = {v: k for k, v in CHANNEL_TO_PB.items()}
ROLE_NAMES = {
    common_pb2.ACTOR_ROLE_OFFICER: "officer",
    common_pb2.ACTOR_ROLE_VOLUNTEER: "volunteer",
    common_pb2.ACTOR_ROLE_CITIZEN: "citizen",
    common_pb2.ACTOR_ROLE_SYSTEM: "system",
    common_pb2.ACTOR_ROLE_AGENCY: "agency",
}
ROLE_TO_PB = {v: k for k, v in ROLE_NAMES.items()}


def timestamp(value: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value)
    return ts


def local_date(value: date) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=value.year, month=value.month, day=value.day)


def actor_from_pb(actor: common_pb2.Actor) -> m.Actor | None:
    if not actor.id or actor.role not in ROLE_NAMES:
        return None
    return m.Actor(actor.id[:128], ROLE_NAMES[actor.role], actor.display_name[:200])


def actor_to_pb(actor: m.Actor, *, with_name: bool = True) -> common_pb2.Actor:
    return common_pb2.Actor(id=actor.id, role=ROLE_TO_PB.get(actor.role, common_pb2.ACTOR_ROLE_UNSPECIFIED),
                            display_name=actor.display_name if with_name else "")


def point_to_pb(point: m.Point) -> pb.ServicePoint:
    return pb.ServicePoint(
        id=point.id, model=MODEL_TO_PB[point.model], name=point.name, opening_hours_vi=point.opening_hours_vi,
        latitude=point.latitude or 0.0, longitude=point.longitude or 0.0, route_id=point.route_id,
        help_types=[HELP_TO_PB[h] for h in point.help_types], served_ward_codes=list(point.served_wards),
        address=common_pb2.Address(street=point.street, ward_code=point.ward.code, ward_name=point.ward.name,
                                   province_code=point.ward.province_code, province_name=point.ward.province_name),
    )


def slot_to_pb(slot: m.Slot, *, remaining: int) -> pb.Slot:
    message = pb.Slot(
        slot_id=slot.id, point=point_to_pb(slot.point), model=MODEL_TO_PB[slot.model],
        starts_at=timestamp(slot.starts_at), ends_at=timestamp(slot.ends_at), remaining=remaining,
        capacity=slot.capacity, stop_id=slot.stop_id, help_types=[HELP_TO_PB[h] for h in slot.help_types],
        reserved_for_priority=slot.priority_reserved, resource_id=slot.resource_id,
    )
    if slot.volunteer_location:
        message.volunteer_location = LOCATION_TO_PB[slot.volunteer_location]
    return message


def resource_to_pb(resource: m.Resource) -> pb.Resource:
    return pb.Resource(id=resource.id, kind=KIND_TO_PB[resource.kind], display_name=resource.display_name,
                       skills=[HELP_TO_PB[h] for h in resource.skills], ward_codes=list(resource.ward_codes))


def stop_to_pb(stop: m.RouteStop) -> pb.RouteStop:
    return pb.RouteStop(
        id=stop.id, route_id=stop.route_id, route_name=stop.route_name, point=point_to_pb(stop.point),
        date=local_date(local_day(stop.starts_at)), starts_at=timestamp(stop.starts_at), ends_at=timestamp(stop.ends_at),
        status=pb.ROUTE_STOP_STATUS_SCHEDULED if stop.status == "scheduled" else pb.ROUTE_STOP_STATUS_CANCELLED,
        cancel_reason=stop.cancel_reason,
    )
