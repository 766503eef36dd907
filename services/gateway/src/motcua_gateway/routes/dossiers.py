"""`/api/v1/dossiers`: submit a dossier, follow it, print its receipt, move it along (officers).

Thin: check the HTTP shape, call DossierService over the app's shared channel with a
deadline, translate the answer. Rules (codes, documents, idempotency, lifecycle, the
calendar) live in the dossier service; its errors come back as problem+json with
the Vietnamese text. Public look-ups are rate-limited per client IP (token bucket,
429 + Retry-After) unless the caller is authenticated staff, and show no personal
data; the receipt's token (or an officer's bearer token) opens the full view.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

import grpc
from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response
from google.protobuf import timestamp_pb2
from pydantic import BaseModel, Field

from motcua.common.v1 import common_pb2
from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua.dossier.v1.dossier_service_pb2_grpc import DossierServiceStub
from motcua_gateway import idempotency
from motcua_gateway.auth import Principal, optional_principal, require_roles
from motcua_gateway.batching import PublicStatusBatcher, SubmitBatcher, per_channel
from motcua_gateway.problems import problem
from motcua_gateway.ratelimit import TokenBucketLimiter, client_ip
from motcua_platform.errors import InvalidArgument, PermissionDenied

DEADLINE_SECONDS = 3.0
RECEIPT_DEADLINE_SECONDS = 10.0

router = APIRouter(prefix="/api/v1", tags=["dossiers"])

ChannelName = Literal["web", "zalo", "sms", "kiosk", "mobile_bus", "home_visit", "volunteer", "counter", "remote"]
DeliveryName = Literal["counter", "post", "online"]
_CHANNELS: dict[str, int] = {
    "web": common_pb2.CHANNEL_WEB, "zalo": common_pb2.CHANNEL_ZALO, "sms": common_pb2.CHANNEL_SMS,
    "kiosk": common_pb2.CHANNEL_KIOSK, "mobile_bus": common_pb2.CHANNEL_MOBILE_BUS,
    "home_visit": common_pb2.CHANNEL_HOME_VISIT, "volunteer": common_pb2.CHANNEL_VOLUNTEER,
    "counter": common_pb2.CHANNEL_COUNTER, "remote": common_pb2.CHANNEL_REMOTE,
}
_CHANNEL_NAMES = {v: k for k, v in _CHANNELS.items()}
#: Channels where staff hand the dossier in: an officer's token is required.
_OFFICER_CHANNELS = {"counter", "home_visit", "mobile_bus"}
_DELIVERIES = {"counter": pb.RESULT_DELIVERY_COUNTER, "post": pb.RESULT_DELIVERY_POST, "online": pb.RESULT_DELIVERY_ONLINE}
_DELIVERY_NAMES = {v: k for k, v in _DELIVERIES.items()}
_ROLE_NAMES = {common_pb2.ACTOR_ROLE_OFFICER: "officer", common_pb2.ACTOR_ROLE_VOLUNTEER: "volunteer",
               common_pb2.ACTOR_ROLE_CITIZEN: "citizen", common_pb2.ACTOR_ROLE_SYSTEM: "system",
               common_pb2.ACTOR_ROLE_AGENCY: "agency"}


# -- models (OpenAPI) ------------------------------------------------------------------------------


class AddressIn(BaseModel):
    street: str = Field(max_length=300, examples=["12 Nguyễn Huệ"], description="Số nhà, đường, tổ/thôn")
    ward_code: str = Field(default="", max_length=10, examples=["26734"])
    ward_name: str = Field(default="", max_length=200, examples=["Phường Sài Gòn"])
    district_name: str = Field(default="", max_length=200, description="Empty after the 2025 reorganisation")
    province_code: str = Field(default="", max_length=10, examples=["79"])
    province_name: str = Field(default="", max_length=200, examples=["Thành phố Hồ Chí Minh"])


class ApplicantIn(BaseModel):
    full_name: str = Field(max_length=200, examples=["Trần Thị Ngọc Ánh"])
    id_number: str = Field(max_length=20, description="CCCD, 12 digits", examples=["079190001234"])
    phone: str = Field(max_length=20, examples=["0912345678"])
    email: str = Field(default="", max_length=254)
    address: AddressIn
    zalo_user_id: str = Field(default="", max_length=64)


class DocumentIn(BaseModel):
    name: str = Field(max_length=500, description="As on the procedure's list (thành phần hồ sơ)")
    document_id: str = Field(default="", max_length=128, description="Stored file id; empty for paper")
    originals: int = Field(default=1, ge=0, le=100, description="Bản chính")
    copies: int = Field(default=0, ge=0, le=100, description="Bản sao")


class ConsentIn(BaseModel):
    purpose: str = Field(max_length=100, examples=["dossier_processing"])
    given_at: datetime | None = Field(default=None, description="When consent was given; default: now")
    text_version: str = Field(default="", max_length=40, examples=["2025-01"])


class SubjectIn(BaseModel):
    birth_date: date | None = Field(default=None, description="Birth date of the child: required for a birth "
                                    "registration (it decides the linked dossiers of a child under six) unless "
                                    "`linked` is false")


class SubmitIn(BaseModel):
    procedure_code: str = Field(max_length=64, examples=["1.001193.000.00.00.H29"])
    procedure_version: int = Field(default=0, ge=0, le=2_147_483_647, description="0 = the version in force")
    agency_code: str = Field(default="", max_length=20, description="Receiving agency; default the procedure's")
    applicant: ApplicantIn
    documents: list[DocumentIn] = Field(default_factory=list, max_length=50)
    channel: ChannelName | None = Field(default=None, description="Default: counter for officers, volunteer for "
                                                                  "volunteers, web otherwise")
    result_delivery: DeliveryName = "counter"
    consent: ConsentIn
    subject: SubjectIn | None = None
    linked: bool = Field(default=True, description="Create the linked dossiers (liên thông) the procedure triggers")


class SubmitOut(BaseModel):
    code: str = Field(examples=["000.00.41.H29-261123-0001"])
    public_token: str = Field(description="Secret of the receipt: opens the full view and the receipt")
    status: int = Field(description="National status code 1..10")
    status_label: str = Field(examples=["Mới đăng ký"])
    due_at: datetime | None = Field(description="Appointment to return the result (hẹn trả kết quả), N working days "
                                                "after the receipt, which is this submission; null only for dossiers "
                                                "registered before appointments were set at receipt")
    due_label: str = Field(examples=["Chiều ngày 09/12/2020"])
    receipt_url: str
    receipt_pdf_url: str
    status_url: str = Field(description="Public status page (the receipt's QR code)")
    linked_codes: list[str]
    replayed: bool = Field(description="True when this answers a repeat of the same Idempotency-Key and body")


class HistoryItem(BaseModel):
    status: int
    label: str
    at: datetime


class PublicOut(BaseModel):
    """No personal data: the same shape for every dossier."""

    code: str
    status: int
    status_label: str
    last_update: datetime
    due_at: datetime | None
    due_label: str
    procedure_name: str
    agency_name: str
    history: list[HistoryItem]


class SkippedOut(BaseModel):
    date: date
    reason: str


class FullHistoryItem(HistoryItem):
    from_status: int
    actor_role: str
    actor_name: str = Field(description="Officers' names are shown to officers only")
    reason: str


class FullOut(PublicOut):
    view: Literal["applicant", "officer"]
    version: int = Field(description="Pass as expected_version to a transition")
    procedure_code: str
    procedure_version: int
    agency_code: str
    received_at: datetime
    processing_working_days: int
    collect_at: str
    result_delivery: DeliveryName
    channel: str
    applicant: ApplicantIn
    documents: list[DocumentIn]
    parent_code: str
    linked_codes: list[str]
    due_counted_from: datetime | None
    due_skipped: list[SkippedOut]
    due_make_up_days: list[SkippedOut] = Field(description="Weekend days counted as working days (make-up days)")
    paused_working_minutes: int
    history: list[FullHistoryItem]  # type: ignore[assignment]


def _utc(value: datetime, field: str) -> datetime:
    """`value` in UTC (naive = UTC); 422 for instants at the very ends of the calendar that UTC cannot hold (was a 500)."""
    try:
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError:
        raise InvalidArgument("DATE_OUT_OF_RANGE", f"{field} out of range",
                              f"Thời điểm không hợp lệ ({field}).") from None


#: Largest value of the proto's int64 (and Postgres bigint); beyond it building the gRPC request failed (500).
_INT64_MAX = 9_223_372_036_854_775_807


class WithdrawalIn(BaseModel):
    token: str = Field(min_length=8, max_length=128, description="The public token printed on the receipt (QR code)")
    reason: str = Field(min_length=1, max_length=2000, description="Why the applicant withdraws; recorded and sent to the agency")
    expected_version: int = Field(default=0, ge=0, le=_INT64_MAX, description="The version you saw; 0 skips the check")


class TransitionIn(BaseModel):
    to_status: int = Field(ge=1, le=10, description="Target national status code")
    reason: str = Field(default="", max_length=2000, description="Required for 3, 5, 7 and 8; sent to the citizen")
    expected_version: int = Field(default=0, ge=0, le=_INT64_MAX, description="The version you saw; 0 skips the check")


class JourneyStepOut(BaseModel):
    code: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    agency_name: str
    relation: Literal["root", "linked"]
    parent_code: str
    status: int
    status_label: str
    due_at: datetime | None


class JourneyOut(BaseModel):
    root_code: str
    steps: list[JourneyStepOut]


class SummaryOut(BaseModel):
    code: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    status: int
    status_label: str
    applicant_name: str
    received_at: datetime
    due_at: datetime | None
    channel: str


class SummaryList(BaseModel):
    items: list[SummaryOut]
    total: int
    page: int
    page_size: int


# -- helpers -----------------------------------------------------------------------------------


def _stub(request: Request) -> DossierServiceStub:
    """One stub per channel, made on first use and reused (the channel is the app's, opened in its lifespan)."""
    return _stub_of(request.app.state)


def _stub_of(state: Any) -> DossierServiceStub:
    return per_channel(state, "dossier_stub", "dossier", lambda: DossierServiceStub(state.channels["dossier"]))


def _public_status_batcher(request: Request) -> PublicStatusBatcher | None:
    """The app's look-up batcher (None when MOTCUA_LOOKUP_BATCH_IN_FLIGHT is 0), made on first use."""
    state = request.app.state
    in_flight = state.settings.lookup_batch_in_flight
    if not in_flight:
        return None
    return per_channel(state, "public_status_batcher", "dossier",
                       lambda: PublicStatusBatcher(lambda: _stub_of(state), timeout=DEADLINE_SECONDS, in_flight=in_flight))


async def _submit(request: Request, ask: pb.SubmitDossierRequest) -> pb.SubmitDossierResponse:
    """SubmitDossier, through the app's submission batcher unless MOTCUA_SUBMIT_CALL_BATCH_IN_FLIGHT is 0."""
    state = request.app.state
    in_flight = state.settings.submit_call_batch_in_flight
    if not in_flight:
        return await _stub(request).SubmitDossier(ask, timeout=DEADLINE_SECONDS)
    batcher = per_channel(state, "submit_batcher", "dossier",
                          lambda: SubmitBatcher(lambda: _stub_of(state), timeout=DEADLINE_SECONDS, in_flight=in_flight))
    return await batcher.submit(ask)


def _limiter(request: Request, kind: str) -> TokenBucketLimiter:
    state = request.app.state
    name = f"dossier_{kind}_limiter"
    limiter = getattr(state, name, None)
    if limiter is None:
        s = state.settings
        rate, burst = ((s.dossier_lookup_rate_per_second, s.dossier_lookup_burst) if kind == "lookup"
                       else (s.dossier_submit_rate_per_second, s.dossier_submit_burst))
        limiter = TokenBucketLimiter(rate=rate, burst=burst)
        setattr(state, name, limiter)
    return limiter


def _limit(request: Request, kind: str, principal: Principal | None) -> None:
    if principal is not None and principal.has_role("officer", "volunteer", "operator", "agency"):
        return  # staff are identified; an office's NAT must not lock its desks out
    _limiter(request, kind).check(client_ip(request, trust_forwarded_for=request.app.state.settings.rate_limit_trust_forwarded_for))


#: On every answer that holds personal data: no cache keeps it, no link sends its URL (which may hold the token) on.
PERSONAL_DATA_HEADERS = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), status_code=status,
                    media_type="application/json", headers=headers)


