"""`/console`: the officer console — server-rendered, Vietnamese, works without JavaScript.

Who may open what (roles from the token, checked on every request):

| page | officer | volunteer | operator | agency |
|---|---|---|---|---|
| home, sign-out | yes | yes | yes | yes |
| home-visit verification queue (`/xac-minh`) | yes | — | yes | — |
| day schedule (`/lich`) | yes | yes (phones masked) | yes | — |
| dossier reception (`/tiep-nhan`) | yes | yes (channel: volunteer) | — | — |
| dossiers and transitions (`/ho-so`) | own agency | — | all | — |
| a citizen's notifications (`/thong-bao`) | own agency's dossiers | — | yes | — |
| ward figures (`/so-lieu`) | own agency | — | all | — |

(The demo operator `vanhanh` also holds the officer role.) Anonymous callers are sent to
`/console/dang-nhap`; a wrong role gets a Vietnamese 403 page. Every POST carries the
session-bound CSRF token (`console.session`). Backing services are called over the app's gRPC
channels with deadlines; their domain errors come back as Vietnamese pages, never a 500.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import grpc
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.routing import APIRoute
from google.protobuf import timestamp_pb2
from pydantic import ValidationError

from motcua.catalogue.v1 import catalogue_service_pb2 as cpb
from motcua.catalogue.v1.catalogue_service_pb2_grpc import CatalogueServiceStub
from motcua.common.v1 import common_pb2
from motcua.dossier.v1 import dossier_service_pb2 as dpb
from motcua.dossier.v1.dossier_service_pb2_grpc import DossierServiceStub
from motcua.notification.v1 import notification_service_pb2 as npb
from motcua.notification.v1.notification_service_pb2_grpc import NotificationServiceStub
from motcua.scheduler.v1 import scheduler_service_pb2 as spb
from motcua.scheduler.v1.scheduler_service_pb2_grpc import SchedulerServiceStub
from motcua_gateway import web
from motcua_gateway.auth import DevTokenRequest, Principal, dev_token
from motcua_gateway.console import STATIC_DIR, TEMPLATES_DIR
from motcua_gateway.console.charts import bar_chart
from motcua_gateway.console.session import (
    STAFF_ROLES,
    CsrfRefused,
    SignInRequired,
    check_csrf,
    clear_session_cookie,
    csrf_token,
    finish,
    read_session,
    set_session_cookie,
)
from motcua_gateway.ratelimit import TokenBucketLimiter, client_ip
from motcua_gateway.routes.scheduling import _HELP_LABELS, _HELP_NAMES, _MODEL_LABELS, _MODEL_NAMES, _STATUS
from motcua_platform.errors import MotcuaError, PermissionDenied
from motcua_platform.grpc_client import decode_rpc_error
from motcua_platform.logging import get_logger, mask_name, mask_phone

log = get_logger(__name__)

DEADLINE = 5.0
VIETNAM = web.VIETNAM
SIGN_IN = "/console/dang-nhap"

#: key → (path, menu label, roles allowed, description on the home page)
PAGES: dict[str, tuple[str, str, tuple[str, ...], str]] = {
    "home": ("/console", "Trang chính", STAFF_ROLES, ""),
    "queue": ("/console/xac-minh", "Xác minh tại nhà", ("officer", "operator"),
              "Yêu cầu hỗ trợ tại nhà chờ cán bộ gọi lại xác minh."),
    "schedule": ("/console/lich", "Lịch trong ngày", ("officer", "volunteer", "operator"),
                 "Lịch hẹn trong ngày theo điểm hỗ trợ, điểm dừng xe lưu động, cán bộ hoặc tình nguyện viên."),
    "reception": ("/console/tiep-nhan", "Tiếp nhận hồ sơ", ("officer", "volunteer"),
                  "Nộp hồ sơ thay công dân và in giấy tiếp nhận."),
    "dossiers": ("/console/ho-so", "Hồ sơ", ("officer", "operator"),
                 "Danh sách hồ sơ, hồ sơ sắp đến hạn, quá hạn; chuyển trạng thái."),
    "notifications": ("/console/thong-bao", "Thông báo", ("officer", "operator"),
                      "Tin nhắn đã gửi cho công dân và tình trạng gửi."),
    "figures": ("/console/so-lieu", "Số liệu", ("officer", "operator"),
                "Số người được hỗ trợ, tỷ lệ hồ sơ trực tuyến, tỷ lệ đúng hạn, hồ sơ quá hạn."),
}

FLASH = {
    "signed_out": "Bạn đã đăng xuất.",
    "verified_confirmed": "Đã xác nhận lịch hỗ trợ tại nhà. Công dân sẽ nhận được thông báo.",
    "verified_unreachable": "Đã ghi nhận: chưa liên lạc được với công dân. Yêu cầu vẫn nằm trong danh sách chờ.",
    "verified_rejected": "Đã từ chối yêu cầu và ghi lại lý do.",
    "moved": "Đã chuyển trạng thái hồ sơ.",
}

CHANNEL_LABELS = {
    common_pb2.CHANNEL_WEB: "Cổng dịch vụ công (web)", common_pb2.CHANNEL_ZALO: "Zalo OA", common_pb2.CHANNEL_SMS: "SMS",
    common_pb2.CHANNEL_KIOSK: "Điểm hỗ trợ cộng đồng", common_pb2.CHANNEL_MOBILE_BUS: "Xe dịch vụ công lưu động",
    common_pb2.CHANNEL_HOME_VISIT: "Cán bộ hỗ trợ tại nhà", common_pb2.CHANNEL_VOLUNTEER: "Tình nguyện viên",
    common_pb2.CHANNEL_COUNTER: "Bộ phận Một cửa (quầy)", common_pb2.CHANNEL_REMOTE: "Hỗ trợ từ xa",
}
#: Channels an officer may record a reception on; volunteers always receive as "volunteer".
RECEPTION_CHANNELS = {"counter": common_pb2.CHANNEL_COUNTER, "kiosk": common_pb2.CHANNEL_KIOSK,
                      "mobile_bus": common_pb2.CHANNEL_MOBILE_BUS, "home_visit": common_pb2.CHANNEL_HOME_VISIT,
                      "volunteer": common_pb2.CHANNEL_VOLUNTEER}
DELIVERIES = {"counter": (dpb.RESULT_DELIVERY_COUNTER, "Nhận tại Bộ phận Một cửa"),
              "post": (dpb.RESULT_DELIVERY_POST, "Qua dịch vụ bưu chính"),
              "online": (dpb.RESULT_DELIVERY_ONLINE, "Nhận kết quả điện tử")}
STATUS_LABELS = {1: "Mới đăng ký", 2: "Được tiếp nhận", 3: "Không được tiếp nhận", 4: "Đang xử lý",
                 5: "Yêu cầu bổ sung giấy tờ", 6: "Yêu cầu thực hiện nghĩa vụ tài chính", 7: "Công dân yêu cầu rút hồ sơ",
                 8: "Dừng xử lý", 9: "Đã xử lý xong", 10: "Đã trả kết quả"}
#: Targets that need a reason (TransitionDossierRequest.reason).
REASON_REQUIRED = {3, 5, 7, 8}
OPEN_STATUSES = [2, 4, 5, 6, 8]
NOTIFY_STATUS = {npb.DELIVERY_STATUS_QUEUED: "Đang chờ gửi", npb.DELIVERY_STATUS_SENT: "Đã gửi",
                 npb.DELIVERY_STATUS_DELIVERED: "Đã đến máy người nhận", npb.DELIVERY_STATUS_FAILED: "Gửi thất bại",
                 npb.DELIVERY_STATUS_SUPPRESSED: "Không gửi (người nhận từ chối hoặc trùng lặp)"}
NOTIFY_CHANNEL = {npb.NOTIFICATION_CHANNEL_ZALO: "Zalo", npb.NOTIFICATION_CHANNEL_SMS: "SMS",
                  npb.NOTIFICATION_CHANNEL_EMAIL: "Thư điện tử"}
VERIFY_OUTCOMES = {"confirmed": spb.VERIFICATION_OUTCOME_CONFIRMED, "unreachable": spb.VERIFICATION_OUTCOME_UNREACHABLE,
                   "rejected": spb.VERIFICATION_OUTCOME_REJECTED}
_CODE = re.compile(r"^[0-9A-Za-z.]{1,20}-\d{6}-\d{4}$")
_NEXT = re.compile(r"^/console(?:/[\w\-./%]*)?(?:\?[\w\-.=&%+]*)?$")


# -- route class: errors become Vietnamese pages ----------------------------------------------------


class ConsolePageError(Exception):
    def __init__(self, status: int, title: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.headers = status, title, message, headers or {}


class ConsoleRoute(APIRoute):
    """Turn sign-in redirects, CSRF refusals and backend errors into pages (not problem+json)."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except SignInRequired as exc:
                target = request.url.path + (f"?{request.url.query}" if request.url.query and request.method == "GET" else "")
                query = {"next": target}
                if exc.expired:
                    query["het-han"] = "1"
                response = RedirectResponse(f"{SIGN_IN}?{urlencode(query)}", status_code=303)
                if exc.expired:
                    clear_session_cookie(response)
                return response
            except CsrfRefused:
                return error_page(request, 403, "Yêu cầu không hợp lệ",
                                  "Biểu mẫu đã hết hạn hoặc không được gửi từ bàn làm việc Một Cửa. "
                                  "Vui lòng tải lại trang và thử lại.")
            except ConsolePageError as exc:
                return error_page(request, exc.status, exc.title, exc.message, exc.headers)
            except web.PageError as exc:
                return error_page(request, exc.status, exc.title, exc.message, exc.headers)
            except MotcuaError as exc:
                headers = {"Retry-After": exc.metadata["retry_after"]} if "retry_after" in exc.metadata else {}
                return error_page(request, exc.http_status, _title(exc.http_status), exc.message_vi, headers)
            except grpc.aio.AioRpcError as exc:
                status, message = rpc_message(exc)
                return error_page(request, status, _title(status), message)
            except (RequestValidationError, ValidationError):
                return error_page(request, 422, "Dữ liệu không hợp lệ", "Địa chỉ trang hoặc dữ liệu gửi lên không hợp lệ.")

        return handler


