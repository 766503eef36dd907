"""`/api/v1/procedures`, `/api/v1/fields`, `/api/v1/agencies`: the procedure catalogue over REST.

Thin: validate the HTTP shape, call CatalogueService over the shared channel with a
deadline, translate the answer. Search rules (diacritics, synonyms, typos, the 200
character limit, control characters) belong to the catalogue service; its errors come
back as problem+json with the Vietnamese text (see `problems`). Responses are
serialised straight to JSON bytes: the response models below document them in OpenAPI.
Officers publish and withdraw procedures, operators import them (the routes at the end);
the gateway checks the token and the officer's agency, the catalogue the change itself.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from motcua.catalogue.v1 import catalogue_service_pb2 as pb
from motcua.catalogue.v1.catalogue_service_pb2_grpc import CatalogueServiceStub
from motcua.common.v1 import common_pb2
from motcua_gateway.auth import Principal, require_roles
from motcua_gateway.problems import problem
from motcua_platform.errors import PermissionDenied
from motcua_platform.logging import get_logger

#: Deadline of every call to the catalogue; past it the client gets 503 with Retry-After.
DEADLINE_SECONDS = 2.0
#: An import checks and writes up to thousands of procedures in one call.
IMPORT_DEADLINE_SECONDS = 60.0
#: An import document travels in one gRPC message (4 MiB by default).
MAX_IMPORT_BYTES = 4_000_000
#: Vietnam has one time zone and no daylight saving time: "today" for fees is read here.
VIETNAM = timezone(timedelta(hours=7), "ICT")

router = APIRouter(prefix="/api/v1", tags=["catalogue"])
log = get_logger(__name__)

Level = Literal["province", "commune", "district"]
OnlineLevel = Literal["full", "partial", "none"]
Channel = Literal["in_person", "post", "online"]

_LEVELS: dict[int, tuple[str, str]] = {
    pb.GOVERNMENT_LEVEL_PROVINCE: ("province", "Cấp tỉnh"),
    pb.GOVERNMENT_LEVEL_COMMUNE: ("commune", "Cấp xã"),
    pb.GOVERNMENT_LEVEL_DISTRICT_HISTORICAL: ("district", "Cấp huyện"),
}
_LEVEL_TO_PB = {name: value for value, (name, _) in _LEVELS.items()}
_ONLINE: dict[int, tuple[str, str]] = {
    pb.ONLINE_LEVEL_FULL: ("full", "Toàn trình"),
    pb.ONLINE_LEVEL_PARTIAL: ("partial", "Một phần"),
    pb.ONLINE_LEVEL_UNSPECIFIED: ("none", "Không trực tuyến"),
}
_ONLINE_TO_PB = {"full": pb.ONLINE_LEVEL_FULL, "partial": pb.ONLINE_LEVEL_PARTIAL}
_CHANNELS = {
    pb.DELIVERY_CHANNEL_IN_PERSON: "in_person",
    pb.DELIVERY_CHANNEL_POST: "post",
    pb.DELIVERY_CHANNEL_ONLINE: "online",
    pb.DELIVERY_CHANNEL_UNSPECIFIED: "any",
}
_STATUS = {pb.PROCEDURE_STATUS_PUBLISHED: "published", pb.PROCEDURE_STATUS_WITHDRAWN: "withdrawn"}


# -- response models (OpenAPI) ---------------------------------------------------------------------


class FieldOut(BaseModel):
    code: str = Field(examples=["HO_TICH"])
    name: str = Field(examples=["Hộ tịch"])


class AgencyOut(BaseModel):
    code: str = Field(examples=["000.00.04.H15"])
    name: str = Field(examples=["UBND phường Bến Nghé"])


class ProcedureItem(BaseModel):
    """A procedure in a list of results."""

    code: str = Field(description="National procedure code", examples=["1.001193.000.00.00.H15"])
    version: int
    name: str = Field(examples=["Đăng ký khai sinh"])
    field: FieldOut = Field(description="Lĩnh vực")
    level: Level = Field(description="Cấp thực hiện")
    level_label: str = Field(examples=["Cấp xã"])
    agency: AgencyOut = Field(description="Cơ quan thực hiện")
    online_level: OnlineLevel = Field(description="full = toàn trình, partial = một phần, none = không trực tuyến")
    online_level_label: str = Field(examples=["Toàn trình"])
    legacy_level_label: str = Field(description="Former label, e.g. Mức độ 4", examples=["Mức độ 4"])
    processing_days: int = Field(description="Shortest processing time in working days (0 = within the day)")


class ProcedureList(BaseModel):
    items: list[ProcedureItem]
    total: int = Field(description="Matches across all pages")
    page: int
    page_size: int


class ProcessingTimeOut(BaseModel):
    working_days: int
    channel: Literal["any", "in_person", "post", "online"]
    description: str


class FeeOut(BaseModel):
    name: str
    amount_vnd: int = Field(description="Whole đồng; 0 = free")
    effective_from: date
    effective_to: date | None
    note: str


class RequiredDocumentOut(BaseModel):
    name: str
    originals: int = Field(description="Bản chính")
    copies: int = Field(description="Bản sao")
    required: bool
    form_template_ref: str = Field(description="Mẫu đơn, tờ khai; empty if none")
    note: str


class ProcedureDetail(ProcedureItem):
    """A procedure in full: documents, times, fees (those in force today and every period), channels."""

    status: Literal["published", "withdrawn"]
    processing_times: list[ProcessingTimeOut]
    fees_today: list[FeeOut] = Field(description="Fees in force today (Vietnam time)")
    fees_as_of: date = Field(description="The day fees_today refers to")
    fees: list[FeeOut] = Field(description="Every fee period, past and future")
    required_documents: list[RequiredDocumentOut] = Field(description="Thành phần hồ sơ")
    submission_channels: list[Channel]
    result_channels: list[Channel]
    legal_basis: list[str]
    keywords: list[str]
    synonyms: list[str]
    published_at: datetime | None
    withdrawn_at: datetime | None
    withdrawal_reason: str
    replaced_by_code: str


class FieldCountOut(FieldOut):
    procedure_count: int


class FieldList(BaseModel):
    items: list[FieldCountOut]


class AgencyCountOut(AgencyOut):
    procedure_count: int


class AgencyList(BaseModel):
    items: list[AgencyCountOut]


# -- helpers -------------------------------------------------------------------------------------


class _Catalogue:
    """The catalogue client of one app: the stub, and SearchProcedures returning raw bytes.

    The same searches come back again and again with byte-identical answers (the catalogue
    caches them), so the JSON of a search answer is memoised by the answer's bytes: a repeated
    answer is neither parsed nor re-encoded. Keyed by content, the memo can never be stale.
    """

    MEMO_ENTRIES = 2048

    def __init__(self, channel: object) -> None:
        self.channel = channel
        self.stub = CatalogueServiceStub(channel)
        self.search_raw = channel.unary_unary(  # type: ignore[attr-defined]
            "/motcua.catalogue.v1.CatalogueService/SearchProcedures",
            request_serializer=pb.SearchProceduresRequest.SerializeToString,
            response_deserializer=None,
        )
        self._json: OrderedDict[bytes, bytes] = OrderedDict()

    def search_json(self, raw: bytes) -> bytes:
        body = self._json.get(raw)
        if body is not None:
            self._json.move_to_end(raw)
            return body
        reply = pb.SearchProceduresResponse.FromString(raw)
        body = _dumps({
            "items": [_summary(s, s.min_working_days) for s in reply.items],
            "total": reply.page_info.total,
            "page": reply.page_info.page,
            "page_size": reply.page_info.page_size,
        })
        self._json[raw] = body
        if len(self._json) > self.MEMO_ENTRIES:
            self._json.popitem(last=False)
        return body


def _catalogue(request: Request) -> _Catalogue:
    """One client per channel, made on first use and reused (the channel is the app's, opened in its lifespan)."""
    state = request.app.state
    channel = state.channels["catalogue"]
    client = getattr(state, "catalogue_client", None)
    if client is None or client.channel is not channel:
        client = _Catalogue(channel)
        state.catalogue_client = client
    return client


def _stub(request: Request) -> CatalogueServiceStub:
    return _catalogue(request).stub


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def _json(body: dict[str, Any]) -> Response:
    return Response(_dumps(body), media_type="application/json")


def _summary(s: pb.ProcedureSummary | pb.Procedure, processing_days: int) -> dict[str, Any]:
    level, level_label = _LEVELS.get(s.level, ("", ""))
    online, online_label = _ONLINE.get(s.online_level, ("none", ""))
    return {
        "code": s.code,
        "version": s.version,
        "name": s.name,
        "field": {"code": s.field.code, "name": s.field.name},
        "level": level,
        "level_label": level_label,
        "agency": {"code": s.agency.code, "name": s.agency.name},
        "online_level": online,
        "online_level_label": online_label,
        "legacy_level_label": s.legacy_level_label,
        "processing_days": processing_days,
    }


def _date(d: common_pb2.LocalDate) -> date:
    return date(d.year, d.month, d.day)


def _fee(f: pb.Fee) -> dict[str, Any]:
    return {
        "name": f.name,
        "amount_vnd": f.amount.amount_vnd,
        "effective_from": _date(f.effective_from).isoformat(),
        "effective_to": _date(f.effective_to).isoformat() if f.HasField("effective_to") else None,
        "note": f.note,
    }


def _in_force(f: pb.Fee, day: date) -> bool:
    return _date(f.effective_from) <= day and (not f.HasField("effective_to") or day <= _date(f.effective_to))


def _timestamp(p: pb.Procedure, name: str) -> str | None:
    return getattr(p, name).ToDatetime(UTC).isoformat() if p.HasField(name) else None


def _detail(p: pb.Procedure, today: date) -> dict[str, Any]:
    body = _summary(p, min((t.working_days for t in p.processing_times), default=0))
    body.update(
        status=_STATUS[p.status],
        processing_times=[
            {"working_days": t.working_days, "channel": _CHANNELS.get(t.channel, "any"), "description": t.description}
            for t in p.processing_times
        ],
        fees_today=[_fee(f) for f in p.fees if _in_force(f, today)],
        fees_as_of=today.isoformat(),
        fees=[_fee(f) for f in p.fees],
        required_documents=[
            {"name": d.name, "originals": d.originals, "copies": d.copies, "required": d.required,
             "form_template_ref": d.form_template_ref, "note": d.note}
            for d in p.required_documents
        ],
        submission_channels=[_CHANNELS[c] for c in p.submission_channels if c in _CHANNELS],
        result_channels=[_CHANNELS[c] for c in p.result_channels if c in _CHANNELS],
        legal_basis=list(p.legal_basis),
        keywords=list(p.keywords),
        synonyms=list(p.synonyms),
        published_at=_timestamp(p, "published_at"),
        withdrawn_at=_timestamp(p, "withdrawn_at"),
        withdrawal_reason=p.withdrawal_reason,
        replaced_by_code=p.replaced_by_code,
    )
    return body


def _not_found(code: str) -> Response:
    return problem(404, code="PROCEDURE_NOT_FOUND", detail=f"no published procedure {code}",
                   detail_vi=f"Không tìm thấy thủ tục hành chính có mã {code}.")


# -- routes --------------------------------------------------------------------------------------

_CODE = Annotated[str, Path(max_length=64, description="National procedure code, e.g. 1.001193.000.00.00.H15")]
_LEVEL_Q = Annotated[Level | None, Query(description="province = cấp tỉnh, commune = cấp xã, district = cấp huyện (historical)")]


@router.get(
    "/procedures",
    response_model=ProcedureList,
    summary="Search or browse administrative procedures",
    description=(
        "Searches published procedures. Matching ignores diacritics and case (`thuoc la` finds *thuốc lá*), "
        "knows common synonyms (`gas` ↔ *LPG* ↔ *khí dầu mỏ hóa lỏng*, `sổ đỏ`, `bằng lái` ...), completes "
        "words being typed and forgives a one-letter typo. Without `q`, lists every procedure under the filters, "
        "by name. A `q` over 200 characters or with control characters is refused (422)."
    ),
    responses={422: {"description": "Invalid query or filter (problem+json, Vietnamese `detail`)"}},
)
async def search_procedures(
    request: Request,
    q: Annotated[str | None, Query(description="Keyword(s), e.g. `khai sinh`, `rượu`, `gas`")] = None,
    level: _LEVEL_Q = None,
    field: Annotated[str | None, Query(max_length=40, description="Field (lĩnh vực) code, e.g. HO_TICH")] = None,
    agency: Annotated[str | None, Query(max_length=64, description="Agency code, e.g. 000.00.04.H15")] = None,
    online_level: Annotated[Literal["full", "partial"] | None, Query(description="full = toàn trình, partial = một phần")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    catalogue = _catalogue(request)
    raw = await catalogue.search_raw(
        pb.SearchProceduresRequest(
            query=q or "",
            level=_LEVEL_TO_PB.get(level or "", pb.GOVERNMENT_LEVEL_UNSPECIFIED),
            field_code=field or "",
            agency_code=agency or "",
            online_level=_ONLINE_TO_PB.get(online_level or "", pb.ONLINE_LEVEL_UNSPECIFIED),
            page=common_pb2.PageRequest(page=page, page_size=page_size),
        ),
        timeout=DEADLINE_SECONDS,
    )
    return Response(catalogue.search_json(raw), media_type="application/json")


@router.get(
    "/procedures/{code}",
    response_model=ProcedureDetail,
    summary="One procedure in full",
    description=(
        "The version in force, or `version` (as a dossier received under it shows). A withdrawn procedure is "
        "still shown, with `status: withdrawn`, the reason and its replacement. 404 for an unknown code, "
        "422 for a malformed one."
    ),
    responses={404: {"description": "Unknown procedure (problem+json)"}, 422: {"description": "Malformed code"}},
)
async def get_procedure(
    request: Request,
    code: _CODE,
    version: Annotated[int | None, Query(ge=1, le=100_000, description="A specific published version")] = None,
) -> Response:
    ask = pb.GetProcedureRequest(code=code)
    if version is not None:
        ask.version = version
    procedure = await _stub(request).GetProcedure(ask, timeout=DEADLINE_SECONDS)
    if procedure.status not in _STATUS:  # drafts are for officers, never public
        return _not_found(procedure.code)
    return _json(_detail(procedure, datetime.now(VIETNAM).date()))


@router.get("/fields", response_model=FieldList, summary="Fields (lĩnh vực) with their number of procedures")
async def list_fields(request: Request, level: _LEVEL_Q = None) -> Response:
    reply = await _stub(request).ListFields(
        pb.ListFieldsRequest(level=_LEVEL_TO_PB.get(level or "", pb.GOVERNMENT_LEVEL_UNSPECIFIED)), timeout=DEADLINE_SECONDS
    )
    return _json({"items": [{"code": i.field.code, "name": i.field.name, "procedure_count": i.procedure_count}
                            for i in reply.items]})


@router.get("/agencies", response_model=AgencyList, summary="Implementing agencies with their number of procedures")
async def list_agencies(request: Request, level: _LEVEL_Q = None) -> Response:
    reply = await _stub(request).ListAgencies(
        pb.ListAgenciesRequest(level=_LEVEL_TO_PB.get(level or "", pb.GOVERNMENT_LEVEL_UNSPECIFIED)),
        timeout=DEADLINE_SECONDS,
    )
    return _json({"items": [{"code": i.agency.code, "name": i.agency.name, "procedure_count": i.procedure_count}
                            for i in reply.items]})


# -- catalogue officers: publish, withdraw, import -------------------------------------------------------


class PublicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, le=100_000, description="The draft version to publish")


class ProcedureWithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1000, description="Why, e.g. Bãi bỏ theo Quyết định 1234/QĐ-UBND")
    replaced_by_code: str = Field(default="", max_length=64, description="The procedure replacing it, if any")


class ImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["json", "csv"] = Field(description="Format of `content` (services/catalogue/docs/import-format.md)")
    content: str = Field(min_length=1, description="The document, as text")
    dry_run: bool = Field(default=False, description="Check only; write nothing")
    publish: bool = Field(default=False, description="Publish the imported versions at once (else drafts)")


class ImportErrorOut(BaseModel):
    line: int
    field: str
    reason: str
    procedure_code: str


class ImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    published: int
    dry_run: bool


_OFFICERS = Depends(require_roles("officer", "operator"))


def _actor(principal: Principal) -> common_pb2.Actor:
    return common_pb2.Actor(id=principal.subject, role=common_pb2.ACTOR_ROLE_OFFICER, display_name=principal.name)


async def _scoped(request: Request, principal: Principal, code: str, version: int | None = None) -> None:
    """An officer bound to an agency changes only the procedures that agency carries out (operators: any)."""
    if principal.has_role("operator") or not principal.agency:
        return
    ask = pb.GetProcedureRequest(code=code)
    if version is not None:
        ask.version = version
    procedure = await _stub(request).GetProcedure(ask, timeout=DEADLINE_SECONDS)  # 404 / 422 as the catalogue says
    if procedure.agency.code != principal.agency:
        raise PermissionDenied("PROCEDURE_OTHER_AGENCY", f"procedure {code} is carried out by another agency",
                               "Thủ tục thuộc cơ quan khác; cán bộ chỉ thay đổi thủ tục của cơ quan mình.")


@router.post(
    "/procedures/{code}/publication",
    response_model=ProcedureDetail,
    summary="Officers: publish a draft version of a procedure",
    description=(
        "The draft becomes the version in force; the one before it is superseded, and one `published` (first "
        "version) or `updated` event is emitted. Publishing the version already in force again changes nothing. "
        "An officer bound to an agency publishes only that agency's procedures (403). Public answers are cached "
        "by the gateway for up to 5 s, so a search may show the previous version that long."
    ),
    responses={401: {"description": "No token"}, 403: {"description": "Not an officer, or another agency's procedure"},
               404: {"description": "Unknown procedure or version"},
               422: {"description": "Not a draft, or a malformed code (problem+json, Vietnamese `detail`)"}},
)
async def publish_procedure(request: Request, code: _CODE, body: PublicationIn,
                            principal: Annotated[Principal, _OFFICERS]) -> Response:
    await _scoped(request, principal, code, body.version)
    procedure = await _stub(request).PublishProcedure(
        pb.PublishProcedureRequest(code=code, version=body.version, actor=_actor(principal)), timeout=DEADLINE_SECONDS)
    log.info("procedure_published", procedure_code=procedure.code, version=procedure.version, actor=principal.subject)
    return _json(_detail(procedure, datetime.now(VIETNAM).date()))


@router.post(
    "/procedures/{code}/withdrawal",
    response_model=ProcedureDetail,
    summary="Officers: withdraw a procedure (bãi bỏ)",
    description=(
        "New dossiers for it are refused from then on (422 naming it); dossiers already received go on. The "
        "procedure stays readable with `status: withdrawn`, the reason and its replacement. One `withdrawn` event "
        "is emitted; withdrawing again changes nothing. An officer bound to an agency withdraws only that "
        "agency's procedures (403)."
    ),
    responses={401: {"description": "No token"}, 403: {"description": "Not an officer, or another agency's procedure"},
               404: {"description": "Unknown procedure"},
               422: {"description": "Never published, no reason, or a malformed code (Vietnamese `detail`)"}},
)
async def withdraw_procedure(request: Request, code: _CODE, body: ProcedureWithdrawalIn,
                             principal: Annotated[Principal, _OFFICERS]) -> Response:
    await _scoped(request, principal, code)
    procedure = await _stub(request).WithdrawProcedure(
        pb.WithdrawProcedureRequest(code=code, reason=body.reason, replaced_by_code=body.replaced_by_code,
                                    actor=_actor(principal)), timeout=DEADLINE_SECONDS)
    log.info("procedure_withdrawn", procedure_code=procedure.code, actor=principal.subject)
    return _json(_detail(procedure, datetime.now(VIETNAM).date()))


@router.post(
    "/procedures/imports",
    response_model=ImportOut,
    summary="Operators: import procedures in bulk (JSON or CSV)",
    description=(
        "New procedures and new versions of existing ones, as drafts, or published at once with `publish`. Every "
        "row is checked first: with any error nothing is written and the answer is 422 with every error "
        "(line, field, reason). `dry_run` checks only and gives the counts the import would have. The request is "
        "limited by `MOTCUA_HTTP_MAX_BODY_BYTES` (1 MiB by default; 413 beyond), the document to 4,000,000 bytes; "
        "a whole province's catalogue goes through `python -m motcua_catalogue import`. The same document imported "
        "twice changes nothing the second time (`unchanged`)."
    ),
    responses={401: {"description": "No token"}, 403: {"description": "Not an operator"},
               413: {"description": "The request or the document is too large"},
               422: {"description": "Errors in the document (`errors`: line, field, reason, procedure_code)"}},
)
async def import_procedures(request: Request, body: ImportIn,
                            principal: Annotated[Principal, Depends(require_roles("operator"))]) -> Response:
    content = body.content.encode("utf-8")
    if len(content) > MAX_IMPORT_BYTES:  # one gRPC message (4 MiB) carries it
        return problem(413, code="IMPORT_TOO_LARGE", detail=f"the document has {len(content)} bytes, at most "
                       f"{MAX_IMPORT_BYTES}", detail_vi="Tệp nhập danh mục quá lớn; hãy chia nhỏ hoặc dùng lệnh nhập.")
    reply = await _stub(request).ImportProcedures(
        pb.ImportProceduresRequest(
            format=pb.IMPORT_FORMAT_JSON if body.format == "json" else pb.IMPORT_FORMAT_CSV,
            content=content, dry_run=body.dry_run, publish=body.publish, actor=_actor(principal)),
        timeout=IMPORT_DEADLINE_SECONDS,
    )
    if reply.errors:
        errors = [{"line": e.line, "field": e.field, "reason": e.reason, "procedure_code": e.procedure_code}
                  for e in reply.errors]
        return problem(422, code="IMPORT_INVALID", detail=f"{len(errors)} error(s) in the document; nothing was written",
                       detail_vi=f"Tệp có {len(errors)} lỗi; chưa thủ tục nào được ghi. Sửa các dòng được nêu rồi nhập lại.",
                       extra={"errors": errors})
    log.info("procedures_imported", created=reply.created, updated=reply.updated, published=reply.published,
             dry_run=body.dry_run, actor=principal.subject)
    return _json({"created": reply.created, "updated": reply.updated, "unchanged": reply.unchanged,
                  "published": reply.published, "dry_run": body.dry_run})
