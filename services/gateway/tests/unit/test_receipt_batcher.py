"""ReceiptBatcher: receipts that arrive together go in one call; an older notification service gets one call each.

A real gRPC server with a NotificationService that answers RecordProviderReceipt, and RecordProviderReceipts
only when it is new enough (an older one answers UNIMPLEMENTED, as during a rolling upgrade)."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest

from motcua.notification.v1 import notification_service_pb2 as pb
from motcua.notification.v1 import notification_service_pb2_grpc as pb_grpc
from motcua_gateway import batching
from motcua_gateway.batching import ReceiptBatcher
from motcua_platform.embedded.process import free_port
from motcua_platform.errors import InvalidArgument
from motcua_platform.grpc_client import decode_rpc_error, open_channel
from motcua_platform.grpc_server import GrpcServer, failure_status


class _Notification(pb_grpc.NotificationServiceServicer):
    """Matches receipts whose message id starts with "known-"; refuses those without a message id."""

    def __init__(self, *, batch: bool) -> None:
        self.batch = batch
        self.single_calls = 0
        self.batch_sizes: list[int] = []

    def _answer(self, request: pb.RecordProviderReceiptRequest) -> pb.RecordProviderReceiptResponse:
        if not request.provider_message_id:
            raise InvalidArgument("RECEIPT_INVALID", "a message id is required", "Biên nhận không hợp lệ.")
        known = request.provider_message_id.startswith("known-")
        return pb.RecordProviderReceiptResponse(matched=known, notification_id=f"n-{request.provider_message_id}"
                                                if known else "")

    async def RecordProviderReceipt(self, request: pb.RecordProviderReceiptRequest, context: Any
                                    ) -> pb.RecordProviderReceiptResponse:
        self.single_calls += 1
        try:
            return self._answer(request)
        except InvalidArgument as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, exc.message)
            raise

    async def RecordProviderReceipts(self, request: pb.RecordProviderReceiptsRequest, context: Any
                                     ) -> pb.RecordProviderReceiptsResponse:
        if not self.batch:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not found!")
        self.batch_sizes.append(len(request.items))
        outcomes = []
        for item in request.items:
            try:
                outcomes.append(pb.RecordProviderReceiptOutcome(response=self._answer(item.request)))
            except InvalidArgument as exc:
                outcomes.append(pb.RecordProviderReceiptOutcome(error_status=failure_status(exc).SerializeToString()))
        return pb.RecordProviderReceiptsResponse(outcomes=outcomes)


async def _serve(service: _Notification) -> tuple[GrpcServer, grpc.aio.Channel]:
    server = GrpcServer(host="127.0.0.1", port=free_port())
    pb_grpc.add_NotificationServiceServicer_to_server(service, server.server)
    await server.start()
    return server, open_channel(server.address)


def _receipt(message_id: str) -> pb.RecordProviderReceiptRequest:
    return pb.RecordProviderReceiptRequest(provider="zalo_zns", provider_message_id=message_id,
                                           status=pb.DELIVERY_STATUS_DELIVERED)


async def test_receipts_arriving_together_share_a_call_and_each_gets_its_own_answer() -> None:
    service = _Notification(batch=True)
    server, channel = await _serve(service)
    try:
        stub = pb_grpc.NotificationServiceStub(channel)
        batcher = ReceiptBatcher(lambda: stub, timeout=5, in_flight=1)
        ids = ["known-1", "unknown-2", "", "known-4", "known-5"]
        answers = await asyncio.gather(*(batcher.record(_receipt(i)) for i in ids), return_exceptions=True)
        assert [(a.matched, a.notification_id) for a in answers if not isinstance(a, BaseException)] == [
            (True, "n-known-1"), (False, ""), (True, "n-known-4"), (True, "n-known-5")]
        refused = answers[2]
        assert isinstance(refused, grpc.aio.AioRpcError) and refused.code() == grpc.StatusCode.INVALID_ARGUMENT
        domain = decode_rpc_error(refused)
        assert domain is not None and (domain.code, domain.message_vi) == ("RECEIPT_INVALID", "Biên nhận không hợp lệ.")
        # The first receipt started a call alone; the four that arrived meanwhile went in the next one.
        assert service.batch_sizes == [1, 4] and service.single_calls == 0
        assert (batcher.calls, batcher.receipts) == (2, 5)
    finally:
        await channel.close()
        await server.stop(0)


async def test_an_older_notification_service_gets_one_call_per_receipt_then_the_batch_call_is_tried_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(batching, "BATCH_RETRY_SECONDS", 0.5)
    service = _Notification(batch=False)
    server, channel = await _serve(service)
    try:
        stub = pb_grpc.NotificationServiceStub(channel)
        batcher = ReceiptBatcher(lambda: stub, timeout=5, in_flight=1)
        answers = await asyncio.gather(*(batcher.record(_receipt(f"known-{i}")) for i in range(4)))
        assert sorted(a.notification_id for a in answers) == [f"n-known-{i}" for i in range(4)]
        assert service.single_calls == 4
        calls = batcher.calls
        await batcher.record(_receipt("known-9"))  # within the retry time: straight to RecordProviderReceipt
        assert batcher.calls == calls and service.single_calls == 5
        await asyncio.sleep(0.6)
        await batcher.record(_receipt("known-9"))  # the batch call is tried again (and fails over again)
        assert batcher.calls == calls + 1 and service.single_calls == 6
    finally:
        await channel.close()
        await server.stop(0)
