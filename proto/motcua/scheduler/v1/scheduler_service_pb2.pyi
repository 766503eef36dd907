import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from motcua.common.v1 import common_pb2 as _common_pb2
from motcua.common.v1 import subject_data_pb2 as _subject_data_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ServiceModel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVICE_MODEL_UNSPECIFIED: _ClassVar[ServiceModel]
    SERVICE_MODEL_HOME_VISIT: _ClassVar[ServiceModel]
    SERVICE_MODEL_KIOSK: _ClassVar[ServiceModel]
    SERVICE_MODEL_MOBILE_BUS: _ClassVar[ServiceModel]
    SERVICE_MODEL_VOLUNTEER: _ClassVar[ServiceModel]
    SERVICE_MODEL_REMOTE: _ClassVar[ServiceModel]

class HelpType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HELP_TYPE_UNSPECIFIED: _ClassVar[HelpType]
    HELP_TYPE_VNEID_LEVEL2: _ClassVar[HelpType]
    HELP_TYPE_ONLINE_DOSSIER: _ClassVar[HelpType]
    HELP_TYPE_SCAN_DOCUMENTS: _ClassVar[HelpType]
    HELP_TYPE_PAY_FEES: _ClassVar[HelpType]
    HELP_TYPE_LOOKUP_DOSSIER: _ClassVar[HelpType]

class BookingStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BOOKING_STATUS_UNSPECIFIED: _ClassVar[BookingStatus]
    BOOKING_STATUS_HELD: _ClassVar[BookingStatus]
    BOOKING_STATUS_REQUESTED: _ClassVar[BookingStatus]
    BOOKING_STATUS_CONFIRMED: _ClassVar[BookingStatus]
    BOOKING_STATUS_CANCELLED: _ClassVar[BookingStatus]
    BOOKING_STATUS_COMPLETED: _ClassVar[BookingStatus]
    BOOKING_STATUS_NO_SHOW: _ClassVar[BookingStatus]
    BOOKING_STATUS_EXPIRED: _ClassVar[BookingStatus]
    BOOKING_STATUS_REJECTED: _ClassVar[BookingStatus]

class ResourceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESOURCE_KIND_UNSPECIFIED: _ClassVar[ResourceKind]
    RESOURCE_KIND_STAFF: _ClassVar[ResourceKind]
    RESOURCE_KIND_VOLUNTEER: _ClassVar[ResourceKind]
    RESOURCE_KIND_VEHICLE: _ClassVar[ResourceKind]

class VerificationOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_OUTCOME_UNSPECIFIED: _ClassVar[VerificationOutcome]
    VERIFICATION_OUTCOME_CONFIRMED: _ClassVar[VerificationOutcome]
    VERIFICATION_OUTCOME_REJECTED: _ClassVar[VerificationOutcome]
    VERIFICATION_OUTCOME_UNREACHABLE: _ClassVar[VerificationOutcome]

class VolunteerLocation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VOLUNTEER_LOCATION_UNSPECIFIED: _ClassVar[VolunteerLocation]
    VOLUNTEER_LOCATION_CITIZEN_HOME: _ClassVar[VolunteerLocation]
    VOLUNTEER_LOCATION_VOLUNTEER_HOME: _ClassVar[VolunteerLocation]
    VOLUNTEER_LOCATION_CULTURAL_HOUSE: _ClassVar[VolunteerLocation]

class RouteStopStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTE_STOP_STATUS_UNSPECIFIED: _ClassVar[RouteStopStatus]
    ROUTE_STOP_STATUS_SCHEDULED: _ClassVar[RouteStopStatus]
    ROUTE_STOP_STATUS_CANCELLED: _ClassVar[RouteStopStatus]
