import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from motcua.notification.v1 import notification_service_pb2 as _notification_service_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NotificationSent(_message.Message):
    __slots__ = ("notification_id", "template_code", "channel", "provider", "provider_message_id", "attempt", "dossier_code", "booking_id", "source_event_id", "occurred_at")
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    notification_id: str
    template_code: str
    channel: _notification_service_pb2.NotificationChannel
    provider: str
    provider_message_id: str
    attempt: int
    dossier_code: str
    booking_id: str
    source_event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    def __init__(self, notification_id: _Optional[str] = ..., template_code: _Optional[str] = ..., channel: _Optional[_Union[_notification_service_pb2.NotificationChannel, str]] = ..., provider: _Optional[str] = ..., provider_message_id: _Optional[str] = ..., attempt: _Optional[int] = ..., dossier_code: _Optional[str] = ..., booking_id: _Optional[str] = ..., source_event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class NotificationDelivered(_message.Message):
    __slots__ = ("notification_id", "template_code", "channel", "provider", "provider_message_id", "dossier_code", "booking_id", "source_event_id", "occurred_at")
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    notification_id: str
    template_code: str
    channel: _notification_service_pb2.NotificationChannel
    provider: str
    provider_message_id: str
    dossier_code: str
    booking_id: str
    source_event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    def __init__(self, notification_id: _Optional[str] = ..., template_code: _Optional[str] = ..., channel: _Optional[_Union[_notification_service_pb2.NotificationChannel, str]] = ..., provider: _Optional[str] = ..., provider_message_id: _Optional[str] = ..., dossier_code: _Optional[str] = ..., booking_id: _Optional[str] = ..., source_event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class NotificationFailed(_message.Message):
    __slots__ = ("notification_id", "template_code", "channel", "provider", "attempts", "dossier_code", "booking_id", "source_event_id", "occurred_at", "error_code", "reason")
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    notification_id: str
    template_code: str
    channel: _notification_service_pb2.NotificationChannel
    provider: str
    attempts: int
    dossier_code: str
    booking_id: str
    source_event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    error_code: str
    reason: str
    def __init__(self, notification_id: _Optional[str] = ..., template_code: _Optional[str] = ..., channel: _Optional[_Union[_notification_service_pb2.NotificationChannel, str]] = ..., provider: _Optional[str] = ..., attempts: _Optional[int] = ..., dossier_code: _Optional[str] = ..., booking_id: _Optional[str] = ..., source_event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error_code: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