def _title(status: int) -> str:
    return {401: "Chưa đăng nhập", 403: "Không có quyền truy cập", 404: "Không tìm thấy", 409: "Dữ liệu đã thay đổi",
            422: "Dữ liệu không hợp lệ", 429: "Quá nhiều yêu cầu", 503: "Dịch vụ tạm thời không khả dụng"}.get(
        status, "Có lỗi xảy ra")


def rpc_message(exc: grpc.aio.AioRpcError) -> tuple[int, str]:
    """HTTP status and Vietnamese text of a failed gRPC call."""
    domain = decode_rpc_error(exc)
    if domain is not None:
        return domain.http_status, domain.message_vi
    if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        log.warning("console_upstream_unavailable", grpc_code=exc.code().name)
        return 503, "Dịch vụ tạm thời không khả dụng, vui lòng thử lại sau."
    log.error("console_upstream_failed", grpc_code=exc.code().name)
    return 500, "Hệ thống đang gặp sự cố, vui lòng thử lại sau."


router = APIRouter(prefix="/console", include_in_schema=False, route_class=ConsoleRoute)


# -- helpers ----------------------------------------------------------------------------------------


def render(request: Request, template: str, context: dict[str, Any], *, status: int = 200, current: str = "",
           headers: dict[str, str] | None = None) -> Response:
    """Render a console page: menu for the signed-in roles, CSRF token, no caching, no Referer."""
    user = read_session(request).principal
    menu = [{"href": path, "label": label, "current": key == current}
            for key, (path, label, roles, _) in PAGES.items() if user is not None and user.has_role(*roles)]
    flash = FLASH.get(request.query_params.get("ok", ""), "")
    values = {"user": user, "menu": menu, "console_csrf": csrf_token(request), "flash": flash, "error": "",
              "title": "", **context}
    response = web.render(request, template, values, status=status, token_url=True, headers=headers,
                          extra_dirs=(str(TEMPLATES_DIR),))
    return finish(request, response)


