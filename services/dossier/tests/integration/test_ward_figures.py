"""GetFigures: the ward's report (per channel, online share, on-time rate, overdue now) from SQL over real Postgres."""

from __future__ import annotations

from datetime import datetime

import grpc
import pytest

from motcua.common.v1 import common_pb2
from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_dossier.domain.calendar import VIETNAM
from motcua_dossier.testing import BIRTH, submit_request

pytestmark = pytest.mark.integration

OFFICER = common_pb2.Actor(id="canbo.benthanh", role=common_pb2.ACTOR_ROLE_OFFICER, display_name="Nguyễn Thị Lan")


def at(month: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2020, month, d, hh, mm, tzinfo=VIETNAM)


def day(month: int, d: int) -> common_pb2.LocalDate:
    return common_pb2.LocalDate(year=2020, month=month, day=d)


async def submit(stub: pb_grpc.DossierServiceStub, key: str, channel: int, **kw: object) -> pb.Dossier:
    request = submit_request(key, **kw)
    request.channel = channel  # type: ignore[attr-defined]
    return (await stub.SubmitDossier(request)).dossier


async def move(stub: pb_grpc.DossierServiceStub, code: str, to: int) -> pb.Dossier:
    return await stub.TransitionDossier(pb.TransitionDossierRequest(code=code, to_status=to, actor=OFFICER))


async def figures(stub: pb_grpc.DossierServiceStub, first: common_pb2.LocalDate, last: common_pb2.LocalDate,
                  agency: str = "") -> pb.DossierFigures:
    return await stub.GetFigures(pb.GetDossierFiguresRequest(from_date=first, to_date=last, agency_code=agency))


async def test_figures_count_channels_online_share_on_time_and_overdue(
    stub: pb_grpc.DossierServiceStub, frozen_now  # type: ignore[no-untyped-def]
) -> None:
    frozen_now(at(11, 20, 9))  # Friday before the range
    await submit(stub, "fig-before", common_pb2.CHANNEL_WEB)
    frozen_now(at(11, 23, 9))  # Monday
    web = await submit(stub, "fig-web-1", common_pb2.CHANNEL_WEB)
    counter = await submit(stub, "fig-counter", common_pb2.CHANNEL_COUNTER, officer="canbo.benthanh")
    kiosk = await submit(stub, "fig-kiosk", common_pb2.CHANNEL_KIOSK, officer="canbo.benthanh")
    zalo = await submit(stub, "fig-zalo-1", common_pb2.CHANNEL_ZALO)
    other_agency = await submit(stub, "fig-birth", common_pb2.CHANNEL_COUNTER, procedure_code=BIRTH,
                                officer="canbo.saigon", skip_linked=True)
    assert other_agency.agency_code != web.agency_code

    frozen_now(at(11, 23, 10))
    accepted = await move(stub, web.code, 2)  # appointment 30/11 10:00
    assert list(accepted.next_statuses) == [4, 5, 6, 8, 7, 9]
    await move(stub, web.code, 4)
    frozen_now(at(11, 25, 15))
    assert list((await move(stub, web.code, 9)).next_statuses) == [10]  # ready before its appointment: on time
    await move(stub, counter.code, 4)
    frozen_now(at(12, 10, 9))  # long after the counter dossier's appointment
    await move(stub, counter.code, 9)  # late
    # kiosk: received, processing, now past due; zalo: NEW (no appointment) — not overdue.
    await move(stub, kiosk.code, 4)

    ben_thanh = web.agency_code
    whole = await figures(stub, day(11, 23), day(12, 31), ben_thanh)
    assert (whole.received, whole.online, whole.self_service) == (4, 3, 2)
    assert {c.channel: c.count for c in whole.by_channel} == {
        common_pb2.CHANNEL_WEB: 1, common_pb2.CHANNEL_COUNTER: 1, common_pb2.CHANNEL_KIOSK: 1, common_pb2.CHANNEL_ZALO: 1}
    assert (whole.resolved, whole.resolved_on_time, whole.overdue_now) == (2, 1, 1)

    everyone = await figures(stub, day(11, 20), day(12, 31))
    assert everyone.received == 6 and everyone.by_channel[0].channel == common_pb2.CHANNEL_WEB  # web 2, counter 2: ties by channel
    assert everyone.by_channel[0].count == 2 and everyone.overdue_now == 2  # the birth registration (0 days) is past due too

    first_day = await figures(stub, day(11, 23), day(11, 23), ben_thanh)
    assert (first_day.received, first_day.resolved) == (4, 0)  # results ready on 25/11 and 10/12 fall outside
    only_late = await figures(stub, day(12, 1), day(12, 31), ben_thanh)
    assert (only_late.received, only_late.resolved, only_late.resolved_on_time) == (0, 1, 0)
    nothing = await figures(stub, day(11, 23), day(12, 31), "000.00.99.H29")
    assert (nothing.received, nothing.resolved, nothing.overdue_now, list(nothing.by_channel)) == (0, 0, 0, [])
    assert zalo.status_code == 1


async def test_figures_refuse_a_missing_or_reversed_range(stub: pb_grpc.DossierServiceStub) -> None:
    for first, last in ((common_pb2.LocalDate(), day(11, 23)), (day(11, 23), day(11, 22)),
                        (common_pb2.LocalDate(year=2020, month=1, day=1), common_pb2.LocalDate(year=2021, month=6, day=1))):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await figures(stub, first, last)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
