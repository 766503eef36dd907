"""The benchmarks of `make bench`, by name.

Every module of this package that defines `NAME` and `async def run(ctx) -> list[BenchResult]`
is a benchmark; `make bench` runs them in `ORDER` (then alphabetically).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from motcua_devstack.bench import BenchContext, BenchResult

Benchmark = Callable[["BenchContext"], Awaitable[list["BenchResult"]]]


def _registry() -> dict[str, Benchmark]:
    found: dict[str, tuple[int, Benchmark]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        run = getattr(module, "run", None)
        if callable(run):
            found[getattr(module, "NAME", info.name)] = (getattr(module, "ORDER", 100), run)
    return {name: run for name, (_, run) in sorted(found.items(), key=lambda kv: (kv[1][0], kv[0]))}


REGISTRY: dict[str, Benchmark] = _registry()
