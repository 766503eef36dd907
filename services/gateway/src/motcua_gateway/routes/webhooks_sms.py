"""`GET /webhooks/sms`: inbound SMS (MO) from eSMS's short-code service, as eSMS documents it.

eSMS calls the URL we registered with HTTP GET:

    /webhooks/sms?sender=84912345678&content=TC%20000.00.41.H29-250101-0001&serviceNumber=8079
                 &keyword=TC&sign=<md5>&cpid=<our CP id>&smsid=<unique>&receiverTime=20250611083000

`sign` = MD5(cpid + smsid + content + receiverTime + private key) (channels/signatures.py), checked in
constant time against the current and the previous key, with a replay window on receiverTime;
wrong or missing → 401 problem+json, nothing stored. The MO is stored in the inbox (unique on
smsid) and answered at once with eSMS's `<ClientResponse>` carrying an EMPTY `<Message>`: the
reply goes out after durable processing as an SMS through the notification service (brandname),
so a crash after the answer loses nothing and a redelivered MO is not answered twice.
"""

from __future__ import annotations

from typing import Annotated
from xml.sax.saxutils import escape

from fastapi import APIRouter, Query, Request, Response

from motcua_gateway.channels import repository as repo
from motcua_gateway.channels.signatures import SignatureRejected, verify_esms_mo
from motcua_gateway.channels.text import normalize_phone
from motcua_gateway.routes.webhooks_zalo import WEBHOOKS
from motcua_gateway.settings import Settings
from motcua_platform.errors import InvalidArgument, Unauthenticated
from motcua_platform.logging import get_logger

log = get_logger(__name__)

router = APIRouter(tags=["channel webhooks"])

_Q = Annotated[str, Query(max_length=100)]


@router.get("/webhooks/sms", summary="Inbound SMS from eSMS (short-code MO, signed `sign`)",
            responses={200: {"content": {"application/xml": {}}, "description": "eSMS ClientResponse (empty Message)"},
                       401: {"description": "Wrong, missing or stale sign (problem+json); nothing stored"}})
async def sms_webhook(request: Request, sender: _Q = "", content: Annotated[str, Query(max_length=1000)] = "",
                      serviceNumber: _Q = "", keyword: _Q = "", sign: _Q = "", cpid: _Q = "", smsid: _Q = "",
                      receiverTime: _Q = "") -> Response:
    settings: Settings = request.app.state.settings
    mo = settings.sms_mo
    params = {"sender": sender, "content": content, "serviceNumber": serviceNumber, "keyword": keyword, "sign": sign,
              "cpid": cpid, "smsid": smsid, "receiverTime": receiverTime}
    keys = [k.get_secret_value() for k in (mo.private_key, mo.private_key_previous) if k is not None]
    try:
        verify_esms_mo(params=params, cpid=mo.cpid, keys=keys, window_seconds=mo.replay_window_seconds)
    except SignatureRejected as exc:
        WEBHOOKS.labels("sms", f"rejected_{exc.reason}").inc()
        log.warning("sms_webhook_rejected", reason=exc.reason)
        raise Unauthenticated("WEBHOOK_SIGNATURE_INVALID", "bad, missing or stale sign",
                              "Chữ ký tin nhắn SMS đến không hợp lệ.") from None
    phone = normalize_phone(sender)
    if phone is None or not smsid:
        raise InvalidArgument("MO_INVALID", "sender must be a Vietnamese mobile number and smsid is required",
                              "Tin nhắn đến thiếu số điện thoại hợp lệ hoặc mã tin.")
    async with request.app.state.pool.acquire() as conn:
        created = await repo.insert_inbox(conn, channel="sms", dedupe_key=smsid, event_name="mo", sender=phone,
                                          payload={"content": content, "keyword": keyword, "service_number": serviceNumber,
                                                   "receiver_time": receiverTime})
    WEBHOOKS.labels("sms", "stored" if created else "duplicate").inc()
    if created:
        request.app.state.channel_runtime.wake()
    body = (f"<ClientResponse><Message></Message><Smsid>{escape(smsid)}</Smsid>"
            f"<Receiver>{escape(sender)}</Receiver></ClientResponse>")
    return Response(body, media_type="application/xml")