SERVICE_MODEL_UNSPECIFIED: ServiceModel
SERVICE_MODEL_HOME_VISIT: ServiceModel
SERVICE_MODEL_KIOSK: ServiceModel
SERVICE_MODEL_MOBILE_BUS: ServiceModel
SERVICE_MODEL_VOLUNTEER: ServiceModel
SERVICE_MODEL_REMOTE: ServiceModel
HELP_TYPE_UNSPECIFIED: HelpType
HELP_TYPE_VNEID_LEVEL2: HelpType
HELP_TYPE_ONLINE_DOSSIER: HelpType
HELP_TYPE_SCAN_DOCUMENTS: HelpType
HELP_TYPE_PAY_FEES: HelpType
HELP_TYPE_LOOKUP_DOSSIER: HelpType
BOOKING_STATUS_UNSPECIFIED: BookingStatus
BOOKING_STATUS_HELD: BookingStatus
BOOKING_STATUS_REQUESTED: BookingStatus
BOOKING_STATUS_CONFIRMED: BookingStatus
BOOKING_STATUS_CANCELLED: BookingStatus
BOOKING_STATUS_COMPLETED: BookingStatus
BOOKING_STATUS_NO_SHOW: BookingStatus
BOOKING_STATUS_EXPIRED: BookingStatus
BOOKING_STATUS_REJECTED: BookingStatus
RESOURCE_KIND_UNSPECIFIED: ResourceKind
RESOURCE_KIND_STAFF: ResourceKind
RESOURCE_KIND_VOLUNTEER: ResourceKind
RESOURCE_KIND_VEHICLE: ResourceKind
VERIFICATION_OUTCOME_UNSPECIFIED: VerificationOutcome
VERIFICATION_OUTCOME_CONFIRMED: VerificationOutcome
VERIFICATION_OUTCOME_REJECTED: VerificationOutcome
VERIFICATION_OUTCOME_UNREACHABLE: VerificationOutcome
VOLUNTEER_LOCATION_UNSPECIFIED: VolunteerLocation
VOLUNTEER_LOCATION_CITIZEN_HOME: VolunteerLocation
VOLUNTEER_LOCATION_VOLUNTEER_HOME: VolunteerLocation
VOLUNTEER_LOCATION_CULTURAL_HOUSE: VolunteerLocation
ROUTE_STOP_STATUS_UNSPECIFIED: RouteStopStatus
ROUTE_STOP_STATUS_SCHEDULED: RouteStopStatus
ROUTE_STOP_STATUS_CANCELLED: RouteStopStatus

class ServicePoint(_message.Message):
    __slots__ = ("id", "model", "name", "address", "opening_hours_vi", "latitude", "longitude", "route_id", "help_types", "served_ward_codes")
    ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    OPENING_HOURS_VI_FIELD_NUMBER: _ClassVar[int]
    LATITUDE_FIELD_NUMBER: _ClassVar[int]
    LONGITUDE_FIELD_NUMBER: _ClassVar[int]
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPES_FIELD_NUMBER: _ClassVar[int]
    SERVED_WARD_CODES_FIELD_NUMBER: _ClassVar[int]
    id: str
    model: ServiceModel
    name: str
    address: _common_pb2.Address
    opening_hours_vi: str
    latitude: float
    longitude: float
    route_id: str
    help_types: _containers.RepeatedScalarFieldContainer[HelpType]
    served_ward_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., model: _Optional[_Union[ServiceModel, str]] = ..., name: _Optional[str] = ..., address: _Optional[_Union[_common_pb2.Address, _Mapping]] = ..., opening_hours_vi: _Optional[str] = ..., latitude: _Optional[float] = ..., longitude: _Optional[float] = ..., route_id: _Optional[str] = ..., help_types: _Optional[_Iterable[_Union[HelpType, str]]] = ..., served_ward_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class RouteStop(_message.Message):
    __slots__ = ("id", "route_id", "route_name", "point", "date", "starts_at", "ends_at", "status", "cancel_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTE_NAME_FIELD_NUMBER: _ClassVar[int]
    POINT_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    route_id: str
    route_name: str
    point: ServicePoint
    date: _common_pb2.LocalDate
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    status: RouteStopStatus
    cancel_reason: str
    def __init__(self, id: _Optional[str] = ..., route_id: _Optional[str] = ..., route_name: _Optional[str] = ..., point: _Optional[_Union[ServicePoint, _Mapping]] = ..., date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[RouteStopStatus, str]] = ..., cancel_reason: _Optional[str] = ...) -> None: ...

