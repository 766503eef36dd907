import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from motcua.common.v1 import common_pb2 as _common_pb2
from motcua.scheduler.v1 import scheduler_service_pb2 as _scheduler_service_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReminderKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REMINDER_KIND_UNSPECIFIED: _ClassVar[ReminderKind]
    REMINDER_KIND_DAY_BEFORE: _ClassVar[ReminderKind]
    REMINDER_KIND_HOURS_BEFORE: _ClassVar[ReminderKind]
REMINDER_KIND_UNSPECIFIED: ReminderKind
REMINDER_KIND_DAY_BEFORE: ReminderKind
REMINDER_KIND_HOURS_BEFORE: ReminderKind

class BookingSlotRef(_message.Message):
    __slots__ = ("slot_id", "point_id", "point_name", "starts_at", "ends_at", "ward_code")
    SLOT_ID_FIELD_NUMBER: _ClassVar[int]
    POINT_ID_FIELD_NUMBER: _ClassVar[int]
    POINT_NAME_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    WARD_CODE_FIELD_NUMBER: _ClassVar[int]
    slot_id: str
    point_id: str
    point_name: str
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    ward_code: str
    def __init__(self, slot_id: _Optional[str] = ..., point_id: _Optional[str] = ..., point_name: _Optional[str] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ward_code: _Optional[str] = ...) -> None: ...

