"""motcua.notification.v1.NotificationService: proto <-> use cases, nothing else."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from motcua.common.v1 import common_pb2
from motcua.notification.v1 import notification_service_pb2 as pb
from motcua.notification.v1 import notification_service_pb2_grpc as pb_grpc
from motcua_notification.domain import templates as tpl
from motcua_notification.outbound_events import CHANNEL
from motcua_notification.service import NotificationService, Page, mask_email, mask_phone
from motcua_notification.subject_data import SubjectDataRpcs
from motcua_platform.errors import InvalidArgument
from motcua_platform.grpc_server import item_outcome

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["NotificationService"].full_name
#: Items of one RecordProviderReceipts call.
MAX_RECEIPTS = 128

_STATUS = {"queued": pb.DELIVERY_STATUS_QUEUED, "sent": pb.DELIVERY_STATUS_SENT, "delivered": pb.DELIVERY_STATUS_DELIVERED,
           "failed": pb.DELIVERY_STATUS_FAILED, "suppressed": pb.DELIVERY_STATUS_SUPPRESSED}
_ATTEMPT_STATUS = {"sent": pb.DELIVERY_STATUS_SENT, "temporary-failure": pb.DELIVERY_STATUS_QUEUED,
                   "permanent-failure": pb.DELIVERY_STATUS_FAILED, "technical-failure": pb.DELIVERY_STATUS_FAILED}
_CHANNEL_NAMES = {pb.NOTIFICATION_CHANNEL_ZALO: "zalo", pb.NOTIFICATION_CHANNEL_SMS: "sms",
                  pb.NOTIFICATION_CHANNEL_EMAIL: "email"}
_CHANNEL_VALUES = {v: k for k, v in _CHANNEL_NAMES.items()}
_WEBHOOK_STATUS = {"pending": pb.WEBHOOK_DELIVERY_STATUS_PENDING, "delivered": pb.WEBHOOK_DELIVERY_STATUS_DELIVERED,
                   "failed": pb.WEBHOOK_DELIVERY_STATUS_FAILED, "dropped": pb.WEBHOOK_DELIVERY_STATUS_FAILED}
_WEBHOOK_FILTER = {pb.WEBHOOK_DELIVERY_STATUS_PENDING: "pending", pb.WEBHOOK_DELIVERY_STATUS_DELIVERED: "delivered",
                   pb.WEBHOOK_DELIVERY_STATUS_FAILED: "failed"}
_INTERACTIONS = {pb.ZALO_INTERACTION_FOLLOW: "follow", pb.ZALO_INTERACTION_UNFOLLOW: "unfollow",
                 pb.ZALO_INTERACTION_MESSAGE: "message"}


def ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def _time(value: common_pb2.LocalTime, present: bool) -> time | None:
    return time(value.hour, value.minute) if present else None


def notification_pb(item: dict[str, Any], *, unmasked: bool = False) -> pb.Notification:
    deliveries = item["deliveries"]
    latest = max(deliveries, key=lambda d: d["updated_at"]) if deliveries else None
    attempts: list[pb.DeliveryAttempt] = []
    for d in deliveries:
        for a in d["attempt_rows"]:
            attempts.append(pb.DeliveryAttempt(
                attempt=a["attempt"], channel=CHANNEL.get(a["channel"], 0), provider=a["provider"],
                provider_message_id=a["provider_message_id"], status=_ATTEMPT_STATUS.get(a["status"], 0),
                error_code=a["error_code"], retryable=a["retryable"], at=ts(a["at"]), status_detail=a["status"]))
    attempts.sort(key=lambda a: a.at.ToDatetime())
    phone, email = item.get("phone") or "", item.get("email") or ""
    return pb.Notification(
        id=str(item["id"]), template_code=item["template_code"], status=_STATUS.get(item["status"], 0),
        channel=CHANNEL.get(latest["channel"], 0) if latest else 0,
        recipient=pb.Recipient(phone=phone if unmasked else mask_phone(phone), email=email if unmasked else mask_email(email)),
        dossier_code=item["dossier_code"], booking_id=item["booking_id"], source_event_id=item["source_event_id"],
        attempts=attempts, created_at=ts(item["created_at"]), updated_at=ts(item["updated_at"]),
        status_detail="suppressed" if item["status"] == "suppressed" else (latest["status"] if latest else "created"),
        reason=item.get("reason") or "",
        deliveries=[pb.ChannelDelivery(
            channel=CHANNEL.get(d["channel"], 0), route=d["channel"], status_detail=d["status"], provider=d["provider"],
            provider_message_id=d["provider_message_id"] or "", attempts=d["attempts"], error_code=d["last_error_code"],
            updated_at=ts(d["updated_at"])) for d in deliveries],
    )


def preferences_pb(row: dict[str, Any]) -> pb.Preferences:
    message = pb.Preferences(
        phone=row["phone"], channels=[_CHANNEL_VALUES[c] for c in row["channels"]],
        opted_out=[_CHANNEL_VALUES[c] for c in row["opted_out"]], opt_out_all=row["opt_out_all"],
        updated_at=ts(row["updated_at"]))
    if row["quiet_start"] is not None and row["quiet_end"] is not None:
        message.quiet_hours.start.CopyFrom(common_pb2.LocalTime(hour=row["quiet_start"].hour, minute=row["quiet_start"].minute))
        message.quiet_hours.end.CopyFrom(common_pb2.LocalTime(hour=row["quiet_end"].hour, minute=row["quiet_end"].minute))
    if row["consent_given_at"] is not None:
        message.consent.CopyFrom(common_pb2.Consent(purpose=row["consent_purpose"], given_at=ts(row["consent_given_at"]),
                                                    text_version=row["consent_text_version"]))
    return message


def template_pb(template: tpl.Template, created_at: datetime | None) -> pb.Template:
    available = sorted(tpl.CATALOG[template.code].param_names) if template.code in tpl.CATALOG else []
    return pb.Template(code=template.code, channel=template.channel, version=template.version, subject=template.subject,
                       body=template.body, body_html=template.body_html, zns_template_id=template.zns_template_id,
                       zns_params=dict(template.zns_params), parameters=list(template.parameters),
                       available_parameters=available, created_at=ts(created_at), created_by=template.created_by)


def _suppression_pb(row: Any) -> pb.EmailSuppression:
    return pb.EmailSuppression(email=row["address"], reason=row["reason"], status_code=row["status_code"],
                               diagnostic=row["diagnostic"], since=ts(row["updated_at"]))


def subscription_pb(row: Any) -> pb.Subscription:
    return pb.Subscription(id=str(row["id"]), agency_id=row["agency_id"], url=row["url"], event_types=list(row["event_types"]),
                           procedure_codes=list(row["procedure_codes"]), has_secret=bool(row["secret_ciphertext"]),
                           active=row["active"], created_at=ts(row["created_at"]),
                           consecutive_failures=row["consecutive_failures"], disabled_reason=row["disabled_reason"])


def _page(request_page: common_pb2.PageRequest) -> Page:
    return Page.of(request_page.page, request_page.page_size)


def _page_info(page: Page, total: int) -> common_pb2.PageInfo:
    return common_pb2.PageInfo(total=total, page=page.page, page_size=page.size)


class NotificationServicer(SubjectDataRpcs, pb_grpc.NotificationServiceServicer):
    def __init__(self, service: NotificationService) -> None:
        self._svc = service

    async def SendMessage(self, request: pb.SendMessageRequest, context: grpc.aio.ServicerContext) -> pb.Notification:
        nid = await self._svc.send_message(
            idempotency_key=request.idempotency_key, phone=request.recipient.phone, email=request.recipient.email,
            zalo_user_id=request.recipient.zalo_user_id,
            channel_preference=[_CHANNEL_NAMES[c] for c in request.channel_preference if c in _CHANNEL_NAMES],
            template_code=request.template_code, params=dict(request.params), dossier_code=request.dossier_code,
            booking_id=request.booking_id, urgent=request.urgent)
        return notification_pb(await self._svc.notification(str(nid)), unmasked=True)

    async def SendChannelReply(self, request: pb.SendChannelReplyRequest, context: grpc.aio.ServicerContext) -> pb.Notification:
        nid = await self._svc.send_reply(idempotency_key=request.idempotency_key, zalo_user_id=request.zalo_user_id,
                                         phone=request.phone, text=request.text,
                                         request_user_info_title=request.request_user_info_title)
        return notification_pb(await self._svc.notification(str(nid)), unmasked=True)

    async def GetDeliveryStatus(self, request: pb.GetDeliveryStatusRequest, context: grpc.aio.ServicerContext) -> pb.Notification:
        return notification_pb(await self._svc.notification(request.notification_id))

    async def ListNotifications(self, request: pb.ListNotificationsRequest,
                                context: grpc.aio.ServicerContext) -> pb.ListNotificationsResponse:
        which = request.WhichOneof("filter")
        if which is None or not getattr(request, which):
            raise InvalidArgument("FILTER_REQUIRED", "phone or dossier_code is required",
                                  "Cần số điện thoại hoặc mã hồ sơ để tra cứu thông báo.")
        page = _page(request.page)
        items, total = await self._svc.notifications(phone=request.phone, dossier_code=request.dossier_code, page=page)
        return pb.ListNotificationsResponse(items=[notification_pb(i) for i in items], page_info=_page_info(page, total))

    async def SetPreferences(self, request: pb.SetPreferencesRequest, context: grpc.aio.ServicerContext) -> pb.Preferences:
        p = request.preferences
        has_quiet = p.HasField("quiet_hours")
        consent = p.consent if p.HasField("consent") else None
        row = await self._svc.set_preferences(
            phone=p.phone, channels=[_CHANNEL_NAMES[c] for c in p.channels if c in _CHANNEL_NAMES],
            opted_out=[_CHANNEL_NAMES[c] for c in p.opted_out if c in _CHANNEL_NAMES], opt_out_all=p.opt_out_all,
            quiet_start=_time(p.quiet_hours.start, has_quiet), quiet_end=_time(p.quiet_hours.end, has_quiet),
            consent_purpose=consent.purpose if consent else "",
            consent_given_at=(consent.given_at.ToDatetime(tzinfo=UTC) if consent.HasField("given_at") else datetime.now(UTC))
            if consent else None,
            consent_text_version=consent.text_version if consent else "")
        return preferences_pb(row)

    async def GetPreferences(self, request: pb.GetPreferencesRequest, context: grpc.aio.ServicerContext) -> pb.Preferences:
        return preferences_pb(await self._svc.get_preferences(phone=request.phone))

    async def PreviewTemplate(self, request: pb.PreviewTemplateRequest,
                              context: grpc.aio.ServicerContext) -> pb.PreviewTemplateResponse:
        route = {pb.NOTIFICATION_CHANNEL_ZALO: "zalo_cs", pb.NOTIFICATION_CHANNEL_SMS: "sms",
                 pb.NOTIFICATION_CHANNEL_EMAIL: "email"}.get(request.channel, "zalo_cs")
        rendered, segments = await self._svc.preview(code=request.template_code, route=route, params=dict(request.params))
        return pb.PreviewTemplateResponse(subject=rendered.subject, body=rendered.body, missing_params=list(rendered.missing),
                                          sms_segments=segments)

    async def CreateSubscription(self, request: pb.CreateSubscriptionRequest,
                                 context: grpc.aio.ServicerContext) -> pb.Subscription:
        row = await self._svc.create_subscription(agency_id=request.agency_id, url=request.url,
                                                  event_types=list(request.event_types),
                                                  procedure_codes=list(request.procedure_codes), secret=request.secret)
        return subscription_pb(row)

    async def ListSubscriptions(self, request: pb.ListSubscriptionsRequest,
                                context: grpc.aio.ServicerContext) -> pb.ListSubscriptionsResponse:
        page = _page(request.page)
        rows, total = await self._svc.list_subscriptions(agency_id=request.agency_id, page=page)
        return pb.ListSubscriptionsResponse(items=[subscription_pb(r) for r in rows], page_info=_page_info(page, total))

    async def DeleteSubscription(self, request: pb.DeleteSubscriptionRequest,
                                 context: grpc.aio.ServicerContext) -> pb.DeleteSubscriptionResponse:
        deleted = await self._svc.delete_subscription(subscription_id=request.subscription_id, agency_id=request.agency_id)
        return pb.DeleteSubscriptionResponse(deleted=deleted)

    async def ReenableSubscription(self, request: pb.ReenableSubscriptionRequest,
                                   context: grpc.aio.ServicerContext) -> pb.Subscription:
        row = await self._svc.reenable_subscription(subscription_id=request.subscription_id, agency_id=request.agency_id)
        return subscription_pb(row)

    async def GetEmailSuppression(self, request: pb.GetEmailSuppressionRequest,
                                  context: grpc.aio.ServicerContext) -> pb.EmailSuppression:
        return _suppression_pb(await self._svc.email_suppression(email=request.email))

    async def LiftEmailSuppression(self, request: pb.LiftEmailSuppressionRequest,
                                   context: grpc.aio.ServicerContext) -> pb.EmailSuppression:
        return _suppression_pb(await self._svc.lift_email_suppression(email=request.email, actor=request.actor,
                                                                      reason=request.reason))

    async def ListSubscriptionDeliveries(self, request: pb.ListSubscriptionDeliveriesRequest,
                                         context: grpc.aio.ServicerContext) -> pb.ListSubscriptionDeliveriesResponse:
        page = _page(request.page)
        _, rows, total = await self._svc.subscription_deliveries(
            subscription_id=request.subscription_id, status=_WEBHOOK_FILTER.get(request.status, ""), page=page)
        return pb.ListSubscriptionDeliveriesResponse(items=[pb.SubscriptionDelivery(
            id=str(r["id"]), subscription_id=str(r["subscription_id"]), event_id=r["event_id"], event_type=r["event_type"],
            status=_WEBHOOK_STATUS.get(r["status"], 0), attempts=r["attempts"], last_http_status=r["last_http_status"],
            last_error=r["last_error"], next_attempt_at=ts(r["next_attempt_at"]) if r["status"] == "pending" else None,
            delivered_at=ts(r["delivered_at"])) for r in rows], page_info=_page_info(page, total))

    async def RecordProviderReceipt(self, request: pb.RecordProviderReceiptRequest,
                                    context: grpc.aio.ServicerContext) -> pb.RecordProviderReceiptResponse:
        status = {pb.DELIVERY_STATUS_DELIVERED: "delivered", pb.DELIVERY_STATUS_FAILED: "failed",
                  pb.DELIVERY_STATUS_SENT: "sent"}.get(request.status)
        if status is None:
            raise InvalidArgument("RECEIPT_STATUS_INVALID", "status must be SENT, DELIVERED or FAILED",
                                  "Trạng thái biên nhận không hợp lệ.")
        matched, nid = await self._svc.record_receipt(
            provider=request.provider, provider_message_id=request.provider_message_id, tracking_id=request.tracking_id,
            status=status, error_code=request.error_code,
            occurred_at=request.occurred_at.ToDatetime(tzinfo=UTC) if request.HasField("occurred_at") else None)
        return pb.RecordProviderReceiptResponse(matched=matched, notification_id=nid)

    async def RecordProviderReceipts(self, request: pb.RecordProviderReceiptsRequest,
                                     context: grpc.aio.ServicerContext) -> pb.RecordProviderReceiptsResponse:
        """Each item as RecordProviderReceipt, side by side (so they share one transaction), in its own context."""
        if len(request.items) > MAX_RECEIPTS:
            raise InvalidArgument("RECEIPTS_TOO_MANY", f"at most {MAX_RECEIPTS} receipts per call",
                                  f"Tối đa {MAX_RECEIPTS} biên nhận trong một lần gửi.")
        outcomes = await asyncio.gather(*(self._receipt_item(item, context) for item in request.items))
        return pb.RecordProviderReceiptsResponse(outcomes=outcomes)

    async def _receipt_item(self, item: pb.RecordProviderReceiptsItem, context: grpc.aio.ServicerContext
                            ) -> pb.RecordProviderReceiptOutcome:
        response, error = await item_outcome(
            item.context, "motcua.notification.v1.NotificationService/RecordProviderReceipts.item",
            lambda: self.RecordProviderReceipt(item.request, context))
        return pb.RecordProviderReceiptOutcome(response=response) if response is not None \
            else pb.RecordProviderReceiptOutcome(error_status=error)

    async def SaveTemplate(self, request: pb.SaveTemplateRequest, context: grpc.aio.ServicerContext) -> pb.Template:
        t = request.template
        saved, at = await self._svc.save_template(tpl.Template(
            code=t.code, channel=t.channel, body=t.body, parameters=tuple(t.parameters), subject=t.subject,
            body_html=t.body_html, zns_template_id=t.zns_template_id, zns_params=dict(t.zns_params),
            created_by=request.actor_id or "unknown"))
        return template_pb(saved, at)

    async def ListTemplates(self, request: pb.ListTemplatesRequest, context: grpc.aio.ServicerContext) -> pb.ListTemplatesResponse:
        return pb.ListTemplatesResponse(items=[template_pb(t, at) for t, at in await self._svc.list_templates(code=request.code)])

    async def RecordZaloInteraction(self, request: pb.RecordZaloInteractionRequest,
                                    context: grpc.aio.ServicerContext) -> pb.RecordZaloInteractionResponse:
        at = request.occurred_at.ToDatetime(tzinfo=UTC) if request.HasField("occurred_at") else datetime.now(UTC)
        row = await self._svc.record_zalo_interaction(zalo_user_id=request.zalo_user_id,
                                                      interaction=_INTERACTIONS.get(request.interaction, ""), at=at)
        reply = pb.RecordZaloInteractionResponse()
        if row["followed"] and row["last_interaction_at"] is not None:
            window = self._svc.settings.zalo.cs_window_hours
            reply.reply_window_ends_at.CopyFrom(ts(row["last_interaction_at"] + timedelta(hours=window)))
        return reply
