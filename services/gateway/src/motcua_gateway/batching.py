"""Dossier calls gathered into batched gRPC calls: public look-ups (GetPublicStatuses), submissions (SubmitDossiers).

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

import asyncio
import time
from collections.abc import Callable

import grpc

from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua.dossier.v1.dossier_service_pb2_grpc import DossierServiceStub
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
        self._in_flight_max = max(1, in_flight)
        self._max_batch = max(1, max_batch)
        self._waiting: list[tuple[str, asyncio.Future[pb.PublicStatus | None]]] = []
        self._in_flight = 0
        self.calls = 0
        self.codes = 0

    async def get(self, code: str) -> pb.PublicStatus:
        """The public status of `code` (raises the gRPC error of the call, or of a single call for unknown codes)."""
        future: asyncio.Future[pb.PublicStatus | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((code, future))
        if self._in_flight < self._in_flight_max:
            self._launch()
        found = await future
        if found is None:  # unknown or malformed: the single call raises the exact error
            return await self._stub().GetPublicStatus(pb.GetPublicStatusRequest(code=code), timeout=self._timeout)
        return found

    def _launch(self) -> None:
        batch, self._waiting = self._waiting[:self._max_batch], self._waiting[self._max_batch:]
        self._in_flight += 1
        self.calls += 1
        self.codes += len(batch)
        task = asyncio.get_running_loop().create_task(self._call(batch), name="public-status-batch")
        task.add_done_callback(_retrieve)

    async def _call(self, batch: list[tuple[str, asyncio.Future[pb.PublicStatus | None]]]) -> None:
        try:
            reply = await self._stub().GetPublicStatuses(pb.GetPublicStatusesRequest(codes=[c for c, _ in batch]),
                                                         timeout=self._timeout)
            for (_, future), result in zip(batch, reply.results, strict=True):
                if not future.done():  # the client may have gone away meanwhile
                    found = result.status if result.outcome == pb.PUBLIC_STATUS_OUTCOME_FOUND else None
                    future.set_result(found)
        except BaseException as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            self._in_flight -= 1
            if self._waiting and self._in_flight < self._in_flight_max:
                self._launch()


def _retrieve(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()


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
