"""Local fakes of the providers, speaking their documented contracts, plus a real SMTP server.

    python -m motcua_notification fakes      # what `make run` starts

HTTP (default 127.0.0.1:8090), one app for every provider (base URLs point here):

    POST /MainService.svc/json/SendMultipleMessage_V4_post_json/   eSMS send (RequestId dedupe -> 124)
    GET  /MainService.svc/json/GetSendStatus?RefId=                 eSMS status by SMSID
    POST /index.php/sms/send                                        SpeedSMS send (Basic auth)
    POST /v3.0/oa/message/cs                                        Zalo OA customer-service message
    POST /message/template                                          ZNS template message
    POST /v4/oa/access_token                                        Zalo OAuth refresh

SMTP (default 127.0.0.1:2525): aiosmtpd, every message stored.

What was "sent":   GET /  (HTML, refreshes itself)   GET /messages?channel=sms&recipient=...  (JSON)

Failure modes (admin, JSON bodies):
    POST /_admin/failures    {"provider": "esms", "mode": "http_500"|"timeout"|"error", "seconds": 5, "count": 3,
                              "code": "103"}   provider = esms|speedsms|zalo_oa|zalo_zns|smtp
    POST /_admin/recipients  {"provider": "zalo_zns", "recipient": "+84912345678", "code": "-118"}
                             (provider "smtp": refused at RCPT with that reply, e.g. "550"; provider
                             "smtp_bounce": accepted, then bounced with a DSN of that status, e.g. "5.1.1",
                             sent to MOTCUA_FAKES_BOUNCE_SMTP)
    POST /_admin/hooks       {"provider": "esms", "action": "sigkill", "pid": 1234, "count": 1, "after": 0}
                             (kill a process right after the message is stored, before answering: a crash
                             between the provider call and the caller's commit)
    POST /_admin/zalo/expire-token   the current OA access token becomes invalid (-216 / -124)
    POST /_admin/reset       forget messages, failures, hooks;   GET /_admin/stats
    GET  /_admin/refused     every call refused because of a recipient's configured code (provider, recipient, code)

Delivery receipts go back to the gateway like the real providers send them: eSMS by GET on the
CallbackUrl given with each message, SpeedSMS by POST to the registered webhook, Zalo by POST
of `user_received_message` signed with X-ZEvent-Signature.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import os
import signal
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from email import message_from_bytes, policy
from functools import partial
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import uvicorn
from aiosmtpd.smtp import SMTP
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from motcua_notification.domain.signing import zalo_event_signature
from motcua_platform.logging import get_logger

log = get_logger("motcua_notification.fakes")

DEV_ACCESS_TOKEN = "dev-zalo-access-token"
DEV_REFRESH_TOKEN = "dev-zalo-refresh-token"


class _Zalo(BaseModel):
    app_id: str = "motcua-dev-app"
    oa_secret_key: str = "motcua-dev-oa-secret"
    oa_id: str = "4097311281936189049"


class FakesSettings(BaseSettings):
    """`MOTCUA_FAKES_*` plus the shared `MOTCUA_PROVIDER_CALLBACK_TOKEN` and `MOTCUA_ZALO__*`."""

    model_config = SettingsConfigDict(env_prefix="MOTCUA_", env_nested_delimiter="__", extra="ignore")

    fakes_host: str = "127.0.0.1"
    fakes_http_port: int = 8090
    fakes_smtp_port: int = 2525
    fakes_receipts: bool = True
    fakes_receipt_delay_seconds: float = 0.3
    fakes_gateway_url: str = "http://127.0.0.1:8080"
    fakes_max_messages: int = 200_000
    #: "host:port" of the SMTP server receiving bounces (the notification service's bounce receiver): where the
    #: fake, like a real MX, sends a delivery status notification for recipients set to bounce (provider
    #: `smtp_bounce`, code = enhanced status, e.g. "5.1.1"). Empty: such recipients are simply accepted.
    fakes_bounce_smtp: str = ""
    provider_callback_token: str = ""
    zalo: _Zalo = _Zalo()


@dataclass
class Sent:
    id: str
    channel: str  # zalo_cs | zns | sms | email
    provider: str
    recipient: str
    text: str = ""
    subject: str = ""
    html: str = ""
    template_id: str = ""
    template_data: dict[str, str] = field(default_factory=dict)
    tracking_id: str = ""
    received_at: float = field(default_factory=time.time)
    status: str = "accepted"


@dataclass
class Failure:
    mode: str
    until: float | None
    remaining: int | None
    code: str = ""

    def active(self) -> bool:
        if self.until is not None and time.monotonic() > self.until:
            return False
        return self.remaining is None or self.remaining > 0

    def consume(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1


@dataclass
class Hook:
    action: str
    pid: int
    remaining: int
    #: Messages to let through before the hook fires (a crash in the middle of a batch).
    after: int = 0


class FakeState:
    """Everything the fakes remember; also observable in-process (tests and benchmarks)."""

    def __init__(self, max_messages: int) -> None:
        self.max_messages = max_messages
        self.messages: list[Sent] = []
        self.esms_requests: dict[str, Sent] = {}
        self.failures: dict[str, Failure] = {}
        self.recipient_codes: dict[tuple[str, str], str] = {}
        self.refused: list[dict[str, Any]] = []
        self.hooks: dict[str, Hook] = {}
        self.calls: Counter[str] = Counter()
        self.access_tokens = {DEV_ACCESS_TOKEN}
        self.refresh_tokens = {DEV_REFRESH_TOKEN}
        self.listeners: list[Any] = []
        self._ids = itertools.count(1)

    def reset(self) -> None:
        self.messages.clear()
        self.esms_requests.clear()
        self.failures.clear()
        self.recipient_codes.clear()
        self.refused.clear()
        self.hooks.clear()
        self.calls.clear()

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}{uuid.uuid4().hex[:8]}"

    def next_number(self) -> int:
        return next(self._ids)

    def store(self, sent: Sent) -> Sent:
        self.messages.append(sent)
        if len(self.messages) > self.max_messages:
            del self.messages[: len(self.messages) - self.max_messages]
        for listener in self.listeners:
            listener(sent)
        return sent

    def refusal(self, provider: str, recipient: str) -> str | None:
        """The error code configured for this recipient, if any; every refusal is remembered (GET /_admin/refused)."""
        code = self.recipient_codes.get((provider, recipient))
        if code is not None:
            self.refused.append({"provider": provider, "recipient": recipient, "code": code, "at": time.time()})
            if len(self.refused) > self.max_messages:
                del self.refused[: len(self.refused) - self.max_messages]
        return code

    def failure(self, provider: str) -> Failure | None:
        found = self.failures.get(provider)
        if found is None:
            return None
        if not found.active():
            self.failures.pop(provider, None)
            return None
        found.consume()
        return found

    def run_hook(self, provider: str) -> None:
        hook = self.hooks.get(provider)
        if hook is None or hook.remaining <= 0:
            return
        if hook.after > 0:
            hook.after -= 1
            return
        hook.remaining -= 1
        if hook.action == "sigkill":
            log.warning("fake_hook_sigkill", provider=provider, pid=hook.pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(hook.pid, signal.SIGKILL)

    def by_channel(self, channel: str = "", recipient: str = "") -> list[Sent]:
        return [m for m in self.messages if (not channel or m.channel == channel) and (not recipient or m.recipient == recipient)]


class Receipts:
    """Send delivery receipts to the gateway after a delay, like the providers do.

    aiohttp, as the notification service's own provider calls: with httpx these callbacks cost the fakes
    ~1.5 ms of CPU each under load, which on a shared machine was taken from the services measured.
    """

    def __init__(self, settings: FakesSettings) -> None:
        self._s = settings
        self._session: aiohttp.ClientSession | None = None  # created inside the running loop
        self._tasks: set[asyncio.Task[None]] = set()

    def schedule(self, coro: Any) -> None:
        if not self._s.fakes_receipts:
            coro.close()
            return
        task = asyncio.create_task(self._later(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _later(self, coro: Any) -> None:
        await asyncio.sleep(self._s.fakes_receipt_delay_seconds)
        try:
            await coro
        except Exception as exc:
            log.info("fake_receipt_failed", error=f"{type(exc).__name__}: {exc}")

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        return self._session

    async def _send(self, method: str, url: str, **kwargs: Any) -> None:
        async with self._client().request(method, url, **kwargs) as response:
            await response.read()

    async def esms(self, callback_url: str, sent: Sent, request_id: str, delivered: bool) -> None:
        if not callback_url:
            return
        await self._send("GET", callback_url, params={
            "SMSID": sent.id, "SendFailed": "0" if delivered else "1", "SendStatus": "5" if delivered else "4",
            "SendSuccess": "1" if delivered else "0", "TotalPrice": "750", "TotalReceiver": "1", "TotalSent": "1",
            "RequestId": request_id, "TypeId": "2", "telcoid": "1", "phonenumber": sent.recipient})

    async def speedsms(self, sent: Sent, status: int) -> None:
        url = f"{self._s.fakes_gateway_url.rstrip('/')}/api/v1/provider-callbacks/speedsms/{self._s.provider_callback_token}"
        await self._send("POST", url, json={"type": "report", "tranId": int(sent.id.split("-")[-1]),
                                            "phone": sent.recipient, "status": status})

    async def zalo(self, sent: Sent, user_id: str) -> None:
        stamp = str(int(time.time() * 1000))
        body = json.dumps({
            "app_id": self._s.zalo.app_id, "oa_id": self._s.zalo.oa_id, "event_name": "user_received_message",
            "sender": {"id": self._s.zalo.oa_id}, "recipient": {"id": user_id},
            "message": {"msg_id": sent.id, "tracking_id": sent.tracking_id, "delivery_time": stamp},
            "timestamp": stamp,
        }, separators=(",", ":")).encode()
        signature = zalo_event_signature(app_id=self._s.zalo.app_id, body=body, timestamp=stamp,
                                         oa_secret_key=self._s.zalo.oa_secret_key)
        await self._send("POST", f"{self._s.fakes_gateway_url.rstrip('/')}/api/v1/provider-callbacks/zalo", data=body,
                         headers={"Content-Type": "application/json", "X-ZEvent-Signature": signature})

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()


def build_app(state: FakeState, settings: FakesSettings, receipts: Receipts) -> Starlette:
    async def injected(provider: str) -> Response | None:
        """Apply an active failure mode; return the response to give instead, or None."""
        state.calls[provider] += 1
        failure = state.failure(provider)
        if failure is None:
            return None
        if failure.mode == "timeout":
            await asyncio.sleep(60)
            return JSONResponse({"error": "timeout"}, status_code=504)
        if failure.mode == "http_500":
            return JSONResponse({"error": "Internal Server Error"}, status_code=500)
        if failure.mode == "http_503":
            return JSONResponse({"error": "Service Unavailable"}, status_code=503)
        return JSONResponse(_error_body(provider, failure.code))

    async def esms_send(request: Request) -> Response:
        if (early := await injected("esms")) is not None:
            return early
        body = await request.json()
        phone, request_id = str(body.get("Phone", "")), str(body.get("RequestId", ""))
        if not body.get("ApiKey") or not body.get("SecretKey"):
            return JSONResponse({"CodeResult": "101", "CountRegenerate": 0, "ErrorMessage": "Authorize Failed"})
        if not phone.isdigit() or len(phone) not in (10, 11):
            return JSONResponse({"CodeResult": "108", "CountRegenerate": 0, "ErrorMessage": "Phone not valid"})
        if code := state.refusal("esms", phone):
            return JSONResponse({"CodeResult": code, "CountRegenerate": 0, "ErrorMessage": "rejected by the fake"})
        if request_id and request_id in state.esms_requests:
            return JSONResponse({"CodeResult": "124", "CountRegenerate": 0, "ErrorMessage": "Request exist 1",
                                 "SendStatus": "5", "SMSID": state.esms_requests[request_id].id})
        sent = state.store(Sent(id=state.next_id("esms-"), channel="sms", provider="esms", recipient=phone,
                                text=str(body.get("Content", "")), tracking_id=request_id))
        if request_id:
            state.esms_requests[request_id] = sent
        state.run_hook("esms")
        receipts.schedule(receipts.esms(str(body.get("CallbackUrl", "")), sent, request_id, delivered=True))
        return JSONResponse({"CodeResult": "100", "CountRegenerate": 0, "SMSID": sent.id})

    async def esms_status(request: Request) -> Response:
        ref = request.query_params.get("RefId", "")
        found = next((m for m in state.messages if m.id == ref), None)
        if found is None:
            return JSONResponse({"CodeResponse": "105", "SMSID": ref})
        return JSONResponse({"CodeResponse": "100", "SMSID": ref, "SendFailed": 0, "SendStatus": 5, "SendSuccess": 1,
                             "TotalPrice": 750.0, "TotalReceiver": 1, "TotalSent": 1})

    async def speedsms_send(request: Request) -> Response:
        if not request.headers.get("authorization", "").lower().startswith("basic "):
            return JSONResponse({"status": "error", "code": "009", "message": "access token required"}, status_code=401)
        if (early := await injected("speedsms")) is not None:
            return early
        body = await request.json()
        to = body.get("to") or []
        phone = str(to[0]) if to else ""
        if not phone.isdigit() or not phone.startswith("84"):
            return JSONResponse({"status": "error", "code": "105", "message": "invalid phone", "invalidPhone": [phone]})
        if code := state.refusal("speedsms", phone):
            return JSONResponse({"status": "error", "code": code, "message": "rejected by the fake"})
        tran_id = state.next_number()
        sent = state.store(Sent(id=f"speedsms-{tran_id}", channel="sms", provider="speedsms", recipient=phone,
                                text=str(body.get("content", ""))))
        state.run_hook("speedsms")
        receipts.schedule(receipts.speedsms(sent, 0))
        return JSONResponse({"status": "success", "code": "00",
                             "data": {"tranId": tran_id, "totalSMS": 1, "totalPrice": 700, "invalidPhone": []}})

    def token_ok(request: Request) -> bool:
        return request.headers.get("access_token", "") in state.access_tokens

    async def zalo_cs(request: Request) -> Response:
        if (early := await injected("zalo_oa")) is not None:
            return early
        if not token_ok(request):
            return JSONResponse({"error": -216, "message": "Access token is invalid"})
        body = await request.json()
        user_id = str((body.get("recipient") or {}).get("user_id", ""))
        text = str((body.get("message") or {}).get("text", ""))
        card = ((body.get("message") or {}).get("attachment") or {}).get("payload") or {}
        if card.get("template_type") == "request_user_info" and card.get("elements"):
            first = card["elements"][0]
            text = f"[request_user_info] {first.get('title', '')}\n{first.get('subtitle', '')}"
        if code := state.refusal("zalo_oa", user_id):
            return JSONResponse({"error": int(code), "message": "rejected by the fake"})
        if not user_id or not text:
            return JSONResponse({"error": -201, "message": "Parameters are invalid"})
        sent = state.store(Sent(id=state.next_id("oa-"), channel="zalo_cs", provider="zalo_oa", recipient=user_id, text=text))
        state.run_hook("zalo_oa")
        receipts.schedule(receipts.zalo(sent, user_id))
        return JSONResponse({"error": 0, "message": "Success", "data": {"message_id": sent.id, "user_id": user_id}})

    async def zns(request: Request) -> Response:
        if (early := await injected("zalo_zns")) is not None:
            return early
        if not token_ok(request):
            return JSONResponse({"error": -124, "message": "Access token is invalid"})
        body = await request.json()
        phone = str(body.get("phone", ""))
        if not phone.isdigit() or not phone.startswith("84"):
            return JSONResponse({"error": -108, "message": "Phone number is invalid"})
        if code := state.refusal("zalo_zns", phone):
            return JSONResponse({"error": int(code), "message": "rejected by the fake"})
        if not body.get("template_id") or not body.get("template_data"):
            return JSONResponse({"error": -111, "message": "Template data is empty"})
        data = {str(k): str(v) for k, v in (body.get("template_data") or {}).items()}
        sent = state.store(Sent(id=state.next_id("zns-"), channel="zns", provider="zalo_zns", recipient=phone,
                                template_id=str(body["template_id"]), template_data=data,
                                text=" | ".join(f"{k}: {v}" for k, v in data.items()),
                                tracking_id=str(body.get("tracking_id", ""))))
        state.run_hook("zalo_zns")
        receipts.schedule(receipts.zalo(sent, phone))
        return JSONResponse({"error": 0, "message": "Success", "data": {
            "msg_id": sent.id, "sent_time": str(int(time.time() * 1000)),
            "quota": {"dailyQuota": "500000", "remainingQuota": "499999"}}})

    async def oauth(request: Request) -> Response:
        state.calls["zalo_oauth"] += 1
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") != "refresh_token" or not request.headers.get("secret_key"):
            return JSONResponse({"error": -14002, "error_name": "Invalid request", "error_description": "bad request"})
        refresh = str(form.get("refresh_token", ""))
        if refresh not in state.refresh_tokens:
            return JSONResponse({"error": -14014, "error_name": "Invalid refresh token",
                                 "error_description": "refresh token is invalid or already used"})
        state.refresh_tokens.discard(refresh)  # single use, as Zalo's
        access, new_refresh = f"fake-at-{uuid.uuid4().hex}", f"fake-rt-{uuid.uuid4().hex}"
        state.access_tokens.add(access)
        state.refresh_tokens.add(new_refresh)
        return JSONResponse({"access_token": access, "refresh_token": new_refresh, "expires_in": "90000"})

    async def messages(request: Request) -> Response:
        found = state.by_channel(request.query_params.get("channel", ""), request.query_params.get("recipient", ""))
        limit = int(request.query_params.get("limit", "500"))
        return JSONResponse({"count": len(found), "items": [asdict(m) for m in found[-limit:][::-1]]})

    async def page(_: Request) -> Response:
        return HTMLResponse(_html_page(state))

    async def admin_failures(request: Request) -> Response:
        if request.method == "DELETE":
            state.failures.clear()
            return JSONResponse({"ok": True})
        body = await request.json()
        seconds, count = body.get("seconds"), body.get("count")
        state.failures[str(body["provider"])] = Failure(
            mode=str(body.get("mode", "http_500")), until=time.monotonic() + float(seconds) if seconds else None,
            remaining=int(count) if count is not None else None, code=str(body.get("code", "")))
        return JSONResponse({"ok": True})

    async def admin_recipients(request: Request) -> Response:
        body = await request.json()
        recipient = str(body["recipient"])
        provider = str(body["provider"])
        if provider in ("esms",):
            recipient = "0" + recipient.lstrip("+")[2:] if recipient.lstrip("+").startswith("84") else recipient
        elif provider in ("speedsms", "zalo_zns"):
            recipient = recipient.lstrip("+")
        state.recipient_codes[(provider, recipient)] = str(body["code"])
        return JSONResponse({"ok": True})

    async def admin_hooks(request: Request) -> Response:
        body = await request.json()
        state.hooks[str(body["provider"])] = Hook(action=str(body.get("action", "sigkill")), pid=int(body["pid"]),
                                                  remaining=int(body.get("count", 1)), after=int(body.get("after", 0)))
        return JSONResponse({"ok": True})

    async def admin_expire(_: Request) -> Response:
        state.access_tokens.clear()
        return JSONResponse({"ok": True})

    async def admin_reset(_: Request) -> Response:
        state.reset()
        return JSONResponse({"ok": True})

    async def admin_refused(_: Request) -> Response:
        return JSONResponse({"refused": state.refused})

    async def admin_stats(_: Request) -> Response:
        per = Counter(m.channel for m in state.messages)
        return JSONResponse({"messages": dict(per), "calls": dict(state.calls), "failures": list(state.failures)})

    return Starlette(routes=[
        Route("/MainService.svc/json/SendMultipleMessage_V4_post_json/", esms_send, methods=["POST"]),
        Route("/MainService.svc/json/GetSendStatus", esms_status, methods=["GET"]),
        Route("/index.php/sms/send", speedsms_send, methods=["POST"]),
        Route("/v3.0/oa/message/cs", zalo_cs, methods=["POST"]),
        Route("/message/template", zns, methods=["POST"]),
        Route("/v4/oa/access_token", oauth, methods=["POST"]),
        Route("/messages", messages, methods=["GET"]),
        Route("/", page, methods=["GET"]),
        Route("/_admin/failures", admin_failures, methods=["POST", "DELETE"]),
        Route("/_admin/recipients", admin_recipients, methods=["POST"]),
        Route("/_admin/hooks", admin_hooks, methods=["POST"]),
        Route("/_admin/zalo/expire-token", admin_expire, methods=["POST"]),
        Route("/_admin/reset", admin_reset, methods=["POST"]),
        Route("/_admin/stats", admin_stats, methods=["GET"]),
        Route("/_admin/refused", admin_refused, methods=["GET"]),
    ])


def _error_body(provider: str, code: str) -> dict[str, Any]:
    if provider == "esms":
        return {"CodeResult": code or "99", "CountRegenerate": 0, "ErrorMessage": "injected by the fake"}
    if provider == "speedsms":
        return {"status": "error", "code": code or "500", "message": "injected by the fake"}
    return {"error": int(code or -100), "message": "injected by the fake"}


_LABELS = {"zalo_cs": "Zalo OA (tin tư vấn)", "zns": "Zalo ZNS", "sms": "SMS", "email": "E-mail"}


def _html_page(state: FakeState) -> str:
    sections = []
    for channel, label in _LABELS.items():
        items = state.by_channel(channel)[-100:][::-1]
        rows = "".join(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><b>{}</b><pre>{}</pre></td></tr>".format(
                time.strftime("%H:%M:%S", time.localtime(m.received_at)), html.escape(m.provider), html.escape(m.recipient),
                html.escape(m.template_id or m.tracking_id), html.escape(m.subject), html.escape(m.text))
            for m in items)
        sections.append(f"<h2>{label} <small>({len(state.by_channel(channel))})</small></h2>"
                        f"<table><tr><th>giờ</th><th>nhà cung cấp</th><th>người nhận</th><th>mẫu / mã theo dõi</th>"
                        f"<th>nội dung</th></tr>{rows or '<tr><td colspan=5>chưa có tin nào</td></tr>'}</table>")
    return ('<!doctype html><html lang="vi"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3">'
            "<title>Một Cửa — tin đã gửi (giả lập)</title><style>body{font-family:Arial,sans-serif;margin:1em}"
            "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px;vertical-align:top;"
            "font-size:13px;text-align:left}pre{white-space:pre-wrap;margin:0}</style></head><body>"
            "<h1>Tin nhắn đã \"gửi\" qua các nhà cung cấp giả lập</h1>"
            "<p>JSON: <a href=\"/messages\">/messages</a>?channel=sms|zns|zalo_cs|email</p>" + "".join(sections) + "</body></html>")


def dsn_message(*, reporting_mta: str, envelope_from: str, recipient: str, status: str, original: bytes) -> bytes:
    """A delivery status notification (RFC 3464) as a mail server writes it when a message it accepted bounces."""
    from email.message import Message
    from email.mime.base import MIMEBase
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = f"Mail Delivery System <MAILER-DAEMON@{reporting_mta}>"
    report["To"] = envelope_from
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Auto-Submitted"] = "auto-replied"
    report.attach(MIMEText(f"This is the mail system at host {reporting_mta}.\n\nYour message could not be "
                           f"delivered to {recipient}.\n", "plain"))
    action = "failed" if status.startswith("5.") else "delayed"
    per_message, per_recipient, status_part = Message(), Message(), Message()
    per_message["Reporting-MTA"] = f"dns; {reporting_mta}"
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    per_recipient["Diagnostic-Code"] = (f"smtp; {'550' if action == 'failed' else '451'} {status} <{recipient}>: "
                                        "Recipient address rejected (fake)")
    status_part["Content-Type"] = "message/delivery-status"
    status_part.attach(per_message)  # the per-message block, then one block per recipient
    status_part.attach(per_recipient)
    report.attach(status_part)
    headers = MIMEBase("text", "rfc822-headers")
    headers.set_payload(original.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("utf-8", errors="replace"),
                        "utf-8")
    report.attach(headers)
    return report.as_bytes()


class _SmtpHandler:
    def __init__(self, state: FakeState, bounce_to: str = "") -> None:
        self.state = state
        self.bounce_to = bounce_to
        self._tasks: set[asyncio.Task[None]] = set()

    def _bounce_later(self, envelope_from: str, recipient: str, status: str, original: bytes) -> None:
        async def send() -> None:
            import aiosmtplib

            await asyncio.sleep(0.1)
            host, _, port = self.bounce_to.rpartition(":")
            raw = dsn_message(reporting_mta="fake-smtp.motcua.local", envelope_from=envelope_from, recipient=recipient,
                              status=status, original=original)
            try:  # null reverse-path (MAIL FROM:<>): a bounce is never bounced
                async with aiosmtplib.SMTP(hostname=host, port=int(port), timeout=5) as client:
                    await client.sendmail("", [envelope_from], raw)
            except Exception as exc:
                log.warning("fake_bounce_not_sent", error=f"{type(exc).__name__}: {exc}")

        task = asyncio.create_task(send())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if code := self.state.refusal("smtp", address):
            return f"{code} mailbox unavailable (fake)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.state.calls["smtp"] += 1
        failure = self.state.failure("smtp")
        if failure is not None:
            return "451 4.3.0 temporary failure (fake)"
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        text_part = parsed.get_body(preferencelist=("plain",))
        html_part = parsed.get_body(preferencelist=("html",))
        for rcpt in envelope.rcpt_tos:
            self.state.store(Sent(
                id=str(parsed.get("Message-ID", "")).strip("<>") or self.state.next_id("mail-"), channel="email",
                provider="smtp", recipient=rcpt, subject=str(parsed.get("Subject", "")),
                text=text_part.get_content() if text_part is not None else "",
                html=html_part.get_content() if html_part is not None else "",
                tracking_id=str(parsed.get("X-Motcua-Tracking-Id", ""))))
        self.state.run_hook("smtp")
        for rcpt in envelope.rcpt_tos:
            status = self.state.recipient_codes.get(("smtp_bounce", rcpt))
            if status and self.bounce_to and envelope.mail_from:
                self._bounce_later(envelope.mail_from, rcpt, status, envelope.content)
        return "250 Message accepted for delivery"


class FakeProviders:
    """The fakes in this event loop: HTTP (uvicorn) and SMTP (aiosmtpd)."""

    def __init__(self, settings: FakesSettings | None = None) -> None:
        self.settings = settings or FakesSettings()
        self.state = FakeState(self.settings.fakes_max_messages)
        self.receipts = Receipts(self.settings)
        self.app = build_app(self.state, self.settings, self.receipts)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._smtp: asyncio.base_events.Server | None = None

    @property
    def http_url(self) -> str:
        return f"http://{self.settings.fakes_host}:{self.settings.fakes_http_port}"

    @property
    def smtp_port(self) -> int:
        return self.settings.fakes_smtp_port

    async def start(self) -> None:
        config = uvicorn.Config(self.app, host=self.settings.fakes_host, port=self.settings.fakes_http_port,
                                log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("the fakes' HTTP server did not start")
            await asyncio.sleep(0.02)
        loop = asyncio.get_running_loop()
        self._smtp = await loop.create_server(
            partial(SMTP, _SmtpHandler(self.state, self.settings.fakes_bounce_smtp), hostname="fake-smtp.motcua.local",
                    ident="Mot Cua fake SMTP"),
            host=self.settings.fakes_host, port=self.settings.fakes_smtp_port)
        log.info("fakes_started", http=self.http_url, smtp=f"{self.settings.fakes_host}:{self.smtp_port}")

    async def stop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._smtp.wait_closed(), 2)
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 5)
        await self.receipts.close()


async def serve_forever(settings: FakesSettings | None = None) -> None:
    fakes = FakeProviders(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await fakes.start()
    try:
        await stop.wait()
    finally:
        await fakes.stop()


def main() -> int:
    import uvloop

    from motcua_platform.logging import configure_logging

    configure_logging(service="notification-fakes", level=os.environ.get("MOTCUA_LOG_LEVEL", "INFO"),
                      fmt=os.environ.get("MOTCUA_LOG_FORMAT", "json"))
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:  # the services' loop (platform setting)
            runner.run(serve_forever())
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"notification fakes: {exc} (MOTCUA_FAKES_HTTP_PORT / MOTCUA_FAKES_SMTP_PORT)")
        return 1
    return 0
