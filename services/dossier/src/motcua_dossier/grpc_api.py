"""gRPC servicer of motcua.dossier.v1.DossierService: request checks and proto ↔ domain translation only."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import UTC, date, datetime

import grpc
from google.protobuf import timestamp_pb2

from motcua.common.v1 import common_pb2
from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_dossier import repository as repo
from motcua_dossier.domain import codes, errors, lifecycle
from motcua_dossier.domain.calendar import VIETNAM, DueDate, Override, label_vi, session_of
from motcua_dossier.domain.lifecycle import Status
from motcua_dossier.domain.model import (
    Actor,
    Address,
    Applicant,
    Channel,
    Consent,
    Document,
    Dossier,
    PublicStatus,
    ResultDelivery,
    Submission,
)
from motcua_dossier.events import ROLE_TO_PB, ts
from motcua_dossier.service import DossierService
from motcua_dossier.subject_data import SubjectDataRpcs
from motcua_platform.errors import MotcuaError
from motcua_platform.grpc_server import item_outcome
from motcua_platform.subject_data import normalize_id_number

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["DossierService"].full_name
ROLE_NAMES = {v: k for k, v in ROLE_TO_PB.items()}
_KEY = re.compile(r"^[\x21-\x7e]{8,128}$")
_PHONE = re.compile(r"^(?:\+84|84|0)(\d{9})$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_ID_NUMBER = re.compile(r"^(?:\d{12}|\d{9})$")
MAX_TEXT = 500
MAX_DOCUMENTS = 50


def _text(value: str, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    value = value.strip()
    if required and not value:
        raise errors.invalid(field, "required", f"Thiếu thông tin bắt buộc: {field}.")
    if len(value) > limit or any(ord(c) < 32 for c in value):
        raise errors.invalid(field, "too long or has control characters", f"Thông tin không hợp lệ: {field}.")
    return value


def _timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    return ts(value)


def _date(value: common_pb2.LocalDate) -> date | None:
    if not (value.year or value.month or value.day):
        return None
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        raise errors.invalid("subject_birth_date", "not a date", "Ngày sinh không hợp lệ.") from None


def _day(value: common_pb2.LocalDate, field: str, name_vi: str) -> date:
    """A required calendar day of year 2000..2100."""
    try:
        day = date(value.year, value.month, value.day)
    except ValueError:
        raise errors.invalid(field, "not a date", f"{name_vi} không hợp lệ.") from None
    if not 2000 <= day.year <= 2100:
        raise errors.invalid(field, "year 2000..2100", f"{name_vi} phải trong các năm 2000 đến 2100.")
    return day


_OVERRIDE_KINDS = {pb.CALENDAR_OVERRIDE_KIND_DAY_OFF: "off", pb.CALENDAR_OVERRIDE_KIND_WORKING_DAY: "work"}
_OVERRIDE_KINDS_PB = {kind: value for value, kind in _OVERRIDE_KINDS.items()}
#: Days per ListCalendarOverrides call.
MAX_OVERRIDE_RANGE_DAYS = 366


def _override_agency(raw: str) -> str:
    agency = raw.strip()
    if agency and not codes.is_agency_code(agency):
        raise errors.unknown_agency(agency)
    return agency


def override_to_pb(row: repo.OverrideRow) -> pb.CalendarOverride:
    o = row.override
    return pb.CalendarOverride(
        day=_local_date(o.day), agency_code=o.agency_code or "", kind=_OVERRIDE_KINDS_PB[o.kind], reason=o.reason,
        decision_ref=row.decision_ref, updated_by=actor_to_pb(row.updated_by),
        updated_at=_timestamp(row.updated_at))


def _local_date(value: date) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=value.year, month=value.month, day=value.day)


def actor_from_pb(actor: common_pb2.Actor) -> Actor | None:
    if not actor.id:
        return None
    role = ROLE_NAMES.get(actor.role)
    if role is None:
        raise errors.invalid("actor.role", "unknown role", "Vai trò người thực hiện không hợp lệ.")
    return Actor(_text(actor.id, "actor.id", limit=128), role, _text(actor.display_name, "actor.display_name", required=False))


def actor_to_pb(actor: Actor | None) -> common_pb2.Actor | None:
    if actor is None:
        return None
    return common_pb2.Actor(id=actor.id, role=ROLE_TO_PB.get(actor.role, common_pb2.ACTOR_ROLE_UNSPECIFIED),
                            display_name=actor.display_name)


def normalize_phone(phone: str) -> str:
    """'0912 345 678' / '+84912345678' → '+84912345678'; InvalidArgument otherwise."""
    digits = re.sub(r"[\s.\-()]", "", phone)
    match = _PHONE.match(digits)
    if not match:
        raise errors.invalid("applicant.phone", "not a Vietnamese phone number",
                             "Số điện thoại không hợp lệ (ví dụ 0912345678).")
    return "+84" + match.group(1)


def submission_from_pb(request: pb.SubmitDossierRequest) -> Submission:
    """Check the shape of a submission; procedure rules are checked by the service."""
    key = request.idempotency_key.strip()
    if not _KEY.match(key):
        raise errors.invalid("idempotency_key", "8 to 128 visible ASCII characters",
                             "Idempotency-Key phải gồm 8 đến 128 ký tự ASCII (ví dụ một UUID).")
    unkeyed = pb.SubmitDossierRequest()
    unkeyed.CopyFrom(request)
    unkeyed.idempotency_key = ""
    request_hash = hashlib.sha256(unkeyed.SerializeToString(deterministic=True)).digest()

    a = request.applicant
    id_number = re.sub(r"\s", "", a.id_number)
    if not _ID_NUMBER.match(id_number):
        raise errors.invalid("applicant.id_number", "CCCD (12 digits) or CMND (9 digits)",
                             "Số định danh cá nhân (CCCD 12 số) không hợp lệ.")
    email = _text(a.email, "applicant.email", required=False, limit=254)
    if email and not _EMAIL.match(email):
        raise errors.invalid("applicant.email", "not an e-mail address", "Địa chỉ email không hợp lệ.")
    address = Address(
        street=_text(a.address.street, "applicant.address.street"),
        ward_code=_text(a.address.ward_code, "applicant.address.ward_code", required=False, limit=10),
        ward_name=_text(a.address.ward_name, "applicant.address.ward_name", required=not a.address.ward_code),
        district_name=_text(a.address.district_name, "applicant.address.district_name", required=False),
        province_code=_text(a.address.province_code, "applicant.address.province_code", required=False, limit=10),
        province_name=_text(a.address.province_name, "applicant.address.province_name", required=not a.address.province_code),
    )
    applicant = Applicant(
        full_name=_text(a.full_name, "applicant.full_name", limit=200),
        id_number=id_number,
        phone=normalize_phone(a.phone),
        email=email,
        address=address,
        zalo_user_id=_text(a.zalo_user_id, "applicant.zalo_user_id", required=False, limit=64),
    )
    if len(request.documents) > MAX_DOCUMENTS:
        raise errors.invalid("documents", "too many", "Quá nhiều giấy tờ trong một hồ sơ.")
    documents = []
    for i, d in enumerate(request.documents):
        if d.originals < 0 or d.copies < 0:
            raise errors.invalid(f"documents[{i}]", "negative count", "Số bản chính/bản sao không hợp lệ.")
        documents.append(Document(_text(d.name, f"documents[{i}].name"), _text(d.document_id, f"documents[{i}].document_id",
                                                                              required=False, limit=128),
                                  d.originals, d.copies))
    if not request.consent.purpose.strip():
        raise errors.invalid("consent", "consent is required",
                             "Cần có sự đồng ý của người nộp về việc xử lý dữ liệu cá nhân (Nghị định 13/2023/NĐ-CP).")
    given_at = request.consent.given_at.ToDatetime(UTC) if request.consent.HasField("given_at") else datetime.now(UTC)
    consent = Consent(_text(request.consent.purpose, "consent.purpose", limit=100), given_at,
                      _text(request.consent.text_version, "consent.text_version", required=False, limit=40))
    try:
        channel = Channel(request.channel) if request.channel else Channel.WEB
        delivery = ResultDelivery(request.result_delivery) if request.result_delivery else ResultDelivery.COUNTER
    except ValueError:
        raise errors.invalid("channel", "unknown channel or delivery",
                             "Kênh nộp hoặc hình thức nhận kết quả không hợp lệ.") from None
    assisted_by = actor_from_pb(request.assisted_by) if request.HasField("assisted_by") else None
    if assisted_by is not None and assisted_by.role not in ("officer", "volunteer"):
        raise errors.invalid("assisted_by.role", "officer or volunteer", "Người hỗ trợ phải là cán bộ hoặc tình nguyện viên.")
    agency_code = request.agency_code.strip()
    if agency_code and not codes.is_agency_code(agency_code):
        raise errors.unknown_agency(agency_code)
    birth = _date(request.subject_birth_date) if request.HasField("subject_birth_date") else None
    if birth is not None and birth > datetime.now(VIETNAM).date():
        raise errors.invalid("subject_birth_date", "in the future", "Ngày sinh không được ở tương lai.")
    return Submission(
        idempotency_key=key, request_hash=request_hash,
        procedure_code=_text(request.procedure_code, "procedure_code", limit=64),
        procedure_version=max(0, request.procedure_version), applicant=applicant, documents=tuple(documents),
        channel=channel, assisted_by=assisted_by, result_delivery=delivery, consent=consent, agency_code=agency_code,
        subject_birth_date=birth, skip_linked=request.skip_linked,
    )


def _skipped(items: list[dict]) -> list[pb.SkippedDay]:
    out = []
    for s in items:
        day = date.fromisoformat(s["date"])
        out.append(pb.SkippedDay(date=_local_date(day), reason=s["reason"]))
    return out


def dossier_to_pb(d: Dossier, *, with_token: bool = True) -> pb.Dossier:
    message = pb.Dossier(
        code=d.code, public_token=d.public_token if with_token else "", version=d.version, procedure_code=d.procedure_code,
        procedure_version=d.procedure_version, procedure_name=d.procedure_name, agency_code=d.agency_code,
        agency_name=d.agency_name, status=int(d.status), status_code=int(d.status), status_label_vi=lifecycle.label(d.status),
        received_at=_timestamp(d.received_at), due_at=_timestamp(d.due_at), due_label_vi=label_vi(d.due_at) if d.due_at else "",
        history=[pb.StatusChange(from_status=h.from_status, to_status=int(h.to_status), actor=actor_to_pb(h.actor),
                                 reason=h.reason, at=_timestamp(h.at), label_vi=lifecycle.label(h.to_status))
                 for h in d.history],
        linked_codes=d.linked_codes, parent_code=d.parent_code,
        applicant=pb.Applicant(
            full_name=d.applicant.full_name, id_number=d.applicant.id_number, phone=d.applicant.phone, email=d.applicant.email,
            address=common_pb2.Address(**d.applicant.address.__dict__), zalo_user_id=d.applicant.zalo_user_id,
        ),
        documents=[pb.ProvidedDocument(name=x.name, document_id=x.document_id, originals=x.originals, copies=x.copies)
                   for x in d.documents],
        channel=int(d.channel), assisted_by=actor_to_pb(d.assisted_by), result_delivery=int(d.result_delivery),
        consent=common_pb2.Consent(purpose=d.consent.purpose, given_at=_timestamp(d.consent.given_at),
                                   text_version=d.consent.text_version),
        contact_ref=d.contact_ref, processing_working_days=d.processing_working_days, collect_at=d.collect_at,
        updated_at=_timestamp(d.updated_at), next_statuses=[int(t) for t in lifecycle.allowed_from(d.status)],
    )
    if d.due_basis:
        b = d.due_basis
        message.due_basis.CopyFrom(pb.DueDateBasis(
            received_at=_timestamp(datetime.fromisoformat(b["received_at"])),
            counted_from=_timestamp(datetime.fromisoformat(b["counted_from"])),
            working_days=b["working_days"], skipped_days=_skipped(b["skipped"]),
            paused_working_minutes=b.get("paused_minutes", 0), make_up_days=_skipped(b.get("make_up", [])),
        ))
    return message


def due_to_pb(due: DueDate) -> pb.ComputeDueDateResponse:
    return pb.ComputeDueDateResponse(
        due_at=_timestamp(due.due_at),
        session=pb.DAY_SESSION_MORNING if session_of(due.due_at) == "morning" else pb.DAY_SESSION_AFTERNOON,
        label_vi=due.label_vi,
        skipped_days=[pb.SkippedDay(date=_local_date(s.day), reason=s.reason) for s in due.skipped],
        counted_from=_timestamp(due.counted_from),
        make_up_days=[pb.SkippedDay(date=_local_date(s.day), reason=s.reason) for s in due.make_up],
    )


def _code(raw: str) -> str:
    return str(codes.parse_code(raw))


#: Submissions per SubmitDossiers call.
MAX_SUBMISSIONS = 64
#: Codes per GetPublicStatuses call.
MAX_PUBLIC_STATUSES = 256
#: References per ResolveContacts call.
MAX_CONTACT_REFS = 256


def _public_status(s: PublicStatus) -> pb.PublicStatus:
    return pb.PublicStatus(
        code=s.code, status_code=int(s.status), status=int(s.status), label_vi=lifecycle.label(s.status),
        last_update=_timestamp(s.last_update), due_at=_timestamp(s.due_at),
        due_label_vi=label_vi(s.due_at) if s.due_at else "", procedure_name=s.procedure_name, agency_name=s.agency_name,
        history=[pb.PublicStatusChange(status_code=int(st), label_vi=lifecycle.label(st), at=_timestamp(at))
                 for st, at in s.history],
    )


class DossierServicer(SubjectDataRpcs, pb_grpc.DossierServiceServicer):
    def __init__(self, service: DossierService) -> None:
        self.service = service

    async def SubmitDossier(self, request: pb.SubmitDossierRequest, context: grpc.aio.ServicerContext
                            ) -> pb.SubmitDossierResponse:
        if request.parent_code:
            raise errors.invalid("parent_code", "linked dossiers are created by the registry",
                                 "Hồ sơ liên thông do hệ thống tự tạo, không nộp trực tiếp.")
        result = await self.service.submit_or_replay(submission_from_pb(request))
        d = result.dossier
        from motcua_dossier.receipt import status_url

        receipt = pb.ReceiptInfo(number=d.code, qr_payload=status_url(self.service.public_base_url, d.code, d.public_token),
                                 due_at=_timestamp(d.due_at), due_label_vi=label_vi(d.due_at) if d.due_at else "",
                                 collect_at=d.collect_at)
        return pb.SubmitDossierResponse(dossier=dossier_to_pb(d), receipt=receipt, replayed=result.replayed)

    async def SubmitDossiers(self, request: pb.SubmitDossiersRequest, context: grpc.aio.ServicerContext
                             ) -> pb.SubmitDossiersResponse:
        """Each item as SubmitDossier, side by side (so they share registration transactions), in its own context."""
        if len(request.items) > MAX_SUBMISSIONS:
            raise errors.invalid("items", f"at most {MAX_SUBMISSIONS} submissions",
                                 f"Tối đa {MAX_SUBMISSIONS} hồ sơ trong một lần gửi.")
        outcomes = await asyncio.gather(*(self._submit_item(item, context) for item in request.items))
        return pb.SubmitDossiersResponse(outcomes=outcomes)

    async def _submit_item(self, item: pb.SubmitDossiersItem, context: grpc.aio.ServicerContext
                           ) -> pb.SubmitDossierOutcome:
        response, error = await item_outcome(item.context, "motcua.dossier.v1.DossierService/SubmitDossiers.item",
                                             lambda: self.SubmitDossier(item.request, context))
        return pb.SubmitDossierOutcome(response=response) if response is not None \
            else pb.SubmitDossierOutcome(error_status=error)

    async def GetDossier(self, request: pb.GetDossierRequest, context: grpc.aio.ServicerContext) -> pb.Dossier:
        return dossier_to_pb(await self.service.get(code=_code(request.code)))

    async def GetPublicStatus(self, request: pb.GetPublicStatusRequest, context: grpc.aio.ServicerContext
                              ) -> pb.PublicStatus:
        return _public_status(await self.service.public_status(code=_code(request.code)))

    async def GetPublicStatuses(self, request: pb.GetPublicStatusesRequest, context: grpc.aio.ServicerContext
                                ) -> pb.GetPublicStatusesResponse:
        if len(request.codes) > MAX_PUBLIC_STATUSES:
            raise errors.invalid("codes", f"at most {MAX_PUBLIC_STATUSES} codes",
                                 f"Tra cứu tối đa {MAX_PUBLIC_STATUSES} mã hồ sơ một lần.")
        parsed: list[str | None] = []
        for raw in request.codes:
            try:
                parsed.append(_code(raw))
            except MotcuaError:  # InvalidArgument: malformed
                parsed.append(None)
        found = await self.service.public_statuses(codes=[c for c in parsed if c is not None])
        results = []
        for raw, code in zip(request.codes, parsed, strict=True):
            if code is None:
                results.append(pb.PublicStatusResult(code=raw, outcome=pb.PUBLIC_STATUS_OUTCOME_INVALID_CODE))
            elif code not in found:
                results.append(pb.PublicStatusResult(code=raw, outcome=pb.PUBLIC_STATUS_OUTCOME_NOT_FOUND))
            else:
                results.append(pb.PublicStatusResult(code=raw, outcome=pb.PUBLIC_STATUS_OUTCOME_FOUND,
                                                     status=_public_status(found[code])))
        return pb.GetPublicStatusesResponse(results=results)

    async def GetDossierByToken(self, request: pb.GetDossierByTokenRequest, context: grpc.aio.ServicerContext
                                ) -> pb.Dossier:
        try:
            code = _code(request.code)
        except Exception:
            raise errors.token_denied() from None
        return dossier_to_pb(await self.service.get_by_token(code=code, token=request.public_token))

    async def GetDossierForApplicant(self, request: pb.GetDossierForApplicantRequest, context: grpc.aio.ServicerContext
                                     ) -> pb.Dossier:
        try:
            code = _code(request.code)
            id_number = normalize_id_number(request.id_number)
        except Exception:
            raise errors.applicant_denied() from None
        return dossier_to_pb(await self.service.get_for_applicant(code=code, id_number=id_number))

    async def TransitionDossier(self, request: pb.TransitionDossierRequest, context: grpc.aio.ServicerContext
                                ) -> pb.Dossier:
        code = _code(request.code)
        try:
            to = Status(request.to_status)
        except ValueError:
            raise errors.invalid("to_status", "1..10", "Trạng thái hồ sơ phải là một số từ 1 đến 10.") from None
        actor = actor_from_pb(request.actor)
        if actor is None:
            raise errors.invalid("actor", "required", "Thiếu thông tin người thực hiện.")
        reason = _text(request.reason, "reason", required=False, limit=2000)
        dossier = await self.service.transition(code=code, to=to, actor=actor, reason=reason,
                                                expected_version=request.expected_version)
        return dossier_to_pb(dossier)

    async def GetReceipt(self, request: pb.GetReceiptRequest, context: grpc.aio.ServicerContext) -> pb.GetReceiptResponse:
        try:
            code = _code(request.code)
        except Exception:
            if request.public_token:
                raise errors.token_denied() from None
            raise
        content, content_type, name = await self.service.receipt(
            code=code, pdf=request.format == pb.RECEIPT_FORMAT_PDF, token=request.public_token)
        return pb.GetReceiptResponse(content=content, content_type=content_type, filename=name)

    async def ComputeDueDate(self, request: pb.ComputeDueDateRequest, context: grpc.aio.ServicerContext
                             ) -> pb.ComputeDueDateResponse:
        if not request.HasField("received_at"):
            raise errors.invalid("received_at", "required", "Thiếu thời điểm tiếp nhận hồ sơ.")
        if not 0 <= request.working_days <= 365:
            raise errors.invalid("working_days", "0..365", "Số ngày làm việc phải từ 0 đến 365.")
        received_at = request.received_at.ToDatetime(UTC)
        if not 2000 <= received_at.year <= 2100:
            raise errors.invalid("received_at", "year 2000..2100", "Thời điểm tiếp nhận không hợp lệ.")
        agency = request.agency_code.strip()
        if agency and not codes.is_agency_code(agency):
            raise errors.unknown_agency(agency)
        due = await self.service.due_date(received_at=received_at, working_days=request.working_days, agency_code=agency)
        return due_to_pb(due)

    async def ListCalendarOverrides(self, request: pb.ListCalendarOverridesRequest, context: grpc.aio.ServicerContext
                                    ) -> pb.ListCalendarOverridesResponse:
        first = _day(request.from_day, "from_day", "Ngày bắt đầu")
        last = _day(request.to_day, "to_day", "Ngày kết thúc")
        if not 0 <= (last - first).days <= MAX_OVERRIDE_RANGE_DAYS:
            raise errors.invalid("to_day", f"from_day..to_day: 0 to {MAX_OVERRIDE_RANGE_DAYS} days",
                                 f"Khoảng ngày phải từ 0 đến {MAX_OVERRIDE_RANGE_DAYS} ngày, ngày kết thúc không "
                                 "trước ngày bắt đầu.")
        rows = await self.service.list_overrides(from_day=first, to_day=last,
                                                 agency_code=_override_agency(request.agency_code))
        return pb.ListCalendarOverridesResponse(overrides=[override_to_pb(r) for r in rows])

    async def PutCalendarOverride(self, request: pb.PutCalendarOverrideRequest, context: grpc.aio.ServicerContext
                                  ) -> pb.CalendarOverride:
        o = request.override
        day = _day(o.day, "override.day", "Ngày điều chỉnh")
        kind = _OVERRIDE_KINDS.get(o.kind)
        if kind is None:
            raise errors.invalid("override.kind", "DAY_OFF or WORKING_DAY", "Cần chọn ngày nghỉ hoặc ngày làm việc.")
        reason = _text(o.reason, "override.reason", limit=200)
        decision_ref = _text(o.decision_ref, "override.decision_ref", limit=200, required=False)
        actor = actor_from_pb(request.actor)
        if actor is None:
            raise errors.invalid("actor", "required", "Thiếu người thực hiện.")
        row = await self.service.put_override(Override(day, kind, reason, _override_agency(o.agency_code) or None),
                                              decision_ref=decision_ref, actor=actor)
        return override_to_pb(row)

    async def DeleteCalendarOverride(self, request: pb.DeleteCalendarOverrideRequest,
                                     context: grpc.aio.ServicerContext) -> pb.DeleteCalendarOverrideResponse:
        day = _day(request.day, "day", "Ngày điều chỉnh")
        actor = actor_from_pb(request.actor)
        if actor is None:
            raise errors.invalid("actor", "required", "Thiếu người thực hiện.")
        await self.service.delete_override(day=day, agency_code=_override_agency(request.agency_code), actor=actor)
        return pb.DeleteCalendarOverrideResponse()

    async def ListDossiers(self, request: pb.ListDossiersRequest, context: grpc.aio.ServicerContext
                           ) -> pb.ListDossiersResponse:
        page = max(1, request.page.page)
        size = min(100, request.page.page_size or 20)
        items, total = await self.service.list(
            statuses=[int(s) for s in request.statuses], agency_code=request.agency_code.strip(),
            due_before=request.due_before.ToDatetime(UTC) if request.HasField("due_before") else None,
            procedure_code=request.procedure_code.strip(), page=page, page_size=size)
        return pb.ListDossiersResponse(
            items=[pb.DossierSummary(code=i.code, procedure_code=i.procedure_code, procedure_name=i.procedure_name,
                                     agency_code=i.agency_code, status=int(i.status), status_code=int(i.status),
                                     status_label_vi=lifecycle.label(i.status), applicant_name=i.applicant_name,
                                     received_at=_timestamp(i.received_at), due_at=_timestamp(i.due_at),
                                     channel=int(i.channel)) for i in items],
            page_info=common_pb2.PageInfo(total=total, page=page, page_size=size),
        )

    async def GetJourney(self, request: pb.GetJourneyRequest, context: grpc.aio.ServicerContext) -> pb.Journey:
        steps = await self.service.journey(code=_code(request.code))
        root = steps[0]
        return pb.Journey(root_code=root.code, steps=[
            pb.JourneyStep(code=s.code, procedure_code=s.procedure_code, procedure_name=s.procedure_name,
                           agency_code=s.agency_code, agency_name=s.agency_name,
                           relation=pb.LINK_RELATION_LINKED if s.parent_code else pb.LINK_RELATION_ROOT,
                           parent_code=s.parent_code, status=int(s.status), status_label_vi=lifecycle.label(s.status),
                           due_at=_timestamp(s.due_at)) for s in steps])

    async def ResolveContact(self, request: pb.ResolveContactRequest, context: grpc.aio.ServicerContext
                             ) -> common_pb2.ContactDetails:
        ref = request.contact_ref.strip()
        if not ref or len(ref) > 64:
            raise errors.contact_not_found()
        a = await self.service.resolve_contact(contact_ref=ref)
        return common_pb2.ContactDetails(contact_ref=ref, full_name=a.full_name, phone=a.phone, email=a.email,
                                         zalo_user_id=a.zalo_user_id)

    async def ResolveContacts(self, request: pb.ResolveContactsRequest, context: grpc.aio.ServicerContext
                              ) -> pb.ResolveContactsResponse:
        if len(request.contact_refs) > MAX_CONTACT_REFS:
            raise errors.invalid("contact_refs", f"at most {MAX_CONTACT_REFS} references",
                                 f"Tối đa {MAX_CONTACT_REFS} tham chiếu liên hệ một lần.")
        refs = [ref.strip() for ref in request.contact_refs]
        found = await self.service.resolve_contacts(contact_refs=[r for r in refs if r and len(r) <= 64])
        results = []
        for asked, ref in zip(request.contact_refs, refs, strict=True):
            a = found.get(ref)
            if a is None:
                results.append(pb.ResolvedContact(contact_ref=asked, found=False))
            else:
                results.append(pb.ResolvedContact(contact_ref=asked, found=True, contact=common_pb2.ContactDetails(
                    contact_ref=ref, full_name=a.full_name, phone=a.phone, email=a.email, zalo_user_id=a.zalo_user_id)))
        return pb.ResolveContactsResponse(results=results)

    async def GetFigures(self, request: pb.GetDossierFiguresRequest, context: grpc.aio.ServicerContext
                         ) -> pb.DossierFigures:
        first = _range_day(request.from_date, "from_date")
        last = _range_day(request.to_date, "to_date")
        if last < first or (last - first).days > MAX_FIGURES_DAYS:
            raise errors.invalid("to_date", f"range must be 0..{MAX_FIGURES_DAYS} days",
                                 f"Khoảng thời gian không hợp lệ (tối đa {MAX_FIGURES_DAYS + 1} ngày).")
        f = await self.service.figures(from_day=first, to_day=last,
                                       agency_code=_text(request.agency_code, "agency_code", required=False, limit=20))
        return pb.DossierFigures(
            received=f.received, online=f.online, self_service=f.self_service,
            by_channel=[pb.ChannelCount(channel=int(c), count=n) for c, n in f.by_channel],
            resolved=f.resolved, resolved_on_time=f.resolved_on_time, overdue_now=f.overdue_now)


MAX_FIGURES_DAYS = 366


def _range_day(value: common_pb2.LocalDate, field: str) -> date:
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        raise errors.invalid(field, "required date", "Ngày không hợp lệ.") from None
