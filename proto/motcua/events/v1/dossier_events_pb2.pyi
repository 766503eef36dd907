import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from motcua.common.v1 import common_pb2 as _common_pb2
from motcua.dossier.v1 import dossier_service_pb2 as _dossier_service_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DossierReceived(_message.Message):
    __slots__ = ("dossier_code", "procedure_code", "agency_code", "status", "status_code", "status_label_vi", "occurred_at", "contact_ref", "procedure_name", "procedure_version", "channel", "received_at", "due_at", "due_label_vi", "result_delivery", "assisted", "parent_code")
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_NAME_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    RESULT_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    ASSISTED_FIELD_NUMBER: _ClassVar[int]
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    dossier_code: str
    procedure_code: str
    agency_code: str
    status: _dossier_service_pb2.DossierStatus
    status_code: int
    status_label_vi: str
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    procedure_name: str
    procedure_version: int
    channel: _common_pb2.Channel
    received_at: _timestamp_pb2.Timestamp
    due_at: _timestamp_pb2.Timestamp
    due_label_vi: str
    result_delivery: _dossier_service_pb2.ResultDelivery
    assisted: bool
    parent_code: str
    def __init__(self, dossier_code: _Optional[str] = ..., procedure_code: _Optional[str] = ..., agency_code: _Optional[str] = ..., status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., status_code: _Optional[int] = ..., status_label_vi: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., procedure_name: _Optional[str] = ..., procedure_version: _Optional[int] = ..., channel: _Optional[_Union[_common_pb2.Channel, str]] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_label_vi: _Optional[str] = ..., result_delivery: _Optional[_Union[_dossier_service_pb2.ResultDelivery, str]] = ..., assisted: _Optional[bool] = ..., parent_code: _Optional[str] = ...) -> None: ...

class DossierAccepted(_message.Message):
    __slots__ = ("dossier_code", "procedure_code", "agency_code", "status", "status_code", "status_label_vi", "occurred_at", "contact_ref", "previous_status", "procedure_name", "actor", "due_at", "due_label_vi")
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    dossier_code: str
    procedure_code: str
    agency_code: str
    status: _dossier_service_pb2.DossierStatus
    status_code: int
    status_label_vi: str
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    previous_status: _dossier_service_pb2.DossierStatus
    procedure_name: str
    actor: _common_pb2.Actor
    due_at: _timestamp_pb2.Timestamp
    due_label_vi: str
    def __init__(self, dossier_code: _Optional[str] = ..., procedure_code: _Optional[str] = ..., agency_code: _Optional[str] = ..., status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., status_code: _Optional[int] = ..., status_label_vi: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., previous_status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., procedure_name: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_label_vi: _Optional[str] = ...) -> None: ...

