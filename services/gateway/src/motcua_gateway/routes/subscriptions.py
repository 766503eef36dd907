"""`/api/v1/subscriptions`: agencies manage their own webhook subscriptions to dossier and appointment events.

Role `agency`: the agency is the token's `agency` claim; an agency sees and deletes only its
own subscriptions, and may only filter on procedures its token allows (`procedures`).
Role `operator` may list every agency's. The signing secret is write-only. A subscription disabled
after a long failure streak is re-enabled by its agency (`POST .../{id}/reenable`).
Deliveries: CloudEvents JSON (structured mode) signed `X-Motcua-Signature: t=<unix>,v1=<hex>`
(see services/notification/README.md for the verification code).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from motcua.common.v1 import common_pb2
from motcua.notification.v1 import notification_service_pb2 as pb
from motcua_gateway.auth import Principal, require_roles
from motcua_gateway.routes.notifications import DEADLINE_SECONDS, _time, stub
from motcua_platform.errors import NotFound, PermissionDenied

router = APIRouter(prefix="/api/v1", tags=["subscriptions"])
DOSSIER_EVENT_PREFIX = "motcua.dossier.v1."

Agency = Annotated[Principal, Depends(require_roles("agency", "operator"))]
_STATUS = {pb.WEBHOOK_DELIVERY_STATUS_PENDING: "pending", pb.WEBHOOK_DELIVERY_STATUS_DELIVERED: "delivered",
           pb.WEBHOOK_DELIVERY_STATUS_FAILED: "failed"}
_STATUS_PB = {v: k for k, v in _STATUS.items()}


class SubscriptionIn(BaseModel):
    url: str = Field(max_length=2000, examples=["https://bhxh.example.gov.vn/motcua/webhook"])
    event_types: list[str] = Field(default_factory=list, max_length=20, examples=[["motcua.dossier.v1.received"]],
                                   description="empty: every dossier event; appointment events "
                                               "(motcua.scheduler.v1.booking_confirmed, ...) must be named")
    procedure_codes: list[str] = Field(default_factory=list, max_length=200,
                                       description="dossier events of these procedures only; empty: all the agency may see")
    secret: str = Field(min_length=32, max_length=256, description="HMAC-SHA256 key, write-only, at least 32 characters")


class SubscriptionOut(BaseModel):
    id: str
    agency_id: str
    url: str
    event_types: list[str]
    procedure_codes: list[str]
    has_secret: bool
    active: bool
    consecutive_failures: int
    disabled_reason: str
    created_at: str | None


class SubscriptionPage(BaseModel):
    items: list[SubscriptionOut]
    total: int
    page: int
    page_size: int


class DeliveryOut(BaseModel):
    id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_http_status: int
    last_error: str
    next_attempt_at: str | None
    delivered_at: str | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    page: int
    page_size: int


def _out(s: pb.Subscription) -> SubscriptionOut:
    return SubscriptionOut(id=s.id, agency_id=s.agency_id, url=s.url, event_types=list(s.event_types),
                           procedure_codes=list(s.procedure_codes), has_secret=s.has_secret, active=s.active,
                           consecutive_failures=s.consecutive_failures, disabled_reason=s.disabled_reason,
                           created_at=_time(s.created_at))  # type: ignore[arg-type]


def _agency_of(principal: Principal) -> str:
    if not principal.agency:
        raise PermissionDenied("AGENCY_REQUIRED", "the token names no agency", "Tài khoản không gắn với cơ quan nào.")
    return principal.agency


async def _owned(request: Request, principal: Principal, subscription_id: str) -> pb.Subscription:
    """The subscription when the caller may see it (404 otherwise: existence is not revealed)."""
    agency = "" if principal.has_role("operator") else _agency_of(principal)
    page = 1
    while True:
        reply = await stub(request).ListSubscriptions(pb.ListSubscriptionsRequest(
            agency_id=agency, page=common_pb2.PageRequest(page=page, page_size=100)), timeout=DEADLINE_SECONDS)
        for item in reply.items:
            if item.id == subscription_id:
                return item
        if page * 100 >= reply.page_info.total:
            raise NotFound("SUBSCRIPTION_NOT_FOUND", "no such subscription", "Không tìm thấy đăng ký nhận sự kiện.")
        page += 1


@router.post("/subscriptions", response_model=SubscriptionOut, status_code=201,
             summary="Agencies: register a signed webhook for dossier or appointment events")
async def create_subscription(request: Request, principal: Annotated[Principal, Depends(require_roles("agency"))],
                              body: SubscriptionIn) -> SubscriptionOut:
    agency = _agency_of(principal)
    forbidden = [c for c in body.procedure_codes if not principal.may_see_procedure(c)]
    # Appointment events name no procedure: the procedure scope only matters when dossier events are wanted.
    wants_dossier_events = not body.event_types or any(t.startswith(DOSSIER_EVENT_PREFIX) for t in body.event_types)
    if forbidden or (wants_dossier_events and not body.procedure_codes and "*" not in principal.procedures):
        raise PermissionDenied("PROCEDURE_NOT_ALLOWED", f"the agency may not receive events of {forbidden or 'all procedures'}",
                               "Cơ quan không được nhận sự kiện của thủ tục này.")
    reply = await stub(request).CreateSubscription(pb.CreateSubscriptionRequest(
        agency_id=agency, url=body.url, event_types=body.event_types, procedure_codes=body.procedure_codes,
        secret=body.secret), timeout=DEADLINE_SECONDS)
    return _out(reply)


@router.get("/subscriptions", response_model=SubscriptionPage, summary="Agencies: their subscriptions (operators: all)")
async def list_subscriptions(request: Request, principal: Agency, page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                             page_size: Annotated[int, Query(ge=1, le=100)] = 20) -> SubscriptionPage:
    agency = "" if principal.has_role("operator") else _agency_of(principal)
    reply = await stub(request).ListSubscriptions(pb.ListSubscriptionsRequest(
        agency_id=agency, page=common_pb2.PageRequest(page=page, page_size=page_size)), timeout=DEADLINE_SECONDS)
    return SubscriptionPage(items=[_out(s) for s in reply.items], total=reply.page_info.total, page=reply.page_info.page,
                            page_size=reply.page_info.page_size)


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Agencies: delete one of their subscriptions")
async def delete_subscription(request: Request, principal: Annotated[Principal, Depends(require_roles("agency"))],
                              subscription_id: Annotated[str, Path(max_length=64)]) -> Response:
    await _owned(request, principal, subscription_id)
    await stub(request).DeleteSubscription(pb.DeleteSubscriptionRequest(
        subscription_id=subscription_id, agency_id=_agency_of(principal)), timeout=DEADLINE_SECONDS)
    return Response(status_code=204)


@router.post("/subscriptions/{subscription_id}/reenable", response_model=SubscriptionOut,
             summary="Agencies: re-enable one of their subscriptions disabled after a failure streak")
async def reenable_subscription(request: Request, principal: Annotated[Principal, Depends(require_roles("agency"))],
                                subscription_id: Annotated[str, Path(max_length=64)]) -> SubscriptionOut:
    """Reset the failure streak and resume deliveries (pending ones are retried at once). Idempotent.

    Events that happened while the subscription was disabled were not queued for it; read them from
    the Kafka topic or the dossier API if the agency needs them."""
    await _owned(request, principal, subscription_id)
    reply = await stub(request).ReenableSubscription(pb.ReenableSubscriptionRequest(
        subscription_id=subscription_id, agency_id=_agency_of(principal)), timeout=DEADLINE_SECONDS)
    return _out(reply)


@router.get("/subscriptions/{subscription_id}/deliveries", response_model=DeliveryPage,
            summary="Agencies: the delivery log of one of their subscriptions, newest first")
async def list_deliveries(request: Request, principal: Agency, subscription_id: Annotated[str, Path(max_length=64)],
                          status: Literal["pending", "delivered", "failed"] | None = None,
                          page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                          page_size: Annotated[int, Query(ge=1, le=100)] = 20) -> DeliveryPage:
    await _owned(request, principal, subscription_id)
    reply = await stub(request).ListSubscriptionDeliveries(pb.ListSubscriptionDeliveriesRequest(
        subscription_id=subscription_id, status=_STATUS_PB.get(status or "", 0),
        page=common_pb2.PageRequest(page=page, page_size=page_size)), timeout=DEADLINE_SECONDS)
    return DeliveryPage(items=[DeliveryOut(
        id=d.id, event_id=d.event_id, event_type=d.event_type, status=_STATUS.get(d.status, "unknown"), attempts=d.attempts,
        last_http_status=d.last_http_status, last_error=d.last_error, next_attempt_at=_time(d.next_attempt_at),  # type: ignore[arg-type]
        delivered_at=_time(d.delivered_at)) for d in reply.items],  # type: ignore[arg-type]
        total=reply.page_info.total, page=reply.page_info.page, page_size=reply.page_info.page_size)
