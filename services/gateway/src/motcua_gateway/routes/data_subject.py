"""`/api/v1/data-subject/*` (operators): a citizen's rights to access and erasure (Nghị định 13/2023/NĐ-CP).

- `POST /api/v1/data-subject/exports` — everything every service holds about the person
  identified by a verified phone number and/or ID number, one section per service.
- `POST /api/v1/data-subject/erasures` (Idempotency-Key) — anonymise/delete it everywhere,
  keeping what the law requires (the dossier as an administrative record). When a service
  is down: 503 naming the services not yet done; a retry with the same key finishes them.

Both are audited (motcua_gateway.data_subject, table `data_subject_audit`). See
docs/data-subject-rights.md.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from motcua_gateway import data_subject, idempotency
from motcua_gateway.auth import Principal, require_roles
from motcua_gateway.problems import problem
from motcua_platform.errors import InvalidArgument

router = APIRouter(prefix="/api/v1/data-subject", tags=["data-subject"])


class SubjectRequest(BaseModel):
    phone: str | None = Field(default=None, max_length=32, description="verified phone number, 0... or +84...",
                              examples=["0912345678"])
    id_number: str | None = Field(default=None, max_length=20, description="verified CCCD (12 digits) or CMND (9 digits)",
                                  examples=["079190001234"])
    reason: str = Field(min_length=3, max_length=500, description="why: the citizen's request reference (no personal data)",
                        examples=["Đơn yêu cầu số 12/2026 ngày 20/11/2026"])


class ExportOut(BaseModel):
    audit_id: int
    generated_at: str
    services: dict[str, Any] = Field(description="one section per service: {service, records: {kind: [record]}}")
    counts: dict[str, dict[str, int]]


class ErasureOut(BaseModel):
    idempotency_key: str
    replayed: bool = Field(description="true when this key was already completed: nothing was done again")
    complete: bool
    counts: dict[str, dict[str, int]] = Field(description="records anonymised or deleted, per service and kind")


def _unavailable(exc: data_subject.ServicesUnavailable, *, erasure: bool) -> JSONResponse:
    names = ", ".join(exc.pending)
    detail_vi = (f"Chưa xoá xong: các dịch vụ {names} đang tạm ngừng. Gửi lại với cùng Idempotency-Key để hoàn tất."
                 if erasure else f"Chưa xuất đủ dữ liệu: các dịch vụ {names} đang tạm ngừng, vui lòng thử lại sau.")
    return problem(503, code="SERVICES_PENDING", detail=f"services not yet done: {names}", detail_vi=detail_vi,
                   extra={"services_pending": exc.pending, "services_done": sorted(exc.done)},
                   headers={"Retry-After": "5"})


def _clean_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) < 3 or any(ord(c) < 32 for c in reason):
        raise InvalidArgument("REASON_INVALID", "reason: 3..500 characters, no control characters",
                              "Lý do không hợp lệ (3 đến 500 ký tự).")
    return reason


@router.post("/exports", response_model=ExportOut, summary="Export all data held about a citizen")
async def export(body: SubjectRequest, request: Request,
                 principal: Annotated[Principal, Depends(require_roles("operator"))]) -> Any:
    who = data_subject.identity(body.phone, body.id_number)
    try:
        return await data_subject.export(pool=request.app.state.pool, channels=request.app.state.channels, who=who,
                                         actor=principal.subject, actor_name=principal.name, reason=_clean_reason(body.reason))
    except data_subject.ServicesUnavailable as exc:
        return _unavailable(exc, erasure=False)


@router.post("/erasures", response_model=ErasureOut, summary="Erase (anonymise) a citizen's data in every service")
async def erase(body: SubjectRequest, request: Request,
                principal: Annotated[Principal, Depends(require_roles("operator"))],
                idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None) -> Any:
    key = (idempotency_key or "").strip()
    if not idempotency.well_formed(key):
        raise InvalidArgument("IDEMPOTENCY_KEY_REQUIRED", "Idempotency-Key header: 8 to 128 visible ASCII characters",
                              "Cần header Idempotency-Key (8 đến 128 ký tự ASCII, ví dụ một UUID).")
    who = data_subject.identity(body.phone, body.id_number)
    try:
        return await data_subject.erase(pool=request.app.state.pool, channels=request.app.state.channels, who=who, key=key,
                                        actor=principal.subject, actor_name=principal.name,
                                        reason=_clean_reason(body.reason))
    except data_subject.ServicesUnavailable as exc:
        return _unavailable(exc, erasure=True)
