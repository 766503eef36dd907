"""Codes are gap-free per agency and local day: concurrency, refusals, restarts, midnight."""

from __future__ import annotations

import asyncio
from datetime import datetime

import grpc
import pytest

from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_dossier.domain.calendar import VIETNAM
from motcua_dossier.domain.codes import parse_code
from motcua_dossier.grpc_api import submission_from_pb
from motcua_dossier.service import CalendarProvider, DossierService
from motcua_dossier.testing import RunningDossier, submit_request

pytestmark = pytest.mark.integration

NOON = datetime(2026, 11, 23, 10, 0, tzinfo=VIETNAM)


async def test_500_concurrent_submissions_get_consecutive_numbers_and_one_event_each(
    dossier: RunningDossier, frozen_now, outbox  # type: ignore[no-untyped-def]
) -> None:
    frozen_now(NOON)
    dossier.service.catalogue._ttl = 60  # one catalogue call, not 500
    await dossier.service.catalogue.procedure("2.002244.000.00.00.H29")
    submissions = [submission_from_pb(submit_request(f"concurrent-{i:04d}")) for i in range(500)]
    results = await asyncio.gather(*(dossier.service.submit_or_replay(s) for s in submissions))
    codes = [parse_code(r.dossier.code) for r in results]
    assert {c.agency_code for c in codes} == {"000.00.42.H29"} and {c.day for c in codes} == {NOON.date()}
    assert sorted(c.sequence for c in codes) == list(range(1, 501))
    events = await outbox()
    assert len(events) == 500
    assert sorted(key for _, key, _ in events) == sorted(r.dossier.code for r in results)
    assert {t for t, _, _ in events} == {"motcua.dossier.v1.received"}
    assert await dossier.pool.fetchval("SELECT n FROM daily_counters") == 500


async def test_a_refused_submission_consumes_no_number_and_numbering_survives_a_restart(
    dossier: RunningDossier, stub: pb_grpc.DossierServiceStub, postgres_url: str, frozen_now  # type: ignore[no-untyped-def]
) -> None:
    frozen_now(NOON)
    first = await stub.SubmitDossier(submit_request("restart-0001"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:  # same key, another body: rolled back after taking a number
        await stub.SubmitDossier(submit_request("restart-0001", full_name="Người Khác"))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # A "restarted" service: a new pool and service object on the same database.
    from motcua_platform.db import create_pool

    pool = await create_pool(postgres_url, schema=dossier.schema, max_size=2)
    try:
        restarted = DossierService(pool=pool, catalogue=dossier.service.catalogue, calendar=CalendarProvider(pool),
                                   public_base_url="https://x")
        second = await restarted.submit_or_replay(submission_from_pb(submit_request("restart-0002")))
    finally:
        await pool.close()
    assert parse_code(first.dossier.code).sequence == 1
    assert parse_code(second.dossier.code).sequence == 2


async def test_numbering_restarts_each_vietnam_day(dossier: RunningDossier, frozen_now) -> None:  # type: ignore[no-untyped-def]
    codes = []
    for i, moment in enumerate([
        datetime(2026, 11, 23, 23, 59, tzinfo=VIETNAM),
        datetime.fromisoformat("2026-11-23T17:01:00+00:00"),  # 00:01 on 24/11 in Vietnam, still 23/11 in UTC
        datetime(2026, 11, 24, 8, 0, tzinfo=VIETNAM),
    ]):
        frozen_now(moment)
        result = await dossier.service.submit_or_replay(submission_from_pb(submit_request(f"midnight-{i:04d}")))
        codes.append(result.dossier.code)
    assert codes == ["000.00.42.H29-261123-0001", "000.00.42.H29-261124-0001", "000.00.42.H29-261124-0002"]
