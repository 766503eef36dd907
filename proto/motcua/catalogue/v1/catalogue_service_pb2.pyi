import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from motcua.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProcedureStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROCEDURE_STATUS_UNSPECIFIED: _ClassVar[ProcedureStatus]
    PROCEDURE_STATUS_DRAFT: _ClassVar[ProcedureStatus]
    PROCEDURE_STATUS_PUBLISHED: _ClassVar[ProcedureStatus]
    PROCEDURE_STATUS_WITHDRAWN: _ClassVar[ProcedureStatus]

class GovernmentLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GOVERNMENT_LEVEL_UNSPECIFIED: _ClassVar[GovernmentLevel]
    GOVERNMENT_LEVEL_PROVINCE: _ClassVar[GovernmentLevel]
    GOVERNMENT_LEVEL_DISTRICT_HISTORICAL: _ClassVar[GovernmentLevel]
    GOVERNMENT_LEVEL_COMMUNE: _ClassVar[GovernmentLevel]

class OnlineLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ONLINE_LEVEL_UNSPECIFIED: _ClassVar[OnlineLevel]
    ONLINE_LEVEL_FULL: _ClassVar[OnlineLevel]
    ONLINE_LEVEL_PARTIAL: _ClassVar[OnlineLevel]

class DeliveryChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_CHANNEL_UNSPECIFIED: _ClassVar[DeliveryChannel]
    DELIVERY_CHANNEL_IN_PERSON: _ClassVar[DeliveryChannel]
    DELIVERY_CHANNEL_POST: _ClassVar[DeliveryChannel]
    DELIVERY_CHANNEL_ONLINE: _ClassVar[DeliveryChannel]

class ImportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IMPORT_FORMAT_UNSPECIFIED: _ClassVar[ImportFormat]
    IMPORT_FORMAT_JSON: _ClassVar[ImportFormat]
    IMPORT_FORMAT_CSV: _ClassVar[ImportFormat]
PROCEDURE_STATUS_UNSPECIFIED: ProcedureStatus
PROCEDURE_STATUS_DRAFT: ProcedureStatus
PROCEDURE_STATUS_PUBLISHED: ProcedureStatus
PROCEDURE_STATUS_WITHDRAWN: ProcedureStatus
GOVERNMENT_LEVEL_UNSPECIFIED: GovernmentLevel
GOVERNMENT_LEVEL_PROVINCE: GovernmentLevel
GOVERNMENT_LEVEL_DISTRICT_HISTORICAL: GovernmentLevel
GOVERNMENT_LEVEL_COMMUNE: GovernmentLevel
ONLINE_LEVEL_UNSPECIFIED: OnlineLevel
ONLINE_LEVEL_FULL: OnlineLevel
ONLINE_LEVEL_PARTIAL: OnlineLevel
DELIVERY_CHANNEL_UNSPECIFIED: DeliveryChannel
DELIVERY_CHANNEL_IN_PERSON: DeliveryChannel
DELIVERY_CHANNEL_POST: DeliveryChannel
DELIVERY_CHANNEL_ONLINE: DeliveryChannel
IMPORT_FORMAT_UNSPECIFIED: ImportFormat
IMPORT_FORMAT_JSON: ImportFormat
IMPORT_FORMAT_CSV: ImportFormat

class Field(_message.Message):
    __slots__ = ("code", "name")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class Agency(_message.Message):
    __slots__ = ("code", "name")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class ProcessingTime(_message.Message):
    __slots__ = ("working_days", "description", "channel")
    WORKING_DAYS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    working_days: int
    description: str
    channel: DeliveryChannel
    def __init__(self, working_days: _Optional[int] = ..., description: _Optional[str] = ..., channel: _Optional[_Union[DeliveryChannel, str]] = ...) -> None: ...

