"""Idempotency-Key semantics, enforced by the unique key in the submission transaction."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_dossier.testing import RunningDossier, submit_request

pytestmark = pytest.mark.integration


async def test_same_key_and_body_replays_the_same_dossier(stub: pb_grpc.DossierServiceStub, outbox) -> None:  # type: ignore[no-untyped-def]
    first = await stub.SubmitDossier(submit_request("idem-same-0001"))
    again = await stub.SubmitDossier(submit_request("idem-same-0001"))
    assert not first.replayed and again.replayed
    assert again.dossier.code == first.dossier.code and again.dossier.public_token == first.dossier.public_token
    assert len(await outbox()) == 1


async def test_same_key_with_another_body_is_refused(stub: pb_grpc.DossierServiceStub, dossier: RunningDossier) -> None:
    await stub.SubmitDossier(submit_request("idem-diff-0001"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.SubmitDossier(submit_request("idem-diff-0001", full_name="Lê Văn Bình"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Idempotency-Key" in caught.value.details() or "IDEMPOTENCY" in str(caught.value.trailing_metadata())
    assert await dossier.pool.fetchval("SELECT count(*) FROM dossiers") == 1


async def test_concurrent_repeats_create_one_dossier(stub: pb_grpc.DossierServiceStub, dossier: RunningDossier,
                                                     outbox) -> None:  # type: ignore[no-untyped-def]
    replies = await asyncio.gather(*(stub.SubmitDossier(submit_request("idem-race-0001")) for _ in range(8)))
    assert len({r.dossier.code for r in replies}) == 1
    assert sum(not r.replayed for r in replies) == 1
    assert await dossier.pool.fetchval("SELECT count(*) FROM dossiers") == 1
    assert await dossier.pool.fetchval("SELECT n FROM daily_counters") == 1
    assert len(await outbox()) == 1


async def test_a_short_key_is_refused(stub: pb_grpc.DossierServiceStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.SubmitDossier(submit_request("short"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
