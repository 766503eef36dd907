"""The benchmarks of `make bench`, by name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from motcua_devstack.bench import BenchContext, BenchResult

Benchmark = Callable[["BenchContext"], Awaitable[list["BenchResult"]]]


def _registry() -> dict[str, Benchmark]:
    from motcua_devstack.benchmarks import catalogue, outbox

    return {
        "outbox": outbox.run,
        "catalogue": catalogue.run,
    }


REGISTRY: dict[str, Benchmark] = _registry()