class BookingHeld(_message.Message):
    __slots__ = ("booking_id", "status", "model", "help_type", "slot", "occurred_at", "hold_expires_at")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPE_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    HOLD_EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    status: _scheduler_service_pb2.BookingStatus
    model: _scheduler_service_pb2.ServiceModel
    help_type: _scheduler_service_pb2.HelpType
    slot: BookingSlotRef
    occurred_at: _timestamp_pb2.Timestamp
    hold_expires_at: _timestamp_pb2.Timestamp
    def __init__(self, booking_id: _Optional[str] = ..., status: _Optional[_Union[_scheduler_service_pb2.BookingStatus, str]] = ..., model: _Optional[_Union[_scheduler_service_pb2.ServiceModel, str]] = ..., help_type: _Optional[_Union[_scheduler_service_pb2.HelpType, str]] = ..., slot: _Optional[_Union[BookingSlotRef, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., hold_expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BookingRequested(_message.Message):
    __slots__ = ("booking_id", "status", "model", "help_type", "slot", "occurred_at", "contact_ref", "procedure_code", "priority", "channel")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPE_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    status: _scheduler_service_pb2.BookingStatus
    model: _scheduler_service_pb2.ServiceModel
    help_type: _scheduler_service_pb2.HelpType
    slot: BookingSlotRef
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    procedure_code: str
    priority: bool
    channel: _common_pb2.Channel
    def __init__(self, booking_id: _Optional[str] = ..., status: _Optional[_Union[_scheduler_service_pb2.BookingStatus, str]] = ..., model: _Optional[_Union[_scheduler_service_pb2.ServiceModel, str]] = ..., help_type: _Optional[_Union[_scheduler_service_pb2.HelpType, str]] = ..., slot: _Optional[_Union[BookingSlotRef, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., procedure_code: _Optional[str] = ..., priority: _Optional[bool] = ..., channel: _Optional[_Union[_common_pb2.Channel, str]] = ...) -> None: ...

class BookingConfirmed(_message.Message):
    __slots__ = ("booking_id", "status", "model", "help_type", "slot", "occurred_at", "contact_ref", "procedure_code", "priority", "channel", "confirmed_by")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPE_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CONFIRMED_BY_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    status: _scheduler_service_pb2.BookingStatus
    model: _scheduler_service_pb2.ServiceModel
    help_type: _scheduler_service_pb2.HelpType
    slot: BookingSlotRef
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    procedure_code: str
    priority: bool
    channel: _common_pb2.Channel
    confirmed_by: _common_pb2.Actor
    def __init__(self, booking_id: _Optional[str] = ..., status: _Optional[_Union[_scheduler_service_pb2.BookingStatus, str]] = ..., model: _Optional[_Union[_scheduler_service_pb2.ServiceModel, str]] = ..., help_type: _Optional[_Union[_scheduler_service_pb2.HelpType, str]] = ..., slot: _Optional[_Union[BookingSlotRef, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., procedure_code: _Optional[str] = ..., priority: _Optional[bool] = ..., channel: _Optional[_Union[_common_pb2.Channel, str]] = ..., confirmed_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class BookingRescheduled(_message.Message):
    __slots__ = ("booking_id", "status", "model", "help_type", "slot", "occurred_at", "contact_ref", "previous_slot", "actor", "reason")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPE_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SLOT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    status: _scheduler_service_pb2.BookingStatus
    model: _scheduler_service_pb2.ServiceModel
    help_type: _scheduler_service_pb2.HelpType
    slot: BookingSlotRef
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    previous_slot: BookingSlotRef
    actor: _common_pb2.Actor
    reason: str
    def __init__(self, booking_id: _Optional[str] = ..., status: _Optional[_Union[_scheduler_service_pb2.BookingStatus, str]] = ..., model: _Optional[_Union[_scheduler_service_pb2.ServiceModel, str]] = ..., help_type: _Optional[_Union[_scheduler_service_pb2.HelpType, str]] = ..., slot: _Optional[_Union[BookingSlotRef, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., previous_slot: _Optional[_Union[BookingSlotRef, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class BookingCancelled(_message.Message):
    __slots__ = ("booking_id", "status", "model", "help_type", "slot", "occurred_at", "contact_ref", "actor", "reason", "stop_id", "alternatives")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPE_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    STOP_ID_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    status: _scheduler_service_pb2.BookingStatus
    model: _scheduler_service_pb2.ServiceModel
    help_type: _scheduler_service_pb2.HelpType
    slot: BookingSlotRef
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    actor: _common_pb2.Actor
    reason: str
    stop_id: str
    alternatives: _containers.RepeatedCompositeFieldContainer[BookingSlotRef]
    def __init__(self, booking_id: _Optional[str] = ..., status: _Optional[_Union[_scheduler_service_pb2.BookingStatus, str]] = ..., model: _Optional[_Union[_scheduler_service_pb2.ServiceModel, str]] = ..., help_type: _Optional[_Union[_scheduler_service_pb2.HelpType, str]] = ..., slot: _Optional[_Union[BookingSlotRef, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ..., stop_id: _Optional[str] = ..., alternatives: _Optional[_Iterable[_Union[BookingSlotRef, _Mapping]]] = ...) -> None: ...

class BookingReminderDue(_message.Message):
    __slots__ = ("booking_id", "status", "model", "help_type", "slot", "occurred_at", "contact_ref", "reminder")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPE_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    REMINDER_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    status: _scheduler_service_pb2.BookingStatus
    model: _scheduler_service_pb2.ServiceModel
    help_type: _scheduler_service_pb2.HelpType
    slot: BookingSlotRef
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    reminder: ReminderKind
    def __init__(self, booking_id: _Optional[str] = ..., status: _Optional[_Union[_scheduler_service_pb2.BookingStatus, str]] = ..., model: _Optional[_Union[_scheduler_service_pb2.ServiceModel, str]] = ..., help_type: _Optional[_Union[_scheduler_service_pb2.HelpType, str]] = ..., slot: _Optional[_Union[BookingSlotRef, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., reminder: _Optional[_Union[ReminderKind, str]] = ...) -> None: ...

class BookingCompleted(_message.Message):
    __slots__ = ("booking_id", "status", "model", "help_type", "slot", "occurred_at", "contact_ref", "actor", "help_given", "dossier_codes")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPE_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    HELP_GIVEN_FIELD_NUMBER: _ClassVar[int]
    DOSSIER_CODES_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    status: _scheduler_service_pb2.BookingStatus
    model: _scheduler_service_pb2.ServiceModel
    help_type: _scheduler_service_pb2.HelpType
    slot: BookingSlotRef
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    actor: _common_pb2.Actor
    help_given: _containers.RepeatedScalarFieldContainer[_scheduler_service_pb2.HelpType]
    dossier_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, booking_id: _Optional[str] = ..., status: _Optional[_Union[_scheduler_service_pb2.BookingStatus, str]] = ..., model: _Optional[_Union[_scheduler_service_pb2.ServiceModel, str]] = ..., help_type: _Optional[_Union[_scheduler_service_pb2.HelpType, str]] = ..., slot: _Optional[_Union[BookingSlotRef, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., help_given: _Optional[_Iterable[_Union[_scheduler_service_pb2.HelpType, str]]] = ..., dossier_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class BookingNoShow(_message.Message):
    __slots__ = ("booking_id", "status", "model", "help_type", "slot", "occurred_at", "contact_ref", "actor")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    HELP_TYPE_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    status: _scheduler_service_pb2.BookingStatus
    model: _scheduler_service_pb2.ServiceModel
    help_type: _scheduler_service_pb2.HelpType
    slot: BookingSlotRef
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    actor: _common_pb2.Actor
    def __init__(self, booking_id: _Optional[str] = ..., status: _Optional[_Union[_scheduler_service_pb2.BookingStatus, str]] = ..., model: _Optional[_Union[_scheduler_service_pb2.ServiceModel, str]] = ..., help_type: _Optional[_Union[_scheduler_service_pb2.HelpType, str]] = ..., slot: _Optional[_Union[BookingSlotRef, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class StopCancelled(_message.Message):
    __slots__ = ("stop_id", "route_id", "route_name", "point_id", "point_name", "ward_code", "date", "starts_at", "ends_at", "occurred_at", "actor", "reason", "affected_booking_ids")
    STOP_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTE_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTE_NAME_FIELD_NUMBER: _ClassVar[int]
    POINT_ID_FIELD_NUMBER: _ClassVar[int]
    POINT_NAME_FIELD_NUMBER: _ClassVar[int]
    WARD_CODE_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AFFECTED_BOOKING_IDS_FIELD_NUMBER: _ClassVar[int]
    stop_id: str
    route_id: str
    route_name: str
    point_id: str
    point_name: str
    ward_code: str
    date: _common_pb2.LocalDate
    starts_at: _timestamp_pb2.Timestamp
    ends_at: _timestamp_pb2.Timestamp
    occurred_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    reason: str
    affected_booking_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, stop_id: _Optional[str] = ..., route_id: _Optional[str] = ..., route_name: _Optional[str] = ..., point_id: _Optional[str] = ..., point_name: _Optional[str] = ..., ward_code: _Optional[str] = ..., date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., starts_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ..., affected_booking_ids: _Optional[_Iterable[str]] = ...) -> None: ...
