"""`/api/v1` assisted-help bookings: models, points, bus stops, availability, bookings, officers' work.

Thin: check the HTTP shape, call SchedulerService over the app's shared channel with a
deadline, translate the answer. Capacity, idempotency, lifecycle and the calendar live
in the scheduler; its errors come back as problem+json with the Vietnamese text. A full
slot is 409 with `next_slots`. Booking writes need an `Idempotency-Key` header (400
without it) and are rate-limited per client IP for anonymous callers. A booking is
shown to whoever holds its token (`?token=`) and to officers.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response
from google.protobuf import timestamp_pb2
from pydantic import BaseModel, Field

from motcua.common.v1 import common_pb2
from motcua.scheduler.v1 import scheduler_service_pb2 as pb
from motcua.scheduler.v1.scheduler_service_pb2_grpc import SchedulerServiceStub
from motcua_gateway import idempotency
from motcua_gateway.auth import Principal, optional_principal, require_roles
from motcua_gateway.batching import per_channel
from motcua_gateway.problems import problem
from motcua_gateway.ratelimit import TokenBucketLimiter, client_ip
from motcua_platform.errors import InvalidArgument
from motcua_platform.grpc_client import decode_rpc_error

DEADLINE_SECONDS = 3.0
#: Booking writes wait longer (a commit may queue behind others); a client that still times out retries with
#: the same Idempotency-Key and gets the booking if it was made.
WRITE_DEADLINE_SECONDS = 5.0
#: Vietnam has one time zone and no daylight saving time; times without an offset are read there.
VIETNAM = timezone(timedelta(hours=7), "ICT")
CONSENT_PURPOSE = "assisted_help_booking"

router = APIRouter(prefix="/api/v1", tags=["assisted help (scheduling)"])

ModelName = Literal["home_visit", "kiosk", "mobile_bus", "volunteer", "remote"]
HelpName = Literal["vneid_level2", "online_dossier", "scan_documents", "pay_fees", "lookup_dossier"]
LocationName = Literal["citizen_home", "volunteer_home", "cultural_house"]
KindName = Literal["staff", "volunteer", "vehicle"]
ChannelName = Literal["web", "zalo", "sms", "kiosk", "mobile_bus", "home_visit", "volunteer", "counter", "remote"]

_MODELS = {"home_visit": pb.SERVICE_MODEL_HOME_VISIT, "kiosk": pb.SERVICE_MODEL_KIOSK,
           "mobile_bus": pb.SERVICE_MODEL_MOBILE_BUS, "volunteer": pb.SERVICE_MODEL_VOLUNTEER,
           "remote": pb.SERVICE_MODEL_REMOTE}
_MODEL_NAMES = {v: k for k, v in _MODELS.items()}
_MODEL_LABELS = {
    "home_visit": ("Cán bộ hỗ trợ tại nhà", "Cán bộ phường đến tận nhà trong giờ hành chính; cán bộ gọi lại xác minh "
                   "trước khi xác nhận lịch."),
    "kiosk": ("Điểm hỗ trợ dịch vụ công cộng đồng", "Điểm hỗ trợ ở khu dân cư, mở buổi tối và cuối tuần."),
    "mobile_bus": ("Xe dịch vụ công lưu động", "Xe dừng theo lịch công bố: ngoại thành hằng tuần, khu công nghiệp "
                   "hai lần mỗi tuần."),
    "volunteer": ("Tình nguyện viên cuối tuần", "Thứ Bảy, Chủ nhật: tại nhà người dân, nhà tình nguyện viên "
                  "hoặc nhà văn hoá."),
    "remote": ("Hỗ trợ từ xa", "Cán bộ gọi điện thoại hoặc gọi Zalo hướng dẫn."),
}
_HELP = {"vneid_level2": pb.HELP_TYPE_VNEID_LEVEL2, "online_dossier": pb.HELP_TYPE_ONLINE_DOSSIER,
         "scan_documents": pb.HELP_TYPE_SCAN_DOCUMENTS, "pay_fees": pb.HELP_TYPE_PAY_FEES,
         "lookup_dossier": pb.HELP_TYPE_LOOKUP_DOSSIER}
_HELP_NAMES = {v: k for k, v in _HELP.items()}
_HELP_LABELS = {
    "vneid_level2": "Tạo tài khoản định danh điện tử VNeID mức 2",
    "online_dossier": "Hướng dẫn, nộp hồ sơ trực tuyến",
    "scan_documents": "Scan, số hoá giấy tờ",
    "pay_fees": "Thanh toán phí, lệ phí trực tuyến",
    "lookup_dossier": "Tra cứu hồ sơ",
}
_STATUS = {pb.BOOKING_STATUS_HELD: ("held", "Đang giữ chỗ"), pb.BOOKING_STATUS_REQUESTED: ("requested", "Chờ cán bộ xác minh"),
           pb.BOOKING_STATUS_CONFIRMED: ("confirmed", "Đã xác nhận"), pb.BOOKING_STATUS_CANCELLED: ("cancelled", "Đã huỷ"),
           pb.BOOKING_STATUS_COMPLETED: ("completed", "Đã hỗ trợ xong"), pb.BOOKING_STATUS_NO_SHOW: ("no_show", "Vắng mặt"),
           pb.BOOKING_STATUS_EXPIRED: ("expired", "Hết thời gian giữ chỗ"),
           pb.BOOKING_STATUS_REJECTED: ("rejected", "Không được chấp nhận")}
_LOCATIONS = {"citizen_home": pb.VOLUNTEER_LOCATION_CITIZEN_HOME, "volunteer_home": pb.VOLUNTEER_LOCATION_VOLUNTEER_HOME,
              "cultural_house": pb.VOLUNTEER_LOCATION_CULTURAL_HOUSE}
_LOCATION_NAMES = {v: k for k, v in _LOCATIONS.items()}
_KINDS = {"staff": pb.RESOURCE_KIND_STAFF, "volunteer": pb.RESOURCE_KIND_VOLUNTEER, "vehicle": pb.RESOURCE_KIND_VEHICLE}
_KIND_NAMES = {v: k for k, v in _KINDS.items()}
_CHANNELS = {"web": common_pb2.CHANNEL_WEB, "zalo": common_pb2.CHANNEL_ZALO, "sms": common_pb2.CHANNEL_SMS,
             "kiosk": common_pb2.CHANNEL_KIOSK, "mobile_bus": common_pb2.CHANNEL_MOBILE_BUS,
             "home_visit": common_pb2.CHANNEL_HOME_VISIT, "volunteer": common_pb2.CHANNEL_VOLUNTEER,
             "counter": common_pb2.CHANNEL_COUNTER, "remote": common_pb2.CHANNEL_REMOTE}
_CHANNEL_NAMES = {v: k for k, v in _CHANNELS.items()}
#: Channels a citizen books through by themselves; the others are staff channels.
_PUBLIC_CHANNELS = {"web", "zalo", "sms", "kiosk"}
_OUTCOMES = {"confirmed": pb.VERIFICATION_OUTCOME_CONFIRMED, "rejected": pb.VERIFICATION_OUTCOME_REJECTED,
             "unreachable": pb.VERIFICATION_OUTCOME_UNREACHABLE}


# -- models (OpenAPI) ------------------------------------------------------------------------------


class Label(BaseModel):
    code: str
    label: str


class ServiceModelOut(Label):
    description: str


class ServiceModelsOut(BaseModel):
    models: list[ServiceModelOut]
    help_types: list[Label]


class AddressOut(BaseModel):
    street: str
    ward_code: str
    ward_name: str
    province_code: str
    province_name: str


class PointOut(BaseModel):
    id: str = Field(examples=["kiosk-saigon-kp3"])
    model: ModelName
    model_label: str
    name: str = Field(examples=["Điểm hỗ trợ dịch vụ công – Nhà văn hoá khu phố 3"])
    address: AddressOut
    opening_hours_vi: str = Field(examples=["17:30–20:30 Thứ Hai–Thứ Sáu; 8:00–11:30, 13:30–17:00 Thứ Bảy, Chủ nhật"])
    latitude: float | None
    longitude: float | None
    route_id: str
    help_types: list[HelpName] = Field(description="Empty = every help type")
    served_ward_codes: list[str]


class PointList(BaseModel):
    items: list[PointOut]
    total: int
    page: int
    page_size: int


class SlotOut(BaseModel):
    id: str
    point: PointOut
    model: ModelName
    starts_at: datetime = Field(description="ISO 8601, Vietnam time (+07:00)")
    ends_at: datetime
    remaining: int = Field(description="Places this requester can still take")
    capacity: int
    reserved_for_priority: int
    stop_id: str
    help_types: list[HelpName]
    volunteer_location: LocationName | None
    resource_id: str


class SlotList(BaseModel):
    items: list[SlotOut]
    total: int
    page: int
    page_size: int


class RouteStopOut(BaseModel):
    id: str
    route_id: str
    route_name: str
    point: PointOut
    date: date
    starts_at: datetime
    ends_at: datetime
    status: Literal["scheduled", "cancelled"]
    cancel_reason: str


class RouteStopList(BaseModel):
    items: list[RouteStopOut]


class CitizenOut(BaseModel):
    full_name: str
    phone: str = Field(description="E.164")
    address: AddressOut
    zalo_user_id: str


class ResourceOut(BaseModel):
    id: str
    kind: KindName
    display_name: str
    skills: list[HelpName]
    ward_codes: list[str]


class ResourceList(BaseModel):
    items: list[ResourceOut]


class ChangeOut(BaseModel):
    at: datetime
    action: str
    from_status: str | None
    to_status: str
    from_slot_id: str
    to_slot_id: str
    actor: str | None = Field(description="Officers only")
    note: str


class BookingOut(BaseModel):
    id: str
    status: Literal["held", "requested", "confirmed", "cancelled", "completed", "no_show", "expired", "rejected"]
    status_label: str = Field(examples=["Chờ cán bộ xác minh"])
    model: ModelName
    model_label: str
    help_type: HelpName
    help_type_label: str
    procedure_code: str
    priority: bool
    channel: str
    slot: SlotOut
    citizen: CitizenOut | None
    resource: ResourceOut | None
    note: str
    hold_expires_at: datetime | None
    verification_attempts: int
    cancel_reason: str
    dossier_codes: list[str]
    help_given: list[HelpName]
    version: int
    created_at: datetime | None
    updated_at: datetime | None
    history: list[ChangeOut]
    token: str | None = Field(description="Only when the booking is created (and to officers): keep it to manage it")
    manage_url: str | None = Field(description="Where the citizen sees, moves or cancels it (with the token)")


class BookingList(BaseModel):
    items: list[BookingOut]
    total: int
    page: int
    page_size: int


class ScheduleEntryOut(BaseModel):
    slot: SlotOut
    bookings: list[BookingOut]


class DayScheduleOut(BaseModel):
    date: date
    entries: list[ScheduleEntryOut]


class AffectedOut(BaseModel):
    booking: BookingOut
    alternatives: list[SlotOut]


class StopCancellationOut(BaseModel):
    stop: RouteStopOut
    affected: list[AffectedOut]


class NextSlotOut(BaseModel):
    slot_id: str
    point_id: str
    point_name: str
    starts_at: datetime
    ends_at: datetime
    remaining: int


class SlotFullProblem(BaseModel):
    type: str
    title: str
    status: int = 409
    code: Literal["SLOT_FULL"]
    detail: str = Field(examples=["Khung giờ 18:00 ngày 25/11/2026 tại Điểm hỗ trợ ... đã hết chỗ. Vui lòng chọn khung giờ khác."])
    next_slots: list[NextSlotOut]


class AddressIn(BaseModel):
    street: str = Field(default="", max_length=200, description="Số nhà, đường, tổ/khu phố (needed for visits at home)")
    ward_code: str = Field(default="", max_length=10, examples=["26740"])


class CitizenIn(BaseModel):
    full_name: str = Field(max_length=100, examples=["Trần Thị Bảy"])
    phone: str = Field(max_length=20, examples=["0912345678"])
    address: AddressIn = AddressIn()
    zalo_user_id: str = Field(default="", max_length=64)


class ConsentIn(BaseModel):
    accepted: bool = Field(description="The citizen agreed to the processing of their data (Nghị định 13/2023/NĐ-CP)")
    text_version: str = Field(default="2025-01", max_length=32)


class SlotChoice(BaseModel):
    slot_id: str = Field(default="", max_length=128, description="A slot from /availability")
    point_id: str = Field(default="", max_length=96, description="Or: a point ...")
    starts_at: datetime | None = Field(default=None, description="... and a time inside the wanted slot")


class HoldIn(SlotChoice):
    help_type: HelpName
    priority: bool = False


class BookingIn(SlotChoice):
    hold_id: str = Field(default="", max_length=64, description="Complete this hold instead of taking a new place")
    help_type: HelpName | None = None
    procedure_code: str = Field(default="", max_length=64, examples=["1.001193.000.00.00.H29"])
    priority: bool = Field(default=False, description="Người cao tuổi, người khuyết tật...: may take reserved places")
    citizen: CitizenIn
    consent: ConsentIn
    channel: ChannelName = "web"
    note: str = Field(default="", max_length=500, examples=["Nhà trong hẻm 45, gọi trước 15 phút"])


class RescheduleIn(SlotChoice):
    reason: str = Field(default="", max_length=300)


class VerificationIn(BaseModel):
    outcome: Literal["confirmed", "rejected", "unreachable"]
    note: str = Field(default="", max_length=500, examples=["Cụ ông 82 tuổi, cần làm VNeID mức 2"])


class AssignmentIn(BaseModel):
    resource_id: str = Field(max_length=96, examples=["cb-lan"])


class CompletionIn(BaseModel):
    help_given: list[HelpName] = Field(default_factory=list, max_length=5)
    dossier_codes: list[str] = Field(default_factory=list, max_length=20, examples=[["000.00.41.H29-261125-0001"]])
    note: str = Field(default="", max_length=500)


class NoteIn(BaseModel):
    note: str = Field(default="", max_length=500)


class StopCancellationIn(BaseModel):
    reason: str = Field(min_length=1, max_length=300, examples=["Xe hỏng, xin lỗi bà con."])


class CapacityIn(BaseModel):
    capacity: int = Field(ge=0, le=500)
    reserved_for_priority: int = Field(default=0, ge=0, le=500)


class AvailabilityIn(BaseModel):
    volunteer_id: str = Field(max_length=96, examples=["tnv-an"])
    date: date
    start_time: time = Field(examples=["08:00"])
    end_time: time = Field(examples=["11:00"])
    location: LocationName
    street: str = Field(default="", max_length=200)
    ward_code: str = Field(default="", max_length=10)
    point_id: str = Field(default="", max_length=96, description="An existing cultural-house point")
    help_types: list[HelpName] = Field(default_factory=list, max_length=5)
    capacity_per_slot: int = Field(default=1, ge=1, le=20)
    slot_minutes: int = Field(default=60, ge=15, le=240)


class RegisteredSlots(BaseModel):
    items: list[SlotOut]


# -- helpers ----------------------------------------------------------------------------------------


def _stub(request: Request) -> SchedulerServiceStub:
    state = request.app.state
    return per_channel(state, "scheduler_stub", "scheduler", lambda: SchedulerServiceStub(state.channels["scheduler"]))


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), status_code=status,
                    media_type="application/json", headers=headers)


def _local(ts: timestamp_pb2.Timestamp, present: bool = True) -> str | None:
    if not present:
        return None
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, UTC).astimezone(VIETNAM).isoformat()


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    if value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM)
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value.astimezone(UTC))
    return ts


#: Days the scheduler can place in local time and move to UTC (year 1 used to overflow there: a 500).
_FIRST_DAY, _LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def _local_date(value: date | None) -> common_pb2.LocalDate | None:
    if value is None:
        return None
    if not _FIRST_DAY <= value <= _LAST_DAY:
        raise InvalidArgument("DATE_OUT_OF_RANGE", f"date {value.isoformat()} outside {_FIRST_DAY}..{_LAST_DAY}",
                              "Ngày không hợp lệ (phải trong khoảng năm 1900–2999).")
    return common_pb2.LocalDate(year=value.year, month=value.month, day=value.day)


def _address(a: common_pb2.Address) -> dict[str, str]:
    return {"street": a.street, "ward_code": a.ward_code, "ward_name": a.ward_name, "province_code": a.province_code,
            "province_name": a.province_name}


def _point(p: pb.ServicePoint) -> dict[str, Any]:
    model = _MODEL_NAMES.get(p.model, "kiosk")
    return {"id": p.id, "model": model, "model_label": _MODEL_LABELS[model][0], "name": p.name,
            "address": _address(p.address), "opening_hours_vi": p.opening_hours_vi,
            "latitude": p.latitude or None, "longitude": p.longitude or None, "route_id": p.route_id,
            "help_types": [_HELP_NAMES[h] for h in p.help_types if h in _HELP_NAMES],
            "served_ward_codes": list(p.served_ward_codes)}


def _slot(s: pb.Slot) -> dict[str, Any]:
    return {"id": s.slot_id, "point": _point(s.point), "model": _MODEL_NAMES.get(s.model, "kiosk"),
            "starts_at": _local(s.starts_at), "ends_at": _local(s.ends_at), "remaining": s.remaining,
            "capacity": s.capacity, "reserved_for_priority": s.reserved_for_priority, "stop_id": s.stop_id,
            "help_types": [_HELP_NAMES[h] for h in s.help_types if h in _HELP_NAMES],
            "volunteer_location": _LOCATION_NAMES.get(s.volunteer_location), "resource_id": s.resource_id}


def _stop(s: pb.RouteStop) -> dict[str, Any]:
    return {"id": s.id, "route_id": s.route_id, "route_name": s.route_name, "point": _point(s.point),
            "date": date(s.date.year, s.date.month, s.date.day).isoformat(), "starts_at": _local(s.starts_at),
            "ends_at": _local(s.ends_at),
            "status": "cancelled" if s.status == pb.ROUTE_STOP_STATUS_CANCELLED else "scheduled",
            "cancel_reason": s.cancel_reason}


def _resource(r: pb.Resource) -> dict[str, Any]:
    return {"id": r.id, "kind": _KIND_NAMES.get(r.kind, "staff"), "display_name": r.display_name,
            "skills": [_HELP_NAMES[h] for h in r.skills if h in _HELP_NAMES], "ward_codes": list(r.ward_codes)}


def _booking(request: Request, b: pb.Booking, *, token: str = "") -> dict[str, Any]:
    status, status_label = _STATUS.get(b.status, ("held", ""))
    model = _MODEL_NAMES.get(b.slot.model, "kiosk")
    help_type = _HELP_NAMES.get(b.help_type, "vneid_level2")
    token = token or b.token
    return {
        "id": b.id, "status": status, "status_label": status_label, "model": model,
        "model_label": _MODEL_LABELS[model][0], "help_type": help_type, "help_type_label": _HELP_LABELS[help_type],
        "procedure_code": b.procedure_code, "priority": b.priority, "channel": _CHANNEL_NAMES.get(b.channel, "web"),
        "slot": _slot(b.slot),
        "citizen": {"full_name": b.citizen.full_name, "phone": b.citizen.phone, "address": _address(b.citizen.address),
                    "zalo_user_id": b.citizen.zalo_user_id} if b.HasField("citizen") else None,
        "resource": _resource(b.resource) if b.HasField("resource") else None,
        "note": b.note, "hold_expires_at": _local(b.hold_expires_at, b.HasField("hold_expires_at")),
        "verification_attempts": b.verification_attempts, "cancel_reason": b.cancel_reason,
        "dossier_codes": list(b.dossier_codes), "help_given": [_HELP_NAMES[h] for h in b.help_given if h in _HELP_NAMES],
        "version": b.version, "created_at": _local(b.created_at, b.HasField("created_at")),
        "updated_at": _local(b.updated_at, b.HasField("updated_at")),
        "history": [{"at": _local(c.at), "action": c.action,
                     "from_status": _STATUS[c.from_status][0] if c.from_status in _STATUS else None,
                     "to_status": _STATUS.get(c.to_status, ("", ""))[0], "from_slot_id": c.from_slot_id,
                     "to_slot_id": c.to_slot_id,
                     "actor": (c.actor.display_name or c.actor.id) if c.HasField("actor") else None, "note": c.note}
                    for c in b.history],
        "token": token or None,
        "manage_url": f"/api/v1/bookings/{b.id}?token={token}" if token else None,
    }


def _actor(principal: Principal | None) -> common_pb2.Actor | None:
    if principal is None:
        return None
    role = common_pb2.ACTOR_ROLE_OFFICER if principal.has_role("officer", "operator") else (
        common_pb2.ACTOR_ROLE_VOLUNTEER if principal.has_role("volunteer") else common_pb2.ACTOR_ROLE_UNSPECIFIED)
    if role == common_pb2.ACTOR_ROLE_UNSPECIFIED:
        return None
    return common_pb2.Actor(id=principal.subject, role=role, display_name=principal.name)


def _is_officer(principal: Principal | None) -> bool:
    return principal is not None and principal.has_role("officer", "operator")


def _limit(request: Request, principal: Principal | None) -> None:
    """Anonymous booking writes per client IP; identified staff are not limited (a ward office shares one address)."""
    if principal is not None and principal.has_role("officer", "volunteer", "operator"):
        return
    state = request.app.state
    limiter = getattr(state, "scheduling_limiter", None)
    if limiter is None:
        s = state.settings
        limiter = TokenBucketLimiter(rate=s.scheduling_write_rate_per_second, burst=s.scheduling_write_burst)
        state.scheduling_limiter = limiter
    limiter.check(client_ip(request, trust_forwarded_for=request.app.state.settings.rate_limit_trust_forwarded_for))


def _idempotency_key(value: str | None) -> str:
    if not value:
        raise InvalidArgument("IDEMPOTENCY_KEY_REQUIRED", "the Idempotency-Key header is required",
                              "Thiếu tiêu đề Idempotency-Key: mỗi yêu cầu đặt lịch cần một mã riêng để không bị đặt "
                              "trùng khi gửi lại.")
    if not idempotency.well_formed(value.strip()):
        raise InvalidArgument("IDEMPOTENCY_KEY_INVALID", "the Idempotency-Key header must be 8 to 128 visible ASCII characters",
                              "Idempotency-Key phải gồm 8 đến 128 ký tự ASCII (ví dụ một UUID).")
    return value


def _bad_request(exc: InvalidArgument) -> Response:
    return problem(400, code=exc.code, detail=exc.message, detail_vi=exc.message_vi)


def _choice(body: SlotChoice) -> dict[str, Any]:
    if body.slot_id:
        return {"slot_id": body.slot_id}
    if body.point_id and body.starts_at is not None:
        return {"point_id": body.point_id, "starts_at": _ts(body.starts_at)}
    raise InvalidArgument("SLOT_REQUIRED", "slot_id, or point_id with starts_at, is required",
                          "Vui lòng chọn khung giờ (slot_id), hoặc điểm hỗ trợ và thời gian.")


async def _write(call: Any) -> Any:
    """Await a booking write; a full slot becomes 409 with the next free slots, other errors go to the handlers."""
    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        domain = decode_rpc_error(exc)
        if domain is None or domain.code != "SLOT_FULL":
            raise
        try:
            nxt = json.loads(domain.metadata.get("next_slots", "[]"))
        except ValueError:
            nxt = []
        return problem(409, code="SLOT_FULL", detail=domain.message, detail_vi=domain.message_vi,
                       extra={"next_slots": nxt,
                              "reserved_for_priority": domain.metadata.get("reserved_for_priority") == "true"})


_FULL = {409: {"model": SlotFullProblem, "description": "The slot is full (problem+json with next_slots) or the "
                                                         "citizen already has a booking at that time"},
         404: {"description": "No such slot, service point or hold (SLOT_NOT_FOUND, POINT_NOT_FOUND, ...)"}}
_BOOKING_ID = Annotated[str, Path(max_length=64, description="Booking id (UUID)")]
_TOKEN = Annotated[str, Query(max_length=64, description="The booking token given when it was made")]
_OFFICER = Depends(require_roles("officer", "operator"))
_HELPER = Depends(require_roles("officer", "operator", "volunteer"))


# -- public routes --------------------------------------------------------------------------------


@router.get("/service-models", response_model=ServiceModelsOut,
            summary="Models of assisted help and the help that can be asked for")
async def service_models() -> Response:
    return _json({
        "models": [{"code": code, "label": label, "description": text} for code, (label, text) in _MODEL_LABELS.items()],
        "help_types": [{"code": code, "label": label} for code, label in _HELP_LABELS.items()],
    })


@router.get("/service-points", response_model=PointList, summary="Kiosks, bus stops, cultural houses, teams")
async def service_points(
    request: Request,
    model: Annotated[ModelName | None, Query()] = None,
    ward: Annotated[str | None, Query(max_length=10, description="Ward (phường/xã) code, e.g. 26740")] = None,
    province: Annotated[str | None, Query(max_length=10)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Response:
    reply = await _stub(request).ListServicePoints(pb.ListServicePointsRequest(
        model=_MODELS.get(model or "", 0), ward_code=ward or "", province_code=province or "",
        page=common_pb2.PageRequest(page=page, page_size=page_size)), timeout=DEADLINE_SECONDS)
    return _json({"items": [_point(p) for p in reply.items], "total": reply.page_info.total,
                  "page": reply.page_info.page, "page_size": reply.page_info.page_size})


@router.get("/route-stops", response_model=RouteStopList, summary="Stops of the mobile public-service bus")
async def route_stops(
    request: Request,
    route: Annotated[str | None, Query(max_length=96)] = None,
    ward: Annotated[str | None, Query(max_length=10)] = None,
    from_: Annotated[date | None, Query(alias="from", description="First day; default today")] = None,
    to: Annotated[date | None, Query(description="Last day; default 30 days on")] = None,
    include_cancelled: bool = False,
) -> Response:
    ask = pb.ListRouteStopsRequest(route_id=route or "", ward_code=ward or "", include_cancelled=include_cancelled)
    if from_ is not None:
        ask.from_date.CopyFrom(_local_date(from_))
    if to is not None:
        ask.to_date.CopyFrom(_local_date(to))
    reply = await _stub(request).ListRouteStops(ask, timeout=DEADLINE_SECONDS)
    return _json({"items": [_stop(s) for s in reply.items]})


@router.get(
    "/availability", response_model=SlotList, summary="Slots with room, earliest first",
    description="Home visits and volunteers need `ward` (where the citizen lives). `procedure` implies help with an "
                "online dossier and is checked against the catalogue. `priority=true` counts the places reserved for "
                "the elderly and people with disabilities. Unknown ward → 422 UNKNOWN_AREA.",
    responses={404: {"description": "Unknown service point"},
               422: {"description": "Unknown area, missing ward, bad dates (problem+json, Vietnamese detail)"}},
)
async def availability(
    request: Request,
    model: Annotated[ModelName | None, Query()] = None,
    ward: Annotated[str | None, Query(max_length=10)] = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query()] = None,
    help_type: Annotated[HelpName | None, Query()] = None,
    procedure: Annotated[str | None, Query(max_length=64, description="e.g. 1.001193.000.00.00.H29")] = None,
    priority: bool = False,
    point: Annotated[str | None, Query(max_length=96)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    ask = pb.SearchAvailabilityRequest(model=_MODELS.get(model or "", 0), ward_code=ward or "",
                                       help_type=_HELP.get(help_type or "", 0), procedure_code=procedure or "",
                                       priority=priority, point_id=point or "",
                                       page=common_pb2.PageRequest(page=page, page_size=page_size))
    if from_ is not None:
        ask.from_date.CopyFrom(_local_date(from_))
    if to is not None:
        ask.to_date.CopyFrom(_local_date(to))
    reply = await _stub(request).SearchAvailability(ask, timeout=DEADLINE_SECONDS)
    return _json({"items": [_slot(s) for s in reply.slots], "total": reply.page_info.total,
                  "page": reply.page_info.page, "page_size": reply.page_info.page_size})


@router.post(
    "/bookings/holds", response_model=BookingOut, status_code=201,
    summary="Hold a place for a few minutes while the citizen answers (e.g. in Zalo)",
    description="Needs `Idempotency-Key`. Complete it with POST /bookings and `hold_id` before `hold_expires_at`.",
    responses={**_FULL, 400: {"description": "Idempotency-Key missing"}},
)
async def hold(
    request: Request, body: HoldIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
    principal: Annotated[Principal | None, Depends(optional_principal)] = None,
) -> Response:
    try:
        key = _idempotency_key(idempotency_key)
    except InvalidArgument as exc:
        return _bad_request(exc)
    choice = _choice(body)
    _limit(request, principal)
    reply = await _write(_stub(request).HoldBooking(pb.HoldBookingRequest(
        idempotency_key=key, help_type=_HELP[body.help_type], priority=body.priority, **choice),
        timeout=WRITE_DEADLINE_SECONDS))
    if isinstance(reply, Response):
        return reply
    return _json(_booking(request, reply), 201, headers={"Location": f"/api/v1/bookings/{reply.id}"})


@router.post(
    "/bookings", response_model=BookingOut, status_code=201,
    summary="Book assisted help",
    description=(
        "Needs an `Idempotency-Key` header (400 without it): the same key with the same body returns the same booking "
        "(200, `Idempotent-Replayed: true`); with a different body it is refused (422). Home visits start `requested` "
        "(an officer calls back first), the other models `confirmed`. Keep the returned `token`: it lets the citizen "
        "see, move or cancel the booking. Refused with a Vietnamese reason: a past slot, outside opening hours, a "
        "holiday, a help type the point does not offer, an unknown area, a full slot (409 with `next_slots`)."
    ),
    responses={**_FULL, 400: {"description": "Idempotency-Key missing"},
               422: {"description": "Bad input (problem+json, Vietnamese detail)"}},
)
async def create_booking(
    request: Request, body: BookingIn,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
    principal: Annotated[Principal | None, Depends(optional_principal)] = None,
) -> Response:
    try:
        key = _idempotency_key(idempotency_key)
    except InvalidArgument as exc:
        return _bad_request(exc)
    choice = {} if body.hold_id else _choice(body)
    _limit(request, principal)
    staff = principal is not None and principal.has_role("officer", "operator", "volunteer")
    channel = body.channel if staff or body.channel in _PUBLIC_CHANNELS else "web"
    ask = pb.CreateBookingRequest(
        idempotency_key=key, hold_booking_id=body.hold_id, help_type=_HELP.get(body.help_type or "", 0),
        procedure_code=body.procedure_code, priority=body.priority, channel=_CHANNELS[channel], note=body.note,
        citizen=pb.Citizen(full_name=body.citizen.full_name, phone=body.citizen.phone,
                           zalo_user_id=body.citizen.zalo_user_id,
                           address=common_pb2.Address(street=body.citizen.address.street,
                                                      ward_code=body.citizen.address.ward_code)),
        **choice)
    if body.consent.accepted:
        ask.consent.CopyFrom(common_pb2.Consent(purpose=CONSENT_PURPOSE, given_at=_ts(datetime.now(UTC)),
                                                text_version=body.consent.text_version))
    actor = _actor(principal)
    if actor is not None:
        ask.actor.CopyFrom(actor)
    reply = await _write(_stub(request).CreateBooking(ask, timeout=WRITE_DEADLINE_SECONDS))
    if isinstance(reply, Response):
        return reply
    headers = {"Location": f"/api/v1/bookings/{reply.booking.id}"}
    if reply.replayed:
        headers["Idempotent-Replayed"] = "true"
    return _json(_booking(request, reply.booking), 200 if reply.replayed else 201, headers=headers)


@router.get("/bookings/{booking_id}", response_model=BookingOut, summary="A booking, for its citizen (token) or an officer",
            responses={404: {"description": "Unknown booking or wrong token"}})
async def get_booking(
    request: Request, booking_id: _BOOKING_ID, token: _TOKEN = "",
    principal: Annotated[Principal | None, Depends(optional_principal)] = None,
) -> Response:
    ask = pb.GetBookingRequest(booking_id=booking_id, token=token)
    actor = _actor(principal)
    if actor is not None:
        ask.actor.CopyFrom(actor)
    reply = await _stub(request).GetBooking(ask, timeout=DEADLINE_SECONDS)
    return _json(_booking(request, reply))


@router.delete("/bookings/{booking_id}", response_model=BookingOut, summary="Cancel a booking (token or officer)",
               description="Frees the place. Cancelling a cancelled booking returns it unchanged.",
               responses={404: {"description": "Unknown booking or wrong token"}})
async def cancel_booking(
    request: Request, booking_id: _BOOKING_ID, token: _TOKEN = "",
    reason: Annotated[str, Query(max_length=300)] = "",
    principal: Annotated[Principal | None, Depends(optional_principal)] = None,
) -> Response:
    _limit(request, principal)
    ask = pb.CancelBookingRequest(booking_id=booking_id, token=token, reason=reason)
    actor = _actor(principal)
    if actor is not None:
        ask.actor.CopyFrom(actor)
    reply = await _stub(request).CancelBooking(ask, timeout=WRITE_DEADLINE_SECONDS)
    return _json(_booking(request, reply))


@router.post(
    "/bookings/{booking_id}/reschedule", response_model=BookingOut, summary="Move a booking to another slot",
    description="Needs `Idempotency-Key`. The new place is taken and the old one freed at once; the history keeps "
                "both. Also moves a booking cancelled with its bus stop to one of the offered windows.",
    responses={**_FULL, 400: {"description": "Idempotency-Key missing"}},
)
async def reschedule_booking(
    request: Request, booking_id: _BOOKING_ID, body: RescheduleIn, token: _TOKEN = "",
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
    principal: Annotated[Principal | None, Depends(optional_principal)] = None,
) -> Response:
    try:
        key = _idempotency_key(idempotency_key)
    except InvalidArgument as exc:
        return _bad_request(exc)
    choice = _choice(body)
    _limit(request, principal)
    renamed = {"new_slot_id": choice["slot_id"]} if "slot_id" in choice else {
        "new_point_id": choice["point_id"], "new_starts_at": choice["starts_at"]}
    ask = pb.RescheduleBookingRequest(idempotency_key=key, booking_id=booking_id, token=token, reason=body.reason,
                                      **renamed)
    actor = _actor(principal)
    if actor is not None:
        ask.actor.CopyFrom(actor)
    reply = await _write(_stub(request).RescheduleBooking(ask, timeout=WRITE_DEADLINE_SECONDS))
    if isinstance(reply, Response):
        return reply
    return _json(_booking(request, reply))


# -- officers and volunteers ---------------------------------------------------------------------------


@router.get("/verification-queue", response_model=BookingList,
            summary="Home visits waiting for the officer's call-back, priority first, then oldest (officers)")
async def verification_queue(
    request: Request, principal: Annotated[Principal, _OFFICER],
    ward: Annotated[str | None, Query(max_length=10)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    reply = await _stub(request).ListVerificationQueue(pb.ListVerificationQueueRequest(
        ward_code=ward or "", page=common_pb2.PageRequest(page=page, page_size=page_size)), timeout=DEADLINE_SECONDS)
    return _json({"items": [_booking(request, b) for b in reply.items], "total": reply.page_info.total,
                  "page": reply.page_info.page, "page_size": reply.page_info.page_size})


@router.post("/bookings/{booking_id}/verification", response_model=BookingOut,
             summary="Record the call-back: confirmed, rejected or unreachable (officers)")
async def verify_booking(request: Request, booking_id: _BOOKING_ID, body: VerificationIn,
                         principal: Annotated[Principal, _OFFICER]) -> Response:
    reply = await _stub(request).VerifyBooking(pb.VerifyBookingRequest(
        booking_id=booking_id, actor=_actor(principal), outcome=_OUTCOMES[body.outcome], note=body.note),
        timeout=DEADLINE_SECONDS)
    return _json(_booking(request, reply))


@router.put("/bookings/{booking_id}/assignment", response_model=BookingOut,
            summary="Assign a staff member or volunteer (officers); 409 when they are busy then",
            responses={409: {"description": "RESOURCE_BUSY"}})
async def assign_booking(request: Request, booking_id: _BOOKING_ID, body: AssignmentIn,
                         principal: Annotated[Principal, _OFFICER]) -> Response:
    reply = await _stub(request).AssignResource(pb.AssignResourceRequest(
        booking_id=booking_id, resource_id=body.resource_id, actor=_actor(principal)), timeout=DEADLINE_SECONDS)
    return _json(_booking(request, reply))


@router.post("/bookings/{booking_id}/completion", response_model=BookingOut,
             summary="Record the help given (officers, or the assigned volunteer)")
async def complete_booking(request: Request, booking_id: _BOOKING_ID, body: CompletionIn,
                           principal: Annotated[Principal, _HELPER]) -> Response:
    reply = await _stub(request).CompleteBooking(pb.CompleteBookingRequest(
        booking_id=booking_id, actor=_actor(principal), help_given=[_HELP[h] for h in body.help_given],
        dossier_codes=body.dossier_codes, note=body.note), timeout=DEADLINE_SECONDS)
    return _json(_booking(request, reply))


@router.post("/bookings/{booking_id}/no-show", response_model=BookingOut,
             summary="Record that the citizen did not come or was not home (officers, or the assigned volunteer)")
async def no_show(request: Request, booking_id: _BOOKING_ID, principal: Annotated[Principal, _HELPER],
                  body: Annotated[NoteIn | None, Body()] = None) -> Response:
    reply = await _stub(request).MarkNoShow(pb.MarkNoShowRequest(
        booking_id=booking_id, actor=_actor(principal), note=body.note if body else ""), timeout=DEADLINE_SECONDS)
    return _json(_booking(request, reply))


@router.get("/schedules/{day}", response_model=DayScheduleOut,
            summary="A day's slots and bookings of a point, a bus stop window or a person (officers)",
            description="Exactly one of `point`, `stop`, `resource`.")
async def day_schedule(
    request: Request, day: date, principal: Annotated[Principal, _OFFICER],
    point: Annotated[str | None, Query(max_length=96)] = None,
    stop: Annotated[str | None, Query(max_length=128)] = None,
    resource: Annotated[str | None, Query(max_length=96)] = None,
) -> Response:
    chosen = [(k, v) for k, v in (("point_id", point), ("stop_id", stop), ("resource_id", resource)) if v]
    if len(chosen) != 1:
        raise InvalidArgument("SCHEDULE_TARGET_REQUIRED", "exactly one of point, stop, resource",
                              "Vui lòng chọn đúng một: điểm hỗ trợ, điểm dừng xe hoặc người hỗ trợ.")
    reply = await _stub(request).GetDaySchedule(pb.GetDayScheduleRequest(date=_local_date(day), **dict(chosen)),
                                                timeout=DEADLINE_SECONDS)
    return _json({"date": day.isoformat(), "entries": [
        {"slot": _slot(e.slot), "bookings": [_booking(request, b) for b in e.bookings]} for e in reply.entries]})


@router.post("/route-stops/{stop_id}/cancellation", response_model=StopCancellationOut,
             summary="Cancel a bus stop window: its bookings are cancelled and each citizen offered the next windows "
                     "(officers)")
async def cancel_stop(request: Request, stop_id: Annotated[str, Path(max_length=128)], body: StopCancellationIn,
                      principal: Annotated[Principal, _OFFICER]) -> Response:
    reply = await _stub(request).CancelStopWindow(pb.CancelStopWindowRequest(
        stop_id=stop_id, reason=body.reason, actor=_actor(principal)), timeout=DEADLINE_SECONDS * 3)
    return _json({"stop": _stop(reply.stop), "affected": [
        {"booking": _booking(request, a.booking), "alternatives": [_slot(s) for s in a.alternatives]}
        for a in reply.affected]})


@router.patch("/slots/{slot_id}", response_model=SlotOut,
              summary="Change a slot's places (officers); refused below the places already taken")
async def update_slot(request: Request, slot_id: Annotated[str, Path(max_length=128)], body: CapacityIn,
                      principal: Annotated[Principal, _OFFICER]) -> Response:
    reply = await _stub(request).UpdateSlotCapacity(pb.UpdateSlotCapacityRequest(
        slot_id=slot_id, capacity=body.capacity, reserved_for_priority=body.reserved_for_priority,
        actor=_actor(principal)), timeout=DEADLINE_SECONDS)
    return _json(_slot(reply))


@router.get("/resources", response_model=ResourceList, summary="Staff, volunteers and vehicles (officers)")
async def resources(
    request: Request, principal: Annotated[Principal, _OFFICER],
    kind: Annotated[KindName | None, Query()] = None,
    ward: Annotated[str | None, Query(max_length=10)] = None,
    help_type: Annotated[HelpName | None, Query()] = None,
) -> Response:
    reply = await _stub(request).ListResources(pb.ListResourcesRequest(
        kind=_KINDS.get(kind or "", 0), ward_code=ward or "", help_type=_HELP.get(help_type or "", 0)),
        timeout=DEADLINE_SECONDS)
    return _json({"items": [_resource(r) for r in reply.items]})


@router.post("/volunteer-availability", response_model=RegisteredSlots, status_code=201,
             summary="Publish a volunteer's Saturday/Sunday hours as bookable slots (the volunteer, or an officer)")
async def volunteer_availability(request: Request, body: AvailabilityIn,
                                 principal: Annotated[Principal, _HELPER]) -> Response:
    reply = await _stub(request).RegisterVolunteerAvailability(pb.RegisterVolunteerAvailabilityRequest(
        volunteer_id=body.volunteer_id, date=_local_date(body.date),
        start_time=common_pb2.LocalTime(hour=body.start_time.hour, minute=body.start_time.minute),
        end_time=common_pb2.LocalTime(hour=body.end_time.hour, minute=body.end_time.minute),
        location=_LOCATIONS[body.location], address=common_pb2.Address(street=body.street, ward_code=body.ward_code),
        help_types=[_HELP[h] for h in body.help_types], capacity_per_slot=body.capacity_per_slot,
        slot_minutes=body.slot_minutes, actor=_actor(principal), point_id=body.point_id), timeout=DEADLINE_SECONDS)
    return _json({"items": [_slot(s) for s in reply.slots]}, 201)
