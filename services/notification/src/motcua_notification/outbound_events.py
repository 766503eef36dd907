"""The events this service publishes (through its outbox): notification sent, delivered, failed."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from motcua.events.v1 import notification_events_pb2 as ne
from motcua.notification.v1 import notification_service_pb2 as pb
from motcua_platform.cloudevents import data_from_message
from motcua_platform.outbox import OutboxEvent

TOPIC = "motcua.notification.events.v1"
SOURCE = "/motcua/notification"
WEBHOOK_DLT = "motcua.agency-subscriber.dlt"
CHANNEL = {"zalo_cs": pb.NOTIFICATION_CHANNEL_ZALO, "zns": pb.NOTIFICATION_CHANNEL_ZALO,
           "sms": pb.NOTIFICATION_CHANNEL_SMS, "email": pb.NOTIFICATION_CHANNEL_EMAIL}


def _ts(at: datetime | None = None) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime((at or datetime.now(UTC)).astimezone(UTC))
    return ts


def _event(kind: str, notification_id: str, message: object) -> OutboxEvent:
    return OutboxEvent(topic=TOPIC, key=notification_id, type=f"motcua.notification.v1.{kind}", source=SOURCE,
                       subject=notification_id, data=data_from_message(message))  # type: ignore[arg-type]


def sent(*, notification_id: str, template_code: str, route: str, provider: str, provider_message_id: str, attempt: int,
         dossier_code: str, booking_id: str, source_event_id: str) -> OutboxEvent:
    return _event("sent", notification_id, ne.NotificationSent(
        notification_id=notification_id, template_code=template_code, channel=CHANNEL.get(route, 0), provider=provider,
        provider_message_id=provider_message_id, attempt=attempt, dossier_code=dossier_code, booking_id=booking_id,
        source_event_id=source_event_id, occurred_at=_ts()))


def delivered(*, notification_id: str, template_code: str, route: str, provider: str, provider_message_id: str,
              dossier_code: str, booking_id: str, source_event_id: str, at: datetime) -> OutboxEvent:
    return _event("delivered", notification_id, ne.NotificationDelivered(
        notification_id=notification_id, template_code=template_code, channel=CHANNEL.get(route, 0), provider=provider,
        provider_message_id=provider_message_id, dossier_code=dossier_code, booking_id=booking_id,
        source_event_id=source_event_id, occurred_at=_ts(at)))


def failed(*, notification_id: str, template_code: str, route: str, provider: str, attempts: int, dossier_code: str,
           booking_id: str, source_event_id: str, error_code: str, reason: str) -> OutboxEvent:
    return _event("failed", notification_id, ne.NotificationFailed(
        notification_id=notification_id, template_code=template_code, channel=CHANNEL.get(route, 0), provider=provider,
        attempts=attempts, dossier_code=dossier_code, booking_id=booking_id, source_event_id=source_event_id,
        occurred_at=_ts(), error_code=error_code, reason=reason[:500]))


def webhook_dead_letter(*, delivery_id: str, subscription_id: str, event_type: str, body: bytes) -> OutboxEvent:
    """A webhook delivery that exhausted its retries, parked with the CloudEvent it carried."""
    return OutboxEvent(topic=WEBHOOK_DLT, key=subscription_id, type=event_type, source=f"{SOURCE}/webhooks",
                       subject=subscription_id, data=body, id=delivery_id)
