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
from collections.abc import Callable

import grpc

from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua.dossier.v1.dossier_service_pb2_grpc import DossierServiceStub
from motcua.notification.v1 import notification_service_pb2 as npb
from motcua.notification.v1.notification_service_pb2_grpc import NotificationServiceStub
from motcua_platform.batching import NaturalBatcher
from motcua_platform.grpc_client import context_metadata, rpc_error_from_status
from motcua_platform.logging import get_logger

log = get_logger(__name__)

#: After UNIMPLEMENTED, how long to send one SubmitDossier per submission before trying SubmitDossiers again.
BATCH_RETRY_SECONDS = 60.0


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


class SubmitBatcher:
    """Submissions gathered into SubmitDossiers calls, each answered as its own SubmitDossier call would be.

    Natural batching as for look-ups (no timer). Each submission travels with its own request id
    and trace context, so the dossier service registers and logs it under that request, and its
    event carries that trace. A submission the service refuses comes back as that submission's
    status and is raised here as the very error a single call raises (same code, same details),
    so the HTTP answer is the same. A failed call (unavailable, deadline) fails every submission
    it carried; each is safe to retry with its Idempotency-Key. A dossier service that does not
    know SubmitDossiers yet (older, during a rolling upgrade) gets one SubmitDossier per
    submission, and the batch call is tried again a minute later.
    """

    def __init__(self, stub: Callable[[], DossierServiceStub], *, timeout: float, in_flight: int = 2,
                 max_batch: int = 32) -> None:
        self._stub = stub
        self._timeout = timeout
        self._batcher: NaturalBatcher[pb.SubmitDossiersItem, pb.SubmitDossierOutcome | None] = NaturalBatcher(
            self._call, in_flight=in_flight, max_batch=max_batch, name="submit-dossiers")
        self._single_until = 0.0

    @property
    def calls(self) -> int:
        """SubmitDossiers calls made."""
        return self._batcher.batches

    @property
    def submissions(self) -> int:
        """Submissions those calls carried."""
        return self._batcher.items

    async def submit(self, ask: pb.SubmitDossierRequest) -> pb.SubmitDossierResponse:
        if time.monotonic() >= self._single_until:
            outcome = await self._batcher.run(pb.SubmitDossiersItem(request=ask, context=dict(context_metadata())))
            if outcome is not None:
                if outcome.HasField("response"):
                    return outcome.response
                raise rpc_error_from_status(outcome.error_status)
        return await self._stub().SubmitDossier(ask, timeout=self._timeout)

    async def _call(self, items: list[pb.SubmitDossiersItem]) -> list[pb.SubmitDossierOutcome | None]:
        try:
            reply = await self._stub().SubmitDossiers(pb.SubmitDossiersRequest(items=items), timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
            log.warning("submit_dossiers_unimplemented", retry_in_s=BATCH_RETRY_SECONDS)
            self._single_until = time.monotonic() + BATCH_RETRY_SECONDS
            return [None] * len(items)  # each is sent alone by its caller
        return list(reply.outcomes)


class ReceiptBatcher:
    """Providers' delivery receipts gathered into RecordProviderReceipts calls, each answered as its own call would be.

    A provider answers a burst of messages with a burst of callbacks; one call per burst, instead of one per
    receipt, and the notification service applies the receipts of a call in one transaction. Each receipt
    travels with its callback's request id and trace context. A receipt the service refuses comes back as
    that receipt's status and is raised here as the error a single call raises. A notification service that
    does not know RecordProviderReceipts yet (rolling upgrade) gets one RecordProviderReceipt per receipt,
    and the batch call is tried again a minute later.
    """

    def __init__(self, stub: Callable[[], NotificationServiceStub], *, timeout: float, in_flight: int = 2,
                 max_batch: int = 128) -> None:
        self._stub = stub
        self._timeout = timeout
        self._batcher: NaturalBatcher[npb.RecordProviderReceiptsItem, npb.RecordProviderReceiptOutcome | None] = \
            NaturalBatcher(self._call, in_flight=in_flight, max_batch=max_batch, name="record-provider-receipts")
        self._single_until = 0.0

    @property
    def calls(self) -> int:
        """RecordProviderReceipts calls made."""
        return self._batcher.batches

    @property
    def receipts(self) -> int:
        """Receipts those calls carried."""
        return self._batcher.items

    async def record(self, ask: npb.RecordProviderReceiptRequest) -> npb.RecordProviderReceiptResponse:
        if time.monotonic() >= self._single_until:
            outcome = await self._batcher.run(npb.RecordProviderReceiptsItem(request=ask, context=dict(context_metadata())))
            if outcome is not None:
                if outcome.HasField("response"):
                    return outcome.response
                raise rpc_error_from_status(outcome.error_status)
        return await self._stub().RecordProviderReceipt(ask, timeout=self._timeout)

    async def _call(self, items: list[npb.RecordProviderReceiptsItem]) -> list[npb.RecordProviderReceiptOutcome | None]:
        try:
            reply = await self._stub().RecordProviderReceipts(npb.RecordProviderReceiptsRequest(items=items),
                                                              timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
            log.warning("record_provider_receipts_unimplemented", retry_in_s=BATCH_RETRY_SECONDS)
            self._single_until = time.monotonic() + BATCH_RETRY_SECONDS
            return [None] * len(items)  # each is sent alone by its caller
        return list(reply.outcomes)
