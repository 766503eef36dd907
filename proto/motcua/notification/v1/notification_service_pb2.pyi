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

class NotificationChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTIFICATION_CHANNEL_UNSPECIFIED: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_ZALO: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_SMS: _ClassVar[NotificationChannel]
    NOTIFICATION_CHANNEL_EMAIL: _ClassVar[NotificationChannel]

class DeliveryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATUS_UNSPECIFIED: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_QUEUED: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_SENT: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_DELIVERED: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_FAILED: _ClassVar[DeliveryStatus]
    DELIVERY_STATUS_SUPPRESSED: _ClassVar[DeliveryStatus]

class WebhookDeliveryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEBHOOK_DELIVERY_STATUS_UNSPECIFIED: _ClassVar[WebhookDeliveryStatus]
    WEBHOOK_DELIVERY_STATUS_PENDING: _ClassVar[WebhookDeliveryStatus]
    WEBHOOK_DELIVERY_STATUS_DELIVERED: _ClassVar[WebhookDeliveryStatus]
    WEBHOOK_DELIVERY_STATUS_FAILED: _ClassVar[WebhookDeliveryStatus]

class ZaloInteraction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ZALO_INTERACTION_UNSPECIFIED: _ClassVar[ZaloInteraction]
    ZALO_INTERACTION_FOLLOW: _ClassVar[ZaloInteraction]
    ZALO_INTERACTION_UNFOLLOW: _ClassVar[ZaloInteraction]
    ZALO_INTERACTION_MESSAGE: _ClassVar[ZaloInteraction]
NOTIFICATION_CHANNEL_UNSPECIFIED: NotificationChannel
NOTIFICATION_CHANNEL_ZALO: NotificationChannel
NOTIFICATION_CHANNEL_SMS: NotificationChannel
NOTIFICATION_CHANNEL_EMAIL: NotificationChannel
DELIVERY_STATUS_UNSPECIFIED: DeliveryStatus
DELIVERY_STATUS_QUEUED: DeliveryStatus
DELIVERY_STATUS_SENT: DeliveryStatus
DELIVERY_STATUS_DELIVERED: DeliveryStatus
DELIVERY_STATUS_FAILED: DeliveryStatus
DELIVERY_STATUS_SUPPRESSED: DeliveryStatus
WEBHOOK_DELIVERY_STATUS_UNSPECIFIED: WebhookDeliveryStatus
WEBHOOK_DELIVERY_STATUS_PENDING: WebhookDeliveryStatus
WEBHOOK_DELIVERY_STATUS_DELIVERED: WebhookDeliveryStatus
WEBHOOK_DELIVERY_STATUS_FAILED: WebhookDeliveryStatus
ZALO_INTERACTION_UNSPECIFIED: ZaloInteraction
ZALO_INTERACTION_FOLLOW: ZaloInteraction
ZALO_INTERACTION_UNFOLLOW: ZaloInteraction
ZALO_INTERACTION_MESSAGE: ZaloInteraction

class Recipient(_message.Message):
    __slots__ = ("phone", "email", "zalo_user_id")
    PHONE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ZALO_USER_ID_FIELD_NUMBER: _ClassVar[int]
    phone: str
    email: str
    zalo_user_id: str
    def __init__(self, phone: _Optional[str] = ..., email: _Optional[str] = ..., zalo_user_id: _Optional[str] = ...) -> None: ...

class DeliveryAttempt(_message.Message):
    __slots__ = ("attempt", "channel", "provider", "provider_message_id", "status", "error_code", "retryable", "at", "status_detail")
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_DETAIL_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    channel: NotificationChannel
    provider: str
    provider_message_id: str
    status: DeliveryStatus
    error_code: str
    retryable: bool
    at: _timestamp_pb2.Timestamp
    status_detail: str
    def __init__(self, attempt: _Optional[int] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., provider: _Optional[str] = ..., provider_message_id: _Optional[str] = ..., status: _Optional[_Union[DeliveryStatus, str]] = ..., error_code: _Optional[str] = ..., retryable: _Optional[bool] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_detail: _Optional[str] = ...) -> None: ...

