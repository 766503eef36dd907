"""The citizen web portal: server-rendered Vietnamese pages over the same gRPC services as the REST API.

    /                          home: search box, common fields
    /thu-tuc?q=&field=&level=&page=   search results          /thu-tuc/{code}   a procedure in full
    /tra-cuu                   dossier status form            /tra-cuu/{code}   public status (nothing personal)
    /tra-cuu/{code}?token=     the applicant's full view (what the receipt's QR code opens)
    /ho-tro                    choose an assistance model     /ho-tro/{model}   live availability
    /ho-tro/{model}/dang-ky    the citizen's details + consent; POST holds then confirms the place
    /lich-hen/{id}?token=      the booking's own page; /huy and /doi-lich cancel or move it (with confirmation)

Every core flow works without JavaScript: plain links, GET forms for searching, POST forms answered by
a redirect (POST-redirect-GET). Errors re-render the form with the Vietnamese message beside the field.
Conversions of procedures, dossiers and bookings reuse the REST modules' helpers. Pages carry their own
security headers (`web.security_headers`); POSTs are CSRF-checked (`web.check_csrf`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

import grpc
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from motcua.catalogue.v1 import catalogue_service_pb2 as cpb
from motcua.common.v1 import common_pb2
from motcua.dossier.v1 import dossier_service_pb2 as dpb
from motcua.scheduler.v1 import scheduler_service_pb2 as spb
from motcua_gateway import web
from motcua_gateway.ratelimit import client_ip
from motcua_gateway.routes import catalogue as catalogue_api
from motcua_gateway.routes import dossiers as dossier_api
from motcua_gateway.routes import scheduling as scheduling_api
from motcua_platform.errors import MotcuaError
from motcua_platform.grpc_client import decode_rpc_error
from motcua_platform.logging import get_logger

log = get_logger(__name__)

PAGE_SIZE = 20
SLOT_PAGE_SIZE = 30
MAX_QUERY = 200

#: URL slug (Vietnamese) -> scheduler model code.
MODEL_SLUGS = {"tai-nha": "home_visit", "diem-ho-tro": "kiosk", "xe-luu-dong": "mobile_bus",
               "tinh-nguyen-vien": "volunteer", "tu-xa": "remote"}
SLUG_OF = {code: slug for slug, code in MODEL_SLUGS.items()}
#: Models whose slots depend on where the citizen lives.
WARD_MODELS = {"home_visit", "volunteer"}
LEVELS = {"commune": "Cấp xã", "province": "Cấp tỉnh", "district": "Cấp huyện (trước 7/2025)"}
CHANNEL_LABELS = {"in_person": "Trực tiếp tại cơ quan", "post": "Qua dịch vụ bưu chính", "online": "Trực tuyến",
                  "any": "Mọi hình thức"}
LOCATION_LABELS = {"citizen_home": "Tại nhà người dân", "volunteer_home": "Tại nhà tình nguyện viên",
                   "cultural_house": "Tại nhà văn hoá"}
ACTIVE = {"held", "requested", "confirmed"}
#: Scheduler error codes shown beside a field of the details form.
FIELD_ERRORS = {"PHONE_INVALID": "phone", "FULL_NAME_INVALID": "full_name", "ADDRESS_REQUIRED": "street",
                "CONSENT_REQUIRED": "consent", "CITIZEN_REQUIRED": "full_name", "WARD_REQUIRED": "ward",
                "UNKNOWN_AREA": "ward", "OUT_OF_AREA": "ward"}
#: Booking errors after which the held place is gone: the form starts a new hold.
NEW_HOLD = {"SLOT_FULL", "HOLD_EXPIRED", "BOOKING_NOT_HELD", "SLOT_NOT_FOUND", "SLOT_IN_PAST", "SLOT_TOO_SOON",
            "SLOT_CANCELLED", "IDEMPOTENCY_KEY_REUSED"}

_UNAVAILABLE = ("Dịch vụ tạm thời gián đoạn", "Hệ thống đang bận hoặc tạm thời gián đoạn. Vui lòng thử lại sau ít phút.")


def _error_page(request: Request, status: int, title: str, message: str, *, headers: dict[str, str] | None = None,
                token_url: bool = False) -> Response:
    return web.render(request, "portal/error.html", {"title": title, "message": message, "status": status},
                      status=status, headers=headers, token_url=token_url)


class PortalRoute(APIRoute):
    """Turn every failure of a portal page into a Vietnamese HTML page (never JSON, never a stack trace)."""

    def get_route_handler(self):  # type: ignore[no-untyped-def]
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            token_url = bool(request.query_params.get("token"))
            try:
                return await original(request)
            except web.PageError as exc:
                return _error_page(request, exc.status, exc.title, exc.message, headers=exc.headers,
                                   token_url=exc.token_url or token_url)
            except MotcuaError as exc:
                retry = exc.metadata.get("retry_after") if exc.http_status == 429 else None
                headers = {"Retry-After": retry} if retry else None
                title = "Quá nhiều yêu cầu" if exc.http_status == 429 else "Không thực hiện được"
                return _error_page(request, exc.http_status, title, exc.message_vi, headers=headers, token_url=token_url)
            except grpc.aio.AioRpcError as exc:
                domain = decode_rpc_error(exc)
                if domain is not None:
                    return _error_page(request, domain.http_status, "Không thực hiện được", domain.message_vi,
                                       token_url=token_url)
                log.warning("portal_upstream_failed", grpc_code=exc.code().name, route=self.path)
                return _error_page(request, 503, *_UNAVAILABLE, headers={"Retry-After": "5"}, token_url=token_url)
            except RequestValidationError:
                return _error_page(request, 422, "Địa chỉ không hợp lệ", "Đường dẫn hoặc tham số không hợp lệ.",
                                   token_url=token_url)
            except Exception:
                log.exception("portal_page_failed", route=self.path)
                return _error_page(request, 500, "Lỗi hệ thống", "Hệ thống đang gặp sự cố, vui lòng thử lại sau.",
                                   token_url=token_url)

        return handler


router = APIRouter(include_in_schema=False, route_class=PortalRoute)


# -- small helpers ------------------------------------------------------------------------------------


def _param(request: Request, name: str, max_length: int = 100) -> str:
    value = request.query_params.get(name, "").strip()
    return value[:max_length]


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.query_params.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high)


def _date_param(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _local_date(value: date) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=value.year, month=value.month, day=value.day)


async def _domain_call(awaitable: Any) -> tuple[Any, MotcuaError | None]:
    """Await a gRPC call; a domain error is returned (to show on the form), transport failures propagate."""
    try:
        return await awaitable, None
    except grpc.aio.AioRpcError as exc:
        domain = decode_rpc_error(exc)
        if domain is None:
            raise
        return None, domain


def _lookup_limit(request: Request) -> None:
    """The same per-IP bucket as GET /api/v1/dossiers/{code}: the portal is not a way around it."""
    settings = request.app.state.settings
    dossier_api._limiter(request, "lookup").check(client_ip(request, trust_forwarded_for=settings.rate_limit_trust_forwarded_for))


def _booking_url(booking_id: str, token: str, **extra: str) -> str:
    query = urlencode({"token": token, **extra})
    return f"/lich-hen/{quote(booking_id, safe='')}?{query}"


def _public_url(request: Request, path: str) -> str:
    return request.app.state.settings.public_base_url.rstrip("/") + path


# -- home and procedures ------------------------------------------------------------------------------


async def _fields(request: Request) -> list[dict[str, Any]]:
    reply = await catalogue_api._stub(request).ListFields(cpb.ListFieldsRequest(), timeout=catalogue_api.DEADLINE_SECONDS)
    return [{"code": i.field.code, "name": i.field.name, "count": i.procedure_count} for i in reply.items]


@router.get("/")
async def home(request: Request) -> Response:
    fields = await _fields(request)
    common = sorted(fields, key=lambda f: -f["count"])[:8]
    return web.render(request, "portal/home.html", {"fields": common, "all_fields": fields,
                                                    "examples": ["khai sinh", "thuốc lá", "rượu", "gas", "kết hôn"]})


@router.get("/thu-tuc")
async def search(request: Request) -> Response:
    q = request.query_params.get("q", "").strip()
    field = _param(request, "field", 40)
    level = _param(request, "level", 20)
    level = level if level in LEVELS else ""
    page = _int_param(request, "page", 1, 1, 10_000)
    fields = await _fields(request)
    context: dict[str, Any] = {"q": q, "field": field, "level": level, "levels": LEVELS, "fields": fields,
                               "items": [], "total": 0, "page": page, "pages": 0, "error": ""}
    if len(q) > MAX_QUERY:
        context["error"] = f"Từ khoá quá dài (tối đa {MAX_QUERY} ký tự). Vui lòng rút gọn."
        return web.render(request, "portal/search.html", context, status=422)
    reply, error = await _domain_call(catalogue_api._stub(request).SearchProcedures(
        cpb.SearchProceduresRequest(
            query=q, field_code=field,
            level=catalogue_api._LEVEL_TO_PB.get(level, cpb.GOVERNMENT_LEVEL_UNSPECIFIED),
            page=common_pb2.PageRequest(page=page, page_size=PAGE_SIZE)),
        timeout=catalogue_api.DEADLINE_SECONDS))
    if error is not None:
        context["error"] = error.message_vi
        return web.render(request, "portal/search.html", context, status=error.http_status)
    total = reply.page_info.total
    context.update(items=[catalogue_api._summary(s, s.min_working_days) for s in reply.items], total=total,
                   pages=(total + PAGE_SIZE - 1) // PAGE_SIZE)

    def page_url(n: int) -> str:
        return "/thu-tuc?" + urlencode({k: v for k, v in (("q", q), ("field", field), ("level", level), ("page", n)) if v})

    context["page_url"] = page_url
    context["field_name"] = next((f["name"] for f in fields if f["code"] == field), "")
    return web.render(request, "portal/search.html", context)


@router.get("/thu-tuc/{code}")
async def procedure(request: Request, code: str) -> Response:
    if len(code) > 64:
        raise web.PageError(422, "Mã thủ tục không hợp lệ", "Mã thủ tục không hợp lệ.")
    try:
        p = await catalogue_api._stub(request).GetProcedure(cpb.GetProcedureRequest(code=code),
                                                            timeout=catalogue_api.DEADLINE_SECONDS)
    except grpc.aio.AioRpcError as exc:
        domain = decode_rpc_error(exc)
        if domain is not None and domain.http_status == 404:
            raise web.PageError(404, "Không tìm thấy thủ tục",
                                f"Không tìm thấy thủ tục hành chính có mã {code}.") from exc
        raise
    if p.status not in catalogue_api._STATUS:
        raise web.PageError(404, "Không tìm thấy thủ tục", f"Không tìm thấy thủ tục hành chính có mã {code}.")
    detail = catalogue_api._detail(p, datetime.now(catalogue_api.VIETNAM).date())
    return web.render(request, "portal/procedure.html", {"p": detail, "channels": CHANNEL_LABELS})


# -- dossier status -----------------------------------------------------------------------------------


@router.get("/tra-cuu")
async def lookup_form(request: Request) -> Response:
    code = _param(request, "ma", 60).replace(" ", "")
    if code:
        return RedirectResponse(f"/tra-cuu/{quote(code, safe='')}", status_code=303)
    return web.render(request, "portal/lookup.html", {"code": "", "error": ""})


@router.get("/tra-cuu/{code}")
async def dossier_status(request: Request, code: str) -> Response:
    token = request.query_params.get("token", "")
    token_url = bool(token)
    code = code.strip()
    if len(code) > 40 or len(token) > 64:
        return web.render(request, "portal/lookup.html",
                          {"code": code[:40], "error": "Mã hồ sơ không hợp lệ. Mã có dạng 000.00.04.H15-201125-0080."},
                          status=422, token_url=token_url)
    _lookup_limit(request)
    stub = dossier_api._stub(request)
    if token:
        d, error = await _domain_call(stub.GetDossierByToken(dpb.GetDossierByTokenRequest(code=code, public_token=token),
                                                             timeout=dossier_api.DEADLINE_SECONDS))
        if error is not None:
            if error.http_status in (403, 404):  # the same answer whether the code exists or not
                raise web.PageError(403, "Đường dẫn tra cứu không hợp lệ",
                                    "Đường dẫn tra cứu không đúng hoặc đã bị thay đổi. Vui lòng quét lại mã QR trên giấy "
                                    "tiếp nhận, hoặc tra cứu tình trạng công khai bằng mã hồ sơ.", token_url=True)
            return web.render(request, "portal/lookup.html", {"code": code, "error": error.message_vi},
                              status=error.http_status, token_url=True)
        full = dossier_api._full(d, officer=False)
        receipt = f"/api/v1/dossiers/{quote(d.code, safe='')}/receipt.pdf?token={quote(token, safe='')}"
        return web.render(request, "portal/dossier.html", {"d": full, "full": True, "receipt_url": receipt},
                          token_url=True)
    s, error = await _domain_call(stub.GetPublicStatus(dpb.GetPublicStatusRequest(code=code),
                                                       timeout=dossier_api.DEADLINE_SECONDS))
    if error is not None:
        message = ("Không tìm thấy hồ sơ có mã này. Vui lòng kiểm tra lại mã trên giấy tiếp nhận."
                   if error.http_status == 404 else error.message_vi)
        return web.render(request, "portal/lookup.html", {"code": code, "error": message}, status=error.http_status)
    return web.render(request, "portal/dossier.html", {"d": dossier_api._public(s), "full": False, "receipt_url": ""})


# -- assisted help: models, availability, details -----------------------------------------------------


def _models() -> list[dict[str, str]]:
    return [{"code": code, "slug": SLUG_OF[code], "label": label, "description": text}
            for code, (label, text) in scheduling_api._MODEL_LABELS.items()]


def _model_of(slug: str) -> dict[str, str]:
    model = MODEL_SLUGS.get(slug)
    if model is None:
        raise web.PageError(404, "Không tìm thấy trang", "Hình thức hỗ trợ này không có. Vui lòng chọn lại.")
    return next(m for m in _models() if m["code"] == model)


async def _wards(request: Request) -> list[dict[str, str]]:
    """Wards served by some point, with their names where a point lies in them (no ward list RPC exists)."""
    reply = await scheduling_api._stub(request).ListServicePoints(
        spb.ListServicePointsRequest(page=common_pb2.PageRequest(page=1, page_size=100)),
        timeout=scheduling_api.DEADLINE_SECONDS)
    names: dict[str, str] = {}
    for p in reply.items:
        if p.address.ward_code:
            names[p.address.ward_code] = p.address.ward_name or names.get(p.address.ward_code, "")
        for code in p.served_ward_codes:
            names.setdefault(code, "")
    return sorted(({"code": c, "name": n or f"Phường/xã mã {c}"} for c, n in names.items()), key=lambda w: w["name"])


def _choice(request: Request) -> dict[str, Any]:
    """The citizen's search (help type, ward, first day, priority) from the query string or a form."""
    help_type = _param(request, "help_type", 40)
    return {"help_type": help_type if help_type in scheduling_api._HELP else "",
            "ward": _param(request, "ward", 10), "from": _param(request, "from", 10),
            "priority": request.query_params.get("priority") == "1"}