def _iso(ts: timestamp_pb2.Timestamp, present: bool = True) -> str | None:
    if not present:
        return None
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, UTC).isoformat()


def _base(request: Request) -> str:
    return request.app.state.settings.public_base_url.rstrip("/")


def _public(s: pb.PublicStatus) -> dict[str, Any]:
    return {
        "code": s.code, "status": s.status_code, "status_label": s.label_vi, "last_update": _iso(s.last_update),
        "due_at": _iso(s.due_at, s.HasField("due_at")), "due_label": s.due_label_vi, "procedure_name": s.procedure_name,
        "agency_name": s.agency_name,
        "history": [{"status": h.status_code, "label": h.label_vi, "at": _iso(h.at)} for h in s.history],
    }


def _full(d: pb.Dossier, *, officer: bool) -> dict[str, Any]:
    a = d.applicant
    return {
        "code": d.code, "view": "officer" if officer else "applicant", "version": d.version, "status": d.status_code,
        "status_label": d.status_label_vi, "last_update": _iso(d.updated_at), "due_at": _iso(d.due_at, d.HasField("due_at")),
        "due_label": d.due_label_vi, "procedure_code": d.procedure_code, "procedure_version": d.procedure_version,
        "procedure_name": d.procedure_name, "agency_code": d.agency_code, "agency_name": d.agency_name,
        "received_at": _iso(d.received_at), "processing_working_days": d.processing_working_days,
        "collect_at": d.collect_at, "result_delivery": _DELIVERY_NAMES.get(d.result_delivery, "counter"),
        "channel": _CHANNEL_NAMES.get(d.channel, "web"),
        "applicant": {"full_name": a.full_name, "id_number": a.id_number, "phone": a.phone, "email": a.email,
                      "zalo_user_id": a.zalo_user_id,
                      "address": {"street": a.address.street, "ward_code": a.address.ward_code,
                                  "ward_name": a.address.ward_name, "district_name": a.address.district_name,
                                  "province_code": a.address.province_code, "province_name": a.address.province_name}},
        "documents": [{"name": x.name, "document_id": x.document_id, "originals": x.originals, "copies": x.copies}
                      for x in d.documents],
        "parent_code": d.parent_code, "linked_codes": list(d.linked_codes),
        "due_counted_from": _iso(d.due_basis.counted_from, d.HasField("due_basis")),
        "due_skipped": [{"date": date(s.date.year, s.date.month, s.date.day).isoformat(), "reason": s.reason}
                        for s in d.due_basis.skipped_days],
        "due_make_up_days": [{"date": date(s.date.year, s.date.month, s.date.day).isoformat(), "reason": s.reason}
                             for s in d.due_basis.make_up_days],
        "paused_working_minutes": d.due_basis.paused_working_minutes,
        "history": [{"from_status": int(h.from_status), "status": int(h.to_status), "label": h.label_vi,
                     "at": _iso(h.at), "actor_role": _ROLE_NAMES.get(h.actor.role, ""),
                     "actor_name": h.actor.display_name if officer else "", "reason": h.reason} for h in d.history],
    }


