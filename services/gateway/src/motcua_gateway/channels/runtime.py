"""Wiring of the channels in the gateway process: backends, handlers and the inbox worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import grpc

from motcua_gateway.channels.backends import Backends
from motcua_gateway.channels.sms import SmsHandler
from motcua_gateway.channels.worker import InboxWorker
from motcua_gateway.channels.zalo import ZaloHandler
from motcua_gateway.ratelimit import TokenBucketLimiter
from motcua_gateway.settings import Settings


@dataclass
class ChannelRuntime:
    worker: InboxWorker
    backends: Backends

    def wake(self) -> None:
        self.worker.wake()

    async def stop(self) -> None:
        await self.worker.stop()


def build_channels(settings: Settings, pool: asyncpg.Pool, channels: dict[str, grpc.aio.Channel]) -> ChannelRuntime:
    """Build (not start) the channel runtime; `start_channels` also starts its worker when enabled."""
    c = settings.channels
    backends = Backends(channels)
    limiter = TokenBucketLimiter(rate=c.lookup_rate_per_second, burst=c.lookup_burst)
    handlers: dict[str, Any] = {
        "zalo": ZaloHandler(pool=pool, backends=backends, settings=settings, limiter=limiter),
        "sms": SmsHandler(pool=pool, backends=backends, settings=settings, limiter=limiter),
    }
    return ChannelRuntime(worker=InboxWorker(pool=pool, settings=c, handlers=handlers), backends=backends)


def start_channels(settings: Settings, pool: asyncpg.Pool, channels: dict[str, grpc.aio.Channel]) -> ChannelRuntime:
    runtime = build_channels(settings, pool, channels)
    if settings.channels.worker_enabled:
        runtime.worker.start()
    return runtime