async def _search_slots(request: Request, model: str, choice: dict[str, Any], *, point: str = "", day: date | None = None,
                        page_size: int = SLOT_PAGE_SIZE) -> tuple[list[dict[str, Any]], MotcuaError | None]:
    ask = spb.SearchAvailabilityRequest(model=scheduling_api._MODELS[model], ward_code=choice["ward"],
                                        help_type=scheduling_api._HELP.get(choice["help_type"], 0),
                                        priority=choice["priority"], point_id=point,
                                        page=common_pb2.PageRequest(page=1, page_size=page_size))
    first = day or _date_param(choice["from"])
    if first is not None:
        ask.from_date.CopyFrom(_local_date(first))
    if day is not None:
        ask.to_date.CopyFrom(_local_date(day))
    reply, error = await _domain_call(scheduling_api._stub(request).SearchAvailability(
        ask, timeout=scheduling_api.DEADLINE_SECONDS))
    if error is not None:
        return [], error
    return [scheduling_api._slot(s) for s in reply.slots], None


def _by_day(slots: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    days: dict[str, list[dict[str, Any]]] = {}
    for slot in slots:
        days.setdefault(web.local_day(slot["starts_at"]), []).append(slot)
    return list(days.items())


def _slot_query(model: str, choice: dict[str, Any], slot: dict[str, Any]) -> str:
    return urlencode({"slot": slot["id"], "point": slot["point"]["id"], "day": web.local_day(slot["starts_at"]),
                      "help_type": choice["help_type"], "ward": choice["ward"], "priority": "1" if choice["priority"] else ""})


def _help_types() -> list[dict[str, str]]:
    return [{"code": c, "label": label} for c, label in scheduling_api._HELP_LABELS.items()]


@router.get("/ho-tro")
async def assist_models(request: Request) -> Response:
    return web.render(request, "portal/assist_models.html", {"models": _models()})


@router.get("/ho-tro/{slug}")
async def assist_availability(request: Request, slug: str) -> Response:
    model = _model_of(slug)
    choice = _choice(request)
    searched = "help_type" in request.query_params
    errors: dict[str, str] = {}
    slots: list[dict[str, Any]] = []
    status = 200
    if searched:
        if not choice["help_type"]:
            errors["help_type"] = "Vui lòng chọn việc cần hỗ trợ."
        if model["code"] in WARD_MODELS and not choice["ward"]:
            errors["ward"] = "Vui lòng chọn phường/xã nơi anh/chị ở."
        if choice["from"] and _date_param(choice["from"]) is None:
            errors["from"] = "Ngày không hợp lệ."
        if not errors:
            slots, error = await _search_slots(request, model["code"], choice)
            if error is not None:
                errors[FIELD_ERRORS.get(error.code, "general")] = error.message_vi
        status = 422 if errors else 200
    return web.render(request, "portal/assist_slots.html", {
        "model": model, "choice": choice, "searched": searched, "errors": errors, "days": _by_day(slots),
        "help_types": _help_types(), "wards": await _wards(request), "needs_ward": model["code"] in WARD_MODELS,
        "slot_query": lambda slot: _slot_query(model["code"], choice, slot), "locations": LOCATION_LABELS,
    }, status=status)


async def _chosen_slot(request: Request, model: str, choice: dict[str, Any], slot_id: str, point: str,
                       day_text: str) -> dict[str, Any] | None:
    day = _date_param(day_text)
    if not slot_id or not point or day is None:
        return None
    slots, _ = await _search_slots(request, model, choice, point=point, day=day, page_size=100)
    return next((s for s in slots if s["id"] == slot_id), None)


def _details_context(model: dict[str, str], choice: dict[str, Any], slot: dict[str, Any], values: dict[str, str],
                     errors: dict[str, str], *, form_key: str, next_slots: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    needs_address = model["code"] == "home_visit" or slot.get("volunteer_location") == "citizen_home"
    return {"model": model, "choice": choice, "slot": slot, "values": values, "errors": errors, "form_key": form_key,
            "needs_address": needs_address, "help_label": scheduling_api._HELP_LABELS.get(choice["help_type"], ""),
            "locations": LOCATION_LABELS, "next_slots": next_slots or [],
            "back_url": f"/ho-tro/{model['slug']}?" + urlencode({"help_type": choice["help_type"], "ward": choice["ward"],
                                                                  "priority": "1" if choice["priority"] else ""})}


def _slot_gone(request: Request, model: dict[str, str], choice: dict[str, Any]) -> Response:
    return web.render(request, "portal/error.html", {
        "title": "Khung giờ không còn chỗ", "status": 409,
        "message": "Khung giờ anh/chị chọn vừa hết chỗ hoặc không còn nhận đăng ký. Vui lòng chọn khung giờ khác.",
        "back_url": f"/ho-tro/{model['slug']}?" + urlencode({"help_type": choice["help_type"], "ward": choice["ward"]}),
        "back_label": "Chọn khung giờ khác"}, status=409)


@router.get("/ho-tro/{slug}/dang-ky")
async def assist_details(request: Request, slug: str) -> Response:
    model = _model_of(slug)
    choice = _choice(request)
    if not choice["help_type"]:
        return RedirectResponse(f"/ho-tro/{slug}", status_code=303)
    slot = await _chosen_slot(request, model["code"], choice, _param(request, "slot", 128), _param(request, "point", 96),
                              _param(request, "day", 10))
    if slot is None:
        return _slot_gone(request, model, choice)
    return web.render(request, "portal/assist_details.html",
                      _details_context(model, choice, slot, {}, {}, form_key=uuid.uuid4().hex))


def _validate_details(values: dict[str, str], needs_address: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not values["full_name"]:
        errors["full_name"] = "Vui lòng nhập họ và tên."
    elif len(values["full_name"]) > 100:
        errors["full_name"] = "Họ và tên quá dài (tối đa 100 ký tự)."
    digits = "".join(ch for ch in values["phone"] if ch.isdigit())
    if not values["phone"]:
        errors["phone"] = "Vui lòng nhập số điện thoại để cán bộ liên hệ."
    elif not 9 <= len(digits) <= 12 or any(ch not in "0123456789 +.-()" for ch in values["phone"]):
        errors["phone"] = "Số điện thoại không hợp lệ. Ví dụ: 0912 345 678."
    if needs_address and not values["street"]:
        errors["street"] = "Vui lòng nhập số nhà, tên đường, khu phố để cán bộ đến hỗ trợ."
    if len(values["street"]) > 200:
        errors["street"] = "Địa chỉ quá dài (tối đa 200 ký tự)."
    if len(values["note"]) > 500:
        errors["note"] = "Ghi chú quá dài (tối đa 500 ký tự)."
    if not values["consent"]:
        errors["consent"] = "Anh/chị cần đồng ý cho phép sử dụng thông tin cá nhân để đặt lịch hỗ trợ."
    return errors


def _form_status(error: MotcuaError) -> int:
    """409 for a place that is gone or a clash (a full slot is RESOURCE_EXHAUSTED in gRPC, not a rate limit)."""
    return 409 if error.code == "SLOT_FULL" or error.http_status in (409, 412) else error.http_status


def _next_slots(error: MotcuaError) -> list[dict[str, Any]]:
    try:
        items = json.loads(error.metadata.get("next_slots", "[]"))
    except ValueError:
        return []
    return [i for i in items if isinstance(i, dict) and i.get("slot_id")]


@router.post("/ho-tro/{slug}/dang-ky")
async def assist_book(request: Request, slug: str) -> Response:
    model = _model_of(slug)
    form = await web.read_form(request)
    web.check_csrf(request, form)
    help_type = form.get("help_type", "")
    choice = {"help_type": help_type if help_type in scheduling_api._HELP else "", "ward": form.get("ward", "")[:10],
              "from": "", "priority": form.get("priority") == "1"}
    if not choice["help_type"]:
        return RedirectResponse(f"/ho-tro/{slug}", status_code=303)
    slot_id, point, day = form.get("slot", "")[:128], form.get("point", "")[:96], form.get("day", "")[:10]
    if not slot_id:
        return _slot_gone(request, model, choice)
    slot = await _chosen_slot(request, model["code"], choice, slot_id, point, day)
    if slot is None:
        # No longer listed (full, or only priority places left): the hold below says which, and the form is shown
        # again with the citizen's values and the next free slots.
        slot = {"id": slot_id, "point": {"id": point, "name": "", "address": {"street": "", "ward_code": ""}},
                "starts_at": None, "ends_at": None, "volunteer_location": None, "day": day}
    values = {k: form.get(k, "").strip() for k in ("full_name", "phone", "street", "note")}
    values["consent"] = "1" if form.get("consent") == "1" else ""
    form_key = form.get("form_key", "")
    if not (16 <= len(form_key) <= 64 and form_key.isalnum()):
        form_key = uuid.uuid4().hex
    context = _details_context(model, choice, slot, values, {}, form_key=form_key)
    errors = _validate_details(values, context["needs_address"])
    if errors:
        context["errors"] = errors
        return web.render(request, "portal/assist_details.html", context, status=422)
    scheduling_api._limit(request, None)
    stub = scheduling_api._stub(request)
    # Hold, then confirm with the citizen's details (as the REST flow does). The hold's key is the form's, so a
    # corrected re-submission completes the same hold; the booking's key adds the details, so a double click
    # replays the booking while changed details make a new request.
    held, error = await _domain_call(stub.HoldBooking(spb.HoldBookingRequest(
        idempotency_key=f"portal-{form_key}-hold", slot_id=slot["id"], help_type=scheduling_api._HELP[choice["help_type"]],
        priority=choice["priority"]), timeout=scheduling_api.WRITE_DEADLINE_SECONDS))
    if error is None:
        digest = hashlib.sha256("\x1f".join(values[k] for k in ("full_name", "phone", "street", "note")).encode()).hexdigest()
        ward = choice["ward"] or slot["point"]["address"]["ward_code"]
        ask = spb.CreateBookingRequest(
            idempotency_key=f"portal-{form_key}-{digest[:24]}", hold_booking_id=held.id,
            help_type=scheduling_api._HELP[choice["help_type"]], priority=choice["priority"],
            channel=common_pb2.CHANNEL_WEB, note=values["note"],
            citizen=spb.Citizen(full_name=values["full_name"], phone=values["phone"],
                                address=common_pb2.Address(street=values["street"], ward_code=ward)),
            consent=common_pb2.Consent(purpose=scheduling_api.CONSENT_PURPOSE, text_version="2025-01",
                                       given_at=scheduling_api._ts(datetime.now(web.VIETNAM))))
        made, error = await _domain_call(stub.CreateBooking(ask, timeout=scheduling_api.WRITE_DEADLINE_SECONDS))
        if error is None:
            booking = made.booking
            log.info("portal_booking_made", booking_id=booking.id, model=model["code"], replayed=made.replayed)
            return RedirectResponse(_booking_url(booking.id, booking.token, moi="1"), status_code=303)
    assert error is not None
    field = FIELD_ERRORS.get(error.code)
    if field is None and error.code == "TEXT_INVALID":
        field = {"note": "note", "street": "street"}.get(error.metadata.get("field", ""), "general")
    context["errors"] = {field or "general": error.message_vi}
    if error.code in NEW_HOLD:
        context["form_key"] = uuid.uuid4().hex
    if error.code == "SLOT_FULL":
        context["next_slots"] = _next_slots(error)
    return web.render(request, "portal/assist_details.html", context, status=_form_status(error))


# -- a booking's own page -----------------------------------------------------------------------------


def _token(request: Request) -> str:
    token = request.query_params.get("token", "")
    if not token or len(token) > 64:
        raise web.PageError(404, "Không tìm thấy lịch hẹn",
                            "Đường dẫn lịch hẹn không đúng. Vui lòng mở lại đường dẫn trong tin nhắn xác nhận.",
                            token_url=True)
    return token


async def _get_booking(request: Request, booking_id: str, token: str) -> dict[str, Any]:
    if len(booking_id) > 64:
        raise web.PageError(404, "Không tìm thấy lịch hẹn", "Không tìm thấy lịch hẹn.", token_url=True)
    b, error = await _domain_call(scheduling_api._stub(request).GetBooking(
        spb.GetBookingRequest(booking_id=booking_id, token=token), timeout=scheduling_api.DEADLINE_SECONDS))
    if error is not None:
        raise web.PageError(404, "Không tìm thấy lịch hẹn",
                            "Không tìm thấy lịch hẹn, hoặc đường dẫn không đúng. Vui lòng mở lại đường dẫn trong tin "
                            "nhắn xác nhận.", token_url=True)
    return scheduling_api._booking(request, b, token=token)


@router.get("/lich-hen/{booking_id}")
async def booking_page(request: Request, booking_id: str) -> Response:
    token = _token(request)
    booking = await _get_booking(request, booking_id, token)
    link = _public_url(request, _booking_url(booking_id, token))
    notice = {"1": "created"}.get(request.query_params.get("moi", ""), "")
    notice = notice or ("cancelled" if request.query_params.get("da_huy") else
                        "moved" if request.query_params.get("da_doi") else "")
    return web.render(request, "portal/booking.html", {
        "b": booking, "token": token, "link": link, "notice": notice, "active": booking["status"] in ACTIVE,
        "locations": LOCATION_LABELS, "slug": SLUG_OF.get(booking["model"], "")}, token_url=True)


@router.get("/lich-hen/{booking_id}/huy")
async def cancel_confirm(request: Request, booking_id: str) -> Response:
    token = _token(request)
    booking = await _get_booking(request, booking_id, token)
    if booking["status"] not in ACTIVE:
        return RedirectResponse(_booking_url(booking_id, token), status_code=303)
    return web.render(request, "portal/booking_cancel.html", {"b": booking, "token": token, "error": ""},
                      token_url=True)


@router.post("/lich-hen/{booking_id}/huy")
async def cancel(request: Request, booking_id: str) -> Response:
    form = await web.read_form(request)
    web.check_csrf(request, form)
    token = form.get("token", "")[:64]
    reason = form.get("reason", "").strip()[:300]
    scheduling_api._limit(request, None)
    _, error = await _domain_call(scheduling_api._stub(request).CancelBooking(
        spb.CancelBookingRequest(booking_id=booking_id[:64], token=token, reason=reason or "Người dân huỷ trên cổng web"),
        timeout=scheduling_api.WRITE_DEADLINE_SECONDS))
    if error is not None:
        if error.http_status == 404:
            raise web.PageError(404, "Không tìm thấy lịch hẹn", "Không tìm thấy lịch hẹn, hoặc đường dẫn không đúng.",
                                token_url=True)
        booking = await _get_booking(request, booking_id, token)
        return web.render(request, "portal/booking_cancel.html", {"b": booking, "token": token, "error": error.message_vi},
                          status=error.http_status, token_url=True)
    return RedirectResponse(_booking_url(booking_id, token, da_huy="1"), status_code=303)


async def _reschedule_page(request: Request, booking: dict[str, Any], token: str, *, chosen_id: str = "",
                           chosen_point: str = "", chosen_day: str = "", error: str = "", status: int = 200,
                           form_key: str = "") -> Response:
    model = booking["model"]
    ward = booking["citizen"]["address"]["ward_code"] if booking.get("citizen") else ""
    choice = {"help_type": booking["help_type"], "ward": ward if model in WARD_MODELS else "",
              "from": _param(request, "from", 10), "priority": booking["priority"]}
    slots, search_error = await _search_slots(request, model, choice)
    slots = [s for s in slots if s["id"] != booking["slot"]["id"]]
    chosen = None
    if chosen_id:
        chosen = next((s for s in slots if s["id"] == chosen_id), None)
        if chosen is None:
            found = await _chosen_slot(request, model, choice, chosen_id, chosen_point, chosen_day)
            chosen = found if found and found["id"] != booking["slot"]["id"] else None
        if chosen is None and not error:
            error, status = "Khung giờ anh/chị chọn không còn chỗ. Vui lòng chọn khung giờ khác.", 409
    base = f"/lich-hen/{quote(booking['id'], safe='')}/doi-lich"

    def choose_url(slot: dict[str, Any]) -> str:
        return base + "?" + urlencode({"token": token, "slot": slot["id"], "point": slot["point"]["id"],
                                       "day": web.local_day(slot["starts_at"])})

    return web.render(request, "portal/booking_reschedule.html", {
        "b": booking, "token": token, "days": _by_day(slots), "chosen": chosen, "choose_url": choose_url,
        "error": error or (search_error.message_vi if search_error else ""), "form_key": form_key or uuid.uuid4().hex,
        "locations": LOCATION_LABELS, "back_url": _booking_url(booking["id"], token)}, status=status, token_url=True)


@router.get("/lich-hen/{booking_id}/doi-lich")
async def reschedule_form(request: Request, booking_id: str) -> Response:
    token = _token(request)
    booking = await _get_booking(request, booking_id, token)
    if booking["status"] not in ACTIVE:
        return RedirectResponse(_booking_url(booking_id, token), status_code=303)
    return await _reschedule_page(request, booking, token, chosen_id=_param(request, "slot", 128),
                                  chosen_point=_param(request, "point", 96), chosen_day=_param(request, "day", 10))


@router.post("/lich-hen/{booking_id}/doi-lich")
async def reschedule(request: Request, booking_id: str) -> Response:
    form = await web.read_form(request)
    web.check_csrf(request, form)
    token = form.get("token", "")[:64]
    slot_id = form.get("slot", "")[:128]
    form_key = form.get("form_key", "")
    if not (16 <= len(form_key) <= 64 and form_key.isalnum()):
        form_key = uuid.uuid4().hex
    scheduling_api._limit(request, None)
    _, error = await _domain_call(scheduling_api._stub(request).RescheduleBooking(spb.RescheduleBookingRequest(
        idempotency_key=f"portal-move-{form_key}", booking_id=booking_id[:64], token=token, new_slot_id=slot_id,
        reason="Người dân đổi lịch trên cổng web"), timeout=scheduling_api.WRITE_DEADLINE_SECONDS))
    if error is None:
        return RedirectResponse(_booking_url(booking_id, token, da_doi="1"), status_code=303)
    booking = await _get_booking(request, booking_id, token)
    return await _reschedule_page(request, booking, token, error=error.message_vi, status=_form_status(error))

