"""Natural batching: work that arrives together is done together, with no timer.

`NaturalBatcher.run(item)` starts a batch at once while fewer than `in_flight` batches are
under way; otherwise the item waits for the next batch, which takes everything queued
meanwhile (up to `max_batch` items). An idle service therefore adds no latency, and a busy
one does fewer, larger units of work (one transaction, one call) instead of many small ones.

`work(items)` returns one outcome per item, in order: a result, or an exception that only
that item's caller receives. If `work` itself raises, every item of the batch gets that
exception. A caller that goes away (cancelled) does not stop its batch: the batch's work
runs to completion for the others, so it must be safe for the caller to retry (an
idempotency key, for instance).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class NaturalBatcher(Generic[T, R]):
    def __init__(self, work: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]], *, in_flight: int = 2,
                 max_batch: int = 64, name: str = "batch") -> None:
        self._work = work
        self._in_flight_max = max(1, in_flight)
        self._max_batch = max(1, max_batch)
        self._name = name
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        #: Batches started and items carried, for metrics and tests.
        self.batches = 0
        self.items = 0

    async def run(self, item: T) -> R:
        """Do `item` within a batch; return its result or raise its exception."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._in_flight < self._in_flight_max:
            self._launch()
        return await asyncio.shield(future)

    async def drain(self) -> None:
        """Wait until every started batch has finished (at shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _launch(self) -> None:
        batch, self._waiting = self._waiting[:self._max_batch], self._waiting[self._max_batch:]
        self._in_flight += 1
        self.batches += 1
        self.items += len(batch)
        task = asyncio.get_running_loop().create_task(self._run(batch), name=self._name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            outcomes = await self._work([item for item, _ in batch])
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{self._name}: {len(outcomes)} outcomes for {len(batch)} items")
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        except BaseException as exc:  # handed to every caller of the batch
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            self._in_flight -= 1
            if self._waiting and self._in_flight < self._in_flight_max:
                self._launch()
            for _, future in batch:  # a caller that went away does not leave "exception never retrieved"
                if future.done() and not future.cancelled():
                    future.exception()
