"""The per-key token bucket: bursts, refill, Retry-After, bounded memory."""

from __future__ import annotations

import pytest

from motcua_gateway.ratelimit import RateLimited, TokenBucketLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_token_per_interval() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(rate=2, burst=3, clock=clock)
    assert [limiter.acquire("1.2.3.4") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("1.2.3.4") == pytest.approx(0.5)
    assert limiter.acquire("5.6.7.8") == 0.0  # other keys are independent
    clock.now += 0.5
    assert limiter.acquire("1.2.3.4") == 0.0
    assert limiter.acquire("1.2.3.4") > 0


def test_refused_requests_do_not_dig_the_hole_deeper() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(rate=1, burst=1, clock=clock)
    limiter.acquire("k")
    for _ in range(100):
        limiter.acquire("k")
    clock.now += 1.0
    assert limiter.acquire("k") == 0.0


def test_check_raises_429_with_retry_after_in_whole_seconds() -> None:
    limiter = TokenBucketLimiter(rate=0.1, burst=1, clock=Clock())
    limiter.check("k")
    with pytest.raises(RateLimited) as caught:
        limiter.check("k")
    assert caught.value.http_status == 429
    assert caught.value.metadata == {"retry_after": "10"}
    assert "thử lại sau 10 giây" in caught.value.message_vi


def test_memory_stays_bounded() -> None:
    clock = Clock()
    limiter = TokenBucketLimiter(rate=1, burst=2, max_keys=100, clock=clock)
    for i in range(1000):
        limiter.acquire(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter) <= 101