def _check_agency(principal: Principal, code: str) -> None:
    """An officer bound to an agency acts only on that agency's dossiers (the code starts with the agency code)."""
    if principal.has_role("operator") or not principal.agency:
        return
    if code.rsplit("-", 2)[0] != principal.agency:
        raise PermissionDenied("DOSSIER_OTHER_AGENCY", f"dossier {code} belongs to another agency",
                               "Hồ sơ thuộc cơ quan khác; cán bộ chỉ xử lý hồ sơ của cơ quan mình.")


def _staff(principal: Principal | None, code: str) -> bool:
    """True for an officer or operator allowed to see `code` in full (403 for another agency's officer), and for
    an agency's system reading a dossier of its own agency, e.g. a linked dossier (liên thông) it must process:
    the events it receives carry no personal data. Another agency's dossier, or any dossier for an agency token
    without its agency claim, gets what anyone gets."""
    if principal is None:
        return False
    if not principal.has_role("officer", "operator"):
        return principal.has_role("agency") and bool(principal.agency) and code.rsplit("-", 2)[0] == principal.agency
    _check_agency(principal, code)
    return True


_CODE = Annotated[str, Path(max_length=40, description="Dossier code, e.g. 000.00.04.H15-201125-0080")]
_TOKEN = Annotated[str | None, Query(max_length=64, description="The public token printed on the receipt (QR code)")]
_Principal = Annotated[Principal | None, Depends(optional_principal)]


