"""The scheduler's vocabulary: assistance models, help types, booking states, points, slots, bookings.

Plain dataclasses; times are timezone-aware UTC datetimes, days are read in Vietnam time
(see `calendar`). Labels are the Vietnamese words citizens and officers see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum


class Model(StrEnum):
    """How assisted help is given."""

    HOME_VISIT = "home_visit"
    KIOSK = "kiosk"
    MOBILE_BUS = "mobile_bus"
    VOLUNTEER = "volunteer"
    REMOTE = "remote"


MODEL_LABELS_VI = {
    Model.HOME_VISIT: "Cán bộ hỗ trợ tại nhà",
    Model.KIOSK: "Điểm hỗ trợ dịch vụ công cộng đồng",
    Model.MOBILE_BUS: "Xe dịch vụ công lưu động",
    Model.VOLUNTEER: "Tình nguyện viên cuối tuần",
    Model.REMOTE: "Hỗ trợ từ xa qua điện thoại/Zalo",
}


class HelpType(StrEnum):
    """What the citizen needs help with."""

    VNEID_LEVEL2 = "vneid_level2"
    ONLINE_DOSSIER = "online_dossier"
    SCAN_DOCUMENTS = "scan_documents"
    PAY_FEES = "pay_fees"
    LOOKUP_DOSSIER = "lookup_dossier"


HELP_TYPE_LABELS_VI = {
    HelpType.VNEID_LEVEL2: "Tạo tài khoản định danh điện tử VNeID mức 2",
    HelpType.ONLINE_DOSSIER: "Hướng dẫn, nộp hồ sơ trực tuyến",
    HelpType.SCAN_DOCUMENTS: "Scan, số hoá giấy tờ",
    HelpType.PAY_FEES: "Thanh toán phí, lệ phí trực tuyến",
    HelpType.LOOKUP_DOSSIER: "Tra cứu hồ sơ",
}

#: Help types that may name the procedure the citizen wants help with.
PROCEDURE_HELP_TYPES = frozenset({HelpType.ONLINE_DOSSIER, HelpType.PAY_FEES, HelpType.LOOKUP_DOSSIER})


class Status(StrEnum):
    """Lifecycle of a booking."""

    HELD = "held"
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    EXPIRED = "expired"
    REJECTED = "rejected"


STATUS_LABELS_VI = {
    Status.HELD: "Đang giữ chỗ",
    Status.REQUESTED: "Chờ cán bộ xác minh",
    Status.CONFIRMED: "Đã xác nhận",
    Status.CANCELLED: "Đã huỷ",
    Status.COMPLETED: "Đã hỗ trợ xong",
    Status.NO_SHOW: "Vắng mặt",
    Status.EXPIRED: "Hết thời gian giữ chỗ",
    Status.REJECTED: "Không được chấp nhận",
}

#: A booking in one of these states is waiting for its visit: it may be cancelled or moved.
ACTIVE = frozenset({Status.HELD, Status.REQUESTED, Status.CONFIRMED})
#: A booking in one of these states uses a place of its slot (the slot's `booked` counts it).
OCCUPYING = ACTIVE | {Status.COMPLETED, Status.NO_SHOW}


class ResourceKind(StrEnum):
    STAFF = "staff"
    VOLUNTEER = "volunteer"
    VEHICLE = "vehicle"


class VolunteerLocation(StrEnum):
    CITIZEN_HOME = "citizen_home"
    VOLUNTEER_HOME = "volunteer_home"
    CULTURAL_HOUSE = "cultural_house"


VOLUNTEER_LOCATION_LABELS_VI = {
    VolunteerLocation.CITIZEN_HOME: "Tại nhà người dân",
    VolunteerLocation.VOLUNTEER_HOME: "Tại nhà tình nguyện viên",
    VolunteerLocation.CULTURAL_HOUSE: "Tại nhà văn hoá",
}


class Channel(StrEnum):
    WEB = "web"
    ZALO = "zalo"
    SMS = "sms"
    KIOSK = "kiosk"
    MOBILE_BUS = "mobile_bus"
    HOME_VISIT = "home_visit"
    VOLUNTEER = "volunteer"
    COUNTER = "counter"
    REMOTE = "remote"


class VerificationOutcome(StrEnum):
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    UNREACHABLE = "unreachable"


class ReminderKind(StrEnum):
    DAY_BEFORE = "day_before"
    HOURS_BEFORE = "hours_before"


@dataclass(frozen=True)
class Actor:
    """Who acts: `role` is officer, volunteer, citizen or system."""

    id: str
    role: str
    display_name: str = ""


SYSTEM = Actor("system:scheduler", "system", "Hệ thống đặt lịch")


@dataclass(frozen=True)
class Ward:
    code: str
    name: str
    province_code: str
    province_name: str


@dataclass(frozen=True)
class Citizen:
    """The person helped; personal data, kept only in the booking row."""

    full_name: str
    phone: str  # E.164, e.g. +84912345678
    street: str = ""
    ward_code: str = ""
    ward_name: str = ""
    province_code: str = ""
    province_name: str = ""
    zalo_user_id: str = ""


@dataclass(frozen=True)
class Consent:
    purpose: str
    given_at: datetime
    text_version: str


@dataclass(frozen=True)
class Point:
    """A place or team where help is given."""

    id: str
    model: Model
    name: str
    ward: Ward
    street: str = ""
    opening_hours_vi: str = ""
    latitude: float | None = None
    longitude: float | None = None
    route_id: str = ""
    help_types: tuple[HelpType, ...] = ()
    served_wards: tuple[str, ...] = ()
    volunteer_location: VolunteerLocation | None = None
    owner_resource_id: str = ""

    def serves(self, ward_code: str) -> bool:
        return ward_code == self.ward.code or ward_code in self.served_wards

    def offers(self, help_type: HelpType) -> bool:
        return not self.help_types or help_type in self.help_types


@dataclass(frozen=True)
class Slot:
    """A bookable window of a point with its capacity and what is taken of it."""

    id: str
    point: Point
    starts_at: datetime
    ends_at: datetime
    capacity: int
    priority_reserved: int = 0
    booked: int = 0
    booked_priority: int = 0
    help_types: tuple[HelpType, ...] = ()
    stop_id: str = ""
    resource_id: str = ""
    volunteer_location: VolunteerLocation | None = None
    status: str = "open"

    @property
    def model(self) -> Model:
        return self.point.model

    def offers(self, help_type: HelpType) -> bool:
        return not self.help_types or help_type in self.help_types

    def remaining(self, *, priority: bool, now: datetime, release: timedelta) -> int:
        """Places this requester could take now (the booking statement applies the same rule)."""
        free = self.capacity - self.booked
        if priority:
            return max(0, free)
        reserved = 0 if self.starts_at - now <= release else self.priority_reserved
        return max(0, min(free, self.capacity - reserved - (self.booked - self.booked_priority)))


@dataclass(frozen=True)
class RouteStop:
    """One dated window of the mobile bus at a stop."""

    id: str
    route_id: str
    route_name: str
    point: Point
    starts_at: datetime
    ends_at: datetime
    status: str = "scheduled"
    cancel_reason: str = ""


@dataclass(frozen=True)
class Resource:
    id: str
    kind: ResourceKind
    display_name: str
    skills: tuple[HelpType, ...] = ()
    ward_codes: tuple[str, ...] = ()
    account_id: str = ""
    active: bool = True

    def can_give(self, help_type: HelpType) -> bool:
        return not self.skills or help_type in self.skills

    def covers(self, ward_code: str) -> bool:
        return not self.ward_codes or ward_code in self.ward_codes


@dataclass(frozen=True)
class Change:
    """One line of a booking's history."""

    at: datetime
    action: str
    from_status: Status | None
    to_status: Status
    from_slot_id: str = ""
    to_slot_id: str = ""
    actor: Actor | None = None
    note: str = ""


@dataclass(frozen=True)
class Booking:
    id: str
    status: Status
    slot: Slot
    help_type: HelpType
    procedure_code: str = ""
    citizen: Citizen | None = None
    priority: bool = False
    channel: Channel = Channel.WEB
    consent: Consent | None = None
    contact_ref: str = ""
    resource: Resource | None = None
    note: str = ""
    hold_expires_at: datetime | None = None
    dossier_codes: tuple[str, ...] = ()
    help_given: tuple[HelpType, ...] = ()
    verification_attempts: int = 0
    cancel_reason: str = ""
    cancelled_by_stop_id: str = ""
    ward_code: str = ""
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    history: tuple[Change, ...] = field(default=())

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True)
class Window:
    """A local-time opening window on one weekday (1 = Monday ... 7 = Sunday)."""

    weekday: int
    opens: str  # "HH:MM"
    closes: str
    slot_minutes: int | None  # None: one slot for the whole window (bus stops)
    capacity: int
    priority_reserved: int = 0
    valid_from: date | None = None
    valid_to: date | None = None