class Slot(_message.Message):
    __slots__ = ("slot_id", "point", "model", "starts_at", "ends_at", "remaining", "capacity", "stop_id", "help_types", "volunteer_location", "reserved_for_priority", "resource_id")
    SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    POINT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    STOP_ID_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPES_FIELD_NUMBER: _ClassVar[int]
    VOLUNTEER_LOCATION_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FOR_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    slot_id: str
    point: ServicePoint
    model: ServiceModel
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    remaining: int
    capacity: int
    stop_id: str
    help_types: _containers.RepeatedScalarFieldContainer[HelpType]
    volunteer_location: VolunteerLocation
    reserved_for_priority: int
    resource_id: str
    def __init__(self, slot_id: _Optional[str] = ..., point: _Optional[_Union[ServicePoint, _Mapping]] = ..., model: _Optional[_Union[ServiceModel, str]] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., remaining: _Optional[int] = ..., capacity: _Optional[int] = ..., stop_id: _Optional[str] = ..., help_types: _Optional[_Iterable[_Union[HelpType, str]]] = ..., volunteer_location: _Optional[_Union[VolunteerLocation, str]] = ..., reserved_for_priority: _Optional[int] = ..., resource_id: _Optional[str] = ...) -> None: ...

class Citizen(_message.Message):
    __slots__ = ("full_name", "phone", "address", "zalo_user_id")
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ZALO_USER_ID_FIELD_NUMBER: _ClassVar[int]
    full_name: str
    phone: str
    address: _common_pb2.Address
    zalo_user_id: str
    def __init__(self, full_name: _Optional[str] = ..., phone: _Optional[str] = ..., address: _Optional[_Union[_common_pb2.Address, _Mapping]] = ..., zalo_user_id: _Optional[str] = ...) -> None: ...

class Resource(_message.Message):
    __slots__ = ("id", "kind", "display_name", "skills", "ward_codes")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    WARD_CODES_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: ResourceKind
    display_name: str
    skills: _containers.RepeatedScalarFieldContainer[HelpType]
    ward_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[ResourceKind, str]] = ..., display_name: _Optional[str] = ..., skills: _Optional[_Iterable[_Union[HelpType, str]]] = ..., ward_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class Booking(_message.Message):
    __slots__ = ("id", "status", "slot", "help_type", "procedure_code", "citizen", "priority", "channel", "consent", "token", "resource", "note", "hold_expires_at", "dossier_codes", "contact_ref", "verification_attempts", "cancel_reason", "version", "created_at", "updated_at", "history", "help_given")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    CITIZEN_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    HOLD_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    DOSSIER_CODES_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    HELP_GIVEN_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: BookingStatus
    slot: Slot
    help_type: HelpType
    procedure_code: str
    citizen: Citizen
    priority: bool
    channel: _common_pb2.Channel
    consent: _common_pb2.Consent
    token: str
    resource: Resource
    note: str
    hold_expires_at: _timestamp_pb2.Timestamp
    dossier_codes: _containers.RepeatedScalarFieldContainer[str]
    contact_ref: str
    verification_attempts: int
    cancel_reason: str
    version: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    history: _containers.RepeatedCompositeFieldContainer[BookingChange]
    help_given: _containers.RepeatedScalarFieldContainer[HelpType]
    def __init__(self, id: _Optional[str] = ..., status: _Optional[_Union[BookingStatus, str]] = ..., slot: _Optional[_Union[Slot, _Mapping]] = ..., help_type: _Optional[_Union[HelpType, str]] = ..., procedure_code: _Optional[str] = ..., citizen: _Optional[_Union[Citizen, _Mapping]] = ..., priority: _Optional[bool] = ..., channel: _Optional[_Union[_common_pb2.Channel, str]] = ..., consent: _Optional[_Union[_common_pb2.Consent, _Mapping]] = ..., token: _Optional[str] = ..., resource: _Optional[_Union[Resource, _Mapping]] = ..., note: _Optional[str] = ..., hold_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., dossier_codes: _Optional[_Iterable[str]] = ..., contact_ref: _Optional[str] = ..., verification_attempts: _Optional[int] = ..., cancel_reason: _Optional[str] = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., history: _Optional[_Iterable[_Union[BookingChange, _Mapping]]] = ..., help_given: _Optional[_Iterable[_Union[HelpType, str]]] = ...) -> None: ...

