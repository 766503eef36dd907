"""The override table through the API: add, replace, list, remove; each change recorded; appointments follow."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import grpc
import pytest

from motcua.common.v1 import common_pb2
from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_dossier.domain.calendar import Override
from motcua_dossier.domain.model import Actor
from motcua_dossier.service import CalendarProvider, DossierService
from motcua_dossier.testing import RunningDossier
from motcua_platform.grpc_client import decode_rpc_error

pytestmark = pytest.mark.integration

OPERATOR = common_pb2.Actor(id="vanhanh", role=common_pb2.ACTOR_ROLE_OFFICER, display_name="Vận hành")
WARD = "000.00.42.H29"


def day(y: int, m: int, d: int) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=y, month=m, day=d)


def override(d: common_pb2.LocalDate, kind: int = pb.CALENDAR_OVERRIDE_KIND_DAY_OFF, reason: str = "Nghỉ theo quyết định",
             agency: str = "", ref: str = "") -> pb.PutCalendarOverrideRequest:
    return pb.PutCalendarOverrideRequest(override=pb.CalendarOverride(day=d, agency_code=agency, kind=kind, reason=reason,
                                                                      decision_ref=ref), actor=OPERATOR)


async def due(stub: pb_grpc.DossierServiceStub, agency: str = WARD) -> pb.ComputeDueDateResponse:
    request = pb.ComputeDueDateRequest(working_days=1, agency_code=agency)
    request.received_at.FromDatetime(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # Monday 14:00 in Vietnam
    return await stub.ComputeDueDate(request)


async def test_add_replace_list_and_remove_an_override(stub: pb_grpc.DossierServiceStub, dossier: RunningDossier) -> None:
    assert (await due(stub)).label_vi == "Chiều ngày 24/11/2026"
    made = await stub.PutCalendarOverride(override(day(2026, 11, 24), agency=WARD, reason="Nghỉ theo quyết định của UBND phường",
                                                   ref="QĐ 12/QĐ-UBND"))
    assert made.agency_code == WARD and made.updated_by.id == "vanhanh" and made.decision_ref == "QĐ 12/QĐ-UBND"
    after = await due(stub)
    assert after.label_vi == "Chiều ngày 25/11/2026"
    assert [(s.date.day, s.reason) for s in after.skipped_days] == [(24, "Nghỉ theo quyết định của UBND phường")]
    assert (await due(stub, agency="")).label_vi == "Chiều ngày 24/11/2026"  # the ward's day off is the ward's only

    # A nationwide make-up working Saturday, listed before nothing else that day; the ward's list holds both.
    await stub.PutCalendarOverride(override(day(2026, 11, 28), pb.CALENDAR_OVERRIDE_KIND_WORKING_DAY, "Làm bù"))
    ward = await stub.ListCalendarOverrides(pb.ListCalendarOverridesRequest(from_day=day(2026, 11, 1),
                                                                            to_day=day(2026, 11, 30), agency_code=WARD))
    assert [(o.day.day, o.agency_code, o.kind) for o in ward.overrides] == [
        (24, WARD, pb.CALENDAR_OVERRIDE_KIND_DAY_OFF), (28, "", pb.CALENDAR_OVERRIDE_KIND_WORKING_DAY)]
    nation = await stub.ListCalendarOverrides(pb.ListCalendarOverridesRequest(from_day=day(2026, 11, 1),
                                                                              to_day=day(2026, 11, 30)))
    assert [o.day.day for o in nation.overrides] == [28]

    # Replacing the ward's day turns it into a working day: the appointment comes back.
    await stub.PutCalendarOverride(override(day(2026, 11, 24), pb.CALENDAR_OVERRIDE_KIND_WORKING_DAY, "Hủy nghỉ", agency=WARD))
    assert (await due(stub)).label_vi == "Chiều ngày 24/11/2026"
    await stub.DeleteCalendarOverride(pb.DeleteCalendarOverrideRequest(day=day(2026, 11, 24), agency_code=WARD,
                                                                       actor=OPERATOR))
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await stub.DeleteCalendarOverride(pb.DeleteCalendarOverrideRequest(day=day(2026, 11, 24), agency_code=WARD,
                                                                           actor=OPERATOR))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    assert "Không có điều chỉnh lịch làm việc của cơ quan" in decode_rpc_error(gone.value).message_vi

    changes = await dossier.pool.fetch("SELECT day, agency_code, action, kind, actor FROM calendar_override_changes ORDER BY id")
    assert [(c["day"].day, c["agency_code"], c["action"], c["kind"]) for c in changes] == [
        (24, WARD, "put", "off"), (28, None, "put", "work"), (24, WARD, "put", "work"), (24, WARD, "delete", "work")]
    assert all(json.loads(c["actor"])["id"] == "vanhanh" for c in changes)


@pytest.mark.parametrize(("request_", "field"), [
    (override(day(2026, 2, 30)), "override.day"),
    (override(day(2026, 11, 24), kind=pb.CALENDAR_OVERRIDE_KIND_UNSPECIFIED), "override.kind"),
    (override(day(2026, 11, 24), reason="  "), "override.reason"),
    (override(day(2026, 11, 24), reason="x" * 201), "override.reason"),
    (override(day(2026, 11, 24), agency="not an agency"), "agency_code"),
    (override(day(1999, 12, 31)), "override.day"),
])
async def test_bad_overrides_are_refused_with_the_field(stub: pb_grpc.DossierServiceStub, dossier: RunningDossier,
                                                        request_: pb.PutCalendarOverrideRequest, field: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.PutCalendarOverride(request_)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    error = decode_rpc_error(refused.value)
    assert error.metadata.get("field", error.metadata.get("agency_code") and "agency_code") == field
    assert await dossier.pool.fetchval("SELECT count(*) FROM calendar_overrides") == 0


async def test_unknown_agency_and_too_long_a_range_are_refused(stub: pb_grpc.DossierServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await stub.PutCalendarOverride(override(day(2026, 11, 24), agency="000.99.99.H99"))
    assert decode_rpc_error(unknown.value).code == "AGENCY_UNKNOWN"
    with pytest.raises(grpc.aio.AioRpcError) as long_range:
        await stub.ListCalendarOverrides(pb.ListCalendarOverridesRequest(from_day=day(2026, 1, 1), to_day=day(2027, 6, 1)))
    assert long_range.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_the_replica_that_takes_the_change_follows_it_at_once(dossier: RunningDossier) -> None:
    """A provider that would otherwise keep its calendar an hour sees the change at once."""
    service = DossierService(pool=dossier.pool, catalogue=dossier.service.catalogue,
                             calendar=CalendarProvider(dossier.pool, refresh_seconds=3600), public_base_url="https://x")
    received = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert (await service.due_date(received_at=received, working_days=1)).label_vi == "Chiều ngày 24/11/2026"
    await service.put_override(Override(date(2026, 11, 24), "off", "Nghỉ đột xuất"), decision_ref="",
                               actor=Actor("vanhanh", "officer"))
    assert (await service.due_date(received_at=received, working_days=1)).label_vi == "Chiều ngày 25/11/2026"
    await service.delete_override(day=date(2026, 11, 24), actor=Actor("vanhanh", "officer"))
    assert (await service.due_date(received_at=received, working_days=1)).label_vi == "Chiều ngày 24/11/2026"
