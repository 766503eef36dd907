"""Group commit: submissions checked together are registered in one transaction, each with its own outcome."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import datetime

import asyncpg
import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider

from motcua_dossier import repository
from motcua_dossier import service as service_module
from motcua_dossier.domain.calendar import VIETNAM
from motcua_dossier.domain.codes import parse_code
from motcua_dossier.grpc_api import submission_from_pb
from motcua_dossier.service import DossierService, Submitted
from motcua_dossier.testing import RunningDossier, running_dossier, submit_request

pytestmark = pytest.mark.integration

NOON = datetime(2026, 11, 23, 10, 0, tzinfo=VIETNAM)


@pytest.fixture
async def single_writer(postgres_url: str, db_schema: str):  # type: ignore[no-untyped-def]
    """The service with one registration transaction at a time, so that whatever queues meanwhile is one batch."""
    async with running_dossier(postgres_url, db_schema, pool_size=20, submit_batch_in_flight=1) as running:
        yield running


class _HeldFirstBatch:
    """Hold the first registration transaction open until released; count the batches written."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inside = asyncio.Event()
        self.release = asyncio.Event()
        self.sizes: list[int] = []
        real = repository.register

        async def register(conn, registrations):  # type: ignore[no-untyped-def]
            self.sizes.append(len(registrations))
            if len(self.sizes) == 1:
                self.inside.set()
                await self.release.wait()
            return await real(conn, registrations)

        monkeypatch.setattr(service_module.repo, "register", register)


async def _queued(service: DossierService, n: int) -> None:
    """Wait until `n` submissions wait for the next batch."""
    for _ in range(500):
        if service._writer is not None and len(service._writer._waiting) == n:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{n} submissions never queued")