class BookingChange(_message.Message):
    __slots__ = ("at", "action", "from_status", "to_status", "from_slot_id", "to_slot_id", "actor", "note")
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    FROM_SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    TO_SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    at: _timestamp_pb2.Timestamp
    action: str
    from_status: BookingStatus
    to_status: BookingStatus
    from_slot_id: str
    to_slot_id: str
    actor: _common_pb2.Actor
    note: str
    def __init__(self, at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., action: _Optional[str] = ..., from_status: _Optional[_Union[BookingStatus, str]] = ..., to_status: _Optional[_Union[BookingStatus, str]] = ..., from_slot_id: _Optional[str] = ..., to_slot_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class ListServicePointsRequest(_message.Message):
    __slots__ = ("model", "ward_code", "province_code", "page")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    WARD_CODE_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    model: ServiceModel
    ward_code: str
    province_code: str
    page: _common_pb2.PageRequest
    def __init__(self, model: _Optional[_Union[ServiceModel, str]] = ..., ward_code: _Optional[str] = ..., province_code: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListServicePointsResponse(_message.Message):
    __slots__ = ("items", "page_info")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_INFO_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ServicePoint]
    page_info: _common_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[ServicePoint, _Mapping]]] = ..., page_info: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class ListRouteStopsRequest(_message.Message):
    __slots__ = ("route_id", "ward_code", "from_date", "to_date", "include_cancelled")
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    WARD_CODE_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_CANCELLED_FIELD_NUMBER: _ClassVar[int]
    route_id: str
    ward_code: str
    from_date: _common_pb2.LocalDate
    to_date: _common_pb2.LocalDate
    include_cancelled: bool
    def __init__(self, route_id: _Optional[str] = ..., ward_code: _Optional[str] = ..., from_date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., to_date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., include_cancelled: _Optional[bool] = ...) -> None: ...

class ListRouteStopsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[RouteStop]
    def __init__(self, items: _Optional[_Iterable[_Union[RouteStop, _Mapping]]] = ...) -> None: ...

class SearchAvailabilityRequest(_message.Message):
    __slots__ = ("model", "ward_code", "from_date", "to_date", "help_type", "procedure_code", "page", "priority", "point_id")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    WARD_CODE_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    POINT_ID_FIELD_NUMBER: _ClassVar[int]
    model: ServiceModel
    ward_code: str
    from_date: _common_pb2.LocalDate
    to_date: _common_pb2.LocalDate
    help_type: HelpType
    procedure_code: str
    page: _common_pb2.PageRequest
    priority: bool
    point_id: str
    def __init__(self, model: _Optional[_Union[ServiceModel, str]] = ..., ward_code: _Optional[str] = ..., from_date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., to_date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., help_type: _Optional[_Union[HelpType, str]] = ..., procedure_code: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., priority: _Optional[bool] = ..., point_id: _Optional[str] = ...) -> None: ...

