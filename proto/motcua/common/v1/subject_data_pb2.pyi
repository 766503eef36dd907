from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DataSubject(_message.Message):
    __slots__ = ("phone", "id_number", "linked_phones", "linked_emails", "linked_zalo_user_ids")
    PHONE_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    LINKED_PHONES_FIELD_NUMBER: _ClassVar[int]
    LINKED_EMAILS_FIELD_NUMBER: _ClassVar[int]
    LINKED_ZALO_USER_IDS_FIELD_NUMBER: _ClassVar[int]
    phone: str
    id_number: str
    linked_phones: _containers.RepeatedScalarFieldContainer[str]
    linked_emails: _containers.RepeatedScalarFieldContainer[str]
    linked_zalo_user_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, phone: _Optional[str] = ..., id_number: _Optional[str] = ..., linked_phones: _Optional[_Iterable[str]] = ..., linked_emails: _Optional[_Iterable[str]] = ..., linked_zalo_user_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ExportSubjectDataRequest(_message.Message):
    __slots__ = ("subject",)
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    subject: DataSubject
    def __init__(self, subject: _Optional[_Union[DataSubject, _Mapping]] = ...) -> None: ...

class ExportSubjectDataResponse(_message.Message):
    __slots__ = ("service", "data_json", "counts", "linked")
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    LINKED_FIELD_NUMBER: _ClassVar[int]
    service: str
    data_json: str
    counts: _containers.ScalarMap[str, int]
    linked: DataSubject
    def __init__(self, service: _Optional[str] = ..., data_json: _Optional[str] = ..., counts: _Optional[_Mapping[str, int]] = ..., linked: _Optional[_Union[DataSubject, _Mapping]] = ...) -> None: ...

class EraseSubjectDataRequest(_message.Message):
    __slots__ = ("subject", "request_id", "actor", "reason")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    subject: DataSubject
    request_id: str
    actor: str
    reason: str
    def __init__(self, subject: _Optional[_Union[DataSubject, _Mapping]] = ..., request_id: _Optional[str] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class EraseSubjectDataResponse(_message.Message):
    __slots__ = ("service", "counts", "replayed")
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    service: str
    counts: _containers.ScalarMap[str, int]
    replayed: bool
    def __init__(self, service: _Optional[str] = ..., counts: _Optional[_Mapping[str, int]] = ..., replayed: _Optional[bool] = ...) -> None: ...
