"""SubmitBatcher against a dossier service that does not know SubmitDossiers yet (a rolling upgrade).

A real gRPC server with an older DossierService: SubmitDossier only (SubmitDossiers answers UNIMPLEMENTED)."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc

from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_gateway import batching
from motcua_gateway.batching import SubmitBatcher
from motcua_platform.embedded.process import free_port
from motcua_platform.grpc_client import open_channel
from motcua_platform.grpc_server import GrpcServer


class _OlderDossierService(pb_grpc.DossierServiceServicer):
    def __init__(self) -> None:
        self.single_calls = 0

    async def SubmitDossier(self, request: pb.SubmitDossierRequest, context: Any) -> pb.SubmitDossierResponse:
        self.single_calls += 1
        return pb.SubmitDossierResponse(dossier=pb.Dossier(code=f"000.00.42.H29-261207-{self.single_calls:04d}"))


async def test_an_older_dossier_service_gets_one_call_per_submission_then_the_batch_call_is_tried_again(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(batching, "BATCH_RETRY_SECONDS", 0.5)
    older = _OlderDossierService()
    server = GrpcServer(host="127.0.0.1", port=free_port())
    pb_grpc.add_DossierServiceServicer_to_server(older, server.server)
    await server.start()
    channel = open_channel(server.address)
    try:
        stub = pb_grpc.DossierServiceStub(channel)
        batcher = SubmitBatcher(lambda: stub, timeout=5, in_flight=1)
        asks = [pb.SubmitDossierRequest(idempotency_key=f"older-{i:04d}") for i in range(6)]
        replies = await asyncio.gather(*(batcher.submit(a) for a in asks))
        assert sorted(r.dossier.code[-4:] for r in replies) == [f"{i:04d}" for i in range(1, 7)]
        assert older.single_calls == 6
        calls = batcher.calls
        await batcher.submit(asks[0])  # within the retry time: straight to SubmitDossier
        assert batcher.calls == calls and older.single_calls == 7
        await asyncio.sleep(0.6)
        await batcher.submit(asks[0])  # the batch call is tried again (and fails over again)
        assert batcher.calls == calls + 1 and older.single_calls == 8
    finally:
        await channel.close()
        await server.stop(0)


async def test_a_refused_item_raises_the_error_a_single_call_raises() -> None:
    from google.rpc import code_pb2, error_details_pb2, status_pb2

    from motcua_platform.grpc_client import decode_rpc_error, rpc_error_from_status

    info = error_details_pb2.ErrorInfo(reason="DOCUMENTS_MISSING", domain="motcua.gov.vn", metadata={"n": "2"})
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message="documents missing")
    status.details.add().Pack(info)
    status.details.add().Pack(error_details_pb2.LocalizedMessage(locale="vi-VN", message="Hồ sơ còn thiếu giấy tờ"))
    error = rpc_error_from_status(status.SerializeToString())
    assert isinstance(error, grpc.aio.AioRpcError) and error.code() == grpc.StatusCode.INVALID_ARGUMENT
    domain = decode_rpc_error(error)
    assert domain is not None and (domain.code, domain.message_vi, domain.metadata) == (
        "DOCUMENTS_MISSING", "Hồ sơ còn thiếu giấy tờ", {"n": "2"})
