import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from motcua.catalogue.v1 import catalogue_service_pb2 as _catalogue_service_pb2
from motcua.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProcedurePublished(_message.Message):
    __slots__ = ("procedure_code", "version", "name", "field_code", "agency_code", "level", "online_level", "occurred_at", "actor")
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FIELD_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    ONLINE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    procedure_code: str
    version: int
    name: str
    field_code: str
    agency_code: str
    level: _catalogue_service_pb2.GovernmentLevel
    online_level: _catalogue_service_pb2.OnlineLevel
    occurred_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, procedure_code: _Optional[str] = ..., version: _Optional[int] = ..., name: _Optional[str] = ..., field_code: _Optional[str] = ..., agency_code: _Optional[str] = ..., level: _Optional[_Union[_catalogue_service_pb2.GovernmentLevel, str]] = ..., online_level: _Optional[_Union[_catalogue_service_pb2.OnlineLevel, str]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class ProcedureUpdated(_message.Message):
    __slots__ = ("procedure_code", "version", "name", "field_code", "agency_code", "level", "online_level", "occurred_at", "actor", "previous_version", "changed_fields")
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FIELD_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    ONLINE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    procedure_code: str
    version: int
    name: str
    field_code: str
    agency_code: str
    level: _catalogue_service_pb2.GovernmentLevel
    online_level: _catalogue_service_pb2.OnlineLevel
    occurred_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    previous_version: int
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, procedure_code: _Optional[str] = ..., version: _Optional[int] = ..., name: _Optional[str] = ..., field_code: _Optional[str] = ..., agency_code: _Optional[str] = ..., level: _Optional[_Union[_catalogue_service_pb2.GovernmentLevel, str]] = ..., online_level: _Optional[_Union[_catalogue_service_pb2.OnlineLevel, str]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., previous_version: _Optional[int] = ..., changed_fields: _Optional[_Iterable[str]] = ...) -> None: ...

class ProcedureWithdrawn(_message.Message):
    __slots__ = ("procedure_code", "version", "name", "agency_code", "occurred_at", "actor", "reason", "replaced_by_code")
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REPLACED_BY_CODE_FIELD_NUMBER: _ClassVar[int]
    procedure_code: str
    version: int
    name: str
    agency_code: str
    occurred_at: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    reason: str
    replaced_by_code: str
    def __init__(self, procedure_code: _Optional[str] = ..., version: _Optional[int] = ..., name: _Optional[str] = ..., agency_code: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ..., replaced_by_code: _Optional[str] = ...) -> None: ...
