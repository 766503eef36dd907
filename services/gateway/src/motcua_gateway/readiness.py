"""Readiness: Postgres, the broker and the four gRPC services, checked concurrently."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from motcua_platform.db import ping
from motcua_platform.kafka import broker_ping


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, str]

    def as_json(self) -> dict[str, object]:
        down = sorted(name for name, state in self.checks.items() if state != "ok")
        return {"status": "ready" if self.ready else "unavailable", "checks": self.checks, "down": down}


class ReadinessProbe:
    """Check every dependency; cache the answer briefly so probes cannot overload them."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        bootstrap: str,
        channels: dict[str, grpc.aio.Channel],
        timeout: float,
        cache_seconds: float,
    ) -> None:
        self.pool = pool
        self.bootstrap = bootstrap
        self.stubs = {name: health_pb2_grpc.HealthStub(ch) for name, ch in channels.items()}
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._cached: tuple[float, Readiness] | None = None
        self._lock = asyncio.Lock()

    async def check(self) -> Readiness:
        async with self._lock:
            now = time.monotonic()
            if self._cached and now - self._cached[0] < self.cache_seconds:
                return self._cached[1]
            names = ["postgres", "broker", *self.stubs]
            results = await asyncio.gather(
                self._postgres(), self._broker(), *(self._grpc(stub) for stub in self.stubs.values())
            )
            checks = dict(zip(names, results, strict=True))
            readiness = Readiness(all(v == "ok" for v in checks.values()), checks)
            self._cached = (time.monotonic(), readiness)
            return readiness

    async def _postgres(self) -> str:
        try:
            await asyncio.wait_for(ping(self.pool, timeout=self.timeout), self.timeout)
            return "ok"
        except Exception as exc:
            return f"down: {type(exc).__name__}"

    async def _broker(self) -> str:
        try:
            await broker_ping(self.bootstrap, timeout=self.timeout)
            return "ok"
        except Exception as exc:
            return f"down: {type(exc).__name__}"

    async def _grpc(self, stub: health_pb2_grpc.HealthStub) -> str:
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=self.timeout)
        except grpc.aio.AioRpcError as exc:
            return f"down: {exc.code().name}"
        if reply.status != health_pb2.HealthCheckResponse.SERVING:
            return f"down: {health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}"
        return "ok"
