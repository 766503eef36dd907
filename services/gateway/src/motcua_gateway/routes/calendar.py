"""`/api/v1/calendar`: the return appointment, from the same calculator the registry uses (DossierService), and the
override table that calculator reads (days off and working days decided after the shipped schedules)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from motcua.common.v1 import common_pb2
from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua_gateway.auth import Principal, require_roles
from motcua_gateway.routes.dossiers import DEADLINE_SECONDS, _iso, _json, _stub
from motcua_platform.errors import InvalidArgument, PermissionDenied

#: A received_at without an offset is Vietnam time (UTC+7, no daylight saving).
VIETNAM = timezone(timedelta(hours=7), "ICT")

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


class SkippedDayOut(BaseModel):
    date: date
    reason: str = Field(examples=["Tết Nguyên đán Ất Tỵ", "Thứ Bảy", "Nghỉ bù Quốc khánh"])


class DueDateOut(BaseModel):
    due_at: datetime = Field(description="ISO 8601 with +07:00", examples=["2020-12-09T14:05:00+07:00"])
    session: Literal["morning", "afternoon"]
    label_vi: str = Field(examples=["Chiều ngày 09/12/2020"])
    counted_from: datetime = Field(description="Start of counting: the receipt, or the next working session")
    skipped: list[SkippedDayOut] = Field(description="Non-working days between receipt and appointment, with reasons")
    make_up_days: list[SkippedDayOut] = Field(description="Weekend days counted as working days (a swap's make-up "
                                                          "day), with reasons")


def _local(ts: str | None) -> str | None:
    return None if ts is None else datetime.fromisoformat(ts).astimezone(VIETNAM).isoformat()


@router.get(
    "/due-date",
    response_model=DueDateOut,
    summary="Return appointment for a receipt time and a number of working days",
    description=(
        "Counts `working_days` on the legal working calendar (weekends, public holidays with Tết and substitute days, "
        "official swaps and make-up Saturdays, overrides) from `received_at`; the result is due at the same time of day "
        "(\"Sáng\" before 12:00, \"Chiều\" from 12:00). Working hours are 08:00–12:00 and 13:30–17:30: a receipt outside "
        "them or on a day off counts from the next working session. `skipped` explains every day jumped over, "
        "`make_up_days` every weekend day counted because a swap made it a working day."
    ),
    responses={422: {"description": "Bad received_at or working_days"}},
)
async def due_date(
    request: Request,
    received_at: Annotated[str, Query(max_length=40, description="ISO 8601; Vietnam time when no offset",
                                      examples=["2020-12-02T14:05"])],
    working_days: Annotated[int, Query(ge=0, le=365)],
    agency: Annotated[str, Query(max_length=20, description="Apply this agency's own days off")] = "",
) -> Response:
    try:
        moment = datetime.fromisoformat(received_at)
    except ValueError:
        raise InvalidArgument("RECEIVED_AT_INVALID", "received_at must be ISO 8601",
                              "Thời điểm tiếp nhận phải theo định dạng ISO 8601, ví dụ 2020-12-02T14:05.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM)
    ask = pb.ComputeDueDateRequest(working_days=working_days, agency_code=agency)
    ask.received_at.FromDatetime(moment.astimezone(timezone.utc))  # noqa: UP017 - FromDatetime wants a tzinfo
    reply = await _stub(request).ComputeDueDate(ask, timeout=DEADLINE_SECONDS)
    return _json({
        "due_at": _local(_iso(reply.due_at)),
        "session": "morning" if reply.session == pb.DAY_SESSION_MORNING else "afternoon",
        "label_vi": reply.label_vi,
        "counted_from": _local(_iso(reply.counted_from)),
        "skipped": [{"date": date(s.date.year, s.date.month, s.date.day).isoformat(), "reason": s.reason}
                    for s in reply.skipped_days],
        "make_up_days": [{"date": date(s.date.year, s.date.month, s.date.day).isoformat(), "reason": s.reason}
                         for s in reply.make_up_days],
    })


# -- the override table ------------------------------------------------------------------------------------------

_KINDS = {"off": pb.CALENDAR_OVERRIDE_KIND_DAY_OFF, "work": pb.CALENDAR_OVERRIDE_KIND_WORKING_DAY}
_KIND_NAMES = {value: name for name, value in _KINDS.items()}
_DAY = Annotated[date, Path(description="The day, YYYY-MM-DD", examples=["2026-09-01"])]
_AGENCY = Annotated[str, Query(max_length=20, description="An agency's own override; empty means nationwide")]


class OverrideIn(BaseModel):
    kind: Literal["off", "work"] = Field(description="`off`: a day off; `work`: a working day (e.g. a make-up Saturday)")
    reason: str = Field(min_length=1, max_length=200, description="Vietnamese, as appointments explain the day",
                        examples=["Nghỉ bù Quốc khánh (ngày liền kề 2/9)"])
    decision_ref: str = Field(default="", max_length=200, examples=["Thông báo 1234/TB-BNV"])
    agency_code: str = Field(default="", max_length=20, description="The agency it applies to; empty means nationwide")


class OverrideOut(BaseModel):
    day: date
    agency_code: str = Field(description="Empty for a nationwide override")
    kind: Literal["off", "work"]
    reason: str
    decision_ref: str
    updated_at: datetime


class OverridesOut(BaseModel):
    items: list[OverrideOut]


def _override(o: pb.CalendarOverride) -> dict[str, object]:
    return {"day": date(o.day.year, o.day.month, o.day.day).isoformat(), "agency_code": o.agency_code,
            "kind": _KIND_NAMES.get(o.kind, "off"), "reason": o.reason, "decision_ref": o.decision_ref,
            "updated_at": _iso(o.updated_at)}


def _local_date(value: date) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=value.year, month=value.month, day=value.day)


def _may_change(principal: Principal, agency_code: str) -> None:
    """Operators change any override; an officer only his own agency's days."""
    if principal.has_role("operator"):
        return
    if not agency_code:
        raise PermissionDenied("CALENDAR_NATIONWIDE_OPERATOR_ONLY", "only an operator changes the nationwide calendar",
                               "Chỉ quản trị hệ thống được điều chỉnh lịch làm việc toàn quốc.")
    if agency_code != principal.agency:
        raise PermissionDenied("CALENDAR_OTHER_AGENCY", f"agency {agency_code} is not the officer's",
                               "Cán bộ chỉ điều chỉnh lịch làm việc của cơ quan mình.")


