"""`/api/v1/provider-callbacks/*`: delivery receipts from the message providers, authenticated as each documents.

- eSMS calls the `CallbackUrl` sent with each message with HTTP GET (SMSID, RequestId, SendStatus,
  SendSuccess, SendFailed, ...). eSMS does not sign its callbacks: the URL carries our secret
  (`MOTCUA_PROVIDER_CALLBACK_TOKEN`), compared in constant time.
- SpeedSMS POSTs `{"type": "report", "tranId", "phone", "status"}` (0 = delivered) to the webhook URL
  registered in its dashboard, which carries the same secret.
- Zalo POSTs its OA webhook events signed `X-ZEvent-Signature: mac=<sha256(appId + body + timestamp +
  OA secret key)>` (verified as at /webhooks/zalo, the URL to register with Zalo, see docs/channels.md):
  `user_received_message` is a delivery receipt (ZNS carries our tracking_id);
  `follow`, `unfollow` and `user_send_*` are recorded as interactions (they open the reply window for
  customer-service messages).

Receipts are forwarded to NotificationService.RecordProviderReceipt (idempotent); those that arrive together
go in one RecordProviderReceipts call (`MOTCUA_RECEIPT_CALL_BATCH_IN_FLIGHT`, batching.py). An unknown message
is acknowledged with `matched: false` so the provider stops retrying.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel

from motcua.notification.v1 import notification_service_pb2 as pb
from motcua.notification.v1.notification_service_pb2_grpc import NotificationServiceStub
from motcua_gateway.batching import ReceiptBatcher, per_channel
from motcua_gateway.routes.notifications import DEADLINE_SECONDS, stub
from motcua_gateway.routes.webhooks_zalo import verified_zalo_event
from motcua_gateway.settings import Settings
from motcua_platform.errors import InvalidArgument, Unauthenticated
from motcua_platform.logging import get_logger

log = get_logger(__name__)

router = APIRouter(prefix="/api/v1/provider-callbacks", tags=["provider callbacks"],
                   responses={401: {"description": "Unknown callback token or bad signature"}})


class Ack(BaseModel):
    matched: bool
    notification_id: str = ""


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _check_token(request: Request, token: str) -> None:
    expected = _settings(request).provider_callback_token
    if expected is None or not expected.get_secret_value() or not hmac.compare_digest(
            token.encode(), expected.get_secret_value().encode()):
        raise Unauthenticated("CALLBACK_TOKEN_INVALID", "unknown callback token", "Mã xác thực biên nhận không hợp lệ.")


def _ts(millis: int | None = None) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.fromtimestamp(millis / 1000, UTC) if millis else datetime.now(UTC))
    return stamp


def _receipt_batcher(request: Request) -> ReceiptBatcher | None:
    """The app's receipt batcher (None when MOTCUA_RECEIPT_CALL_BATCH_IN_FLIGHT is 0), made on first use."""
    state = request.app.state
    in_flight = state.settings.receipt_call_batch_in_flight
    if not in_flight:
        return None
    return per_channel(state, "receipt_batcher", "notification", lambda: ReceiptBatcher(
        lambda: NotificationServiceStub(state.channels["notification"]), timeout=DEADLINE_SECONDS, in_flight=in_flight))


async def _record(request: Request, **fields: Any) -> Ack:
    ask = pb.RecordProviderReceiptRequest(**fields)
    batcher = _receipt_batcher(request)
    if batcher is None:
        reply = await stub(request).RecordProviderReceipt(ask, timeout=DEADLINE_SECONDS)
    else:
        reply = await batcher.record(ask)
    return Ack(matched=reply.matched, notification_id=reply.notification_id)


@router.get("/esms/{token}", response_model=Ack, summary="eSMS delivery receipt (HTTP GET on the CallbackUrl)")
async def esms_receipt(request: Request, token: Annotated[str, Path(max_length=200)], SMSID: str = "",
                       RequestId: str = "", SendStatus: str = "", SendSuccess: str = "0",
                       SendFailed: str = "0") -> Ack:
    _check_token(request, token)
    if not SMSID and not RequestId:
        raise InvalidArgument("RECEIPT_INVALID", "SMSID or RequestId is required", "Biên nhận thiếu mã tin nhắn.")
    if SendStatus == "5" and SendSuccess not in ("", "0"):
        status, error = pb.DELIVERY_STATUS_DELIVERED, ""
    elif SendStatus == "4" or SendFailed not in ("", "0"):
        status, error = pb.DELIVERY_STATUS_FAILED, f"esms_status_{SendStatus or 'failed'}"
    else:
        return Ack(matched=False)  # 1 pending approval, 2 waiting, 7 sent to the telco: not final yet
    return await _record(request, provider="esms", provider_message_id=SMSID, tracking_id=RequestId, status=status,
                         error_code=error, occurred_at=_ts())


class SpeedSmsReport(BaseModel):
    type: str
    tranId: int | str
    phone: str = ""
    status: int


@router.post("/speedsms/{token}", response_model=Ack, summary="SpeedSMS delivery report")
async def speedsms_receipt(request: Request, token: Annotated[str, Path(max_length=200)], report: SpeedSmsReport) -> Ack:
    _check_token(request, token)
    if report.type != "report":
        return Ack(matched=False)
    delivered = report.status == 0
    return await _record(request, provider="speedsms", provider_message_id=str(report.tranId),
                         status=pb.DELIVERY_STATUS_DELIVERED if delivered else pb.DELIVERY_STATUS_FAILED,
                         error_code="" if delivered else f"speedsms_status_{report.status}", occurred_at=_ts())


_INTERACTIONS = {"follow": pb.ZALO_INTERACTION_FOLLOW, "unfollow": pb.ZALO_INTERACTION_UNFOLLOW}


@router.post("/zalo", response_model=Ack, summary="Zalo OA webhook: delivery receipts and follower interactions")
async def zalo_event(request: Request,
                     x_zevent_signature: Annotated[str, Header(alias="X-ZEvent-Signature")] = "") -> Ack:
    # Same verification as /webhooks/zalo (channels/signatures.py): key rotation, replay window.
    event = (await verified_zalo_event(request, x_zevent_signature)).body
    stamp = str(event.get("timestamp", ""))
    name = str(event.get("event_name", ""))
    if name == "user_received_message":
        message = event.get("message") or {}
        tracking = str(message.get("tracking_id") or "")
        millis = int(message.get("delivery_time") or 0) or None
        return await _record(request, provider="zalo_zns" if tracking else "zalo_oa",
                             provider_message_id=str(message.get("msg_id", "")), tracking_id=tracking,
                             status=pb.DELIVERY_STATUS_DELIVERED, occurred_at=_ts(millis))
    if name in _INTERACTIONS or name.startswith("user_send_"):
        user = (event.get("follower") or {}).get("id") if name in _INTERACTIONS else (event.get("sender") or {}).get("id")
        if user:
            await stub(request).RecordZaloInteraction(pb.RecordZaloInteractionRequest(
                zalo_user_id=str(user), interaction=_INTERACTIONS.get(name, pb.ZALO_INTERACTION_MESSAGE),
                occurred_at=_ts(int(stamp) if stamp.isdigit() else None)), timeout=DEADLINE_SECONDS)
        return Ack(matched=bool(user))
    log.info("zalo_event_ignored", event_name=name)
    return Ack(matched=False)
