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

class DossierStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOSSIER_STATUS_UNSPECIFIED: _ClassVar[DossierStatus]
    DOSSIER_STATUS_NEW: _ClassVar[DossierStatus]
    DOSSIER_STATUS_RECEIVED: _ClassVar[DossierStatus]
    DOSSIER_STATUS_NOT_ACCEPTED: _ClassVar[DossierStatus]
    DOSSIER_STATUS_PROCESSING: _ClassVar[DossierStatus]
    DOSSIER_STATUS_SUPPLEMENT_REQUESTED: _ClassVar[DossierStatus]
    DOSSIER_STATUS_FINANCIAL_OBLIGATION: _ClassVar[DossierStatus]
    DOSSIER_STATUS_WITHDRAWAL_REQUESTED: _ClassVar[DossierStatus]
    DOSSIER_STATUS_SUSPENDED: _ClassVar[DossierStatus]
    DOSSIER_STATUS_PROCESSED: _ClassVar[DossierStatus]
    DOSSIER_STATUS_RESULT_RETURNED: _ClassVar[DossierStatus]

class ResultDelivery(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESULT_DELIVERY_UNSPECIFIED: _ClassVar[ResultDelivery]
    RESULT_DELIVERY_COUNTER: _ClassVar[ResultDelivery]
    RESULT_DELIVERY_POST: _ClassVar[ResultDelivery]
    RESULT_DELIVERY_ONLINE: _ClassVar[ResultDelivery]

class DaySession(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DAY_SESSION_UNSPECIFIED: _ClassVar[DaySession]
    DAY_SESSION_MORNING: _ClassVar[DaySession]
    DAY_SESSION_AFTERNOON: _ClassVar[DaySession]

class ReceiptFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECEIPT_FORMAT_UNSPECIFIED: _ClassVar[ReceiptFormat]
    RECEIPT_FORMAT_HTML: _ClassVar[ReceiptFormat]
    RECEIPT_FORMAT_PDF: _ClassVar[ReceiptFormat]

class LinkRelation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LINK_RELATION_UNSPECIFIED: _ClassVar[LinkRelation]
    LINK_RELATION_ROOT: _ClassVar[LinkRelation]
    LINK_RELATION_LINKED: _ClassVar[LinkRelation]

class PublicStatusOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PUBLIC_STATUS_OUTCOME_UNSPECIFIED: _ClassVar[PublicStatusOutcome]
    PUBLIC_STATUS_OUTCOME_FOUND: _ClassVar[PublicStatusOutcome]
    PUBLIC_STATUS_OUTCOME_NOT_FOUND: _ClassVar[PublicStatusOutcome]
    PUBLIC_STATUS_OUTCOME_INVALID_CODE: _ClassVar[PublicStatusOutcome]

class CalendarOverrideKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALENDAR_OVERRIDE_KIND_UNSPECIFIED: _ClassVar[CalendarOverrideKind]
    CALENDAR_OVERRIDE_KIND_DAY_OFF: _ClassVar[CalendarOverrideKind]
    CALENDAR_OVERRIDE_KIND_WORKING_DAY: _ClassVar[CalendarOverrideKind]
DOSSIER_STATUS_UNSPECIFIED: DossierStatus
DOSSIER_STATUS_NEW: DossierStatus
DOSSIER_STATUS_RECEIVED: DossierStatus
DOSSIER_STATUS_NOT_ACCEPTED: DossierStatus
DOSSIER_STATUS_PROCESSING: DossierStatus
DOSSIER_STATUS_SUPPLEMENT_REQUESTED: DossierStatus
DOSSIER_STATUS_FINANCIAL_OBLIGATION: DossierStatus
DOSSIER_STATUS_WITHDRAWAL_REQUESTED: DossierStatus
DOSSIER_STATUS_SUSPENDED: DossierStatus
DOSSIER_STATUS_PROCESSED: DossierStatus
DOSSIER_STATUS_RESULT_RETURNED: DossierStatus
RESULT_DELIVERY_UNSPECIFIED: ResultDelivery
RESULT_DELIVERY_COUNTER: ResultDelivery
RESULT_DELIVERY_POST: ResultDelivery
RESULT_DELIVERY_ONLINE: ResultDelivery
DAY_SESSION_UNSPECIFIED: DaySession
DAY_SESSION_MORNING: DaySession
DAY_SESSION_AFTERNOON: DaySession
RECEIPT_FORMAT_UNSPECIFIED: ReceiptFormat
RECEIPT_FORMAT_HTML: ReceiptFormat
RECEIPT_FORMAT_PDF: ReceiptFormat
LINK_RELATION_UNSPECIFIED: LinkRelation
LINK_RELATION_ROOT: LinkRelation
LINK_RELATION_LINKED: LinkRelation
PUBLIC_STATUS_OUTCOME_UNSPECIFIED: PublicStatusOutcome
PUBLIC_STATUS_OUTCOME_FOUND: PublicStatusOutcome
PUBLIC_STATUS_OUTCOME_NOT_FOUND: PublicStatusOutcome
PUBLIC_STATUS_OUTCOME_INVALID_CODE: PublicStatusOutcome
CALENDAR_OVERRIDE_KIND_UNSPECIFIED: CalendarOverrideKind
CALENDAR_OVERRIDE_KIND_DAY_OFF: CalendarOverrideKind
CALENDAR_OVERRIDE_KIND_WORKING_DAY: CalendarOverrideKind

class Applicant(_message.Message):
    __slots__ = ("full_name", "id_number", "phone", "email", "address", "zalo_user_id")
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ZALO_USER_ID_FIELD_NUMBER: _ClassVar[int]
    full_name: str
    id_number: str
    phone: str
    email: str
    address: _common_pb2.Address
    zalo_user_id: str
    def __init__(self, full_name: _Optional[str] = ..., id_number: _Optional[str] = ..., phone: _Optional[str] = ..., email: _Optional[str] = ..., address: _Optional[_Union[_common_pb2.Address, _Mapping]] = ..., zalo_user_id: _Optional[str] = ...) -> None: ...

class ProvidedDocument(_message.Message):
    __slots__ = ("name", "document_id", "originals", "copies")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGINALS_FIELD_NUMBER: _ClassVar[int]
    COPIES_FIELD_NUMBER: _ClassVar[int]
    name: str
    document_id: str
    originals: int
    copies: int
    def __init__(self, name: _Optional[str] = ..., document_id: _Optional[str] = ..., originals: _Optional[int] = ..., copies: _Optional[int] = ...) -> None: ...

class StatusChange(_message.Message):
    __slots__ = ("from_status", "to_status", "actor", "reason", "at", "label_vi")
    FROM_STATUS_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    from_status: DossierStatus
    to_status: DossierStatus
    actor: _common_pb2.Actor
    reason: str
    at: _timestamp_pb2.Timestamp
    label_vi: str
    def __init__(self, from_status: _Optional[_Union[DossierStatus, str]] = ..., to_status: _Optional[_Union[DossierStatus, str]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., label_vi: _Optional[str] = ...) -> None: ...

class Dossier(_message.Message):
    __slots__ = ("code", "public_token", "version", "procedure_code", "procedure_version", "procedure_name", "agency_code", "agency_name", "status", "status_code", "status_label_vi", "received_at", "due_at", "due_label_vi", "history", "linked_codes", "parent_code", "applicant", "documents", "channel", "assisted_by", "result_delivery", "consent", "contact_ref", "processing_working_days", "collect_at", "updated_at", "due_basis", "next_statuses")
    CODE_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_NAME_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    LINKED_CODES_FIELD_NUMBER: _ClassVar[int]
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    ASSISTED_BY_FIELD_NUMBER: _ClassVar[int]
    RESULT_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    PROCESSING_WORKING_DAYS_FIELD_NUMBER: _ClassVar[int]
    COLLECT_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_BASIS_FIELD_NUMBER: _ClassVar[int]
    NEXT_STATUSES_FIELD_NUMBER: _ClassVar[int]
    code: str
    public_token: str
    version: int
    procedure_code: str
    procedure_version: int
    procedure_name: str
    agency_code: str
    agency_name: str
    status: DossierStatus
    status_code: int
    status_label_vi: str
    received_at: _timestamp_pb2.Timestamp
    due_at: _timestamp_pb2.Timestamp
    due_label_vi: str
    history: _containers.RepeatedCompositeFieldContainer[StatusChange]
    linked_codes: _containers.RepeatedScalarFieldContainer[str]
    parent_code: str
    applicant: Applicant
    documents: _containers.RepeatedCompositeFieldContainer[ProvidedDocument]
    channel: _common_pb2.Channel
    assisted_by: _common_pb2.Actor
    result_delivery: ResultDelivery
    consent: _common_pb2.Consent
    contact_ref: str
    processing_working_days: int
    collect_at: str
    updated_at: _timestamp_pb2.Timestamp
    due_basis: DueDateBasis
    next_statuses: _containers.RepeatedScalarFieldContainer[DossierStatus]
    def __init__(self, code: _Optional[str] = ..., public_token: _Optional[str] = ..., version: _Optional[int] = ..., procedure_code: _Optional[str] = ..., procedure_version: _Optional[int] = ..., procedure_name: _Optional[str] = ..., agency_code: _Optional[str] = ..., agency_name: _Optional[str] = ..., status: _Optional[_Union[DossierStatus, str]] = ..., status_code: _Optional[int] = ..., status_label_vi: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_label_vi: _Optional[str] = ..., history: _Optional[_Iterable[_Union[StatusChange, _Mapping]]] = ..., linked_codes: _Optional[_Iterable[str]] = ..., parent_code: _Optional[str] = ..., applicant: _Optional[_Union[Applicant, _Mapping]] = ..., documents: _Optional[_Iterable[_Union[ProvidedDocument, _Mapping]]] = ..., channel: _Optional[_Union[_common_pb2.Channel, str]] = ..., assisted_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., result_delivery: _Optional[_Union[ResultDelivery, str]] = ..., consent: _Optional[_Union[_common_pb2.Consent, _Mapping]] = ..., contact_ref: _Optional[str] = ..., processing_working_days: _Optional[int] = ..., collect_at: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_basis: _Optional[_Union[DueDateBasis, _Mapping]] = ..., next_statuses: _Optional[_Iterable[_Union[DossierStatus, str]]] = ...) -> None: ...

class DueDateBasis(_message.Message):
    __slots__ = ("received_at", "counted_from", "working_days", "skipped_days", "paused_working_minutes", "make_up_days")
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    COUNTED_FROM_FIELD_NUMBER: _ClassVar[int]
    WORKING_DAYS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_DAYS_FIELD_NUMBER: _ClassVar[int]
    PAUSED_WORKING_MINUTES_FIELD_NUMBER: _ClassVar[int]
    MAKE_UP_DAYS_FIELD_NUMBER: _ClassVar[int]
    received_at: _timestamp_pb2.Timestamp
    counted_from: _timestamp_pb2.Timestamp
    working_days: int
    skipped_days: _containers.RepeatedCompositeFieldContainer[SkippedDay]
    paused_working_minutes: int
    make_up_days: _containers.RepeatedCompositeFieldContainer[SkippedDay]
    def __init__(self, received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., counted_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., working_days: _Optional[int] = ..., skipped_days: _Optional[_Iterable[_Union[SkippedDay, _Mapping]]] = ..., paused_working_minutes: _Optional[int] = ..., make_up_days: _Optional[_Iterable[_Union[SkippedDay, _Mapping]]] = ...) -> None: ...

class ReceiptInfo(_message.Message):
    __slots__ = ("number", "qr_payload", "due_at", "due_label_vi", "collect_at")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    QR_PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    COLLECT_AT_FIELD_NUMBER: _ClassVar[int]
    number: str
    qr_payload: str
    due_at: _timestamp_pb2.Timestamp
    due_label_vi: str
    collect_at: str
    def __init__(self, number: _Optional[str] = ..., qr_payload: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_label_vi: _Optional[str] = ..., collect_at: _Optional[str] = ...) -> None: ...

class SubmitDossierRequest(_message.Message):
    __slots__ = ("idempotency_key", "procedure_code", "procedure_version", "applicant", "documents", "channel", "assisted_by", "result_delivery", "consent", "agency_code", "parent_code", "subject_birth_date", "skip_linked")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_VERSION_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    ASSISTED_BY_FIELD_NUMBER: _ClassVar[int]
    RESULT_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    SKIP_LINKED_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    procedure_code: str
    procedure_version: int
    applicant: Applicant
    documents: _containers.RepeatedCompositeFieldContainer[ProvidedDocument]
    channel: _common_pb2.Channel
    assisted_by: _common_pb2.Actor
    result_delivery: ResultDelivery
    consent: _common_pb2.Consent
    agency_code: str
    parent_code: str
    subject_birth_date: _common_pb2.LocalDate
    skip_linked: bool
    def __init__(self, idempotency_key: _Optional[str] = ..., procedure_code: _Optional[str] = ..., procedure_version: _Optional[int] = ..., applicant: _Optional[_Union[Applicant, _Mapping]] = ..., documents: _Optional[_Iterable[_Union[ProvidedDocument, _Mapping]]] = ..., channel: _Optional[_Union[_common_pb2.Channel, str]] = ..., assisted_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., result_delivery: _Optional[_Union[ResultDelivery, str]] = ..., consent: _Optional[_Union[_common_pb2.Consent, _Mapping]] = ..., agency_code: _Optional[str] = ..., parent_code: _Optional[str] = ..., subject_birth_date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., skip_linked: _Optional[bool] = ...) -> None: ...

class SubmitDossierResponse(_message.Message):
    __slots__ = ("dossier", "receipt", "replayed")
    DOSSIER_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    dossier: Dossier
    receipt: ReceiptInfo
    replayed: bool
    def __init__(self, dossier: _Optional[_Union[Dossier, _Mapping]] = ..., receipt: _Optional[_Union[ReceiptInfo, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class SubmitDossiersItem(_message.Message):
    __slots__ = ("request", "context")
    class ContextEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    request: SubmitDossierRequest
    context: _containers.ScalarMap[str, str]
    def __init__(self, request: _Optional[_Union[SubmitDossierRequest, _Mapping]] = ..., context: _Optional[_Mapping[str, str]] = ...) -> None: ...

class SubmitDossiersRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[SubmitDossiersItem]
    def __init__(self, items: _Optional[_Iterable[_Union[SubmitDossiersItem, _Mapping]]] = ...) -> None: ...

class SubmitDossierOutcome(_message.Message):
    __slots__ = ("response", "error_status")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_STATUS_FIELD_NUMBER: _ClassVar[int]
    response: SubmitDossierResponse
    error_status: bytes
    def __init__(self, response: _Optional[_Union[SubmitDossierResponse, _Mapping]] = ..., error_status: _Optional[bytes] = ...) -> None: ...

class SubmitDossiersResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[SubmitDossierOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[SubmitDossierOutcome, _Mapping]]] = ...) -> None: ...

class GetDossierRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class GetPublicStatusRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class GetPublicStatusesRequest(_message.Message):
    __slots__ = ("codes",)
    CODES_FIELD_NUMBER: _ClassVar[int]
    codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, codes: _Optional[_Iterable[str]] = ...) -> None: ...

class PublicStatusResult(_message.Message):
    __slots__ = ("code", "outcome", "status")
    CODE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    code: str
    outcome: PublicStatusOutcome
    status: PublicStatus
    def __init__(self, code: _Optional[str] = ..., outcome: _Optional[_Union[PublicStatusOutcome, str]] = ..., status: _Optional[_Union[PublicStatus, _Mapping]] = ...) -> None: ...

class GetPublicStatusesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[PublicStatusResult]
    def __init__(self, results: _Optional[_Iterable[_Union[PublicStatusResult, _Mapping]]] = ...) -> None: ...

class PublicStatusChange(_message.Message):
    __slots__ = ("status_code", "label_vi", "at")
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    status_code: int
    label_vi: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, status_code: _Optional[int] = ..., label_vi: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PublicStatus(_message.Message):
    __slots__ = ("code", "status_code", "status", "label_vi", "last_update", "due_at", "due_label_vi", "procedure_name", "agency_name", "history")
    CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    LAST_UPDATE_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_NAME_FIELD_NUMBER: _ClassVar[int]
    AGENCY_NAME_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    code: str
    status_code: int
    status: DossierStatus
    label_vi: str
    last_update: _timestamp_pb2.Timestamp
    due_at: _timestamp_pb2.Timestamp
    due_label_vi: str
    procedure_name: str
    agency_name: str
    history: _containers.RepeatedCompositeFieldContainer[PublicStatusChange]
    def __init__(self, code: _Optional[str] = ..., status_code: _Optional[int] = ..., status: _Optional[_Union[DossierStatus, str]] = ..., label_vi: _Optional[str] = ..., last_update: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_label_vi: _Optional[str] = ..., procedure_name: _Optional[str] = ..., agency_name: _Optional[str] = ..., history: _Optional[_Iterable[_Union[PublicStatusChange, _Mapping]]] = ...) -> None: ...

class GetDossierByTokenRequest(_message.Message):
    __slots__ = ("code", "public_token")
    CODE_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_TOKEN_FIELD_NUMBER: _ClassVar[int]
    code: str
    public_token: str
    def __init__(self, code: _Optional[str] = ..., public_token: _Optional[str] = ...) -> None: ...

class GetDossierForApplicantRequest(_message.Message):
    __slots__ = ("code", "id_number")
    CODE_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    code: str
    id_number: str
    def __init__(self, code: _Optional[str] = ..., id_number: _Optional[str] = ...) -> None: ...

class TransitionDossierRequest(_message.Message):
    __slots__ = ("code", "to_status", "actor", "reason", "expected_version")
    CODE_FIELD_NUMBER: _ClassVar[int]
    TO_STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    code: str
    to_status: DossierStatus
    actor: _common_pb2.Actor
    reason: str
    expected_version: int
    def __init__(self, code: _Optional[str] = ..., to_status: _Optional[_Union[DossierStatus, str]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class GetReceiptRequest(_message.Message):
    __slots__ = ("code", "format", "public_token")
    CODE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_TOKEN_FIELD_NUMBER: _ClassVar[int]
    code: str
    format: ReceiptFormat
    public_token: str
    def __init__(self, code: _Optional[str] = ..., format: _Optional[_Union[ReceiptFormat, str]] = ..., public_token: _Optional[str] = ...) -> None: ...

class GetReceiptResponse(_message.Message):
    __slots__ = ("content", "content_type", "filename")
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    content: bytes
    content_type: str
    filename: str
    def __init__(self, content: _Optional[bytes] = ..., content_type: _Optional[str] = ..., filename: _Optional[str] = ...) -> None: ...

class ComputeDueDateRequest(_message.Message):
    __slots__ = ("received_at", "working_days", "agency_code")
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    WORKING_DAYS_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    received_at: _timestamp_pb2.Timestamp
    working_days: int
    agency_code: str
    def __init__(self, received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., working_days: _Optional[int] = ..., agency_code: _Optional[str] = ...) -> None: ...

class CalendarOverride(_message.Message):
    __slots__ = ("day", "agency_code", "kind", "reason", "decision_ref", "updated_by", "updated_at")
    DAY_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DECISION_REF_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    day: _common_pb2.LocalDate
    agency_code: str
    kind: CalendarOverrideKind
    reason: str
    decision_ref: str
    updated_by: _common_pb2.Actor
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, day: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., agency_code: _Optional[str] = ..., kind: _Optional[_Union[CalendarOverrideKind, str]] = ..., reason: _Optional[str] = ..., decision_ref: _Optional[str] = ..., updated_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListCalendarOverridesRequest(_message.Message):
    __slots__ = ("from_day", "to_day", "agency_code")
    FROM_DAY_FIELD_NUMBER: _ClassVar[int]
    TO_DAY_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    from_day: _common_pb2.LocalDate
    to_day: _common_pb2.LocalDate
    agency_code: str
    def __init__(self, from_day: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., to_day: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., agency_code: _Optional[str] = ...) -> None: ...

class ListCalendarOverridesResponse(_message.Message):
    __slots__ = ("overrides",)
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    overrides: _containers.RepeatedCompositeFieldContainer[CalendarOverride]
    def __init__(self, overrides: _Optional[_Iterable[_Union[CalendarOverride, _Mapping]]] = ...) -> None: ...

class PutCalendarOverrideRequest(_message.Message):
    __slots__ = ("override", "actor")
    OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    override: CalendarOverride
    actor: _common_pb2.Actor
    def __init__(self, override: _Optional[_Union[CalendarOverride, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class DeleteCalendarOverrideRequest(_message.Message):
    __slots__ = ("day", "agency_code", "actor")
    DAY_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    day: _common_pb2.LocalDate
    agency_code: str
    actor: _common_pb2.Actor
    def __init__(self, day: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., agency_code: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class DeleteCalendarOverrideResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SkippedDay(_message.Message):
    __slots__ = ("date", "reason")
    DATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    date: _common_pb2.LocalDate
    reason: str
    def __init__(self, date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class ComputeDueDateResponse(_message.Message):
    __slots__ = ("due_at", "session", "label_vi", "skipped_days", "counted_from", "make_up_days")
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_DAYS_FIELD_NUMBER: _ClassVar[int]
    COUNTED_FROM_FIELD_NUMBER: _ClassVar[int]
    MAKE_UP_DAYS_FIELD_NUMBER: _ClassVar[int]
    due_at: _timestamp_pb2.Timestamp
    session: DaySession
    label_vi: str
    skipped_days: _containers.RepeatedCompositeFieldContainer[SkippedDay]
    counted_from: _timestamp_pb2.Timestamp
    make_up_days: _containers.RepeatedCompositeFieldContainer[SkippedDay]
    def __init__(self, due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., session: _Optional[_Union[DaySession, str]] = ..., label_vi: _Optional[str] = ..., skipped_days: _Optional[_Iterable[_Union[SkippedDay, _Mapping]]] = ..., counted_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., make_up_days: _Optional[_Iterable[_Union[SkippedDay, _Mapping]]] = ...) -> None: ...

class ListDossiersRequest(_message.Message):
    __slots__ = ("statuses", "agency_code", "due_before", "procedure_code", "page")
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    DUE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    statuses: _containers.RepeatedScalarFieldContainer[DossierStatus]
    agency_code: str
    due_before: _timestamp_pb2.Timestamp
    procedure_code: str
    page: _common_pb2.PageRequest
    def __init__(self, statuses: _Optional[_Iterable[_Union[DossierStatus, str]]] = ..., agency_code: _Optional[str] = ..., due_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., procedure_code: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class DossierSummary(_message.Message):
    __slots__ = ("code", "procedure_code", "procedure_name", "agency_code", "status", "status_code", "status_label_vi", "applicant_name", "received_at", "due_at", "channel")
    CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_NAME_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    APPLICANT_NAME_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    code: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    status: DossierStatus
    status_code: int
    status_label_vi: str
    applicant_name: str
    received_at: _timestamp_pb2.Timestamp
    due_at: _timestamp_pb2.Timestamp
    channel: _common_pb2.Channel
    def __init__(self, code: _Optional[str] = ..., procedure_code: _Optional[str] = ..., procedure_name: _Optional[str] = ..., agency_code: _Optional[str] = ..., status: _Optional[_Union[DossierStatus, str]] = ..., status_code: _Optional[int] = ..., status_label_vi: _Optional[str] = ..., applicant_name: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., channel: _Optional[_Union[_common_pb2.Channel, str]] = ...) -> None: ...

class ListDossiersResponse(_message.Message):
    __slots__ = ("items", "page_info")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_INFO_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[DossierSummary]
    page_info: _common_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[DossierSummary, _Mapping]]] = ..., page_info: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class GetJourneyRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class JourneyStep(_message.Message):
    __slots__ = ("code", "procedure_code", "procedure_name", "agency_code", "agency_name", "relation", "parent_code", "status", "status_label_vi", "due_at")
    CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODE_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_NAME_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_NAME_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    PARENT_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_LABEL_VI_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_FIELD_NUMBER: _ClassVar[int]
    code: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    agency_name: str
    relation: LinkRelation
    parent_code: str
    status: DossierStatus
    status_label_vi: str
    due_at: _timestamp_pb2.Timestamp
    def __init__(self, code: _Optional[str] = ..., procedure_code: _Optional[str] = ..., procedure_name: _Optional[str] = ..., agency_code: _Optional[str] = ..., agency_name: _Optional[str] = ..., relation: _Optional[_Union[LinkRelation, str]] = ..., parent_code: _Optional[str] = ..., status: _Optional[_Union[DossierStatus, str]] = ..., status_label_vi: _Optional[str] = ..., due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Journey(_message.Message):
    __slots__ = ("root_code", "steps")
    ROOT_CODE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    root_code: str
    steps: _containers.RepeatedCompositeFieldContainer[JourneyStep]
    def __init__(self, root_code: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[JourneyStep, _Mapping]]] = ...) -> None: ...

class ResolveContactRequest(_message.Message):
    __slots__ = ("contact_ref",)
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    contact_ref: str
    def __init__(self, contact_ref: _Optional[str] = ...) -> None: ...

class ResolveContactsRequest(_message.Message):
    __slots__ = ("contact_refs",)
    CONTACT_REFS_FIELD_NUMBER: _ClassVar[int]
    contact_refs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, contact_refs: _Optional[_Iterable[str]] = ...) -> None: ...

class ResolvedContact(_message.Message):
    __slots__ = ("contact_ref", "found", "contact")
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    FOUND_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    contact_ref: str
    found: bool
    contact: _common_pb2.ContactDetails
    def __init__(self, contact_ref: _Optional[str] = ..., found: _Optional[bool] = ..., contact: _Optional[_Union[_common_pb2.ContactDetails, _Mapping]] = ...) -> None: ...

class ResolveContactsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ResolvedContact]
    def __init__(self, results: _Optional[_Iterable[_Union[ResolvedContact, _Mapping]]] = ...) -> None: ...

class GetDossierFiguresRequest(_message.Message):
    __slots__ = ("from_date", "to_date", "agency_code")
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    AGENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    from_date: _common_pb2.LocalDate
    to_date: _common_pb2.LocalDate
    agency_code: str
    def __init__(self, from_date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., to_date: _Optional[_Union[_common_pb2.LocalDate, _Mapping]] = ..., agency_code: _Optional[str] = ...) -> None: ...

class ChannelCount(_message.Message):
    __slots__ = ("channel", "count")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    channel: _common_pb2.Channel
    count: int
    def __init__(self, channel: _Optional[_Union[_common_pb2.Channel, str]] = ..., count: _Optional[int] = ...) -> None: ...

class DossierFigures(_message.Message):
    __slots__ = ("received", "online", "self_service", "by_channel", "resolved", "resolved_on_time", "overdue_now")
    RECEIVED_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    SELF_SERVICE_FIELD_NUMBER: _ClassVar[int]
    BY_CHANNEL_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_ON_TIME_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_NOW_FIELD_NUMBER: _ClassVar[int]
    received: int
    online: int
    self_service: int
    by_channel: _containers.RepeatedCompositeFieldContainer[ChannelCount]
    resolved: int
    resolved_on_time: int
    overdue_now: int
    def __init__(self, received: _Optional[int] = ..., online: _Optional[int] = ..., self_service: _Optional[int] = ..., by_channel: _Optional[_Iterable[_Union[ChannelCount, _Mapping]]] = ..., resolved: _Optional[int] = ..., resolved_on_time: _Optional[int] = ..., overdue_now: _Optional[int] = ...) -> None: ...
