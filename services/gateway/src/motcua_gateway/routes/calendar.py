"""`/api/v1/calendar/due-date`: the return appointment, from the same calculator the registry uses (DossierService)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua_gateway.routes.dossiers import DEADLINE_SECONDS, _iso, _json, _stub
from motcua_platform.errors import InvalidArgument

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
        "them or on a day off counts from the next working session. `skipped` explains every day jumped over."
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
    })
