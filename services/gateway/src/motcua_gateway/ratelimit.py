"""A small per-key token-bucket rate limiter, answering 429 problem+json with Retry-After.

    lookups = TokenBucketLimiter(rate=5, burst=30)               # per process
    @router.get(..., dependencies=[Depends(limit_by_client_ip(lambda r: r.app.state.lookup_limiter))])

Each key (a client IP, an account, ...) has a bucket of `burst` tokens refilled at
`rate` tokens per second; a request takes one token or is refused with the seconds
until one is available. Buckets live in this process only: with N gateway replicas
the effective limit is N times higher (put a shared limiter at the ingress for a
hard global limit). Memory is bounded: past `max_keys` buckets, the full (idle) ones
are dropped first, then the oldest.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from fastapi import Request

from motcua_platform.errors import MotcuaError


class RateLimited(MotcuaError):
    """429 with Retry-After (the gateway's problem handler reads metadata['retry_after'])."""

    def __init__(self, retry_after: float) -> None:
        import grpc

        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            "RATE_LIMITED", f"too many requests, retry in {seconds}s",
            f"Bạn thao tác quá nhanh, vui lòng thử lại sau {seconds} giây.",
            status=grpc.StatusCode.RESOURCE_EXHAUSTED, metadata={"retry_after": str(seconds)},
        )


class TokenBucketLimiter:
    def __init__(self, *, rate: float, burst: int, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = float(rate)
        self.burst = float(burst)
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill time)

    def acquire(self, key: str) -> float:
        """Take a token for `key`; return 0.0 when allowed, else the seconds until a token is available."""
        now = self._clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > self.max_keys:
                self._evict(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def check(self, key: str) -> None:
        """Take a token for `key` or raise RateLimited (429 + Retry-After)."""
        wait = self.acquire(key)
        if wait > 0:
            raise RateLimited(wait)

    def _evict(self, now: float) -> None:
        full = [k for k, (tokens, last) in self._buckets.items() if tokens + (now - last) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]
        while len(self._buckets) > self.max_keys:
            del self._buckets[next(iter(self._buckets))]

    def __len__(self) -> int:
        return len(self._buckets)


def client_ip(request: Request, *, trust_forwarded_for: bool = False) -> str:
    """The caller's address; the first X-Forwarded-For hop only when the gateway sits behind a trusted proxy."""
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",", 1)[0].strip()
        if first:
            return first
    return request.client.host if request.client else "unknown"