def error_page(request: Request, status: int, title: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return render(request, "console/error.html", {"title": title, "message": message, "status": status},
                  status=status, headers=headers)


def require(request: Request, page: str) -> Principal:
    """The signed-in principal if it may open `page`; otherwise redirect to sign-in (anonymous) or a 403 page."""
    session = read_session(request)
    if session.principal is None:
        raise SignInRequired(expired=session.expired)
    roles = PAGES[page][2]
    if not session.principal.has_role(*roles):
        raise ConsolePageError(403, "Không có quyền truy cập",
                               "Tài khoản của bạn không có quyền mở trang này. Vui lòng liên hệ quản trị hệ thống "
                               "nếu bạn cần quyền này.")
    return session.principal


async def post_form(request: Request) -> dict[str, str]:
    form = await web.read_form(request)
    check_csrf(request, form)
    return form


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def actor(principal: Principal) -> common_pb2.Actor:
    role = common_pb2.ACTOR_ROLE_OFFICER if principal.has_role("officer", "operator") else common_pb2.ACTOR_ROLE_VOLUNTEER
    return common_pb2.Actor(id=principal.subject, role=role, display_name=principal.name)


def _stub(request: Request, name: str, kind: type) -> Any:
    return kind(request.app.state.channels[name])


def dossiers(request: Request) -> DossierServiceStub:
    return _stub(request, "dossier", DossierServiceStub)


def scheduler(request: Request) -> SchedulerServiceStub:
    return _stub(request, "scheduler", SchedulerServiceStub)


def catalogue(request: Request) -> CatalogueServiceStub:
    return _stub(request, "catalogue", CatalogueServiceStub)


def notifications(request: Request) -> NotificationServiceStub:
    return _stub(request, "notification", NotificationServiceStub)


def when(ts: timestamp_pb2.Timestamp) -> datetime | None:
    if not (ts.seconds or ts.nanos):
        return None
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, UTC)


def today() -> date:
    return datetime.now(VIETNAM).date()


def parse_day(value: str, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConsolePageError(422, "Ngày không hợp lệ", f"Ngày “{value[:20]}” không hợp lệ; hãy chọn ngày theo dạng "
                                                        "năm-tháng-ngày.") from None


def local_date(value: date) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=value.year, month=value.month, day=value.day)


def page_number(value: str) -> int:
    return int(value) if value.isdigit() and 0 < int(value) <= 10_000 else 1


def check_code(code: str) -> str:
    code = code.strip()
    if not _CODE.match(code):
        raise ConsolePageError(404, "Không tìm thấy", f"Mã hồ sơ “{code[:40]}” không đúng định dạng.")
    return code


def check_agency(principal: Principal, code: str) -> None:
    """An officer bound to an agency sees that agency's dossiers only (the code starts with the agency code)."""
    if principal.has_role("operator") or not principal.agency:
        return
    if code.rsplit("-", 2)[0] != principal.agency:
        raise PermissionDenied("DOSSIER_OTHER_AGENCY", f"dossier {code} belongs to another agency",
                               "Hồ sơ thuộc cơ quan khác; cán bộ chỉ xem và xử lý hồ sơ của cơ quan mình.")


def check_uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ConsolePageError(404, "Không tìm thấy", "Không tìm thấy lịch hẹn này.") from None


def national(phone: str) -> str:
    """"+84908000999" → "0908000999" (how Vietnamese officers read and dial numbers)."""
    digits = re.sub(r"\D", "", phone)
    return "0" + digits[2:] if digits.startswith("84") and len(digits) >= 11 else phone


