"""Backoff with jitter bounded by a total time, and the SMS providers' circuit breaker."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def backoff(attempt: int, *, base: float, cap: float, rng: Callable[[float, float], float] = random.uniform) -> float:
    """Delay before retry `attempt` (1-based): exponential, capped, with "equal jitter" (half fixed, half random)."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return rng(ceiling / 2, ceiling)


def next_retry_in(*, attempt: int, first_attempt_age: float, base: float, cap: float, total: float) -> float | None:
    """Seconds until the next try, or None when it would end beyond the total retry time (give up)."""
    delay = backoff(attempt, base=base, cap=cap)
    if first_attempt_age + delay > total:
        return None
    return delay


@dataclass
class CircuitBreaker:
    """Per provider: open after `threshold` failures in a row, for `open_seconds`, then let one call probe.

    In-process state: each replica decides for itself, which is what failover needs
    (a replica that sees the provider fail stops using it) and needs no coordination.
    """

    threshold: int
    open_seconds: float
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, int] = field(default_factory=dict)
    _opened_at: dict[str, float] = field(default_factory=dict)

    def is_open(self, provider: str) -> bool:
        opened = self._opened_at.get(provider)
        if opened is None:
            return False
        if self.clock() - opened >= self.open_seconds:
            # Half-open: let calls probe; one more failure re-opens at once.
            self._opened_at.pop(provider, None)
            self._failures[provider] = self.threshold - 1
            return False
        return True

    def success(self, provider: str) -> None:
        self._failures[provider] = 0
        self._opened_at.pop(provider, None)

    def failure(self, provider: str) -> bool:
        """Record a provider-side failure; return True when it opened the circuit."""
        count = self._failures.get(provider, 0) + 1
        self._failures[provider] = count
        if count >= self.threshold and provider not in self._opened_at:
            self._opened_at[provider] = self.clock()
            return True
        return False

    def choose(self, primary: str, secondary: str | None) -> str:
        """The provider to use now: the primary unless its circuit is open and the secondary's is not."""
        if secondary and self.is_open(primary) and not self.is_open(secondary):
            return secondary
        return primary

    def open_providers(self) -> list[str]:
        return [p for p in list(self._opened_at) if self.is_open(p)]
