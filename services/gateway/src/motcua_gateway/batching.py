"""Public dossier look-ups gathered into batched gRPC calls (GetPublicStatuses).

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
from collections.abc import Callable

from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua.dossier.v1.dossier_service_pb2_grpc import DossierServiceStub


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
