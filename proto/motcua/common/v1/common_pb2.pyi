import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ActorRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTOR_ROLE_UNSPECIFIED: _ClassVar[ActorRole]
    ACTOR_ROLE_OFFICER: _ClassVar[ActorRole]
    ACTOR_ROLE_VOLUNTEER: _ClassVar[ActorRole]
    ACTOR_ROLE_CITIZEN: _ClassVar[ActorRole]
    ACTOR_ROLE_SYSTEM: _ClassVar[ActorRole]
    ACTOR_ROLE_AGENCY: _ClassVar[ActorRole]

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_WEB: _ClassVar[Channel]
    CHANNEL_ZALO: _ClassVar[Channel]
    CHANNEL_SMS: _ClassVar[Channel]
    CHANNEL_KIOSK: _ClassVar[Channel]
    CHANNEL_MOBILE_BUS: _ClassVar[Channel]
    CHANNEL_HOME_VISIT: _ClassVar[Channel]
    CHANNEL_VOLUNTEER: _ClassVar[Channel]
    CHANNEL_COUNTER: _ClassVar[Channel]
    CHANNEL_REMOTE: _ClassVar[Channel]
ACTOR_ROLE_UNSPECIFIED: ActorRole
ACTOR_ROLE_OFFICER: ActorRole
ACTOR_ROLE_VOLUNTEER: ActorRole
ACTOR_ROLE_CITIZEN: ActorRole
ACTOR_ROLE_SYSTEM: ActorRole
ACTOR_ROLE_AGENCY: ActorRole
CHANNEL_UNSPECIFIED: Channel
CHANNEL_WEB: Channel
CHANNEL_ZALO: Channel
CHANNEL_SMS: Channel
CHANNEL_KIOSK: Channel
CHANNEL_MOBILE_BUS: Channel
CHANNEL_HOME_VISIT: Channel
CHANNEL_VOLUNTEER: Channel
CHANNEL_COUNTER: Channel
CHANNEL_REMOTE: Channel

class LocalDate(_message.Message):
    __slots__ = ("year", "month", "day")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    year: int
    month: int
    day: int
    def __init__(self, year: _Optional[int] = ..., month: _Optional[int] = ..., day: _Optional[int] = ...) -> None: ...

class LocalTime(_message.Message):
    __slots__ = ("hour", "minute")
    HOUR_FIELD_NUMBER: _ClassVar[int]
    MINUTE_FIELD_NUMBER: _ClassVar[int]
    hour: int
    minute: int
    def __init__(self, hour: _Optional[int] = ..., minute: _Optional[int] = ...) -> None: ...

class Money(_message.Message):
    __slots__ = ("amount_vnd",)
    AMOUNT_VND_FIELD_NUMBER: _ClassVar[int]
    amount_vnd: int
    def __init__(self, amount_vnd: _Optional[int] = ...) -> None: ...

class PageRequest(_message.Message):
    __slots__ = ("page", "page_size")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    page: int
    page_size: int
    def __init__(self, page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class PageInfo(_message.Message):
    __slots__ = ("total", "page", "page_size")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    total: int
    page: int
    page_size: int
    def __init__(self, total: _Optional[int] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class Actor(_message.Message):
    __slots__ = ("id", "role", "display_name")
    ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    role: ActorRole
    display_name: str
    def __init__(self, id: _Optional[str] = ..., role: _Optional[_Union[ActorRole, str]] = ..., display_name: _Optional[str] = ...) -> None: ...

class Address(_message.Message):
    __slots__ = ("street", "ward_code", "ward_name", "district_name", "province_code", "province_name")
    STREET_FIELD_NUMBER: _ClassVar[int]
    WARD_CODE_FIELD_NUMBER: _ClassVar[int]
    WARD_NAME_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_NAME_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_CODE_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_NAME_FIELD_NUMBER: _ClassVar[int]
    street: str
    ward_code: str
    ward_name: str
    district_name: str
    province_code: str
    province_name: str
    def __init__(self, street: _Optional[str] = ..., ward_code: _Optional[str] = ..., ward_name: _Optional[str] = ..., district_name: _Optional[str] = ..., province_code: _Optional[str] = ..., province_name: _Optional[str] = ...) -> None: ...

class Consent(_message.Message):
    __slots__ = ("purpose", "given_at", "text_version")
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    GIVEN_AT_FIELD_NUMBER: _ClassVar[int]
    TEXT_VERSION_FIELD_NUMBER: _ClassVar[int]
    purpose: str
    given_at: _timestamp_pb2.Timestamp
    text_version: str
    def __init__(self, purpose: _Optional[str] = ..., given_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., text_version: _Optional[str] = ...) -> None: ...

class ContactDetails(_message.Message):
    __slots__ = ("contact_ref", "full_name", "phone", "email", "zalo_user_id")
    CONTACT_REF_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ZALO_USER_ID_FIELD_NUMBER: _ClassVar[int]
    contact_ref: str
    full_name: str
    phone: str
    email: str
    zalo_user_id: str
    def __init__(self, contact_ref: _Optional[str] = ..., full_name: _Optional[str] = ..., phone: _Optional[str] = ..., email: _Optional[str] = ..., zalo_user_id: _Optional[str] = ...) -> None: ...
