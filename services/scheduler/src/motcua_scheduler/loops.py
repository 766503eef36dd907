"""Background loops of the scheduler: release lapsed holds, emit due reminders, plan slots ahead.

Every loop is safe with several replicas (SKIP LOCKED, unique rows, ON CONFLICT DO NOTHING)
and across restarts (all state is in Postgres). A failing round is logged and retried at
the next tick; the loop itself only ends on `stop()`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from motcua_platform.logging import get_logger

log = get_logger(__name__)


class Ticker:
    """Run `work()` now and then every `interval` seconds until stopped."""

    def __init__(self, name: str, work: Callable[[], Awaitable[object]], interval: float) -> None:
        self.name = name
        self.work = work
        self.interval = interval
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.work()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background_round_failed", loop=self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)

    async def stop(self) -> None:
        self._stop.set()