def _actor(principal: Principal) -> common_pb2.Actor:
    """Officers and operators are both staff of the office (the contract has no operator role)."""
    return common_pb2.Actor(id=principal.subject, role=common_pb2.ACTOR_ROLE_OFFICER, display_name=principal.name or "")


@router.get(
    "/overrides",
    response_model=OverridesOut,
    summary="The calendar overrides between two days",
    description=(
        "Days off and working days decided after the shipped holiday schedules (a new government decision, an "
        "agency's own closure), which every appointment computed afterwards follows. Nationwide ones, and with "
        "`agency` that agency's own too. Default: the current year. At most 366 days."
    ),
    responses={422: {"description": "Bad range or agency"}},
)
async def list_overrides(
    request: Request,
    from_day: Annotated[date | None, Query(alias="from", description="First day (default: 1 January this year)")] = None,
    to_day: Annotated[date | None, Query(alias="to", description="Last day (default: 31 December of `from`'s year)")] = None,
    agency: _AGENCY = "",
) -> Response:
    first = from_day or date(datetime.now(VIETNAM).year, 1, 1)
    last = to_day or date(first.year, 12, 31)
    reply = await _stub(request).ListCalendarOverrides(pb.ListCalendarOverridesRequest(
        from_day=_local_date(first), to_day=_local_date(last), agency_code=agency), timeout=DEADLINE_SECONDS)
    return _json({"items": [_override(o) for o in reply.overrides]})


@router.put(
    "/overrides/{day}",
    response_model=OverrideOut,
    summary="Add or replace the override of one day",
    description=(
        "Nationwide (operator only) or for one agency (an officer for his own agency, or an operator). Appointments "
        "already given keep their date; those computed from now on follow the change. Every change is recorded with "
        "who made it."
    ),
    responses={403: {"description": "Nationwide by an officer, or another agency's day"},
               422: {"description": "Bad day, kind, reason or agency"}},
)
async def put_override(
    request: Request, day: _DAY, body: Annotated[OverrideIn, Body()],
    principal: Annotated[Principal, Depends(require_roles("officer", "operator"))],
) -> Response:
    agency = body.agency_code.strip()
    _may_change(principal, agency)
    made = await _stub(request).PutCalendarOverride(pb.PutCalendarOverrideRequest(
        override=pb.CalendarOverride(day=_local_date(day), agency_code=agency, kind=_KINDS[body.kind],
                                     reason=body.reason, decision_ref=body.decision_ref),
        actor=_actor(principal)), timeout=DEADLINE_SECONDS)
    return _json(_override(made))


@router.delete(
    "/overrides/{day}",
    status_code=204,
    response_class=Response,
    summary="Remove the override of one day",
    description="Same rights as adding it. 404 when that day has no override (nationwide, or for `agency`).",
    responses={403: {"description": "Nationwide by an officer, or another agency's day"},
               404: {"description": "No override that day"}},
)
async def delete_override(
    request: Request, day: _DAY, principal: Annotated[Principal, Depends(require_roles("officer", "operator"))],
    agency: _AGENCY = "",
) -> Response:
    agency = agency.strip()
    _may_change(principal, agency)
    await _stub(request).DeleteCalendarOverride(pb.DeleteCalendarOverrideRequest(
        day=_local_date(day), agency_code=agency, actor=_actor(principal)), timeout=DEADLINE_SECONDS)
    return Response(status_code=204)