async def test_submissions_that_arrive_together_share_one_transaction_and_keep_consecutive_numbers(
    single_writer: RunningDossier, frozen_now, outbox, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    frozen_now(NOON)
    held = _HeldFirstBatch(monkeypatch)
    service = single_writer.service
    first = asyncio.create_task(service.submit_or_replay(submission_from_pb(submit_request("group-0000"))))
    await held.inside.wait()
    rest = [asyncio.create_task(service.submit_or_replay(submission_from_pb(submit_request(f"group-{i:04d}"))))
            for i in range(1, 21)]
    await _queued(service, 20)
    held.release.set()
    results: list[Submitted] = [await first, *await asyncio.gather(*rest)]
    assert held.sizes == [1, 20]
    assert [parse_code(r.dossier.code).sequence for r in results] == list(range(1, 22))  # in the order they queued
    assert len({r.dossier.public_token for r in results}) == 21
    events = await outbox()
    assert [key for _, key, _ in events] == [r.dossier.code for r in results]
    history = await single_writer.pool.fetchval("SELECT count(*) FROM status_history")
    assert history == 21 and await single_writer.pool.fetchval("SELECT n FROM daily_counters") == 21


async def test_a_taken_key_in_a_batch_is_replayed_and_the_others_are_numbered_without_a_gap(
    single_writer: RunningDossier, frozen_now, outbox, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    frozen_now(NOON)
    service = single_writer.service
    earlier = await service.submit_or_replay(submission_from_pb(submit_request("taken-0000")))
    held = _HeldFirstBatch(monkeypatch)
    blocker = asyncio.create_task(service.submit_or_replay(submission_from_pb(submit_request("taken-0001"))))
    await held.inside.wait()
    keys = ["taken-0002", "taken-0000", "taken-0003", "taken-0002", "taken-0004"]  # one taken earlier, one twice
    batch = [asyncio.create_task(service.submit_or_replay(submission_from_pb(submit_request(k)))) for k in keys]
    await _queued(service, len(keys))
    held.release.set()
    await blocker
    results = await asyncio.gather(*batch)
    assert held.sizes[:2] == [1, 5]  # the batch of five rolled back, then each was written alone
    assert results[1].replayed and results[1].dossier.code == earlier.dossier.code
    assert results[0].dossier.code == results[3].dossier.code and results[0].replayed != results[3].replayed
    sequences = sorted(parse_code(r.dossier.code).sequence for r in results if not r.replayed)
    assert sequences == [3, 4, 5]  # after 1 (earlier) and 2 (the blocker): the rolled-back batch left no gap
    assert await single_writer.pool.fetchval("SELECT n FROM daily_counters") == 5
    assert await single_writer.pool.fetchval("SELECT count(*) FROM dossiers") == 5
    assert len(await outbox()) == 5


async def test_a_submission_the_database_refuses_fails_alone(
    single_writer: RunningDossier, frozen_now, outbox, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    frozen_now(NOON)
    service = single_writer.service
    held = _HeldFirstBatch(monkeypatch)
    blocker = asyncio.create_task(service.submit_or_replay(submission_from_pb(submit_request("refuse-0000"))))
    await held.inside.wait()
    good = [submission_from_pb(submit_request(f"refuse-{i:04d}")) for i in range(1, 5)]
    # NUL cannot be stored in jsonb: the gRPC layer refuses it, a caller in-process can still send it.
    bad = submission_from_pb(submit_request("refuse-0009"))
    bad = replace(bad, applicant=replace(bad.applicant, full_name="Nguyễn\x00Văn A"))
    tasks = [asyncio.create_task(service.submit_or_replay(s)) for s in (good[0], good[1], bad, good[2], good[3])]
    await _queued(service, 5)
    held.release.set()
    await blocker
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(outcomes[2], asyncpg.PostgresError)
    registered = [o for o in outcomes if isinstance(o, Submitted)]
    assert len(registered) == 4
    assert sorted(parse_code(r.dossier.code).sequence for r in registered) == [2, 3, 4, 5]
    assert await single_writer.pool.fetchval("SELECT n FROM daily_counters") == 5
    assert len(await outbox()) == 5


async def test_each_event_of_a_batch_carries_the_trace_of_its_own_request(
    single_writer: RunningDossier, frozen_now, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    frozen_now(NOON)
    service = single_writer.service
    tracer = TracerProvider().get_tracer("test")
    held = _HeldFirstBatch(monkeypatch)

    async def traced(key: str) -> tuple[str, str]:
        with tracer.start_as_current_span(key) as span:
            result = await service.submit_or_replay(submission_from_pb(submit_request(key)))
            return result.dossier.code, format(span.get_span_context().trace_id, "032x")

    blocker = asyncio.create_task(traced("trace-0000"))
    await held.inside.wait()
    tasks = [asyncio.create_task(traced(f"trace-{i:04d}")) for i in range(1, 6)]
    await _queued(service, 5)
    held.release.set()
    expected = dict([await blocker, *await asyncio.gather(*tasks)])
    assert held.sizes == [1, 5]
    rows = await single_writer.pool.fetch("SELECT partition_key, headers FROM outbox")
    found = {r["partition_key"]: json.loads(r["headers"])["traceparent"].split("-")[1] for r in rows}
    assert found == expected and len(set(expected.values())) == 6


async def test_submit_dossiers_answers_each_item_as_submit_dossier_and_keeps_its_trace(
    dossier: RunningDossier, stub, frozen_now  # type: ignore[no-untyped-def]
) -> None:
    from google.rpc import error_details_pb2, status_pb2
    from opentelemetry import propagate

    from motcua.dossier.v1 import dossier_service_pb2 as pb

    frozen_now(NOON)
    tracer = TracerProvider().get_tracer("test")
    items, traces = [], []
    for i in range(4):
        with tracer.start_as_current_span(f"request-{i}") as span:
            carried: dict[str, str] = {"x-request-id": f"req-{i}"}
            propagate.inject(carried)
            traces.append(format(span.get_span_context().trace_id, "032x"))
        request = submit_request(f"batch-call-{i:04d}", documents=[] if i == 2 else None)
        items.append(pb.SubmitDossiersItem(request=request, context=carried))
    reply = await stub.SubmitDossiers(pb.SubmitDossiersRequest(items=items))
    assert [o.HasField("response") for o in reply.outcomes] == [True, True, False, True]
    refused = status_pb2.Status.FromString(reply.outcomes[2].error_status)
    with pytest.raises(grpc.aio.AioRpcError) as single:
        await stub.SubmitDossier(submit_request("batch-call-9999", documents=[]))
    assert refused.code == single.value.code().value[0] and refused.message == single.value.details()
    info = error_details_pb2.ErrorInfo()
    assert refused.details[0].Unpack(info) and info.reason == "DOCUMENTS_MISSING"
    codes = [o.response.dossier.code for o in reply.outcomes if o.HasField("response")]
    rows = await dossier.pool.fetch("SELECT partition_key, headers FROM outbox")
    found = {r["partition_key"]: json.loads(r["headers"])["traceparent"].split("-")[1] for r in rows}
    assert [found[c] for c in codes] == [traces[0], traces[1], traces[3]]
    with pytest.raises(grpc.aio.AioRpcError) as too_many:
        await stub.SubmitDossiers(pb.SubmitDossiersRequest(items=[items[0]] * 65))
    assert too_many.value.code() == grpc.StatusCode.INVALID_ARGUMENT