def booking_view(b: spb.Booking, *, reveal: bool) -> dict[str, Any]:
    """A booking for a page; the citizen's phone and name are masked unless `reveal`."""
    help_name = _HELP_NAMES.get(b.help_type, "")
    model = _MODEL_NAMES.get(b.slot.model, "")
    address = ", ".join(x for x in (b.citizen.address.street, b.citizen.address.ward_name) if x)
    return {
        "id": b.id, "status": _STATUS.get(b.status, ("", ""))[1], "status_code": _STATUS.get(b.status, ("", ""))[0],
        "help": _HELP_LABELS.get(help_name, ""), "model": _MODEL_LABELS[model][0] if model else "",
        "point": b.slot.point.name, "starts_at": when(b.slot.starts_at), "ends_at": when(b.slot.ends_at),
        "priority": b.priority, "attempts": b.verification_attempts, "note": b.note if reveal else "",
        "name": b.citizen.full_name if reveal else mask_name(b.citizen.full_name),
        "phone": national(b.citizen.phone) if reveal else mask_phone(national(b.citizen.phone)),
        "address": address if reveal else b.citizen.address.ward_name,
        "procedure_code": b.procedure_code, "channel": CHANNEL_LABELS.get(b.channel, ""),
        "created_at": when(b.created_at), "cancel_reason": b.cancel_reason,
        "history": [{"at": when(h.at), "action": h.action, "actor": h.actor.display_name, "note": h.note}
                    for h in b.history] if reveal else [],
    }


# -- static -----------------------------------------------------------------------------------------


