"""`make bench`: start what a benchmark needs, drive load, print figures (never pass/fail on time).

Each benchmark is a coroutine `run(ctx) -> list[BenchResult]` registered in `BENCHMARKS`.
`make bench` runs them all; `make bench BENCH="outbox catalogue"` selects some.
Results are printed as a table and written as JSON under `bench/results/` (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from motcua_devstack.stack import Stack, StackConfig, say
from motcua_platform.embedded.process import free_port


@dataclass
class BenchResult:
    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    per_second: float
    extra: dict[str, object] = field(default_factory=dict)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def summarize(name: str, latencies: list[float], errors: int, seconds: float, **extra: object) -> BenchResult:
    """Build a result from latencies in seconds."""
    ordered = sorted(latencies)
    return BenchResult(
        name=name,
        requests=len(latencies) + errors,
        errors=errors,
        seconds=round(seconds, 3),
        p50_ms=round(percentile(ordered, 0.50) * 1000, 2),
        p95_ms=round(percentile(ordered, 0.95) * 1000, 2),
        p99_ms=round(percentile(ordered, 0.99) * 1000, 2),
        per_second=round(len(latencies) / seconds, 1) if seconds > 0 else 0.0,
        extra=dict(extra),
    )


async def closed_loop(
    call: Callable[[int], Awaitable[None]], *, concurrency: int, total: int
) -> tuple[list[float], int, float]:
    """Run `total` calls with `concurrency` workers back to back; return (latencies, errors, seconds)."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            started = time.perf_counter()
            try:
                await call(i)
            except Exception:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - started


def generator_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class BenchContext:
    """What a benchmark may use: the infrastructure, and a full stack on demand."""

    config: StackConfig
    workdir: Path
    _stack: Stack | None = None

    def infrastructure(self) -> Stack:
        """Embedded Postgres and broker only (no services)."""
        if self._stack is None:
            self._stack = Stack(self._private_config())
            self._stack.start_infrastructure()
        return self._stack

    def full_stack(self) -> Stack:
        """The five services too, on private ports, ready (blocking: use `await start_services()` in a benchmark)."""
        stack = self.infrastructure()
        if not stack.procs:
            stack.config.log_format = "json"
            stack.start_services()
            stack.wait_ready()
        return stack

    async def start_services(self) -> Stack:
        """Start the five services (once) from inside a benchmark coroutine."""
        return await asyncio.to_thread(self.full_stack)

    @property
    def base_url(self) -> str:
        assert self._stack is not None and self._stack.procs, "await ctx.start_services() first"
        return f"http://127.0.0.1:{self._stack.config.http_port}"

    def _private_config(self) -> StackConfig:
        c = self.config
        return StackConfig(
            root=c.root,
            database_url=c.database_url,
            kafka_bootstrap=c.kafka_bootstrap,
            kafka_idempotence=c.kafka_idempotence,
            data_dir=self.workdir / "data",
            pg_port=free_port(),
            broker_port=free_port(),
            http_port=free_port(),
            grpc_base_port=int(os.environ.get("MOTCUA_BENCH_GRPC_BASE_PORT", "51051")),
            metrics_base_port=int(os.environ.get("MOTCUA_BENCH_METRICS_BASE_PORT", "9251")),
            log_format="json",
        )

    def close(self) -> None:
        if self._stack is not None:
            self._stack.stop()


def _benchmarks() -> dict[str, Callable[[BenchContext], Awaitable[list[BenchResult]]]]:
    from motcua_devstack.benchmarks import REGISTRY

    return REGISTRY


def print_table(results: list[BenchResult]) -> None:
    header = f"{'benchmark':<44} {'requests':>9} {'errors':>7} {'per s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r.name:<44} {r.requests:>9} {r.errors:>7} {r.per_second:>9.1f} {r.p50_ms:>8.2f} {r.p95_ms:>8.2f} "
              f"{r.p99_ms:>8.2f}")
        if r.extra:
            print(f"{'':<44} " + ", ".join(f"{k}={v}" for k, v in r.extra.items()))


def main(config: StackConfig, argv: list[str]) -> int:
    registry = _benchmarks()
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("names", nargs="*", help=f"which benchmarks (default all): {' '.join(registry)}")
    args = parser.parse_args(argv or os.environ.get("BENCH", "").split())
    names = args.names or list(registry)
    unknown = [n for n in names if n not in registry]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(registry)}")
        return 2
    results: list[BenchResult] = []
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as tmp:
        ctx = BenchContext(config=config, workdir=Path(tmp))
        try:
            ctx.infrastructure()
            for name in names:
                say("bench", f"running {name}")
                cpu_before = generator_cpu_seconds()
                wall = time.perf_counter()
                rows = asyncio.run(registry[name](ctx))
                cpu = generator_cpu_seconds() - cpu_before
                share = cpu / max(1e-9, time.perf_counter() - wall)
                for row in rows:
                    row.extra.setdefault("generator_cpu", f"{share:.0%} of one core")
                results.extend(rows)
        finally:
            ctx.close()
    print()
    print_table(results)
    out_dir = config.root / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = out_dir / f"{stamp}.json"
    out.write_text(json.dumps({"at": stamp, "machine": {"cpus": os.cpu_count()},
                               "results": [asdict(r) for r in results]}, indent=2, ensure_ascii=False))
    print(f"\nresults written to {out.relative_to(config.root)}")
    return 0