# -- routes ------------------------------------------------------------------------------------


@router.post(
    "/dossiers",
    status_code=201,
    response_model=SubmitOut,
    summary="Submit a dossier; get its code, token, appointment and receipt links",
    description=(
        "Requires an `Idempotency-Key` header (e.g. a UUID): repeating the same key with the same body returns the same "
        "dossier (200, `replayed: true`); the same key with another body is refused (422); a missing key is 400. "
        "Online submissions start as 1 *Mới đăng ký* and every submission gets its appointment at receipt; an officer's "
        "bearer token makes it a counter submission, received at once (2 *Được tiếp nhận*) with its appointment. "
        "Missing required documents, an unknown or withdrawn procedure are 422 with the Vietnamese reason."
    ),
    responses={200: {"description": "Replay of an earlier submission", "model": SubmitOut},
               400: {"description": "Missing or malformed Idempotency-Key (problem+json)"},
               403: {"description": "A counter channel (e.g. home_visit) without an officer's token"},
               422: {"description": "Invalid submission (problem+json, Vietnamese `detail`)"},
               429: {"description": "Too many anonymous submissions from this address"}},
)
async def submit_dossier(
    request: Request,
    body: Annotated[SubmitIn, Body()],
    principal: _Principal,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> Response:
    if not idempotency_key or not idempotency_key.strip():
        return problem(400, code="IDEMPOTENCY_KEY_REQUIRED", detail="the Idempotency-Key header is required",
                       detail_vi="Thiếu tiêu đề Idempotency-Key (ví dụ một UUID) để gửi lại yêu cầu an toàn.")
    if not idempotency.well_formed(idempotency_key.strip()):
        return problem(400, code="IDEMPOTENCY_KEY_INVALID",
                       detail="the Idempotency-Key header must be 8 to 128 visible ASCII characters",
                       detail_vi="Idempotency-Key phải gồm 8 đến 128 ký tự ASCII (ví dụ một UUID).")
    _limit(request, "submit", principal)
    officer = principal is not None and principal.has_role("officer")
    volunteer = principal is not None and principal.has_role("volunteer")
    channel = body.channel or ("counter" if officer else "volunteer" if volunteer else "web")
    if channel in _OFFICER_CHANNELS and not officer:
        raise PermissionDenied("CHANNEL_REQUIRES_OFFICER", f"channel {channel} needs an officer's token",
                               "Kênh tiếp nhận này chỉ dành cho cán bộ (cần đăng nhập).")
    if channel == "volunteer" and not (officer or volunteer):
        raise PermissionDenied("CHANNEL_REQUIRES_VOLUNTEER", "channel volunteer needs a volunteer's token",
                               "Kênh tình nguyện viên cần đăng nhập tài khoản tình nguyện viên.")
    a = body.applicant
    ask = pb.SubmitDossierRequest(
        idempotency_key=idempotency_key.strip(),
        procedure_code=body.procedure_code,
        procedure_version=body.procedure_version,
        agency_code=body.agency_code,
        applicant=pb.Applicant(full_name=a.full_name, id_number=a.id_number, phone=a.phone, email=a.email,
                               zalo_user_id=a.zalo_user_id, address=common_pb2.Address(**a.address.model_dump())),
        documents=[pb.ProvidedDocument(**d.model_dump()) for d in body.documents],
        channel=_CHANNELS[channel],
        result_delivery=_DELIVERIES[body.result_delivery],
        consent=common_pb2.Consent(purpose=body.consent.purpose, text_version=body.consent.text_version),
        skip_linked=not body.linked,
    )
    if body.consent.given_at is not None:
        ask.consent.given_at.FromDatetime(_utc(body.consent.given_at, "consent.given_at"))
    if body.subject and body.subject.birth_date:
        b = body.subject.birth_date
        ask.subject_birth_date.CopyFrom(common_pb2.LocalDate(year=b.year, month=b.month, day=b.day))
    if principal is not None and (officer or volunteer):
        ask.assisted_by.CopyFrom(common_pb2.Actor(
            id=principal.subject, display_name=principal.name,
            role=common_pb2.ACTOR_ROLE_OFFICER if officer else common_pb2.ACTOR_ROLE_VOLUNTEER))
    reply = await _submit(request, ask)
    d = reply.dossier
    base = _base(request)
    token = quote(d.public_token)
    code = quote(d.code)
    return _json({
        "code": d.code, "public_token": d.public_token, "status": d.status_code, "status_label": d.status_label_vi,
        "due_at": _iso(d.due_at, d.HasField("due_at")), "due_label": d.due_label_vi,
        "receipt_url": f"{base}/api/v1/dossiers/{code}/receipt?token={token}",
        "receipt_pdf_url": f"{base}/api/v1/dossiers/{code}/receipt.pdf?token={token}",
        "status_url": reply.receipt.qr_payload, "linked_codes": list(d.linked_codes), "replayed": reply.replayed,
    }, status=200 if reply.replayed else 201, headers={"Location": f"/api/v1/dossiers/{code}"})


@router.get(
    "/dossiers/{code}",
    response_model=PublicOut | FullOut,
    summary="Follow a dossier: public status, or the full view with ?token=, the applicant's sign-in or an officer's token",
    description=(
        "Anyone who knows a code sees its status (national code and Vietnamese label), last update, appointment, "
        "procedure and agency, with the status history — never personal data, and the same shape for every dossier. "
        "With `?token=` (from the receipt's QR code) the applicant gets the full view; a wrong token is 403 whether "
        "or not the code exists. A citizen signed in with the national identity provider (a bearer token with the "
        "role `citizen` and the ID number it verified) gets the full view of a dossier submitted under that ID "
        "number, and the public view of any other, exactly as without signing in. Malformed codes are 422, unknown "
        "ones 404. Rate-limited per client address (429 + Retry-After) unless the caller is authenticated staff."
    ),
    responses={403: {"description": "Wrong token"}, 404: {"description": "Unknown code"},
               422: {"description": "Malformed code"}, 429: {"description": "Too many look-ups from this address"}},
)
async def get_dossier(request: Request, code: _CODE, principal: _Principal, token: _TOKEN = None) -> Response:
    _limit(request, "lookup", principal)
    if token:
        d = await _stub(request).GetDossierByToken(pb.GetDossierByTokenRequest(code=code, public_token=token),
                                                    timeout=DEADLINE_SECONDS)
        return _json(_full(d, officer=False), headers=PERSONAL_DATA_HEADERS)
    if _staff(principal, code):
        d = await _stub(request).GetDossier(pb.GetDossierRequest(code=code), timeout=DEADLINE_SECONDS)
        return _json(_full(d, officer=True), headers=PERSONAL_DATA_HEADERS)
    if principal is not None and principal.id_number:
        try:
            d = await _stub(request).GetDossierForApplicant(
                pb.GetDossierForApplicantRequest(code=code, id_number=principal.id_number), timeout=DEADLINE_SECONDS)
            return _json(_full(d, officer=False), headers=PERSONAL_DATA_HEADERS)
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.PERMISSION_DENIED:
                raise
            # Not this citizen's dossier (or no such code): the answer anyone gets, nothing more.
    batcher = _public_status_batcher(request)
    if batcher is not None:
        s = await batcher.get(code)
    else:
        s = await _stub(request).GetPublicStatus(pb.GetPublicStatusRequest(code=code), timeout=DEADLINE_SECONDS)
    return _json(_public(s))


async def _receipt(request: Request, code: str, token: str | None, principal: Principal | None, fmt: int) -> Response:
    _limit(request, "lookup", principal)
    if not token and not _staff(principal, code):
        raise InvalidArgument("TOKEN_REQUIRED", "the receipt needs ?token= or an officer's token",
                              "Cần mã tra cứu (token) in trên giấy tiếp nhận để xem giấy tiếp nhận.",
                              metadata={"field": "token"})
    reply = await _stub(request).GetReceipt(pb.GetReceiptRequest(code=code, format=fmt, public_token=token or ""),
                                            timeout=RECEIPT_DEADLINE_SECONDS)
    disposition = "inline" if fmt == pb.RECEIPT_FORMAT_HTML else "attachment"
    return Response(reply.content, media_type=reply.content_type,
                    headers={"Content-Disposition": f'{disposition}; filename="{reply.filename}"', **PERSONAL_DATA_HEADERS})


@router.get("/dossiers/{code}/receipt", response_class=Response, summary="The receipt as a printable HTML page",
            description="Giấy tiếp nhận hồ sơ và hẹn trả kết quả (A4, with the QR code). Needs `?token=` or an officer.",
            responses={200: {"content": {"text/html": {}}}, 403: {"description": "Wrong token"},
                       422: {"description": "No token"}})
async def get_receipt_html(request: Request, code: _CODE, principal: _Principal, token: _TOKEN = None) -> Response:
    return await _receipt(request, code, token, principal, pb.RECEIPT_FORMAT_HTML)


@router.get("/dossiers/{code}/receipt.pdf", response_class=Response, summary="The receipt as an A4 PDF",
            description="Same content as the HTML receipt, fonts embedded. Needs `?token=` or an officer.",
            responses={200: {"content": {"application/pdf": {}}}, 403: {"description": "Wrong token"},
                       422: {"description": "No token"}})
async def get_receipt_pdf(request: Request, code: _CODE, principal: _Principal, token: _TOKEN = None) -> Response:
    return await _receipt(request, code, token, principal, pb.RECEIPT_FORMAT_PDF)


@router.get("/dossiers/{code}/journey", response_model=JourneyOut,
            summary="The dossier and those linked to it (liên thông) as one journey",
            description="Root first, then linked dossiers in creation order. Needs `?token=` of the dossier or an officer.",
            responses={403: {"description": "Wrong code or token"}})
async def get_journey(request: Request, code: _CODE, principal: _Principal, token: _TOKEN = None) -> Response:
    _limit(request, "lookup", principal)
    stub = _stub(request)
    if not _staff(principal, code):
        if not token:
            raise InvalidArgument("TOKEN_REQUIRED", "the journey needs ?token= or an officer's token",
                                  "Cần mã tra cứu (token) in trên giấy tiếp nhận.", metadata={"field": "token"})
        await stub.GetDossierByToken(pb.GetDossierByTokenRequest(code=code, public_token=token), timeout=DEADLINE_SECONDS)
    j = await stub.GetJourney(pb.GetJourneyRequest(code=code), timeout=DEADLINE_SECONDS)
    return _json({"root_code": j.root_code, "steps": [
        {"code": s.code, "procedure_code": s.procedure_code, "procedure_name": s.procedure_name,
         "agency_code": s.agency_code, "agency_name": s.agency_name,
         "relation": "linked" if s.relation == pb.LINK_RELATION_LINKED else "root", "parent_code": s.parent_code,
         "status": int(s.status), "status_label": s.status_label_vi, "due_at": _iso(s.due_at, s.HasField("due_at"))}
        for s in j.steps]})


@router.post(
    "/dossiers/{code}/transitions",
    response_model=FullOut,
    summary="Officers: move a dossier to another status",
    description=(
        "Allowed moves follow the national lifecycle table (e.g. 1 → 2 accept, 2 → 4, 4 → 5 supplement request, "
        "5 → 4, 4 → 9, 9 → 10); anything else is 422 naming the allowed next statuses. A reason is required for 3, 5, "
        "7 and 8. Pass `expected_version` to refuse a stale update (409). Each move records the officer, time and reason "
        "and emits one event. An officer bound to an agency acts on that agency's dossiers only (403)."
    ),
    responses={401: {"description": "No token"}, 403: {"description": "Not an officer, or another agency's dossier"},
               404: {"description": "Unknown code"}, 409: {"description": "Stale expected_version"},
               422: {"description": "Transition not allowed or reason missing"}},
)
async def transition_dossier(
    request: Request,
    code: _CODE,
    body: TransitionIn,
    principal: Annotated[Principal, Depends(require_roles("officer"))],
) -> Response:
    _check_agency(principal, code)
    d = await _stub(request).TransitionDossier(
        pb.TransitionDossierRequest(
            code=code, to_status=body.to_status, reason=body.reason, expected_version=body.expected_version,
            actor=common_pb2.Actor(id=principal.subject, role=common_pb2.ACTOR_ROLE_OFFICER, display_name=principal.name),
        ),
        timeout=DEADLINE_SECONDS,
    )
    return _json(_full(d, officer=True))


@router.post(
    "/dossiers/{code}/withdrawal",
    response_model=FullOut,
    summary="The applicant asks to withdraw the dossier (status 7, Công dân yêu cầu rút hồ sơ)",
    description=(
        "For the holder of the receipt token: records the request as status 7 with the reason, the applicant as the "
        "actor, and one `withdrawn` event. Refused (422 naming the allowed next statuses) once the result is ready or "
        "returned, or when already withdrawn; a wrong token is 403 whether or not the code exists. Rate-limited per "
        "client address like the look-ups."
    ),
    responses={403: {"description": "Wrong code or token"}, 409: {"description": "Stale expected_version"},
               422: {"description": "Withdrawal not allowed in this status, or no reason"},
               429: {"description": "Too many attempts from this address"}},
)
async def request_withdrawal(request: Request, code: _CODE, body: WithdrawalIn, principal: _Principal) -> Response:
    _limit(request, "lookup", principal)
    stub = _stub(request)
    # The token proves the caller holds the receipt; the same 403 for an unknown code and a wrong token.
    await stub.GetDossierByToken(pb.GetDossierByTokenRequest(code=code, public_token=body.token), timeout=DEADLINE_SECONDS)
    d = await stub.TransitionDossier(
        pb.TransitionDossierRequest(
            code=code, to_status=7, reason=body.reason, expected_version=body.expected_version,
            actor=common_pb2.Actor(id="applicant:receipt-token", role=common_pb2.ACTOR_ROLE_CITIZEN,
                                   display_name="Người nộp hồ sơ"),
        ),
        timeout=DEADLINE_SECONDS,
    )
    return _json(_full(d, officer=False))


@router.get(
    "/dossiers",
    response_model=SummaryList,
    summary="Officers: list dossiers, e.g. near or past their appointment",
    description="Ordered by appointment, then code. An officer bound to an agency sees that agency's dossiers.",
)
async def list_dossiers(
    request: Request,
    principal: Annotated[Principal, Depends(require_roles("officer", "operator"))],
    status: Annotated[list[int] | None, Query(description="National status codes to keep")] = None,
    due_before: Annotated[datetime | None, Query(description="Only dossiers due before this instant")] = None,
    procedure_code: Annotated[str, Query(max_length=64)] = "",
    agency: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    if principal.agency and not principal.has_role("operator"):
        agency = principal.agency
    statuses = [s for s in (status or []) if 1 <= s <= 10]
    ask = pb.ListDossiersRequest(statuses=statuses, agency_code=agency, procedure_code=procedure_code,
                                 page=common_pb2.PageRequest(page=page, page_size=page_size))
    if due_before is not None:
        ask.due_before.FromDatetime(_utc(due_before, "due_before"))
    reply = await _stub(request).ListDossiers(ask, timeout=DEADLINE_SECONDS)
    return _json({"items": [
        {"code": i.code, "procedure_code": i.procedure_code, "procedure_name": i.procedure_name,
         "agency_code": i.agency_code, "status": i.status_code, "status_label": i.status_label_vi,
         "applicant_name": i.applicant_name, "received_at": _iso(i.received_at),
         "due_at": _iso(i.due_at, i.HasField("due_at")), "channel": _CHANNEL_NAMES.get(i.channel, "web")}
        for i in reply.items], "total": reply.page_info.total, "page": reply.page_info.page,
        "page_size": reply.page_info.page_size})
