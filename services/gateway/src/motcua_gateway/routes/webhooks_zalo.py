"""`POST /webhooks/zalo`: the Zalo Official Account webhook (one URL per app: messages, follows, receipts).

Authenticity (channels/signatures.py): `X-ZEvent-Signature: mac=sha256(app_id + raw body + timestamp +
OA secret key)` against the current and the previous OA secret key, a replay window on the body's
timestamp; a forged, missing or stale signature is a 401 problem and nothing is stored.

A verified event is inserted into the gateway's inbox (unique on message.msg_id, or a key derived
from the event) and answered 200 at once; the inbox worker does the work (channels/worker.py).
`GET /api/v1/channel-attachments` lists, for officers, the document photos citizens sent for a
dossier waiting for a supplement.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from prometheus_client import Counter
from pydantic import BaseModel

from motcua_gateway.auth import Principal, require_roles
from motcua_gateway.channels import repository as repo
from motcua_gateway.channels.signatures import SignatureRejected, ZaloEvent, verify_zalo
from motcua_gateway.channels.zalo import routing
from motcua_gateway.settings import Settings
from motcua_platform.errors import InvalidArgument, Unauthenticated
from motcua_platform.logging import get_logger

log = get_logger(__name__)

router = APIRouter(tags=["channel webhooks"])

MAX_BODY_BYTES = 64 * 1024
WEBHOOKS = Counter("motcua_channel_webhooks_total", "Channel webhooks received", ["channel", "outcome"])


class WebhookAck(BaseModel):
    received: bool
    duplicate: bool = False
    stored: bool = True


def zalo_secrets(settings: Settings) -> list[str]:
    keys = [settings.zalo.oa_secret_key, settings.zalo.oa_secret_key_previous]
    return [k.get_secret_value() for k in keys if k is not None and k.get_secret_value()]


async def verified_zalo_event(request: Request, signature: str) -> ZaloEvent:
    """Verify the request as a Zalo OA event or raise Unauthenticated (401 problem+json)."""
    settings: Settings = request.app.state.settings
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidArgument("WEBHOOK_TOO_LARGE", "webhook body too large", "Dữ liệu webhook quá lớn.")
    try:
        return verify_zalo(raw=raw, header=signature, app_id=settings.zalo.app_id, secrets=zalo_secrets(settings),
                           window_seconds=settings.zalo.replay_window_seconds)
    except SignatureRejected as exc:
        WEBHOOKS.labels("zalo", f"rejected_{exc.reason}").inc()
        log.warning("zalo_webhook_rejected", reason=exc.reason)
        raise Unauthenticated("WEBHOOK_SIGNATURE_INVALID", "bad, missing or stale X-ZEvent-Signature",
                              "Chữ ký webhook Zalo không hợp lệ.") from None


@router.post("/webhooks/zalo", response_model=WebhookAck, summary="Zalo OA webhook (signed X-ZEvent-Signature)",
             responses={401: {"description": "Forged, missing or stale signature (problem+json); nothing stored"}})
async def zalo_webhook(request: Request,
                       x_zevent_signature: Annotated[str, Header(alias="X-ZEvent-Signature", max_length=200)] = ""
                       ) -> WebhookAck:
    event = await verified_zalo_event(request, x_zevent_signature)
    routed = routing(event.body)
    if routed is None:
        WEBHOOKS.labels("zalo", "ignored").inc()
        log.info("zalo_event_ignored", event_name=event.name)
        return WebhookAck(received=True, stored=False)
    key, sender = routed
    async with request.app.state.pool.acquire() as conn:
        created = await repo.insert_inbox(conn, channel="zalo", dedupe_key=key[:400], event_name=event.name[:64],
                                          sender=sender[:64], payload=event.body)
    WEBHOOKS.labels("zalo", "stored" if created else "duplicate").inc()
    if created:
        request.app.state.channel_runtime.wake()
    return WebhookAck(received=True, duplicate=not created)


class AttachmentOut(BaseModel):
    channel: str
    url: str
    message_id: str
    received_at: str


class AttachmentsOut(BaseModel):
    dossier_code: str
    items: list[AttachmentOut]


@router.get("/api/v1/channel-attachments", response_model=AttachmentsOut, tags=["dossiers"],
            summary="Document photos a citizen sent over Zalo for a dossier waiting for a supplement (officers)")
async def channel_attachments(request: Request, dossier_code: Annotated[str, Query(min_length=5, max_length=40)],
                              principal: Annotated[Principal, Depends(require_roles("officer", "operator"))]
                              ) -> AttachmentsOut:
    async with request.app.state.pool.acquire() as conn:
        rows = await repo.attachments(conn, dossier_code=dossier_code)
    return AttachmentsOut(dossier_code=dossier_code, items=[AttachmentOut(
        channel=r["channel"], url=r["url"], message_id=r["message_id"], received_at=r["received_at"].isoformat())
        for r in rows])
