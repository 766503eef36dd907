"""GetFigures: people booked and helped per model and per channel, from SQL over real Postgres, through gRPC."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
import pytest

from motcua.common.v1 import common_pb2
from motcua.scheduler.v1 import scheduler_service_pb2 as pb
from motcua.scheduler.v1 import scheduler_service_pb2_grpc as pb_grpc
from motcua_scheduler.domain import model as m
from motcua_scheduler.domain.calendar import local_day
from motcua_scheduler.service import CitizenInput, SlotRef
from motcua_scheduler.testing import CONSENT, OFFICER, WARD, Clock, RunningScheduler

pytestmark = pytest.mark.integration


def day(value) -> common_pb2.LocalDate:  # type: ignore[no-untyped-def]
    return common_pb2.LocalDate(year=value.year, month=value.month, day=value.day)


async def book(scheduler: RunningScheduler, slot_id: str, phone: str, channel: m.Channel) -> str:
    result = await scheduler.service.create_booking(
        key=f"fig-{uuid.uuid4().hex}", ref=SlotRef(slot_id=slot_id),
        citizen=CitizenInput("Nguyễn Văn Thử", phone, "3 Lê Lợi", WARD.code), help_type=m.HelpType.VNEID_LEVEL2,
        consent=CONSENT, channel=channel)
    return result.booking.id


async def test_figures_per_model_and_channel(scheduler: RunningScheduler, clock: Clock,
                                             stub: pb_grpc.SchedulerServiceStub) -> None:
    service = scheduler.service
    await scheduler.point("kiosk-a", m.Model.KIOSK)
    await scheduler.point("home-a", m.Model.HOME_VISIT, served=[WARD.code])
    tomorrow = clock.now + timedelta(days=1)
    kiosk = await scheduler.slot("kiosk-a", tomorrow, capacity=5)
    home = await scheduler.slot("home-a", tomorrow + timedelta(hours=1), capacity=5)
    later = await scheduler.slot("kiosk-a", clock.now + timedelta(days=10), capacity=5)

    helped_twice = "0911000001"
    k1 = await book(scheduler, kiosk, helped_twice, m.Channel.ZALO)
    k2 = await book(scheduler, kiosk, "0911000002", m.Channel.WEB)
    k3 = await book(scheduler, kiosk, "0911000003", m.Channel.ZALO)
    k4 = await book(scheduler, kiosk, "0911000004", m.Channel.SMS)
    h1 = await book(scheduler, home, helped_twice, m.Channel.ZALO)  # a different hour: no overlap for the same person
    h2 = await book(scheduler, home, "0911000005", m.Channel.ZALO)
    await book(scheduler, later, "0911000006", m.Channel.WEB)  # outside the range

    await service.verify(booking_id=h1, actor=OFFICER, outcome=m.VerificationOutcome.CONFIRMED, note="")
    await service.verify(booking_id=h2, actor=OFFICER, outcome=m.VerificationOutcome.REJECTED, note="Ngoài địa bàn")
    await service.cancel(booking_id=k4, token="", actor=OFFICER, reason="Công dân báo bận")
    clock.advance(timedelta(days=1, hours=3))
    await service.complete(booking_id=k1, actor=OFFICER, help_given=[], dossier_codes=["000.00.41.H29-300305-0001"],
                           note="")
    await service.complete(booking_id=k2, actor=OFFICER, help_given=[], dossier_codes=[], note="")
    await service.complete(booking_id=h1, actor=OFFICER, help_given=[],
                           dossier_codes=["000.00.41.H29-300305-0002", "000.00.41.H29-300305-0003"], note="")
    await service.no_show(booking_id=k3, actor=OFFICER, note="")

    first = local_day(tomorrow)
    figures = await stub.GetFigures(pb.GetBookingFiguresRequest(from_date=day(first), to_date=day(first + timedelta(days=1))))
    models = {f.model: (f.booked, f.completed, f.no_show, f.cancelled) for f in figures.by_model}
    assert [f.model for f in figures.by_model] == [pb.SERVICE_MODEL_HOME_VISIT, pb.SERVICE_MODEL_KIOSK,
                                                    pb.SERVICE_MODEL_MOBILE_BUS, pb.SERVICE_MODEL_VOLUNTEER,
                                                    pb.SERVICE_MODEL_REMOTE]
    assert models[pb.SERVICE_MODEL_KIOSK] == (3, 2, 1, 1)
    assert models[pb.SERVICE_MODEL_HOME_VISIT] == (1, 1, 0, 1)
    assert models[pb.SERVICE_MODEL_MOBILE_BUS] == (0, 0, 0, 0)
    assert [(c.channel, c.booked, c.completed) for c in figures.by_channel] == [
        (common_pb2.CHANNEL_ZALO, 3, 2), (common_pb2.CHANNEL_WEB, 1, 1)]  # the cancelled SMS booking holds nothing
    assert figures.people_helped == 2 and figures.dossiers_submitted == 3

    whole = await stub.GetFigures(pb.GetBookingFiguresRequest(from_date=day(first),
                                                              to_date=day(first + timedelta(days=30))))
    assert {f.model: f.booked for f in whole.by_model}[pb.SERVICE_MODEL_KIOSK] == 4

    for bad in (pb.GetBookingFiguresRequest(from_date=day(first)),
                pb.GetBookingFiguresRequest(from_date=day(first), to_date=day(first - timedelta(days=1))),
                pb.GetBookingFiguresRequest(from_date=day(first), to_date=day(first + timedelta(days=400)))):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.GetFigures(bad)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