class Fee(_message.Message):
    __slots__ = ("name", "amount", "effective_from", "effective_to", "note")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_TO_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    name: str
    amount: _common_pb2.Money
    effective_from: _common_pb2.LocalDate
    effective_to: _common_pb2.LocalDate
    note: str
    def __init__(self, name: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., effective_from: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., effective_to: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class RequiredDocument(_message.Message):
    __slots__ = ("name", "originals", "copies", "required", "form_template_ref", "note")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ORIGINALS_FIELD_NUMBER: _ClassVar[int]
    COPIES_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    FORM_TEMPLATE_REF_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    name: str
    originals: int
    copies: int
    required: bool
    form_template_ref: str
    note: str
    def __init__(self, name: _Optional[str] = ..., originals: _Optional[int] = ..., copies: _Optional[int] = ..., required: _Optional[bool] = ..., form_template_ref: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class Procedure(_message.Message):
    __slots__ = ("code", "version", "status", "name", "field", "level", "agency", "online_level", "legacy_level_label", "processing_times", "fees", "required_documents", "submission_channels", "result_channels", "legal_basis", "keywords", "synonyms", "created_at", "updated_at", "published_at", "withdrawn_at", "withdrawal_reason", "replaced_by_code")
    CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    ONLINE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    LEGACY_LEVEL_LABEL_FIELD_NUMBER: _ClassVar[int]
    PROCESSING_TIMES_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_CHANNELS_FIELD_NUMBER: _ClassVar[int]
    RESULT_CHANNELS_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    KEYWORDS_FIELD_NUMBER: _ClassVar[int]
    SYNONYMS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWN_AT_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWAL_REASON_FIELD_NUMBER: _ClassVar[int]
    REPLACED_BY_CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    version: int
    status: ProcedureStatus
    name: str
    field: Field
    level: GovernmentLevel
    agency: Agency
    online_level: OnlineLevel
    legacy_level_label: str
    processing_times: _containers.RepeatedCompositeFieldContainer[ProcessingTime]
    fees: _containers.RepeatedCompositeFieldContainer[Fee]
    required_documents: _containers.RepeatedCompositeFieldContainer[RequiredDocument]
    submission_channels: _containers.RepeatedScalarFieldContainer[DeliveryChannel]
    result_channels: _containers.RepeatedScalarFieldContainer[DeliveryChannel]
    legal_basis: _containers.RepeatedScalarFieldContainer[str]
    keywords: _containers.RepeatedScalarFieldContainer[str]
    synonyms: _containers.RepeatedScalarFieldContainer[str]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    published_at: _timestamp_pb2.Timestamp
    withdrawn_at: _timestamp_pb2.Timestamp
    withdrawal_reason: str
    replaced_by_code: str
    def __init__(self, code: _Optional[str] = ..., version: _Optional[int] = ..., status: _Optional[_Union[ProcedureStatus, str]] = ..., name: _Optional[str] = ..., field: _Optional[_Union[Field, _Mapping]] = ..., level: _Optional[_Union[GovernmentLevel, str]] = ..., agency: _Optional[_Union[Agency, _Mapping]] = ..., online_level: _Optional[_Union[OnlineLevel, str]] = ..., legacy_level_label: _Optional[str] = ..., processing_times: _Optional[_Iterable[_Union[ProcessingTime, _Mapping]]] = ..., fees: _Optional[_Iterable[_Union[Fee, _Mapping]]] = ..., required_documents: _Optional[_Iterable[_Union[RequiredDocument, _Mapping]]] = ..., submission_channels: _Optional[_Iterable[_Union[DeliveryChannel, str]]] = ..., result_channels: _Optional[_Iterable[_Union[DeliveryChannel, str]]] = ..., legal_basis: _Optional[_Iterable[str]] = ..., keywords: _Optional[_Iterable[str]] = ..., synonyms: _Optional[_Iterable[str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., withdrawn_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., withdrawal_reason: _Optional[str] = ..., replaced_by_code: _Optional[str] = ...) -> None: ...

class ProcedureSummary(_message.Message):
    __slots__ = ("code", "version", "name", "field", "level", "agency", "online_level", "legacy_level_label", "min_working_days", "score")
    CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    ONLINE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    LEGACY_LEVEL_LABEL_FIELD_NUMBER: _ClassVar[int]
    MIN_WORKING_DAYS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    code: str
    version: int
    name: str
    field: Field
    level: GovernmentLevel
    agency: Agency
    online_level: OnlineLevel
    legacy_level_label: str
    min_working_days: int
    score: float
    def __init__(self, code: _Optional[str] = ..., version: _Optional[int] = ..., name: _Optional[str] = ..., field: _Optional[_Union[Field, _Mapping]] = ..., level: _Optional[_Union[GovernmentLevel, str]] = ..., agency: _Optional[_Union[Agency, _Mapping]] = ..., online_level: _Optional[_Union[OnlineLevel, str]] = ..., legacy_level_label: _Optional[str] = ..., min_working_days: _Optional[int] = ..., score: _Optional[float] = ...) -> None: ...

class SearchProceduresRequest(_message.Message):
    __slots__ = ("query", "level", "field_code", "agency_code", "online_level", "page")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    FIELD_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    ONLINE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    query: str
    level: GovernmentLevel
    field_code: str
    agency_code: str
    online_level: OnlineLevel
    page: _common_pb2.PageRequest
    def __init__(self, query: _Optional[str] = ..., level: _Optional[_Union[GovernmentLevel, str]] = ..., field_code: _Optional[str] = ..., agency_code: _Optional[str] = ..., online_level: _Optional[_Union[OnlineLevel, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class SearchProceduresResponse(_message.Message):
    __slots__ = ("items", "page_info")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_INFO_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ProcedureSummary]
    page_info: _common_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[ProcedureSummary, _Mapping]]] = ..., page_info: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class GetProcedureRequest(_message.Message):
    __slots__ = ("code", "version")
    CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    code: str
    version: int
    def __init__(self, code: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class ListFieldsRequest(_message.Message):
    __slots__ = ("level",)
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    level: GovernmentLevel
    def __init__(self, level: _Optional[_Union[GovernmentLevel, str]] = ...) -> None: ...

class FieldCount(_message.Message):
    __slots__ = ("field", "procedure_count")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    field: Field
    procedure_count: int
    def __init__(self, field: _Optional[_Union[Field, _Mapping]] = ..., procedure_count: _Optional[int] = ...) -> None: ...

class ListFieldsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[FieldCount]
    def __init__(self, items: _Optional[_Iterable[_Union[FieldCount, _Mapping]]] = ...) -> None: ...

class ListAgenciesRequest(_message.Message):
    __slots__ = ("level",)
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    level: GovernmentLevel
    def __init__(self, level: _Optional[_Union[GovernmentLevel, str]] = ...) -> None: ...

class AgencyCount(_message.Message):
    __slots__ = ("agency", "procedure_count")
    AGENCY_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    agency: Agency
    procedure_count: int
    def __init__(self, agency: _Optional[_Union[Agency, _Mapping]] = ..., procedure_count: _Optional[int] = ...) -> None: ...

class ListAgenciesResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[AgencyCount]
    def __init__(self, items: _Optional[_Iterable[_Union[AgencyCount, _Mapping]]] = ...) -> None: ...

class UpsertProcedureDraftRequest(_message.Message):
    __slots__ = ("procedure", "actor")
    PROCEDURE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    procedure: Procedure
    actor: _common_pb2.Actor
    def __init__(self, procedure: _Optional[_Union[Procedure, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class PublishProcedureRequest(_message.Message):
    __slots__ = ("code", "version", "actor")
    CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    code: str
    version: int
    actor: _common_pb2.Actor
    def __init__(self, code: _Optional[str] = ..., version: _Optional[int] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class WithdrawProcedureRequest(_message.Message):
    __slots__ = ("code", "reason", "replaced_by_code", "actor")
    CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REPLACED_BY_CODE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    code: str
    reason: str
    replaced_by_code: str
    actor: _common_pb2.Actor
    def __init__(self, code: _Optional[str] = ..., reason: _Optional[str] = ..., replaced_by_code: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class ImportProceduresRequest(_message.Message):
    __slots__ = ("format", "content", "dry_run", "publish", "actor")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    format: ImportFormat
    content: bytes
    dry_run: bool
    publish: bool
    actor: _common_pb2.Actor
    def __init__(self, format: _Optional[_Union[ImportFormat, str]] = ..., content: _Optional[bytes] = ..., dry_run: _Optional[bool] = ..., publish: _Optional[bool] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class ImportError(_message.Message):
    __slots__ = ("line", "field", "reason", "procedure_code")
    LINE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    line: int
    field: str
    reason: str
    procedure_code: str
    def __init__(self, line: _Optional[int] = ..., field: _Optional[str] = ..., reason: _Optional[str] = ..., procedure_code: _Optional[str] = ...) -> None: ...

class ImportProceduresResponse(_message.Message):
    __slots__ = ("created", "updated", "unchanged", "errors", "published")
    CREATED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    created: int
    updated: int
    unchanged: int
    errors: _containers.RepeatedCompositeFieldContainer[ImportError]
    published: int
    def __init__(self, created: _Optional[int] = ..., updated: _Optional[int] = ..., unchanged: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[ImportError, _Mapping]]] = ..., published: _Optional[int] = ...) -> None: ...