class Notification(_message.Message):
    __slots__ = ("id", "template_code", "status", "channel", "recipient", "dossier_code", "booking_id", "source_event_id", "attempts", "created_at", "updated_at", "status_detail", "reason", "deliveries")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_DETAIL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    id: str
    template_code: str
    status: DeliveryStatus
    channel: NotificationChannel
    recipient: Recipient
    dossier_code: str
    booking_id: str
    source_event_id: str
    attempts: _containers.RepeatedCompositeFieldContainer[DeliveryAttempt]
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    status_detail: str
    reason: str
    deliveries: _containers.RepeatedCompositeFieldContainer[ChannelDelivery]
    def __init__(self, id: _Optional[str] = ..., template_code: _Optional[str] = ..., status: _Optional[_Union[DeliveryStatus, str]] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., recipient: _Optional[_Union[Recipient, _Mapping]] = ..., dossier_code: _Optional[str] = ..., booking_id: _Optional[str] = ..., source_event_id: _Optional[str] = ..., attempts: _Optional[_Iterable[_Union[DeliveryAttempt, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_detail: _Optional[str] = ..., reason: _Optional[str] = ..., deliveries: _Optional[_Iterable[_Union[ChannelDelivery, _Mapping]]] = ...) -> None: ...

class ChannelDelivery(_message.Message):
    __slots__ = ("channel", "route", "status_detail", "provider", "provider_message_id", "attempts", "error_code", "updated_at")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    ROUTE_FIELD_NUMBER: _ClassVar[int]
    STATUS_DETAIL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    channel: NotificationChannel
    route: str
    status_detail: str
    provider: str
    provider_message_id: str
    attempts: int
    error_code: str
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, channel: _Optional[_Union[NotificationChannel, str]] = ..., route: _Optional[str] = ..., status_detail: _Optional[str] = ..., provider: _Optional[str] = ..., provider_message_id: _Optional[str] = ..., attempts: _Optional[int] = ..., error_code: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SendMessageRequest(_message.Message):
    __slots__ = ("idempotency_key", "recipient", "channel_preference", "template_code", "params", "dossier_code", "booking_id", "urgent")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_PREFERENCE_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    URGENT_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    recipient: Recipient
    channel_preference: _containers.RepeatedScalarFieldContainer[NotificationChannel]
    template_code: str
    params: _containers.ScalarMap[str, str]
    dossier_code: str
    booking_id: str
    urgent: bool
    def __init__(self, idempotency_key: _Optional[str] = ..., recipient: _Optional[_Union[Recipient, _Mapping]] = ..., channel_preference: _Optional[_Iterable[_Union[NotificationChannel, str]]] = ..., template_code: _Optional[str] = ..., params: _Optional[_Mapping[str, str]] = ..., dossier_code: _Optional[str] = ..., booking_id: _Optional[str] = ..., urgent: _Optional[bool] = ...) -> None: ...

class GetDeliveryStatusRequest(_message.Message):
    __slots__ = ("notification_id",)
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    notification_id: str
    def __init__(self, notification_id: _Optional[str] = ...) -> None: ...

class ListNotificationsRequest(_message.Message):
    __slots__ = ("phone", "dossier_code", "page")
    PHONE_FIELD_NUMBER: _ClassVar[int]
    DOSSIER_CODE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    phone: str
    dossier_code: str
    page: _common_pb2.PageRequest
    def __init__(self, phone: _Optional[str] = ..., dossier_code: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListNotificationsResponse(_message.Message):
    __slots__ = ("items", "page_info")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_INFO_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Notification]
    page_info: _common_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[Notification, _Mapping]]] = ..., page_info: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class QuietHours(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: _common_pb2.LocalTime
    end: _common_pb2.LocalTime
    def __init__(self, start: _Optional[_Union[_common_pb2.LocalTime, _Mapping]] = ..., end: _Optional[_Union[_common_pb2.LocalTime, _Mapping]] = ...) -> None: ...

class Preferences(_message.Message):
    __slots__ = ("phone", "channels", "opted_out", "opt_out_all", "quiet_hours", "updated_at", "consent")
    PHONE_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    OPTED_OUT_FIELD_NUMBER: _ClassVar[int]
    OPT_OUT_ALL_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    phone: str
    channels: _containers.RepeatedScalarFieldContainer[NotificationChannel]
    opted_out: _containers.RepeatedScalarFieldContainer[NotificationChannel]
    opt_out_all: bool
    quiet_hours: QuietHours
    updated_at: _timestamp_pb2.Timestamp
    consent: _common_pb2.Consent
    def __init__(self, phone: _Optional[str] = ..., channels: _Optional[_Iterable[_Union[NotificationChannel, str]]] = ..., opted_out: _Optional[_Iterable[_Union[NotificationChannel, str]]] = ..., opt_out_all: _Optional[bool] = ..., quiet_hours: _Optional[_Union[QuietHours, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., consent: _Optional[_Union[_common_pb2.Consent, _Mapping]] = ...) -> None: ...

class SetPreferencesRequest(_message.Message):
    __slots__ = ("preferences",)
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    preferences: Preferences
    def __init__(self, preferences: _Optional[_Union[Preferences, _Mapping]] = ...) -> None: ...

class GetPreferencesRequest(_message.Message):
    __slots__ = ("phone",)
    PHONE_FIELD_NUMBER: _ClassVar[int]
    phone: str
    def __init__(self, phone: _Optional[str] = ...) -> None: ...

class PreviewTemplateRequest(_message.Message):
    __slots__ = ("template_code", "channel", "params")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TEMPLATE_CODE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    template_code: str
    channel: NotificationChannel
    params: _containers.ScalarMap[str, str]
    def __init__(self, template_code: _Optional[str] = ..., channel: _Optional[_Union[NotificationChannel, str]] = ..., params: _Optional[_Mapping[str, str]] = ...) -> None: ...

class PreviewTemplateResponse(_message.Message):
    __slots__ = ("subject", "body", "missing_params", "sms_segments")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    MISSING_PARAMS_FIELD_NUMBER: _ClassVar[int]
    SMS_SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    subject: str
    body: str
    missing_params: _containers.RepeatedScalarFieldContainer[str]
    sms_segments: int
    def __init__(self, subject: _Optional[str] = ..., body: _Optional[str] = ..., missing_params: _Optional[_Iterable[str]] = ..., sms_segments: _Optional[int] = ...) -> None: ...

class Subscription(_message.Message):
    __slots__ = ("id", "agency_id", "url", "event_types", "procedure_codes", "has_secret", "active", "created_at", "consecutive_failures", "disabled_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODES_FIELD_NUMBER: _ClassVar[int]
    HAS_SECRET_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CONSECUTIVE_FAILURES_FIELD_NUMBER: _ClassVar[int]
    DISABLED_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    agency_id: str
    url: str
    event_types: _containers.RepeatedScalarFieldContainer[str]
    procedure_codes: _containers.RepeatedScalarFieldContainer[str]
    has_secret: bool
    active: bool
    created_at: _timestamp_pb2.Timestamp
    consecutive_failures: int
    disabled_reason: str
    def __init__(self, id: _Optional[str] = ..., agency_id: _Optional[str] = ..., url: _Optional[str] = ..., event_types: _Optional[_Iterable[str]] = ..., procedure_codes: _Optional[_Iterable[str]] = ..., has_secret: _Optional[bool] = ..., active: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., consecutive_failures: _Optional[int] = ..., disabled_reason: _Optional[str] = ...) -> None: ...

class CreateSubscriptionRequest(_message.Message):
    __slots__ = ("agency_id", "url", "event_types", "procedure_codes", "secret")
    AGENCY_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    PROCEDURE_CODES_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    agency_id: str
    url: str
    event_types: _containers.RepeatedScalarFieldContainer[str]
    procedure_codes: _containers.RepeatedScalarFieldContainer[str]
    secret: str
    def __init__(self, agency_id: _Optional[str] = ..., url: _Optional[str] = ..., event_types: _Optional[_Iterable[str]] = ..., procedure_codes: _Optional[_Iterable[str]] = ..., secret: _Optional[str] = ...) -> None: ...

class ListSubscriptionsRequest(_message.Message):
    __slots__ = ("agency_id", "page")
    AGENCY_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    agency_id: str
    page: _common_pb2.PageRequest
    def __init__(self, agency_id: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListSubscriptionsResponse(_message.Message):
    __slots__ = ("items", "page_info")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_INFO_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Subscription]
    page_info: _common_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[Subscription, _Mapping]]] = ..., page_info: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class DeleteSubscriptionRequest(_message.Message):
    __slots__ = ("subscription_id", "agency_id")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    agency_id: str
    def __init__(self, subscription_id: _Optional[str] = ..., agency_id: _Optional[str] = ...) -> None: ...

class DeleteSubscriptionResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: bool
    def __init__(self, deleted: _Optional[bool] = ...) -> None: ...

class SubscriptionDelivery(_message.Message):
    __slots__ = ("id", "subscription_id", "event_id", "event_type", "status", "attempts", "last_http_status", "last_error", "next_attempt_at", "delivered_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    subscription_id: str
    event_id: str
    event_type: str
    status: WebhookDeliveryStatus
    attempts: int
    last_http_status: int
    last_error: str
    next_attempt_at: _timestamp_pb2.Timestamp
    delivered_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., subscription_id: _Optional[str] = ..., event_id: _Optional[str] = ..., event_type: _Optional[str] = ..., status: _Optional[_Union[WebhookDeliveryStatus, str]] = ..., attempts: _Optional[int] = ..., last_http_status: _Optional[int] = ..., last_error: _Optional[str] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListSubscriptionDeliveriesRequest(_message.Message):
    __slots__ = ("subscription_id", "status", "page")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    status: WebhookDeliveryStatus
    page: _common_pb2.PageRequest
    def __init__(self, subscription_id: _Optional[str] = ..., status: _Optional[_Union[WebhookDeliveryStatus, str]] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListSubscriptionDeliveriesResponse(_message.Message):
    __slots__ = ("items", "page_info")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    PAGE_INFO_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[SubscriptionDelivery]
    page_info: _common_pb2.PageInfo
    def __init__(self, items: _Optional[_Iterable[_Union[SubscriptionDelivery, _Mapping]]] = ..., page_info: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class RecordProviderReceiptRequest(_message.Message):
    __slots__ = ("provider", "provider_message_id", "status", "error_code", "occurred_at", "tracking_id")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    TRACKING_ID_FIELD_NUMBER: _ClassVar[int]
    provider: str
    provider_message_id: str
    status: DeliveryStatus
    error_code: str
    occurred_at: _timestamp_pb2.Timestamp
    tracking_id: str
    def __init__(self, provider: _Optional[str] = ..., provider_message_id: _Optional[str] = ..., status: _Optional[_Union[DeliveryStatus, str]] = ..., error_code: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tracking_id: _Optional[str] = ...) -> None: ...

class RecordProviderReceiptResponse(_message.Message):
    __slots__ = ("matched", "notification_id")
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    matched: bool
    notification_id: str
    def __init__(self, matched: _Optional[bool] = ..., notification_id: _Optional[str] = ...) -> None: ...

class RecordProviderReceiptsItem(_message.Message):
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
    request: RecordProviderReceiptRequest
    context: _containers.ScalarMap[str, str]
    def __init__(self, request: _Optional[_Union[RecordProviderReceiptRequest, _Mapping]] = ..., context: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RecordProviderReceiptsRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[RecordProviderReceiptsItem]
    def __init__(self, items: _Optional[_Iterable[_Union[RecordProviderReceiptsItem, _Mapping]]] = ...) -> None: ...

class RecordProviderReceiptOutcome(_message.Message):
    __slots__ = ("response", "error_status")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_STATUS_FIELD_NUMBER: _ClassVar[int]
    response: RecordProviderReceiptResponse
    error_status: bytes
    def __init__(self, response: _Optional[_Union[RecordProviderReceiptResponse, _Mapping]] = ..., error_status: _Optional[bytes] = ...) -> None: ...

class RecordProviderReceiptsResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[RecordProviderReceiptOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[RecordProviderReceiptOutcome, _Mapping]]] = ...) -> None: ...

class Template(_message.Message):
    __slots__ = ("code", "channel", "version", "subject", "body", "body_html", "zns_template_id", "zns_params", "parameters", "available_parameters", "created_at", "created_by")
    class ZnsParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    BODY_HTML_FIELD_NUMBER: _ClassVar[int]
    ZNS_TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    ZNS_PARAMS_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    code: str
    channel: str
    version: int
    subject: str
    body: str
    body_html: str
    zns_template_id: str
    zns_params: _containers.ScalarMap[str, str]
    parameters: _containers.RepeatedScalarFieldContainer[str]
    available_parameters: _containers.RepeatedScalarFieldContainer[str]
    created_at: _timestamp_pb2.Timestamp
    created_by: str
    def __init__(self, code: _Optional[str] = ..., channel: _Optional[str] = ..., version: _Optional[int] = ..., subject: _Optional[str] = ..., body: _Optional[str] = ..., body_html: _Optional[str] = ..., zns_template_id: _Optional[str] = ..., zns_params: _Optional[_Mapping[str, str]] = ..., parameters: _Optional[_Iterable[str]] = ..., available_parameters: _Optional[_Iterable[str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ...) -> None: ...

class SaveTemplateRequest(_message.Message):
    __slots__ = ("template", "actor_id")
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    template: Template
    actor_id: str
    def __init__(self, template: _Optional[_Union[Template, _Mapping]] = ..., actor_id: _Optional[str] = ...) -> None: ...

class ListTemplatesRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class ListTemplatesResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Template]
    def __init__(self, items: _Optional[_Iterable[_Union[Template, _Mapping]]] = ...) -> None: ...

class RecordZaloInteractionRequest(_message.Message):
    __slots__ = ("zalo_user_id", "interaction", "occurred_at")
    ZALO_USER_ID_FIELD_NUMBER: _ClassVar[int]
    INTERACTION_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    zalo_user_id: str
    interaction: ZaloInteraction
    occurred_at: _timestamp_pb2.Timestamp
    def __init__(self, zalo_user_id: _Optional[str] = ..., interaction: _Optional[_Union[ZaloInteraction, str]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordZaloInteractionResponse(_message.Message):
    __slots__ = ("reply_window_ends_at",)
    REPLY_WINDOW_ENDS_AT_FIELD_NUMBER: _ClassVar[int]
    reply_window_ends_at: _timestamp_pb2.Timestamp
    def __init__(self, reply_window_ends_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SendChannelReplyRequest(_message.Message):
    __slots__ = ("idempotency_key", "zalo_user_id", "phone", "text", "request_user_info_title")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    ZALO_USER_ID_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_USER_INFO_TITLE_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    zalo_user_id: str
    phone: str
    text: str
    request_user_info_title: str
    def __init__(self, idempotency_key: _Optional[str] = ..., zalo_user_id: _Optional[str] = ..., phone: _Optional[str] = ..., text: _Optional[str] = ..., request_user_info_title: _Optional[str] = ...) -> None: ...

class ReenableSubscriptionRequest(_message.Message):
    __slots__ = ("subscription_id", "agency_id")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    AGENCY_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    agency_id: str
    def __init__(self, subscription_id: _Optional[str] = ..., agency_id: _Optional[str] = ...) -> None: ...

class GetEmailSuppressionRequest(_message.Message):
    __slots__ = ("email",)
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    email: str
    def __init__(self, email: _Optional[str] = ...) -> None: ...

class EmailSuppression(_message.Message):
    __slots__ = ("email", "reason", "status_code", "diagnostic", "since")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTIC_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    email: str
    reason: str
    status_code: str
    diagnostic: str
    since: _timestamp_pb2.Timestamp
    def __init__(self, email: _Optional[str] = ..., reason: _Optional[str] = ..., status_code: _Optional[str] = ..., diagnostic: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LiftEmailSuppressionRequest(_message.Message):
    __slots__ = ("email", "actor", "reason")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    email: str
    actor: str
    reason: str
    def __init__(self, email: _Optional[str] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
