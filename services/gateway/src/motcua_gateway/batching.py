"""Calls gathered into batched gRPC calls: public look-ups (GetPublicStatuses) and submissions (SubmitDossiers) to
the dossier service, providers' delivery receipts (RecordProviderReceipts) to the notification service.

Under load, most of a look-up's cost in the dossier service is the gRPC call itself, not the
SQL. The gateway therefore sends look-ups that arrive together in one call: a look-up starts
a call at once while fewer than `in_flight` calls are under way; otherwise it waits for the
next call, which takes everything that queued meanwhile (up to `max_batch` codes). Nothing
waits for a timer, so an idle gateway adds no latency and a busy one sends fewer, larger
calls.

A code the batch call reports unknown or malformed is asked again on its own
(GetPublicStatus), so the citizen gets exactly the answer and error a single call gives
(404 / 422 with its Vietnamese message). A failed call (the service unavailable, the
deadline) fails every look-up it carried with that call's error. A call carries the trace
context and request id of the look-up that started it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import grpc

from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua.dossier.v1.dossier_service_pb2_grpc import DossierServiceStub
from motcua.notification.v1 import notification_service_pb2 as npb
from motcua.notification.v1.notification_service_pb2_grpc import NotificationServiceStub
from motcua_platform.batching import NaturalBatcher
from motcua_platform.grpc_client import context_metadata, rpc_error_from_status
from motcua_platform.logging import get_logger

log = get_logger(__name__)

#: After UNIMPLEMENTED, how long to send each item alone before trying the batch RPC again.
BATCH_RETRY_SECONDS = 60.0

Ask = TypeVar("Ask")
Answer = TypeVar("Answer")
Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


T = TypeVar("T")


def per_channel(state: Any, name: str, service: str, make: Callable[[], T]) -> T:
    """The app's `name` object for `service`'s gRPC channel, made on first use and made again for a new channel."""
    channel = state.channels[service]
    cached = getattr(state, name, None)
    if cached is None or cached[0] is not channel:
        cached = (channel, make())
        setattr(state, name, cached)
    return cached[1]  # type: ignore[no-any-return]


class PublicStatusBatcher:
    def __init__(self, stub: Callable[[], DossierServiceStub], *, timeout: float, in_flight: int = 2,
                 max_batch: int = 64) -> None:
        self._stub = stub
        self._timeout = timeout
        self._batcher: NaturalBatcher[str, pb.PublicStatus | None] = NaturalBatcher(
            self._call, in_flight=in_flight, max_batch=max_batch, name="public-status-batch")

    @property
    def calls(self) -> int:
        """GetPublicStatuses calls made."""
        return self._batcher.batches

    @property
    def codes(self) -> int:
        """Codes those calls carried."""
        return self._batcher.items

    async def get(self, code: str) -> pb.PublicStatus:
        """The public status of `code` (raises the gRPC error of the call, or of a single call for unknown codes)."""
        found = await self._batcher.run(code)
        if found is None:  # unknown or malformed: the single call raises the exact error
            return await self._stub().GetPublicStatus(pb.GetPublicStatusRequest(code=code), timeout=self._timeout)
        return found

    async def _call(self, codes: list[str]) -> list[pb.PublicStatus | None]:
        reply = await self._stub().GetPublicStatuses(pb.GetPublicStatusesRequest(codes=codes), timeout=self._timeout)
        return [r.status if r.outcome == pb.PUBLIC_STATUS_OUTCOME_FOUND else None for r in reply.results]


class _ItemCalls(Generic[Ask, Answer, Item, Outcome]):
    """Calls of one kind gathered into a batch RPC whose outcome per item is a response or a google.rpc.Status.

    Each item travels with its own request id and trace context (`context_metadata()`), so the service
    handles and logs it under its own request. An item the service refuses comes back as that item's
    status and is raised here as the very error a single call raises (same code, same details). A
    failed call (unavailable, deadline) fails every item it carried. A service that does not know the
    batch RPC yet (older, during a rolling upgrade) answers UNIMPLEMENTED: then each item is sent alone
    with the single RPC, and the batch RPC is tried again after `BATCH_RETRY_SECONDS`.
    """

    def __init__(self, *, batch: Callable[[list[Item]], Awaitable[Sequence[Outcome]]],
                 single: Callable[[Ask], Awaitable[Answer]], item: Callable[[Ask, dict[str, str]], Item],
                 in_flight: int, max_batch: int, name: str) -> None:
        self._batch = batch
        self._single = single
        self._item = item
        self._name = name
        self._batcher: NaturalBatcher[Item, Outcome | None] = NaturalBatcher(
            self._call, in_flight=in_flight, max_batch=max_batch, name=name)
        self._single_until = 0.0

    @property
    def calls(self) -> int:
        """Batch calls made."""
        return self._batcher.batches

    @property
    def items(self) -> int:
        """Items those calls carried."""
        return self._batcher.items

    async def call(self, ask: Ask) -> Answer:
        if time.monotonic() >= self._single_until:
            outcome: Any = await self._batcher.run(self._item(ask, dict(context_metadata())))
            if outcome is not None:
                if outcome.HasField("response"):
                    return outcome.response  # type: ignore[no-any-return]
                raise rpc_error_from_status(outcome.error_status)
        return await self._single(ask)

    async def _call(self, items: list[Item]) -> list[Outcome | None]:
        try:
            return list(await self._batch(items))
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
            log.warning("batch_rpc_unimplemented", rpc=self._name, retry_in_s=BATCH_RETRY_SECONDS)
            self._single_until = time.monotonic() + BATCH_RETRY_SECONDS
            return [None] * len(items)  # each is sent alone by its caller


class SubmitBatcher(_ItemCalls[pb.SubmitDossierRequest, pb.SubmitDossierResponse, pb.SubmitDossiersItem,
                               pb.SubmitDossierOutcome]):
    """Submissions gathered into SubmitDossiers calls, each answered as its own SubmitDossier call would be.

    Natural batching as for look-ups (no timer), with the guarantees of `_ItemCalls`: each submission
    is registered and logged under its own request, its event carries its trace, a refused submission
    gets the HTTP answer a single call gives, and each is safe to retry with its Idempotency-Key.
    """

    def __init__(self, stub: Callable[[], DossierServiceStub], *, timeout: float, in_flight: int = 2,
                 max_batch: int = 32) -> None:
        async def batch(items: list[pb.SubmitDossiersItem]) -> Sequence[pb.SubmitDossierOutcome]:
            return (await stub().SubmitDossiers(pb.SubmitDossiersRequest(items=items), timeout=timeout)).outcomes

        async def single(ask: pb.SubmitDossierRequest) -> pb.SubmitDossierResponse:
            return await stub().SubmitDossier(ask, timeout=timeout)

        super().__init__(batch=batch, single=single, item=lambda ask, ctx: pb.SubmitDossiersItem(request=ask, context=ctx),
                         in_flight=in_flight, max_batch=max_batch, name="submit-dossiers")

    @property
    def submissions(self) -> int:
        """Submissions those calls carried."""
        return self.items

    async def submit(self, ask: pb.SubmitDossierRequest) -> pb.SubmitDossierResponse:
        return await self.call(ask)


class ReceiptBatcher(_ItemCalls[npb.RecordProviderReceiptRequest, npb.RecordProviderReceiptResponse,
                                npb.RecordProviderReceiptsItem, npb.RecordProviderReceiptOutcome]):
    """Providers' delivery receipts gathered into RecordProviderReceipts calls, each answered as its own call would be.

    A provider answers a burst of messages with a burst of callbacks: one call per burst instead of one
    per receipt, and the notification service applies the receipts of a call in one transaction. The
    guarantees of `_ItemCalls` hold (own request id and trace, own error, single calls to an older service).
    """

    def __init__(self, stub: Callable[[], NotificationServiceStub], *, timeout: float, in_flight: int = 2,
                 max_batch: int = 128) -> None:
        async def batch(items: list[npb.RecordProviderReceiptsItem]) -> Sequence[npb.RecordProviderReceiptOutcome]:
            request = npb.RecordProviderReceiptsRequest(items=items)
            return (await stub().RecordProviderReceipts(request, timeout=timeout)).outcomes

        async def single(ask: npb.RecordProviderReceiptRequest) -> npb.RecordProviderReceiptResponse:
            return await stub().RecordProviderReceipt(ask, timeout=timeout)

        super().__init__(batch=batch, single=single,
                         item=lambda ask, ctx: npb.RecordProviderReceiptsItem(request=ask, context=ctx),
                         in_flight=in_flight, max_batch=max_batch, name="record-provider-receipts")

    @property
    def receipts(self) -> int:
        """Receipts those calls carried."""
        return self.items

    async def record(self, ask: npb.RecordProviderReceiptRequest) -> npb.RecordProviderReceiptResponse:
        return await self.call(ask)