class DossierRejected(_message.Message):
    __slots__ = ("dossier_code", "procedure_code", "agency_code", "status", "status_code", "status_label_vi", "occurred_at", "contact_ref", "previous_status", "procedure_name", "actor", "reason")
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    dossier_code: str
    procedure_code: str
    agency_code: str
    status: _dossier_service_pb2.DossierStatus
    status_code: int
    status_label_vi: str
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    previous_status: _dossier_service_pb2.DossierStatus
    procedure_name: str
    actor: _common_pb2.Actor
    reason: str
    def __init__(self, dossier_code: _Optional[str] = ..., procedure_code: _Optional[str] = ..., agency_code: _Optional[str] = ..., status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., status_code: _Optional[int] = ..., status_label_vi: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., previous_status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., procedure_name: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class DossierSupplementRequested(_message.Message):
    __slots__ = ("dossier_code", "procedure_code", "agency_code", "status", "status_code", "status_label_vi", "occurred_at", "contact_ref", "previous_status", "procedure_name", "actor", "reason")
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    dossier_code: str
    procedure_code: str
    agency_code: str
    status: _dossier_service_pb2.DossierStatus
    status_code: int
    status_label_vi: str
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    previous_status: _dossier_service_pb2.DossierStatus
    procedure_name: str
    actor: _common_pb2.Actor
    reason: str
    def __init__(self, dossier_code: _Optional[str] = ..., procedure_code: _Optional[str] = ..., agency_code: _Optional[str] = ..., status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., status_code: _Optional[int] = ..., status_label_vi: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., previous_status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., procedure_name: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class DossierStatusChanged(_message.Message):
    __slots__ = ("dossier_code", "procedure_code", "agency_code", "status", "status_code", "status_label_vi", "occurred_at", "contact_ref", "previous_status", "procedure_name", "actor", "reason", "due_at", "due_label_vi")
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    dossier_code: str
    procedure_code: str
    agency_code: str
    status: _dossier_service_pb2.DossierStatus
    status_code: int
    status_label_vi: str
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    previous_status: _dossier_service_pb2.DossierStatus
    procedure_name: str
    actor: _common_pb2.Actor
    reason: str
    due_at: _timestamp_pb2.Timestamp
    due_label_vi: str
    def __init__(self, dossier_code: _Optional[str] = ..., procedure_code: _Optional[str] = ..., agency_code: _Optional[str] = ..., status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., status_code: _Optional[int] = ..., status_label_vi: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., previous_status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., procedure_name: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_label_vi: _Optional[str] = ...) -> None: ...

class DossierResultReady(_message.Message):
    __slots__ = ("dossier_code", "procedure_code", "agency_code", "status", "status_code", "status_label_vi", "occurred_at", "contact_ref", "previous_status", "procedure_name", "actor", "result_delivery", "collect_at", "overdue")
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    RESULT_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    COLLECT_AT_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    dossier_code: str
    procedure_code: str
    agency_code: str
    status: _dossier_service_pb2.DossierStatus
    status_code: int
    status_label_vi: str
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    previous_status: _dossier_service_pb2.DossierStatus
    procedure_name: str
    actor: _common_pb2.Actor
    result_delivery: _dossier_service_pb2.ResultDelivery
    collect_at: str
    overdue: bool
    def __init__(self, dossier_code: _Optional[str] = ..., procedure_code: _Optional[str] = ..., agency_code: _Optional[str] = ..., status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., status_code: _Optional[int] = ..., status_label_vi: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., previous_status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., procedure_name: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., result_delivery: _Optional[_Union[_dossier_service_pb2.ResultDelivery, str]] = ..., collect_at: _Optional[str] = ..., overdue: _Optional[bool] = ...) -> None: ...

class DossierReturned(_message.Message):
    __slots__ = ("dossier_code", "procedure_code", "agency_code", "status", "status_code", "status_label_vi", "occurred_at", "contact_ref", "previous_status", "procedure_name", "actor", "result_delivery")
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    RESULT_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    dossier_code: str
    procedure_code: str
    agency_code: str
    status: _dossier_service_pb2.DossierStatus
    status_code: int
    status_label_vi: str
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    previous_status: _dossier_service_pb2.DossierStatus
    procedure_name: str
    actor: _common_pb2.Actor
    result_delivery: _dossier_service_pb2.ResultDelivery
    def __init__(self, dossier_code: _Optional[str] = ..., procedure_code: _Optional[str] = ..., agency_code: _Optional[str] = ..., status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., status_code: _Optional[int] = ..., status_label_vi: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., previous_status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., procedure_name: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., result_delivery: _Optional[_Union[_dossier_service_pb2.ResultDelivery, str]] = ...) -> None: ...

class DossierWithdrawn(_message.Message):
    __slots__ = ("dossier_code", "procedure_code", "agency_code", "status", "status_code", "status_label_vi", "occurred_at", "contact_ref", "previous_status", "procedure_name", "actor", "reason")
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    dossier_code: str
    procedure_code: str
    agency_code: str
    status: _dossier_service_pb2.DossierStatus
    status_code: int
    status_label_vi: str
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    previous_status: _dossier_service_pb2.DossierStatus
    procedure_name: str
    actor: _common_pb2.Actor
    reason: str
    def __init__(self, dossier_code: _Optional[str] = ..., procedure_code: _Optional[str] = ..., agency_code: _Optional[str] = ..., status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., status_code: _Optional[int] = ..., status_label_vi: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., previous_status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., procedure_name: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class DossierLinkedCreated(_message.Message):
    __slots__ = ("dossier_code", "procedure_code", "agency_code", "status", "status_code", "status_label_vi", "occurred_at", "contact_ref", "procedure_name", "parent_code", "parent_procedure_code", "root_code")
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_NAME_FIELD_NUMBER: _ClassVar[int]
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    PARENT_PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    ROOT_CODE_FIELD_NUMBER: _ClassVar[int]
    dossier_code: str
    procedure_code: str
    agency_code: str
    status: _dossier_service_pb2.DossierStatus
    status_code: int
    status_label_vi: str
    occurred_at: _timestamp_pb2.Timestamp
    contact_ref: str
    procedure_name: str
    parent_code: str
    parent_procedure_code: str
    root_code: str
    def __init__(self, dossier_code: _Optional[str] = ..., procedure_code: _Optional[str] = ..., agency_code: _Optional[str] = ..., status: _Optional[_Union[_dossier_service_pb2.DossierStatus, str]] = ..., status_code: _Optional[int] = ..., status_label_vi: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., contact_ref: _Optional[str] = ..., procedure_name: _Optional[str] = ..., parent_code: _Optional[str] = ..., parent_procedure_code: _Optional[str] = ..., root_code: _Optional[str] = ...) -> None: ...