@router.get("/static/console.css")
async def stylesheet() -> Response:
    return FileResponse(STATIC_DIR / "console.css", media_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


# -- sign-in / sign-out -----------------------------------------------------------------------------


def _safe_next(value: str) -> str:
    return value if value and _NEXT.match(value) and "//" not in value else "/console"


def _login_limiter(request: Request) -> TokenBucketLimiter:
    limiter = getattr(request.app.state, "console_login_limiter", None)
    if limiter is None:
        limiter = TokenBucketLimiter(rate=1.0, burst=30)  # per client address; an office shares one NAT
        request.app.state.console_login_limiter = limiter
    return limiter


def _sign_in_page(request: Request, *, next_url: str, error: str = "", status: int = 200, username: str = "") -> Response:
    expired = request.query_params.get("het-han") == "1"
    return render(request, "console/sign_in.html", {
        "title": "Đăng nhập", "next": next_url, "error": error, "username": username, "expired": expired,
        "dev_issuer": bool(request.app.state.verifier.dev_issuer)}, status=status)


@router.get("/dang-nhap")
async def sign_in_form(request: Request) -> Response:
    next_url = _safe_next(request.query_params.get("next", ""))
    if read_session(request).principal is not None:
        return redirect(next_url)
    return _sign_in_page(request, next_url=next_url)


@router.post("/dang-nhap")
async def sign_in(request: Request) -> Response:
    form = await post_form(request)
    next_url = _safe_next(form.get("next", ""))
    username, password, pasted = form.get("username", "").strip(), form.get("password", ""), form.get("access_token", "").strip()
    _login_limiter(request).check(client_ip(request, trust_forwarded_for=request.app.state.settings.rate_limit_trust_forwarded_for))
    verifier = request.app.state.verifier
    try:
        if pasted:
            token = pasted
            principal = verifier.verify(token)
        elif username and password and len(username) <= 64 and len(password) <= 128:
            token = (await dev_token(DevTokenRequest(username=username, password=password), request)).access_token
            principal = verifier.verify(token)
        else:
            return _sign_in_page(request, next_url=next_url, username=username[:64], status=422,
                                 error="Vui lòng nhập tên đăng nhập và mật khẩu (hoặc mã truy cập).")
    except MotcuaError as exc:
        log.info("console_sign_in_refused", reason=exc.code)
        return _sign_in_page(request, next_url=next_url, username=username[:64], status=401, error=exc.message_vi)
    if not principal.has_role(*STAFF_ROLES):
        return _sign_in_page(request, next_url=next_url, username=username[:64], status=403,
                             error="Tài khoản này không có quyền dùng bàn làm việc cán bộ.")
    log.info("console_signed_in", user=principal.subject, roles=sorted(principal.roles))
    response = redirect(next_url)
    set_session_cookie(response, request, token)
    return response


@router.post("/dang-xuat")
async def sign_out(request: Request) -> Response:
    await post_form(request)
    response = redirect(f"{SIGN_IN}?ok=signed_out")
    clear_session_cookie(response)
    return response


# -- home -------------------------------------------------------------------------------------------


@router.get("")
async def home(request: Request) -> Response:
    user = require(request, "home")
    cards = [{"href": path, "label": label, "text": text} for key, (path, label, roles, text) in PAGES.items()
             if key != "home" and user.has_role(*roles)]
    return render(request, "console/home.html", {"title": "Bàn làm việc", "cards": cards}, current="home")


# -- verification queue -----------------------------------------------------------------------------


@router.get("/xac-minh")
async def verification_queue(request: Request) -> Response:
    require(request, "queue")
    page = page_number(request.query_params.get("trang", ""))
    reply = await scheduler(request).ListVerificationQueue(
        spb.ListVerificationQueueRequest(page=common_pb2.PageRequest(page=page, page_size=20)), timeout=DEADLINE)
    items = [booking_view(b, reveal=False) for b in reply.items]
    return render(request, "console/queue.html", {"title": "Xác minh yêu cầu hỗ trợ tại nhà", "items": items,
                                                  "total": reply.page_info.total, "page": page,
                                                  "pages": max(1, -(-reply.page_info.total // 20))}, current="queue")


async def _booking_page(request: Request, user: Principal, booking_id: str, *, error: str = "", status: int = 200,
                        form: dict[str, str] | None = None) -> Response:
    b = await scheduler(request).GetBooking(spb.GetBookingRequest(booking_id=booking_id, actor=actor(user)),
                                            timeout=DEADLINE)
    log.info("console_booking_opened", booking_id=booking_id, user=user.subject)
    return render(request, "console/verify.html", {
        "title": "Gọi lại xác minh", "b": booking_view(b, reveal=True), "requested": b.status == spb.BOOKING_STATUS_REQUESTED,
        "error": error, "form": form or {}}, status=status, current="queue")


@router.get("/xac-minh/{booking_id}")
async def verification_open(request: Request, booking_id: str) -> Response:
    user = require(request, "queue")
    return await _booking_page(request, user, check_uuid(booking_id))


@router.post("/xac-minh/{booking_id}")
async def verification_record(request: Request, booking_id: str) -> Response:
    user = require(request, "queue")
    booking_id = check_uuid(booking_id)
    form = await post_form(request)
    outcome = form.get("outcome", "")
    note = form.get("note", "").strip()
    if outcome not in VERIFY_OUTCOMES:
        return await _booking_page(request, user, booking_id, status=422, form=form,
                                   error="Vui lòng chọn kết quả cuộc gọi.")
    if outcome == "rejected" and not note:
        return await _booking_page(request, user, booking_id, status=422, form=form,
                                   error="Vui lòng ghi lý do từ chối (công dân sẽ được thông báo).")
    try:
        await scheduler(request).VerifyBooking(spb.VerifyBookingRequest(
            booking_id=booking_id, actor=actor(user), outcome=VERIFY_OUTCOMES[outcome], note=note[:1000]), timeout=DEADLINE)
    except grpc.aio.AioRpcError as exc:
        status, message = rpc_message(exc)
        if status >= 500:
            raise
        return await _booking_page(request, user, booking_id, status=status, form=form, error=message)
    log.info("console_verification_recorded", booking_id=booking_id, outcome=outcome, user=user.subject)
    return redirect(f"/console/xac-minh?ok=verified_{outcome}")


# -- day schedule -----------------------------------------------------------------------------------


@router.get("/lich")
async def day_schedule(request: Request) -> Response:
    user = require(request, "schedule")
    day = parse_day(request.query_params.get("ngay", ""), today())
    target = request.query_params.get("noi", "")
    stub = scheduler(request)
    points = await stub.ListServicePoints(spb.ListServicePointsRequest(page=common_pb2.PageRequest(page_size=100)),
                                          timeout=DEADLINE)
    stops = await stub.ListRouteStops(spb.ListRouteStopsRequest(from_date=local_date(day), to_date=local_date(day)),
                                      timeout=DEADLINE)
    resources = await stub.ListResources(spb.ListResourcesRequest(), timeout=DEADLINE)
    groups = [
        ("Điểm hỗ trợ", [(f"point:{p.id}", f"{p.name} — {_MODEL_LABELS[_MODEL_NAMES[p.model]][0]}") for p in points.items
                         if p.model != spb.SERVICE_MODEL_MOBILE_BUS and p.model in _MODEL_NAMES]),
        ("Điểm dừng xe lưu động trong ngày", [(f"stop:{s.id}", f"{s.point.name} ({web.format_time(when(s.starts_at))}–"
                                                              f"{web.format_time(when(s.ends_at))})") for s in stops.items]),
        ("Cán bộ, tình nguyện viên", [(f"resource:{r.id}", r.display_name) for r in resources.items
                                      if r.kind in (spb.RESOURCE_KIND_STAFF, spb.RESOURCE_KIND_VOLUNTEER)]),
    ]
    entries: list[dict[str, Any]] = []
    chosen = ""
    if target:
        kind, _, ident = target.partition(":")
        if kind not in ("point", "stop", "resource") or not ident or len(ident) > 100:
            raise ConsolePageError(422, "Dữ liệu không hợp lệ", "Vui lòng chọn một điểm hỗ trợ, điểm dừng xe hoặc người.")
        ask = spb.GetDayScheduleRequest(date=local_date(day), **{f"{kind}_id": ident})
        schedule = await stub.GetDaySchedule(ask, timeout=DEADLINE)
        reveal = user.has_role("officer", "operator")
        for e in schedule.entries:
            entries.append({"starts_at": when(e.slot.starts_at), "ends_at": when(e.slot.ends_at), "point": e.slot.point.name,
                            "capacity": e.slot.capacity, "remaining": e.slot.remaining,
                            "bookings": [booking_view(b, reveal=reveal) for b in e.bookings]})
        chosen = next((label for _, options in groups for value, label in options if value == target), ident)
    return render(request, "console/schedule.html", {
        "title": "Lịch trong ngày", "day": day.isoformat(), "target": target, "groups": groups, "entries": entries,
        "chosen": chosen, "masked": not user.has_role("officer", "operator")}, current="schedule")


# -- dossier reception ------------------------------------------------------------------------------


def _reception_channels(user: Principal) -> list[tuple[str, str]]:
    if user.has_role("officer", "operator"):
        return [(name, CHANNEL_LABELS[value]) for name, value in RECEPTION_CHANNELS.items()]
    return [("volunteer", CHANNEL_LABELS[common_pb2.CHANNEL_VOLUNTEER])]


async def _reception_form(request: Request, user: Principal, procedure: cpb.Procedure, *, form: dict[str, str],
                          error: str = "", status: int = 200) -> Response:
    documents = [{"index": i, "name": d.name, "originals": d.originals, "copies": d.copies, "required": d.required,
                  "checked": form.get(f"doc_{i}") == "on" if form else d.required}
                 for i, d in enumerate(procedure.required_documents)]
    return render(request, "console/reception_form.html", {
        "title": "Tiếp nhận hồ sơ", "procedure": procedure, "documents": documents, "form": form,
        "channels": _reception_channels(user), "deliveries": [(k, v[1]) for k, v in DELIVERIES.items()],
        "idempotency_key": form.get("idem") or str(uuid.uuid4()), "error": error,
        "working_days": min((t.working_days for t in procedure.processing_times), default=0)},
        status=status, current="reception")


@router.get("/tiep-nhan")
async def reception(request: Request) -> Response:
    user = require(request, "reception")
    code = request.query_params.get("ma", "").strip()[:64]
    if code:
        procedure = await catalogue(request).GetProcedure(cpb.GetProcedureRequest(code=code), timeout=DEADLINE)
        return await _reception_form(request, user, procedure, form={})
    query = request.query_params.get("q", "").strip()[:200]
    results: list[Any] = []
    if query:
        found = await catalogue(request).SearchProcedures(
            cpb.SearchProceduresRequest(query=query, page=common_pb2.PageRequest(page_size=10)), timeout=DEADLINE)
        results = list(found.items)
    return render(request, "console/reception_pick.html", {"title": "Tiếp nhận hồ sơ", "q": query, "results": results},
                  current="reception")


def _int(value: str, default: int, limit: int = 100) -> int:
    return min(limit, int(value)) if value.strip().isdigit() else default


@router.post("/tiep-nhan")
async def reception_submit(request: Request) -> Response:
    user = require(request, "reception")
    form = await post_form(request)
    procedure = await catalogue(request).GetProcedure(cpb.GetProcedureRequest(code=form.get("ma", "")[:64]),
                                                      timeout=DEADLINE)
    if form.get("consent") != "on":
        return await _reception_form(request, user, procedure, form=form, status=422,
                                     error="Cần có sự đồng ý của công dân cho việc xử lý dữ liệu cá nhân.")
    channels = dict(_reception_channels(user))
    channel = form.get("channel", "")
    if channel not in channels:
        return await _reception_form(request, user, procedure, form=form, status=422, error="Vui lòng chọn kênh tiếp nhận.")
    delivery = DELIVERIES.get(form.get("result_delivery", "counter"), DELIVERIES["counter"])[0]
    documents = [dpb.ProvidedDocument(name=d.name, originals=_int(form.get(f"orig_{i}", ""), d.originals),
                                      copies=_int(form.get(f"copy_{i}", ""), d.copies))
                 for i, d in enumerate(procedure.required_documents) if form.get(f"doc_{i}") == "on"]
    ask = dpb.SubmitDossierRequest(
        idempotency_key=form.get("idem", "")[:128] or str(uuid.uuid4()), procedure_code=procedure.code,
        applicant=dpb.Applicant(
            full_name=form.get("full_name", "").strip(), id_number=form.get("id_number", "").strip(),
            phone=form.get("phone", "").strip(), email=form.get("email", "").strip(),
            address=common_pb2.Address(street=form.get("street", "").strip(), ward_name=form.get("ward_name", "").strip(),
                                       province_name=form.get("province_name", "").strip())),
        documents=documents, channel=RECEPTION_CHANNELS[channel], assisted_by=actor(user), result_delivery=delivery,
        consent=common_pb2.Consent(purpose="dossier_processing", text_version=form.get("consent_version", "2025-01")[:40]),
    )
    birth = form.get("birth_date", "").strip()
    if birth:
        try:
            b = date.fromisoformat(birth)
        except ValueError:
            return await _reception_form(request, user, procedure, form=form, status=422, error="Ngày sinh không hợp lệ.")
        ask.subject_birth_date.CopyFrom(local_date(b))
    try:
        reply = await dossiers(request).SubmitDossier(ask, timeout=DEADLINE)
    except grpc.aio.AioRpcError as exc:
        status, message = rpc_message(exc)
        if status >= 500:
            raise
        return await _reception_form(request, user, procedure, form=form, status=status, error=message)
    d = reply.dossier
    log.info("console_dossier_received", dossier_code=d.code, channel=channel, user=user.subject, replayed=reply.replayed)
    return redirect(f"/console/tiep-nhan/{quote(d.code)}?token={quote(d.public_token)}")


@router.get("/tiep-nhan/{code}")
async def reception_done(request: Request, code: str) -> Response:
    require(request, "reception")
    code = check_code(code)
    token = request.query_params.get("token", "")[:64]
    d = await dossiers(request).GetDossierByToken(dpb.GetDossierByTokenRequest(code=code, public_token=token),
                                                   timeout=DEADLINE)
    links = {"pdf": f"/api/v1/dossiers/{quote(code)}/receipt.pdf?token={quote(token)}",
             "html": f"/api/v1/dossiers/{quote(code)}/receipt?token={quote(token)}"}
    return render(request, "console/reception_done.html", {
        "title": "Đã tiếp nhận hồ sơ", "d": d, "links": links, "received_at": when(d.received_at),
        "channel": CHANNEL_LABELS.get(d.channel, "")}, current="reception")


# -- dossiers ---------------------------------------------------------------------------------------


@router.get("/ho-so")
async def dossier_list(request: Request) -> Response:
    user = require(request, "dossiers")
    status = request.query_params.get("trang-thai", "")
    due = request.query_params.get("han", "")
    page = page_number(request.query_params.get("trang", ""))
    ask = dpb.ListDossiersRequest(page=common_pb2.PageRequest(page=page, page_size=20))
    if user.agency and not user.has_role("operator"):
        ask.agency_code = user.agency
    now = datetime.now(UTC)
    if status.isdigit() and int(status) in STATUS_LABELS:
        ask.statuses.append(int(status))
    if due in ("qua-han", "sap-den-han"):
        if not ask.statuses:
            ask.statuses.extend([2, 4])  # the clock runs: received or processing
        ask.due_before.FromDatetime(now if due == "qua-han" else now + timedelta(days=2))
    reply = await dossiers(request).ListDossiers(ask, timeout=DEADLINE)
    items = [{"code": i.code, "procedure": i.procedure_name, "applicant": i.applicant_name, "status": i.status_label_vi,
              "received_at": when(i.received_at), "due_at": when(i.due_at), "channel": CHANNEL_LABELS.get(i.channel, ""),
              "overdue": bool(when(i.due_at)) and when(i.due_at) < now and i.status_code in (2, 4)}  # type: ignore[operator]
             for i in reply.items]
    total = reply.page_info.total
    keep = {k: v for k, v in (("trang-thai", status), ("han", due)) if v}
    return render(request, "console/dossiers.html", {
        "title": "Hồ sơ", "items": items, "total": total, "page": page, "pages": max(1, -(-total // 20)),
        "statuses": STATUS_LABELS, "status": status, "due": due, "query": urlencode(keep),
        "agency": ask.agency_code}, current="dossiers")


async def _dossier_page(request: Request, user: Principal, code: str, *, error: str = "", status: int = 200,
                        form: dict[str, str] | None = None) -> Response:
    d = await dossiers(request).GetDossier(dpb.GetDossierRequest(code=code), timeout=DEADLINE)
    token = quote(d.public_token)
    links = {"pdf": f"/api/v1/dossiers/{quote(code)}/receipt.pdf?token={token}",
             "html": f"/api/v1/dossiers/{quote(code)}/receipt?token={token}"}
    moves = [{"value": s, "label": STATUS_LABELS.get(s, str(s)), "reason": s in REASON_REQUIRED} for s in d.next_statuses]
    return render(request, "console/dossier.html", {
        "title": f"Hồ sơ {code}", "d": d, "links": links, "moves": moves, "error": error, "form": form or {},
        "received_at": when(d.received_at), "due_at": when(d.due_at), "channel": CHANNEL_LABELS.get(d.channel, ""),
        "may_move": user.has_role("officer"), "basis": _due_basis(d),
        "history": [{"at": when(h.at), "label": h.label_vi, "actor": h.actor.display_name, "reason": h.reason}
                    for h in d.history]}, status=status, current="dossiers")


def _due_basis(d: dpb.Dossier) -> dict[str, object] | None:
    """How the appointment was reached, as the officer explains it to the citizen: the days not counted, the
    weekend days counted (make-up days) and the paused working time."""
    if not d.HasField("due_basis"):
        return None
    b = d.due_basis

    def days(items: Iterable[dpb.SkippedDay]) -> list[dict[str, str]]:
        return [{"date": f"{s.date.day:02d}/{s.date.month:02d}/{s.date.year}", "reason": s.reason} for s in items]

    return {"working_days": b.working_days, "counted_from": when(b.counted_from), "skipped": days(b.skipped_days),
            "make_up": days(b.make_up_days), "paused_minutes": b.paused_working_minutes}


@router.get("/ho-so/{code}")
async def dossier_detail(request: Request, code: str) -> Response:
    user = require(request, "dossiers")
    code = check_code(code)
    check_agency(user, code)
    return await _dossier_page(request, user, code)


@router.post("/ho-so/{code}/chuyen-trang-thai")
async def dossier_transition(request: Request, code: str) -> Response:
    user = require(request, "dossiers")
    if not user.has_role("officer"):
        raise ConsolePageError(403, "Không có quyền truy cập", "Chỉ cán bộ tiếp nhận, xử lý được chuyển trạng thái hồ sơ.")
    code = check_code(code)
    check_agency(user, code)
    form = await post_form(request)
    target = form.get("to_status", "")
    reason = form.get("reason", "").strip()
    if not target.isdigit() or int(target) not in STATUS_LABELS:
        return await _dossier_page(request, user, code, status=422, form=form, error="Vui lòng chọn trạng thái mới.")
    if int(target) in REASON_REQUIRED and not reason:
        return await _dossier_page(request, user, code, status=422, form=form,
                                   error=f"Cần ghi lý do khi chuyển sang “{STATUS_LABELS[int(target)]}”.")
    try:
        await dossiers(request).TransitionDossier(dpb.TransitionDossierRequest(
            code=code, to_status=int(target), reason=reason[:2000], actor=actor(user),
            expected_version=_int(form.get("version", ""), 0, limit=2**62)), timeout=DEADLINE)
    except grpc.aio.AioRpcError as exc:
        status, message = rpc_message(exc)
        if status >= 500:
            raise
        return await _dossier_page(request, user, code, status=status, form=form, error=message)
    log.info("console_dossier_moved", dossier_code=code, to_status=int(target), user=user.subject)
    return redirect(f"/console/ho-so/{quote(code)}?ok=moved")


# -- notifications ----------------------------------------------------------------------------------


@router.get("/thong-bao")
async def notification_list(request: Request) -> Response:
    user = require(request, "notifications")
    code = request.query_params.get("ho-so", "").strip()
    phone = request.query_params.get("dien-thoai", "").strip()[:20]
    booking_id = request.query_params.get("lich-hen", "").strip()
    items: list[dict[str, Any]] = []
    searched = bool(code or phone or booking_id)
    if searched:
        query = npb.ListNotificationsRequest(page=common_pb2.PageRequest(page_size=50))
        keep: Callable[[npb.Notification], bool] = lambda n: True  # noqa: E731
        if code:
            code = check_code(code)
            check_agency(user, code)
            query.dossier_code = code
        elif booking_id:
            booking_id = check_uuid(booking_id)
            b = await scheduler(request).GetBooking(spb.GetBookingRequest(booking_id=booking_id, actor=actor(user)),
                                                    timeout=DEADLINE)
            query.phone = b.citizen.phone
            keep = lambda n: n.booking_id == booking_id  # noqa: E731
        else:
            query.phone = phone
        reply = await notifications(request).ListNotifications(query, timeout=DEADLINE)
        for n in reply.items:
            if not keep(n):
                continue
            items.append({
                "created_at": when(n.created_at), "template": n.template_code, "status": NOTIFY_STATUS.get(n.status, ""),
                "detail": n.status_detail, "channel": NOTIFY_CHANNEL.get(n.channel, "—"), "reason": n.reason,
                "recipient": n.recipient.phone or n.recipient.email, "dossier_code": n.dossier_code,
                "booking_id": n.booking_id,
                "deliveries": [{"channel": NOTIFY_CHANNEL.get(x.channel, ""), "detail": x.status_detail, "provider": x.provider,
                                "attempts": x.attempts, "error": x.error_code, "at": when(x.updated_at)}
                               for x in n.deliveries]})
    return render(request, "console/notifications.html", {
        "title": "Thông báo đã gửi cho công dân", "items": items, "searched": searched, "code": code, "phone": phone,
        "booking_id": booking_id}, current="notifications")


# -- figures ----------------------------------------------------------------------------------------


def _percent(part: int, whole: int) -> str:
    return "—" if whole == 0 else f"{100 * part / whole:.1f}".replace(".", ",") + " %"


@router.get("/so-lieu")
async def figures(request: Request) -> Response:
    user = require(request, "figures")
    last = parse_day(request.query_params.get("den", ""), today())
    first = parse_day(request.query_params.get("tu", ""), last.replace(day=1))
    if first > last or (last - first).days > 366:
        raise ConsolePageError(422, "Khoảng thời gian không hợp lệ",
                               "Ngày bắt đầu phải trước ngày kết thúc, và khoảng thời gian tối đa là một năm.")
    agency = user.agency if user.agency and not user.has_role("operator") else ""
    d = await dossiers(request).GetFigures(dpb.GetDossierFiguresRequest(
        from_date=local_date(first), to_date=local_date(last), agency_code=agency), timeout=DEADLINE)
    s = await scheduler(request).GetFigures(spb.GetBookingFiguresRequest(
        from_date=local_date(first), to_date=local_date(last)), timeout=DEADLINE)
    overdue_ask = dpb.ListDossiersRequest(statuses=[2, 4], agency_code=agency,
                                          page=common_pb2.PageRequest(page_size=50))
    overdue_ask.due_before.FromDatetime(datetime.now(UTC))
    overdue = await dossiers(request).ListDossiers(overdue_ask, timeout=DEADLINE)
    models = [(_MODEL_LABELS[_MODEL_NAMES[m.model]][0], m.completed, m.booked, m.no_show, m.cancelled)
              for m in s.by_model if m.model in _MODEL_NAMES]
    dossier_channels = [(CHANNEL_LABELS.get(c.channel, "Khác"), c.count) for c in d.by_channel]
    booking_channels = [(CHANNEL_LABELS.get(c.channel, "Khác"), c.completed, c.booked) for c in s.by_channel]
    return render(request, "console/figures.html", {
        "title": "Số liệu báo cáo", "first": first.isoformat(), "last": last.isoformat(), "agency": agency, "d": d, "s": s,
        "models": models, "dossier_channels": dossier_channels, "booking_channels": booking_channels,
        "online_share": _percent(d.online, d.received), "self_share": _percent(d.self_service, d.received),
        "on_time_rate": _percent(d.resolved_on_time, d.resolved),
        "chart_models": bar_chart("Số người được hỗ trợ theo mô hình", [(m[0], m[1]) for m in models], unit="người"),
        "chart_channels": bar_chart("Hồ sơ tiếp nhận theo kênh", dossier_channels, unit="hồ sơ"),
        "overdue": [{"code": i.code, "procedure": i.procedure_name, "status": i.status_label_vi, "due_at": when(i.due_at)}
                    for i in overdue.items], "overdue_total": overdue.page_info.total}, current="figures")