class SearchAvailabilityResponse(_message.Message):
    __slots__ = ("slots", "page_info")
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    PAGE_INFO_FIELD_NUMBER: _ClassVar[int]
    slots: _containers.RepeatedCompositeFieldContainer[Slot]
    page_info: _common_pb2.PageInfo
    def __init__(self, slots: _Optional[_Iterable[_Union[Slot, _Mapping]]] = ..., page_info: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class HoldBookingRequest(_message.Message):
    __slots__ = ("idempotency_key", "slot_id", "help_type", "point_id", "starts_at", "priority")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPE_FIELD_NUMBER: _ClassVar[int]
    POINT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    slot_id: str
    help_type: HelpType
    point_id: str
    starts_at: _timestamp_pb2.Timestamp
    priority: bool
    def __init__(self, idempotency_key: _Optional[str] = ..., slot_id: _Optional[str] = ..., help_type: _Optional[_Union[HelpType, str]] = ..., point_id: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., priority: _Optional[bool] = ...) -> None: ...

class CreateBookingRequest(_message.Message):
    __slots__ = ("idempotency_key", "slot_id", "citizen", "help_type", "procedure_code", "priority", "consent", "hold_booking_id", "channel", "note", "actor", "point_id", "starts_at")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    CITIZEN_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    HOLD_BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    POINT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    slot_id: str
    citizen: Citizen
    help_type: HelpType
    procedure_code: str
    priority: bool
    consent: _common_pb2.Consent
    hold_booking_id: str
    channel: _common_pb2.Channel
    note: str
    actor: _common_pb2.Actor
    point_id: str
    starts_at: _timestamp_pb2.Timestamp
    def __init__(self, idempotency_key: _Optional[str] = ..., slot_id: _Optional[str] = ..., citizen: _Optional[_Union[Citizen, _Mapping]] = ..., help_type: _Optional[_Union[HelpType, str]] = ..., procedure_code: _Optional[str] = ..., priority: _Optional[bool] = ..., consent: _Optional[_Union[_common_pb2.Consent, _Mapping]] = ..., hold_booking_id: _Optional[str] = ..., channel: _Optional[_Union[_common_pb2.Channel, str]] = ..., note: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., point_id: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateBookingResponse(_message.Message):
    __slots__ = ("booking", "replayed")
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    booking: Booking
    replayed: bool
    def __init__(self, booking: _Optional[_Union[Booking, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class GetBookingRequest(_message.Message):
    __slots__ = ("booking_id", "token", "actor")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    token: str
    actor: _common_pb2.Actor
    def __init__(self, booking_id: _Optional[str] = ..., token: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class CancelBookingRequest(_message.Message):
    __slots__ = ("booking_id", "token", "actor", "reason")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    token: str
    actor: _common_pb2.Actor
    reason: str
    def __init__(self, booking_id: _Optional[str] = ..., token: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class RescheduleBookingRequest(_message.Message):
    __slots__ = ("idempotency_key", "booking_id", "token", "new_slot_id", "actor", "reason", "new_point_id", "new_starts_at")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    NEW_SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    NEW_POINT_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    booking_id: str
    token: str
    new_slot_id: str
    actor: _common_pb2.Actor
    reason: str
    new_point_id: str
    new_starts_at: _timestamp_pb2.Timestamp
    def __init__(self, idempotency_key: _Optional[str] = ..., booking_id: _Optional[str] = ..., token: _Optional[str] = ..., new_slot_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ..., new_point_id: _Optional[str] = ..., new_starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class VerifyBookingRequest(_message.Message):
    __slots__ = ("booking_id", "actor", "outcome", "note")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    actor: _common_pb2.Actor
    outcome: VerificationOutcome
    note: str
    def __init__(self, booking_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., outcome: _Optional[_Union[VerificationOutcome, str]] = ..., note: _Optional[str] = ...) -> None: ...

class AssignResourceRequest(_message.Message):
    __slots__ = ("booking_id", "resource_id", "actor")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    resource_id: str
    actor: _common_pb2.Actor
    def __init__(self, booking_id: _Optional[str] = ..., resource_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class CompleteBookingRequest(_message.Message):
    __slots__ = ("booking_id", "actor", "help_given", "dossier_codes", "note")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    HELP_GIVEN_FIELD_NUMBER: _ClassVar[int]
    DOSSIER_CODES_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    actor: _common_pb2.Actor
    help_given: _containers.RepeatedScalarFieldContainer[HelpType]
    dossier_codes: _containers.RepeatedScalarFieldContainer[str]
    note: str
    def __init__(self, booking_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., help_given: _Optional[_Iterable[_Union[HelpType, str]]] = ..., dossier_codes: _Optional[_Iterable[str]] = ..., note: _Optional[str] = ...) -> None: ...

class MarkNoShowRequest(_message.Message):
    __slots__ = ("booking_id", "actor", "note")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    actor: _common_pb2.Actor
    note: str
    def __init__(self, booking_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class ListVerificationQueueRequest(_message.Message):
    __slots__ = ("ward_code", "page")
    WARD_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    ward_code: str
    page: _common_pb2.PageRequest
    def __init__(self, ward_code: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListVerificationQueueResponse(_message.Message):
    __slots__ = ("items", "page_info")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_INFO_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Booking]
    page_info: _common_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[Booking, _Mapping]]] = ..., page_info: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class GetDayScheduleRequest(_message.Message):
    __slots__ = ("point_id", "stop_id", "resource_id", "date")
    POINT_ID_FIELD_NUMBER: _ClassVar[int]
    STOP_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    point_id: str
    stop_id: str
    resource_id: str
    date: _common_pb2.LocalDate
    def __init__(self, point_id: _Optional[str] = ..., stop_id: _Optional[str] = ..., resource_id: _Optional[str] = ..., date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ...) -> None: ...

class ScheduleEntry(_message.Message):
    __slots__ = ("slot", "bookings")
    SLOT_FIELD_NUMBER: _ClassVar[int]
    BOOKINGS_FIELD_NUMBER: _ClassVar[int]
    slot: Slot
    bookings: _containers.RepeatedCompositeFieldContainer[Booking]
    def __init__(self, slot: _Optional[_Union[Slot, _Mapping]] = ..., bookings: _Optional[_Iterable[_Union[Booking, _Mapping]]] = ...) -> None: ...

class DaySchedule(_message.Message):
    __slots__ = ("date", "entries")
    DATE_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    date: _common_pb2.LocalDate
    entries: _containers.RepeatedCompositeFieldContainer[ScheduleEntry]
    def __init__(self, date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., entries: _Optional[_Iterable[_Union[ScheduleEntry, _Mapping]]] = ...) -> None: ...

class CancelStopWindowRequest(_message.Message):
    __slots__ = ("stop_id", "reason", "actor")
    STOP_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    stop_id: str
    reason: str
    actor: _common_pb2.Actor
    def __init__(self, stop_id: _Optional[str] = ..., reason: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class AffectedBooking(_message.Message):
    __slots__ = ("booking", "alternatives")
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    booking: Booking
    alternatives: _containers.RepeatedCompositeFieldContainer[Slot]
    def __init__(self, booking: _Optional[_Union[Booking, _Mapping]] = ..., alternatives: _Optional[_Iterable[_Union[Slot, _Mapping]]] = ...) -> None: ...

class CancelStopWindowResponse(_message.Message):
    __slots__ = ("stop", "affected")
    STOP_FIELD_NUMBER: _ClassVar[int]
    AFFECTED_FIELD_NUMBER: _ClassVar[int]
    stop: RouteStop
    affected: _containers.RepeatedCompositeFieldContainer[AffectedBooking]
    def __init__(self, stop: _Optional[_Union[RouteStop, _Mapping]] = ..., affected: _Optional[_Iterable[_Union[AffectedBooking, _Mapping]]] = ...) -> None: ...

class RegisterVolunteerAvailabilityRequest(_message.Message):
    __slots__ = ("volunteer_id", "date", "start_time", "end_time", "location", "address", "help_types", "capacity_per_slot", "slot_minutes", "actor", "point_id")
    VOLUNTEER_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPES_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_PER_SLOT_FIELD_NUMBER: _ClassVar[int]
    SLOT_MINUTES_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    POINT_ID_FIELD_NUMBER: _ClassVar[int]
    volunteer_id: str
    date: _common_pb2.LocalDate
    start_time: _common_pb2.LocalTime
    end_time: _common_pb2.LocalTime
    location: VolunteerLocation
    address: _common_pb2.Address
    help_types: _containers.RepeatedScalarFieldContainer[HelpType]
    capacity_per_slot: int
    slot_minutes: int
    actor: _common_pb2.Actor
    point_id: str
    def __init__(self, volunteer_id: _Optional[str] = ..., date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., start_time: _Optional[_Union[_common_pb2.LocalTime, _Mapping]] = ..., end_time: _Optional[_Union[_common_pb2.LocalTime, _Mapping]] = ..., location: _Optional[_Union[VolunteerLocation, str]] = ..., address: _Optional[_Union[_common_pb2.Address, _Mapping]] = ..., help_types: _Optional[_Iterable[_Union[HelpType, str]]] = ..., capacity_per_slot: _Optional[int] = ..., slot_minutes: _Optional[int] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., point_id: _Optional[str] = ...) -> None: ...

class RegisterVolunteerAvailabilityResponse(_message.Message):
    __slots__ = ("slots",)
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    slots: _containers.RepeatedCompositeFieldContainer[Slot]
    def __init__(self, slots: _Optional[_Iterable[_Union[Slot, _Mapping]]] = ...) -> None: ...

class ResolveContactRequest(_message.Message):
    __slots__ = ("contact_ref",)
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    contact_ref: str
    def __init__(self, contact_ref: _Optional[str] = ...) -> None: ...

class UpdateSlotCapacityRequest(_message.Message):
    __slots__ = ("slot_id", "capacity", "reserved_for_priority", "actor")
    SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    RESERVED_FOR_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    slot_id: str
    capacity: int
    reserved_for_priority: int
    actor: _common_pb2.Actor
    def __init__(self, slot_id: _Optional[str] = ..., capacity: _Optional[int] = ..., reserved_for_priority: _Optional[int] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class ListResourcesRequest(_message.Message):
    __slots__ = ("kind", "ward_code", "help_type")
    KIND_FIELD_NUMBER: _ClassVar[int]
    WARD_CODE_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPE_FIELD_NUMBER: _ClassVar[int]
    kind: ResourceKind
    ward_code: str
    help_type: HelpType
    def __init__(self, kind: _Optional[_Union[ResourceKind, str]] = ..., ward_code: _Optional[str] = ..., help_type: _Optional[_Union[HelpType, str]] = ...) -> None: ...

class ListResourcesResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Resource]
    def __init__(self, items: _Optional[_Iterable[_Union[Resource, _Mapping]]] = ...) -> None: ...

class GetBookingFiguresRequest(_message.Message):
    __slots__ = ("from_date", "to_date")
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    from_date: _common_pb2.LocalDate
    to_date: _common_pb2.LocalDate
    def __init__(self, from_date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., to_date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ...) -> None: ...

class ModelFigures(_message.Message):
    __slots__ = ("model", "booked", "completed", "no_show", "cancelled")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    BOOKED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    NO_SHOW_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    model: ServiceModel
    booked: int
    completed: int
    no_show: int
    cancelled: int
    def __init__(self, model: _Optional[_Union[ServiceModel, str]] = ..., booked: _Optional[int] = ..., completed: _Optional[int] = ..., no_show: _Optional[int] = ..., cancelled: _Optional[int] = ...) -> None: ...

class BookingChannelFigures(_message.Message):
    __slots__ = ("channel", "booked", "completed")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    BOOKED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    channel: _common_pb2.Channel
    booked: int
    completed: int
    def __init__(self, channel: _Optional[_Union[_common_pb2.Channel, str]] = ..., booked: _Optional[int] = ..., completed: _Optional[int] = ...) -> None: ...

class BookingFigures(_message.Message):
    __slots__ = ("by_model", "by_channel", "people_helped", "dossiers_submitted")
    BY_MODEL_FIELD_NUMBER: _ClassVar[int]
    BY_CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PEOPLE_HELPED_FIELD_NUMBER: _ClassVar[int]
    DOSSIERS_SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    by_model: _containers.RepeatedCompositeFieldContainer[ModelFigures]
    by_channel: _containers.RepeatedCompositeFieldContainer[BookingChannelFigures]
    people_helped: int
    dossiers_submitted: int
    def __init__(self, by_model: _Optional[_Iterable[_Union[ModelFigures, _Mapping]]] = ..., by_channel: _Optional[_Iterable[_Union[BookingChannelFigures, _Mapping]]] = ..., people_helped: _Optional[int] = ..., dossiers_submitted: _Optional[int] = ...) -> None: ...
