"""`/api/v1/notifications` (officers) and `/api/v1/notification-templates` (operators): NotificationService over REST.

Officers look up what a citizen was told, by phone number or dossier code, with each
channel's delivery status (GOV.UK Notify vocabulary: created, sending, sent, delivered,
permanent-failure, temporary-failure, technical-failure). Phone numbers and e-mail
addresses come back masked. Operators save new template versions (refused with 422 and
the reasons when a placeholder is not provided by the event) and preview them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from motcua.common.v1 import common_pb2
from motcua.notification.v1 import notification_service_pb2 as pb
from motcua.notification.v1.notification_service_pb2_grpc import NotificationServiceStub
from motcua_gateway.auth import Principal, require_roles
from motcua_platform.errors import InvalidArgument

DEADLINE_SECONDS = 5.0

router = APIRouter(prefix="/api/v1", tags=["notifications"])

_STATUS = {pb.DELIVERY_STATUS_QUEUED: "queued", pb.DELIVERY_STATUS_SENT: "sent", pb.DELIVERY_STATUS_DELIVERED: "delivered",
           pb.DELIVERY_STATUS_FAILED: "failed", pb.DELIVERY_STATUS_SUPPRESSED: "suppressed"}
_CHANNEL = {pb.NOTIFICATION_CHANNEL_ZALO: "zalo", pb.NOTIFICATION_CHANNEL_SMS: "sms", pb.NOTIFICATION_CHANNEL_EMAIL: "email"}
_CHANNEL_PB = {"zalo": pb.NOTIFICATION_CHANNEL_ZALO, "sms": pb.NOTIFICATION_CHANNEL_SMS, "email": pb.NOTIFICATION_CHANNEL_EMAIL}


def stub(request: Request) -> NotificationServiceStub:
    return NotificationServiceStub(request.app.state.channels["notification"])


def _time(ts: Any) -> datetime | None:
    return ts.ToDatetime().replace(tzinfo=None).isoformat() + "Z" if ts.seconds or ts.nanos else None  # type: ignore[return-value]


class DeliveryOut(BaseModel):
    channel: str = Field(examples=["sms"])
    route: str = Field(description="zalo_cs (OA message), zns, sms or email", examples=["zns"])
    status: str = Field(examples=["delivered"])
    provider: str = Field(examples=["esms"])
    provider_message_id: str
    attempts: int
    error_code: str
    updated_at: str | None


class AttemptOut(BaseModel):
    attempt: int
    channel: str
    provider: str
    status: str = Field(examples=["temporary-failure"])
    error_code: str
    retryable: bool
    at: str | None


class NotificationOut(BaseModel):
    id: str
    template_code: str = Field(examples=["dossier_received"])
    status: Literal["queued", "sent", "delivered", "failed", "suppressed", "unknown"]
    status_detail: str = Field(examples=["delivered"])
    reason: str = ""
    channel: str | None
    phone: str = Field(description="masked", examples=["+8491****678"])
    email: str = Field(description="masked")
    dossier_code: str
    booking_id: str
    source_event_id: str
    created_at: str | None
    updated_at: str | None
    deliveries: list[DeliveryOut]
    attempts: list[AttemptOut]


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    page: int
    page_size: int


def notification_out(n: pb.Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id, template_code=n.template_code, status=_STATUS.get(n.status, "unknown"), status_detail=n.status_detail,  # type: ignore[arg-type]
        reason=n.reason, channel=_CHANNEL.get(n.channel), phone=n.recipient.phone, email=n.recipient.email,
        dossier_code=n.dossier_code, booking_id=n.booking_id, source_event_id=n.source_event_id,
        created_at=_time(n.created_at), updated_at=_time(n.updated_at),  # type: ignore[arg-type]
        deliveries=[DeliveryOut(channel=_CHANNEL.get(d.channel, ""), route=d.route, status=d.status_detail, provider=d.provider,
                                provider_message_id=d.provider_message_id, attempts=d.attempts, error_code=d.error_code,
                                updated_at=_time(d.updated_at)) for d in n.deliveries],  # type: ignore[arg-type]
        attempts=[AttemptOut(attempt=a.attempt, channel=_CHANNEL.get(a.channel, ""), provider=a.provider,
                             status=a.status_detail, error_code=a.error_code, retryable=a.retryable, at=_time(a.at))  # type: ignore[arg-type]
                  for a in n.attempts],
    )


Officer = Annotated[Principal, Depends(require_roles("officer", "operator"))]
Operator = Annotated[Principal, Depends(require_roles("operator"))]


@router.get("/notifications", response_model=NotificationPage,
            summary="Officers: a citizen's notifications and their delivery status, by phone or dossier code")
async def list_notifications(
    request: Request, _: Officer,
    phone: Annotated[str | None, Query(max_length=20, examples=["0912345678"])] = None,
    dossier_code: Annotated[str | None, Query(max_length=40, examples=["000.00.04.H15-201125-0080"])] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> NotificationPage:
    if bool(phone) == bool(dossier_code):
        raise InvalidArgument("FILTER_REQUIRED", "give exactly one of phone or dossier_code",
                              "Cần nhập số điện thoại hoặc mã hồ sơ (một trong hai).")
    query = pb.ListNotificationsRequest(page=common_pb2.PageRequest(page=page, page_size=page_size))
    if phone:
        query.phone = phone
    else:
        query.dossier_code = dossier_code or ""
    reply = await stub(request).ListNotifications(query, timeout=DEADLINE_SECONDS)
    return NotificationPage(items=[notification_out(n) for n in reply.items], total=reply.page_info.total,
                            page=reply.page_info.page, page_size=reply.page_info.page_size)


@router.get("/notifications/{notification_id}", response_model=NotificationOut,
            summary="Officers: one notification with its deliveries and attempts")
async def get_notification(request: Request, _: Officer,
                           notification_id: Annotated[str, Path(max_length=64)]) -> NotificationOut:
    reply = await stub(request).GetDeliveryStatus(pb.GetDeliveryStatusRequest(notification_id=notification_id),
                                                  timeout=DEADLINE_SECONDS)
    return notification_out(reply)


class SuppressionQuery(BaseModel):
    email: str = Field(min_length=3, max_length=320, examples=["nguyen.van.an@example.vn"])


class SuppressionLift(SuppressionQuery):
    reason: str = Field(min_length=1, max_length=500, examples=["Công dân xác nhận đã khôi phục hộp thư"],
                        description="why the address may receive e-mail again (kept in the audit)")


class SuppressionOut(BaseModel):
    email: str
    reason: Literal["hard_bounce", "complaint"] = Field(
        description="hard_bounce: the mailbox does not exist or is disabled; complaint: the citizen reported a "
                    "message as abuse")
    status_code: str = Field(description="SMTP reply or enhanced status that revealed it", examples=["5.1.1"])
    diagnostic: str
    since: str | None


def _suppression_out(s: pb.EmailSuppression) -> SuppressionOut:
    return SuppressionOut(email=s.email, reason=s.reason, status_code=s.status_code,  # type: ignore[arg-type]
                          diagnostic=s.diagnostic, since=_time(s.since))  # type: ignore[arg-type]


# The address travels in the body, not the URL: URLs end up in proxies' and browsers' logs.
_NOT_SUPPRESSED = {404: {"description": "The address is not suppressed (EMAIL_NOT_SUPPRESSED)"}}


@router.post("/email-suppressions/lookup", response_model=SuppressionOut, responses=_NOT_SUPPRESSED,
             summary="Officers: whether an e-mail address gets no more e-mail (hard bounce, complaint) and why")
async def lookup_email_suppression(request: Request, _: Officer, body: SuppressionQuery) -> SuppressionOut:
    """404 when the address is not suppressed (e-mail is sent to it normally)."""
    reply = await stub(request).GetEmailSuppression(pb.GetEmailSuppressionRequest(email=body.email),
                                                    timeout=DEADLINE_SECONDS)
    return _suppression_out(reply)


@router.post("/email-suppressions/lift", response_model=SuppressionOut, responses=_NOT_SUPPRESSED,
             summary="Officers: lift an address's suppression once the citizen fixed the mailbox")
async def lift_email_suppression(request: Request, principal: Officer, body: SuppressionLift) -> SuppressionOut:
    """New notifications plan e-mail to the address again; messages already planned without it are not re-sent.
    The lift is audited (who, when, why). Returns the suppression lifted; 404 when there is none (a retried
    lift: the address is already free)."""
    reply = await stub(request).LiftEmailSuppression(pb.LiftEmailSuppressionRequest(
        email=body.email, actor=principal.subject, reason=body.reason), timeout=DEADLINE_SECONDS)
    return _suppression_out(reply)


Route = Literal["zalo_cs", "zns", "sms", "email"]


class TemplateIn(BaseModel):
    subject: str = Field(default="", max_length=300)
    body: str = Field(default="", max_length=5000, examples=["Hồ sơ {{dossier_code}} đã được tiếp nhận."])
    body_html: str = Field(default="", max_length=50_000)
    zns_template_id: str = Field(default="", max_length=40)
    zns_params: dict[str, str] = Field(default_factory=dict)
    parameters: list[str] = Field(default_factory=list, description="declared parameters; empty: those the text uses")


class TemplateOut(TemplateIn):
    code: str
    channel: str
    version: int
    available_parameters: list[str]
    created_at: str | None
    created_by: str


def template_out(t: pb.Template) -> TemplateOut:
    return TemplateOut(code=t.code, channel=t.channel, version=t.version, subject=t.subject, body=t.body,
                       body_html=t.body_html, zns_template_id=t.zns_template_id, zns_params=dict(t.zns_params),
                       parameters=list(t.parameters), available_parameters=list(t.available_parameters),
                       created_at=_time(t.created_at), created_by=t.created_by)  # type: ignore[arg-type]


@router.get("/notification-templates", response_model=list[TemplateOut], summary="Officers: current template versions")
async def list_templates(request: Request, _: Officer,
                         code: Annotated[str, Query(max_length=60)] = "") -> list[TemplateOut]:
    reply = await stub(request).ListTemplates(pb.ListTemplatesRequest(code=code), timeout=DEADLINE_SECONDS)
    return [template_out(t) for t in reply.items]


@router.put("/notification-templates/{code}/{channel}", response_model=TemplateOut,
            summary="Operators: save a new version of a template (validated: 422 lists the problems)")
async def save_template(request: Request, principal: Operator, body: TemplateIn,
                        code: Annotated[str, Path(max_length=60)], channel: Route) -> TemplateOut:
    template = pb.Template(code=code, channel=channel, subject=body.subject, body=body.body, body_html=body.body_html,
                           zns_template_id=body.zns_template_id, zns_params=body.zns_params, parameters=body.parameters)
    reply = await stub(request).SaveTemplate(pb.SaveTemplateRequest(template=template, actor_id=principal.subject),
                                             timeout=DEADLINE_SECONDS)
    return template_out(reply)


class PreviewIn(BaseModel):
    channel: Literal["zalo", "sms", "email"]
    params: dict[str, str] = Field(default_factory=dict)


class PreviewOut(BaseModel):
    subject: str
    body: str
    missing_params: list[str]
    sms_segments: int


@router.post("/notification-templates/{code}/preview", response_model=PreviewOut,
             summary="Officers: render a template with parameters, without sending")
async def preview_template(request: Request, _: Officer, body: PreviewIn,
                           code: Annotated[str, Path(max_length=60)]) -> PreviewOut:
    reply = await stub(request).PreviewTemplate(pb.PreviewTemplateRequest(
        template_code=code, channel=_CHANNEL_PB[body.channel], params=body.params), timeout=DEADLINE_SECONDS)
    return PreviewOut(subject=reply.subject, body=reply.body, missing_params=list(reply.missing_params),
                      sms_segments=reply.sms_segments)
