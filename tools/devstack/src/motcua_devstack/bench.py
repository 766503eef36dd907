"""`make bench`: start what a benchmark needs, drive load, print figures (never pass/fail on time).

Each benchmark is a coroutine `run(ctx) -> list[BenchResult]` registered in `BENCHMARKS`.
`make bench` runs them all; `make bench BENCH="outbox catalogue"` selects some.
Results are printed as a table and written as JSON under `bench/results/` (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

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
    #: Written to the JSON results only (too long for the printed table).
    detail: dict[str, object] = field(default_factory=dict)


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
    kinds: dict[str, tuple[int, str]] = {}  # error type -> (count, first message): printed, so an error is never a mystery
    counter = iter(range(total))

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            started = time.perf_counter()
            try:
                await call(i)
            except Exception as exc:
                errors += 1
                count, first = kinds.get(type(exc).__name__, (0, str(exc)[:200]))
                kinds[type(exc).__name__] = (count + 1, first)
                continue
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    for kind, (count, first) in kinds.items():
        print(f"  errors: {count} x {kind}: {first}", flush=True)
    return latencies, errors, time.perf_counter() - started


def generator_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class ProcessMeter:
    """CPU seconds and memory of the stack's processes (Linux /proc), reported beside throughput.

    Throughput on a shared 2-core box depends on everything else running; CPU per request does much
    less, and says what each hop costs. Postgres counts the postmaster and all its backends; memory is
    PSS (proportional set size: shared pages split between the processes sharing them, so Postgres's
    shared buffers are not counted once per backend); `generator` is this process (the load generator,
    plus the pumping of every service's log lines).
    """

    def __init__(self, stack: Stack, names: tuple[str, ...] | None = None) -> None:
        self.pids = {name: proc.pid for name, proc in stack.procs.items() if names is None or name in names}
        postgres = stack.postgres
        self.postmaster = postgres.process.pid if postgres is not None and postgres.process is not None else None
        broker = stack.broker
        self.broker = broker.process.pid if broker is not None and broker.process is not None else None
        self.tick = os.sysconf("SC_CLK_TCK")

    def _stat(self, pid: int) -> tuple[int, float]:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / self.tick  # ppid, utime + stime

    def _postgres_pids(self) -> list[int]:
        if self.postmaster is None:
            return []
        pids = [self.postmaster]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if self._stat(int(entry))[0] == self.postmaster:
                        pids.append(int(entry))
                except (OSError, ValueError, IndexError):
                    continue
        return pids

    def snapshot(self) -> dict[str, float]:
        """CPU seconds used so far per process group."""
        try:
            used = {name: self._stat(pid)[1] for name, pid in self.pids.items()}
            if self.postmaster is not None:
                used["postgres"] = 0.0
                for pid in self._postgres_pids():
                    with contextlib.suppress(OSError, ValueError, IndexError):  # a backend may exit while we read
                        used["postgres"] += self._stat(pid)[1]
            if self.broker is not None:
                used["broker"] = self._stat(self.broker)[1]
            used["generator"] = generator_cpu_seconds()
            return used
        except OSError:
            return {}

    @staticmethod
    def _pss_mb(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        with open(f"/proc/{pid}/status") as f:  # no smaps_rollup (old kernel, other user): RSS
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def memory_mb(self) -> dict[str, float]:
        """Memory (PSS, MB) per service, Postgres (all backends) and the broker."""
        out: dict[str, float] = {}
        for name, pid in self.pids.items():
            try:
                out[name] = round(self._pss_mb(pid), 1)
            except OSError:
                continue
        if self.postmaster is not None:
            total = 0.0
            for pid in self._postgres_pids():
                with contextlib.suppress(OSError):  # a backend may exit while we read
                    total += self._pss_mb(pid)
            out["postgres"] = round(total, 1)
        if self.broker is not None:
            with contextlib.suppress(OSError):
                out["broker"] = round(self._pss_mb(self.broker), 1)
        return out

    @staticmethod
    def per_request(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, object]:
        """`cpu_ms_per_request=gateway 2.1 / catalogue 0.7 / ...` for the report."""
        if not before or not after or not requests:
            return {}
        parts = [f"{name} {1000 * (after[name] - before[name]) / requests:.2f}" for name in after if name in before]
        return {"cpu_ms_per_request": " / ".join(parts)}


class StatementMeter:
    """What PostgreSQL's statements cost over a row (pg_stat_statements), per request.

    The bench's embedded PostgreSQL loads the extension. Against a server given by URL that does not, the
    meter reports nothing. Execution time is wall time: it leaves out parsing, planning and the wire protocol,
    but counts a statement's waits (a row lock another transaction holds, a core to run on), so it is not the
    server's CPU; it says which statements take the server's time. `TransactionSampler` shows the waits.
    """

    _QUERY = """SELECT queryid, calls, total_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query
                FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '%pg_stat_activity%'"""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._available: bool | None = None

    async def snapshot(self) -> dict[int, tuple[int, float, str]]:
        if self._available is None:
            try:
                await self._pool.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                await self._pool.fetch(self._QUERY + " LIMIT 1")
                self._available = True
            except Exception as exc:  # not preloaded on this server: report nothing rather than fail the row
                say("bench", f"statement figures unavailable: {type(exc).__name__}: {str(exc)[:120]}")
                self._available = False
        if not self._available:
            return {}
        rows = await self._pool.fetch(self._QUERY)
        return {r["queryid"]: (r["calls"], r["total_exec_time"], r["query"]) for r in rows}

    @staticmethod
    def per_request(before: dict[int, tuple[int, float, str]], after: dict[int, tuple[int, float, str]],
                    requests: int, top: int = 8) -> tuple[dict[str, object], dict[str, object]]:
        """(`pg_exec_ms_per_request`, `pg_statements_per_request` for the table; the top statements for the JSON)."""
        if not after or not requests:
            return {}, {}
        spent = []
        for key, (calls, ms, query) in after.items():
            was_calls, was_ms, _ = before.get(key, (0, 0.0, ""))
            if calls > was_calls:
                spent.append((ms - was_ms, calls - was_calls, query))
        spent.sort(reverse=True)
        figures = {"pg_exec_ms_per_request": round(sum(s[0] for s in spent) / requests, 2),
                   "pg_statements_per_request": round(sum(s[1] for s in spent) / requests, 1)}
        top_rows = [{"exec_ms_per_request": round(ms / requests, 3), "calls_per_request": round(calls / requests, 2),
                     "ms_per_call": round(ms / calls, 3), "statement": query} for ms, calls, query in spent[:top]]
        return figures, {"pg_top_statements": top_rows}


class TransactionSampler:
    """What the stack's PostgreSQL sessions inside a transaction are doing over a row (sampled from pg_stat_activity).

    A statement's execution time in pg_stat_statements is wall time: it also counts the wait for a row lock held
    by another transaction, and the time its backend waited for a core. This sampler separates them. Every
    `interval` seconds it counts the client sessions in a transaction, each in one state:
    - `running`: executing, not waiting on anything PostgreSQL tracks (on a core, or waiting for one);
    - `lock`: executing, waiting on a lock (a row another transaction has written, e.g. a dossier counter);
    - `client`: idle in transaction, or reading the rest of a statement: waiting for its service to send the next
      statement or COMMIT (a service's event loop busy with other work keeps the transaction's locks meanwhile);
    - `other`: any other wait (`WalSync`: flushing the WAL at commit; I/O, LWLocks).
    The row reports the average number of sessions in each state (`pg_tx_sessions=running 0.9 / lock 0.6 / ...`),
    and, in the JSON, the average number waiting on each lock and other wait event (`pg_tx_waits`,
    e.g. `lock:object`: the cluster-wide lock a transaction that sent NOTIFY takes at commit and holds until its
    commit is flushed). It uses its own connection; its 10 queries a second are in PostgreSQL's CPU figure
    (about 0.5 % of a core on this machine) but not in the statement figures (`StatementMeter` leaves them out).
    """

    _QUERY = """SELECT CASE WHEN state = 'idle in transaction' OR wait_event = 'ClientRead' THEN 'client'
                            WHEN wait_event_type IS NULL THEN 'running'
                            WHEN wait_event_type = 'Lock' THEN 'lock' ELSE 'other' END AS what,
                       coalesce(wait_event, '') AS wait_event, count(*) AS n
                FROM pg_stat_activity
                WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = current_database()
                  AND xact_start IS NOT NULL AND state IN ('active', 'idle in transaction')
                GROUP BY 1, 2"""
    STATES = ("running", "lock", "client", "other")

    def __init__(self, dsn: str, *, interval: float = 0.1) -> None:
        self._dsn = dsn
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self._samples = 0
        self._counts: dict[str, int] = dict.fromkeys(self.STATES, 0)
        self._waits: dict[str, int] = {}

    async def start(self) -> None:
        conn = await asyncpg.connect(self._dsn)
        self._samples = 0
        self._counts = dict.fromkeys(self.STATES, 0)
        self._waits = {}
        self._task = asyncio.create_task(self._run(conn), name="transaction-sampler")

    async def _run(self, conn: Any) -> None:
        try:
            while True:
                for row in await conn.fetch(self._QUERY):
                    self._counts[row["what"]] += row["n"]
                    if row["what"] in ("lock", "other"):
                        key = f'{row["what"]}:{row["wait_event"]}'
                        self._waits[key] = self._waits.get(key, 0) + row["n"]
                self._samples += 1
                await asyncio.sleep(self._interval)
        except Exception as exc:  # a figure, not the row: keep what was sampled (asyncpg raises several kinds here)
            say("bench", f"session sampling stopped after {self._samples} samples: {type(exc).__name__}: {exc}")
        finally:
            conn.terminate()

    async def stop(self) -> tuple[dict[str, object], dict[str, object]]:
        """(`pg_tx_sessions` for the table; the waits for the JSON). Nothing if no sample was taken."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if not self._samples:
            return {}, {}
        average = {state: self._counts[state] / self._samples for state in self.STATES}
        figure = " / ".join(f"{state} {average[state]:.2f}" for state in self.STATES)
        waits = {event: round(n / self._samples, 3) for event, n in
                 sorted(self._waits.items(), key=lambda item: -item[1])}
        rounded = {state: round(value, 3) for state, value in average.items()}
        return {"pg_tx_sessions": figure}, {"pg_tx_sessions": {**rounded, "samples": self._samples},
                                            "pg_tx_waits": waits}


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
        # Blocking, on purpose, in the main thread: the services carry a parent-death signal, which Linux
        # sends when the *thread* that spawned them exits — a worker thread would take them down with it.
        return self.full_stack()

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
            pg_statement_stats=True,
            # The same work whatever the hour of the run: quiet hours (21:00-07:00 Vietnam time by default) would
            # hold every SMS/ZNS receipt of a night run until morning, so no provider call nor delivery receipt
            # would be in its figures. Runs measure the daytime path: message sent, delivery receipt back.
            extra_env={"MOTCUA_QUIET_HOURS_START": "null", "MOTCUA_QUIET_HOURS_END": "null"},
        )

    def memory_mb(self) -> dict[str, float]:
        """Memory of every process of the stack now (empty when the services never started)."""
        if self._stack is None or not self._stack.procs:
            return {}
        return ProcessMeter(self._stack).memory_mb()

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


def print_statements(results: list[BenchResult]) -> None:
    """The statements that took PostgreSQL's time in the rows that measured them."""
    for r in results:
        top = r.detail.get("pg_top_statements")
        if not top:
            continue
        print(f"\nPostgreSQL statements, {r.name} (execution ms and calls per request):")
        for row in top:  # type: ignore[attr-defined]
            print(f"  {row['exec_ms_per_request']:6.3f} ms {row['calls_per_request']:5.2f}x  {row['statement'][:110]}")


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
            memory = ctx.memory_mb()
        finally:
            ctx.close()
    print()
    print_table(results)
    print_statements(results)
    if memory:
        print("\nmemory after the runs (PSS, MB): " + ", ".join(f"{k} {v:.0f}" for k, v in memory.items())
              + f"; whole stack {sum(memory.values()):.0f}")
    out_dir = config.root / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = out_dir / f"{stamp}.json"
    out.write_text(json.dumps({"at": stamp, "machine": {"cpus": os.cpu_count()},
                               "results": [asdict(r) for r in results], "memory_mb": memory}, indent=2, ensure_ascii=False))
    print(f"\nresults written to {out.relative_to(config.root)}")
    return 0
