"""Dossier registry: submissions/s and public look-ups/s through the gateway, commit→published lag, one direct hop.

Against the full stack (`ctx.start_services()`), 16 concurrent keep-alive HTTP/1.1 clients (the lean
client of `motcua_devstack.loadgen`; CPU per request of each process is reported beside the figures):

- `gateway submit, N agencies, burst` — POST /api/v1/dossiers for published demo procedures of several agencies
  (what a province looks like); zero loss is checked afterwards by counting the rows and outbox events. The
  notification service plans each dossier's receipt on the same two cores: it falls behind during a short
  burst, so the row also gives how long the receipts took to catch up and the CPU counted until they had,
  and how many dossiers' receipts came back delivered through the gateway's provider callback route;
- `gateway submit, N agencies, sustained` — the same, long enough that the receipts must keep pace;
- `gateway submit, one agency` — the hot spot: every submission takes the same (agency, day) counter row,
  which serialises them (gap-free numbering is a per-agency-day lock held until commit);
- `commit→event lag` — from the commit of the registering transaction to the `received` event arriving at a
  consumer of motcua.dossier.events.v1, and from that commit to the outbox relay's `published_at`. The commit
  time is PostgreSQL's own record of it (`pg_xact_commit_timestamp` of the dossier row, `track_commit_timestamp`
  on the bench's embedded server). Against a server that does not track commit timestamps the rows fall back
  to the HTTP 201 as the start (after the commit, so the lag is understated) and say so in their name;
- `gateway public look-up` — GET /api/v1/dossiers/{code} (gateway → gRPC → dossier → Postgres), at 16 clients
  and again at 32, then at 16 shared between two gateway replicas (production runs at least two);
- `direct public look-up` — the same look-up from a second gateway process whose look-up route reads the dossier
  tables itself through its own pool (gateway → Postgres, one hop; `benchmarks/direct_gateway.py`): the same
  middleware, limiter and server, so the difference from the first row is the cost of the service hop.

The gateway's per-IP rate limits are raised for the run (the load generator is one address) and restored after.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from motcua_devstack.bench import BenchContext, BenchResult, ProcessMeter, StatementMeter, TransactionSampler, summarize
from motcua_devstack.loadgen import Connection, closed_loop_http, expect
from motcua_devstack.stack import Stack
from motcua_platform.embedded.process import free_port

NAME = "dossier"
ORDER = 30
CONCURRENCY = 16
LOOKUP_CONCURRENCY_HIGH = 32
SUBMISSIONS = int(os.environ.get("MOTCUA_BENCH_DOSSIER_SUBMISSIONS", "3000"))
SUSTAINED_SUBMISSIONS = int(os.environ.get("MOTCUA_BENCH_DOSSIER_SUSTAINED_SUBMISSIONS", "10000"))
HOT_SUBMISSIONS = int(os.environ.get("MOTCUA_BENCH_DOSSIER_HOT_SUBMISSIONS", "1000"))
LOOKUPS = int(os.environ.get("MOTCUA_BENCH_DOSSIER_LOOKUPS", "10000"))
AGENCIES = 8
TOPIC = "motcua.dossier.events.v1"
UNLIMITED = {
    "MOTCUA_DOSSIER_LOOKUP_RATE_PER_SECOND": "1000000", "MOTCUA_DOSSIER_LOOKUP_BURST": "1000000",
    "MOTCUA_DOSSIER_SUBMIT_RATE_PER_SECOND": "1000000", "MOTCUA_DOSSIER_SUBMIT_BURST": "1000000",
}
#: National parts of procedures that trigger linked dossiers: left out so that one POST = one dossier.
LINKING = {"1.001193", "1.007077", "2.002409", "1.000656", "2.001729"}
APPLICANT = {"full_name": "Phạm Văn Đức", "id_number": "079190007777", "phone": "0901234567",
             "address": {"street": "1 Đồng Khởi", "ward_name": "Phường Sài Gòn", "province_name": "Thành phố Hồ Chí Minh"}}

def _comparable(view: dict[str, Any]) -> dict[str, Any]:
    """A public view with its times as instants to the millisecond (the two paths print microseconds differently)."""
    def instant(text: str | None) -> int | None:
        return None if text is None else round(datetime.fromisoformat(text).timestamp() * 1000)
    return {**view, "last_update": instant(view["last_update"]), "due_at": instant(view["due_at"]),
            "history": [{**h, "at": instant(h["at"])} for h in view["history"]]}


async def _same_answer(gateway_url: str, direct_url: str, codes: list[str]) -> None:
    """The one-hop row measures the same answer as the gateway's: check it before timing it."""
    async with httpx.AsyncClient(timeout=10) as client:
        for code in codes:
            via_service = (await client.get(f"{gateway_url}/api/v1/dossiers/{code}")).json()
            direct = (await client.get(f"{direct_url}/api/v1/dossiers/{code}")).json()
            if _comparable(via_service) != _comparable(direct):
                raise RuntimeError(f"the one-hop look-up answers otherwise than the gateway: {via_service} != {direct}")


async def _wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=1) as client:
        while time.monotonic() < deadline:
            try:
                await client.get(url)
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


# -- the stack -----------------------------------------------------------------------------------


def _restart_gateway(stack: Stack, env: dict[str, str], remove: bool = False) -> None:
    for key, value in env.items():
        if remove:
            stack.config.extra_env.pop(key, None)
        else:
            stack.config.extra_env[key] = value
    proc = stack.procs.get("gateway")
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    stack.start_service("gateway")
    stack.wait_ready()


class _Arrivals:
    """Record when each dossier's `received` event reaches a consumer (no group: assigned partitions, from the end)."""

    def __init__(self, bootstrap: str, fetch_max_wait_ms: int) -> None:
        # Polling as the services' consumers do (20 ms on the embedded broker, which holds every fetch for the
        # full wait), so the lag measured is the one they see. 5 ms, before, made the embedded broker answer
        # 200 fetches a second: ~7 % of a core, which the submission rows counted as the stack's.
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                         fetch_max_wait_ms=fetch_max_wait_ms)
        self.arrived: dict[str, float] = {}
        self._stopped = False
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        partitions = self.consumer.partitions_for_topic(TOPIC) or set(range(6))
        tps = [TopicPartition(TOPIC, p) for p in sorted(partitions)]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        self.task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=50)
            now = time.time()
            for records in batch.values():
                for record in records:
                    headers = dict(record.headers)
                    if headers.get("ce_type") == b"motcua.dossier.v1.received" and record.key:
                        self.arrived.setdefault(record.key.decode(), now)

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.consumer.stop()


async def _procedures(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Published demo procedures of AGENCIES different agencies, with the documents each requires."""
    listing = (await http.get("/api/v1/procedures", params={"level": "commune", "page_size": 100})).json()["items"]
    chosen: dict[str, dict[str, Any]] = {}
    for item in listing:
        if ".".join(item["code"].split(".")[:2]) in LINKING or item["agency"]["code"] in chosen:
            continue
        detail = (await http.get(f"/api/v1/procedures/{item['code']}")).json()
        chosen[item["agency"]["code"]] = {
            "code": item["code"], "agency": item["agency"]["code"],
            "documents": [{"name": d["name"], "originals": d["originals"], "copies": d["copies"]}
                          for d in detail["required_documents"] if d["required"]]}
        if len(chosen) == AGENCIES:
            break
    return list(chosen.values())


async def _submit_run(base_url: str, procedures: list[dict[str, Any]], total: int, run: str,
                      done: dict[str, float]) -> tuple[list[float], int, float]:
    bodies = [json.dumps({"procedure_code": p["code"], "applicant": APPLICANT, "documents": p["documents"],
                          "consent": {"purpose": "dossier_processing", "text_version": "bench"}},
                         ensure_ascii=False).encode() for p in procedures]

    async def submit(conn: Connection, i: int) -> None:
        reply = expect(await conn.request("POST", "/api/v1/dossiers", {
            "Content-Type": "application/json", "Idempotency-Key": f"{run}-{i:06d}"}, bodies[i % len(bodies)]), 201)
        done[reply.json()["code"]] = time.time()

    return await closed_loop_http(base_url, submit, concurrency=CONCURRENCY, total=total)


async def _receipts_planned(pool: asyncpg.Pool, codes: list[str], timeout: float = 180) -> float:
    """Seconds until the notification service has planned the receipt of every dossier in `codes`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        planned = await pool.fetchval("SELECT count(*) FROM notification.notifications "
                                      "WHERE dossier_code = ANY($1::text[]) AND state <> 'planning'", codes)
        if planned >= len(codes):
            break
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def _receipts_delivered(pool: asyncpg.Pool, codes: list[str], timeout: float = 60) -> str:
    """Wait until the receipt of every dossier in `codes` is delivered (the fakes deliver every message and
    call the gateway back); return "delivered/dossiers". Also keeps the run's end (which restarts the gateway)
    from cutting off the last delivery callbacks."""
    started = time.monotonic()
    delivered = 0
    while True:
        delivered = await pool.fetchval(
            "SELECT count(DISTINCT n.dossier_code) FROM notification.notifications n "
            "JOIN notification.deliveries d ON d.notification_id = n.id "
            "WHERE n.dossier_code = ANY($1::text[]) AND d.status = 'delivered'", codes)
        if delivered >= len(codes) or time.monotonic() - started > timeout:
            return f"{delivered}/{len(codes)}"
        await asyncio.sleep(0.1)


async def _commit_times(pool: asyncpg.Pool, codes: list[str]) -> dict[str, float] | None:
    """When the transaction that registered each dossier committed (epoch seconds, PostgreSQL's record), or None
    when the server does not track commit timestamps. The dossier row is written once by that transaction and not
    updated in the run, so its `xmin` is that transaction."""
    if await pool.fetchval("SELECT current_setting('track_commit_timestamp')") != "on":
        return None
    rows = await pool.fetch("SELECT code, extract(epoch FROM pg_xact_commit_timestamp(xmin)) AS at "
                            "FROM dossier.dossiers WHERE code = ANY($1::text[])", codes)
    return {r["code"]: float(r["at"]) for r in rows if r["at"] is not None}


async def _lookups(base_url: str | list[str], codes: list[str], concurrency: int = CONCURRENCY,
                   ) -> tuple[list[float], int, float]:
    """LOOKUPS public look-ups by `concurrency` clients; given several gateways, the clients and the look-ups
    are shared out evenly between them (as a load balancer in front of replicas would)."""
    urls = [base_url] if isinstance(base_url, str) else base_url
    rng = random.Random(5)
    order = [rng.choice(codes) for _ in range(LOOKUPS)]
    template = Connection.to(urls[0])
    encoded = {code: template.encode("GET", f"/api/v1/dossiers/{code}") for code in set(order)}

    def lookups_from(first: int) -> Callable[[Connection, int], Awaitable[None]]:
        async def lookup(conn: Connection, i: int) -> None:
            expect(await conn.send(encoded[order[first + i]]), 200)
        return lookup

    async def run(total: int) -> tuple[list[float], int, float]:
        each = total // len(urls)  # each gateway its own slice of the look-ups
        runs = await asyncio.gather(*(closed_loop_http(url, lookups_from(k * each), concurrency=concurrency // len(urls),
                                                       total=each) for k, url in enumerate(urls)))
        return [lat for r in runs for lat in r[0]], sum(r[1] for r in runs), max(r[2] for r in runs)

    await run(min(200, LOOKUPS))  # warm caches
    return await run(LOOKUPS)


async def run(ctx: BenchContext) -> list[BenchResult]:
    stack = await ctx.start_services()
    _restart_gateway(stack, UNLIMITED)  # main thread: see BenchContext.start_services
    results: list[BenchResult] = []
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    meter = ProcessMeter(stack)
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=2)
    statements = StatementMeter(pool)
    sessions = TransactionSampler(stack.database_url)
    arrivals = _Arrivals(stack.bootstrap, stack.fetch_max_wait_ms)
    direct: asyncio.subprocess.Process | None = None
    try:
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        async with httpx.AsyncClient(base_url=ctx.base_url, limits=limits, timeout=30) as http:
            procedures = await _procedures(http)
            await arrivals.start()
            done: dict[str, float] = {}
            warm: dict[str, float] = {}
            await _submit_run(ctx.base_url, procedures, 50, f"{run_id}-warm", warm)
            await _receipts_planned(pool, list(warm))
            # A burst: the registry takes it at its own pace; the receipts (notification service, same two
            # cores) fall behind and catch up afterwards. CPU is counted until they have.
            sql_before, before = await statements.snapshot(), meter.snapshot()
            await sessions.start()
            lat, err, secs = await _submit_run(ctx.base_url, procedures, SUBMISSIONS, f"{run_id}-spread", done)
            cpu = meter.per_request(before, meter.snapshot(), SUBMISSIONS)
            tx, tx_detail = await sessions.stop()
            behind = await _receipts_planned(pool, list(done))
            cpu_all = meter.per_request(before, meter.snapshot(), SUBMISSIONS)["cpu_ms_per_request"]
            sql, sql_detail = statements.per_request(sql_before, await statements.snapshot(), SUBMISSIONS)
            rows = await pool.fetchval("SELECT count(*) FROM dossier.dossiers WHERE idempotency_key LIKE $1",
                                       f"{run_id}-spread-%")
            events = await pool.fetchval("SELECT count(*) FROM dossier.outbox WHERE partition_key = ANY($1::text[])",
                                         list(done))
            results.append(summarize(f"dossier: gateway submit, {len(procedures)} agencies, burst", lat, err, secs,
                                     concurrency=CONCURRENCY, rows=rows, events=events, lost=len(done) - rows, **cpu,
                                     receipts_caught_up_after_s=round(behind, 1),
                                     receipts_delivered=await _receipts_delivered(pool, list(done)),
                                     cpu_ms_with_receipts=cpu_all, **sql, **tx))
            results[-1].detail.update(sql_detail | tx_detail)
            hot: dict[str, float] = {}
            lat, err, secs = await _submit_run(ctx.base_url, procedures[:1], HOT_SUBMISSIONS, f"{run_id}-hot", hot)
            rows = await pool.fetchval("SELECT count(*) FROM dossier.dossiers WHERE idempotency_key LIKE $1",
                                       f"{run_id}-hot-%")
            results.append(summarize("dossier: gateway submit, one agency", lat, err, secs, concurrency=CONCURRENCY,
                                     rows=rows, lost=len(hot) - rows, agency=procedures[0]["agency"]))

            deadline = time.monotonic() + 30
            committed = {**done, **hot}
            while time.monotonic() < deadline and not all(c in arrivals.arrived for c in committed):
                await asyncio.sleep(0.1)
            commits = await _commit_times(pool, list(committed))
            if commits is not None:
                lags = [arrivals.arrived[c] - commits[c] for c in committed if c in arrivals.arrived and c in commits]
                results.append(summarize("dossier: commit→event at consumer", lags, len(committed) - len(lags), 0.0))
                db_lags = await pool.fetch(
                    "SELECT extract(epoch FROM o.published_at - pg_xact_commit_timestamp(d.xmin)) AS lag "
                    "FROM dossier.outbox o JOIN dossier.dossiers d ON d.code = o.partition_key "
                    "WHERE o.partition_key = ANY($1::text[]) AND o.published_at IS NOT NULL "
                    "AND o.type LIKE '%.received'", list(committed))
                results.append(summarize("dossier: commit→published (outbox relay)", [float(r["lag"]) for r in db_lags],
                                         len(committed) - len(db_lags), 0.0))
            else:
                lags = [max(0.0, arrivals.arrived[c] - t) for c, t in committed.items() if c in arrivals.arrived]
                results.append(summarize("dossier: HTTP 201→event at consumer (no commit timestamps)", lags,
                                         len(committed) - len(lags), 0.0))
                db_lags = await pool.fetch(
                    "SELECT extract(epoch FROM published_at - created_at) AS lag FROM dossier.outbox "
                    "WHERE partition_key = ANY($1::text[]) AND published_at IS NOT NULL", list(committed))
                results.append(summarize("dossier: outbox insert→published (no commit timestamps)",
                                         [float(r["lag"]) for r in db_lags], 0, 0.0))
            await arrivals.stop()  # its fetches are not the stack's work in the rows below

        await _receipts_planned(pool, list(hot))  # the look-ups do not share the machine with a receipt backlog
        codes = list(done)
        before = meter.snapshot()
        lat, err, secs = await _lookups(ctx.base_url, codes)
        results.append(summarize("dossier: gateway public look-up", lat, err, secs, concurrency=CONCURRENCY,
                                 hops="gateway→gRPC→dossier→Postgres", **meter.per_request(before, meter.snapshot(), LOOKUPS)))
        # The same at twice the clients: at 16 the clients wait in the gateway's queue more than the machine is busy.
        before = meter.snapshot()
        lat, err, secs = await _lookups(ctx.base_url, codes, LOOKUP_CONCURRENCY_HIGH)
        results.append(summarize(f"dossier: gateway public look-up @ {LOOKUP_CONCURRENCY_HIGH} clients", lat, err, secs,
                                 concurrency=LOOKUP_CONCURRENCY_HIGH, hops="gateway→gRPC→dossier→Postgres",
                                 **meter.per_request(before, meter.snapshot(), LOOKUPS)))
        # Two gateway replicas, the same 16 clients shared between them: production runs at least two
        # (deploy/k8s/components/autoscaling), and one gateway process is what saturates first at 16 clients.
        replica_port = free_port()
        stack.start_service("gateway", name="gateway-2", env={"MOTCUA_HTTP_PORT": str(replica_port)})
        try:
            stack.wait_ready(port=replica_port)
            replicas = ProcessMeter(stack)
            before = replicas.snapshot()
            lat, err, secs = await _lookups([ctx.base_url, f"http://127.0.0.1:{replica_port}"], codes)
            results.append(summarize("dossier: gateway public look-up, 2 gateway replicas", lat, err, secs,
                                     concurrency=CONCURRENCY, hops="gateway→gRPC→dossier→Postgres",
                                     **replicas.per_request(before, replicas.snapshot(), LOOKUPS)))
        finally:
            stack.stop_service("gateway-2")
        port = free_port()
        # The gateway itself, its look-up route reading PostgreSQL through its own pool (benchmarks/direct_gateway.py).
        direct = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "motcua_devstack.benchmarks.direct_gateway",
            env={**stack.service_env("gateway"), "MOTCUA_HTTP_PORT": str(port)},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await _wait_http(f"http://127.0.0.1:{port}/api/v1/dossiers/x")
        await _same_answer(ctx.base_url, f"http://127.0.0.1:{port}", codes[:20])
        lat, err, secs = await _lookups(f"http://127.0.0.1:{port}", codes)
        results.append(summarize("dossier: direct public look-up (one hop)", lat, err, secs, concurrency=CONCURRENCY,
                                 hops="gateway→Postgres"))
        # Sustained: long enough that the receipts must keep pace (CPU is shared with them throughout). Last,
        # so that the rows above measure the same stack as before this row existed.
        sustained: dict[str, float] = {}
        sql_before, before = await statements.snapshot(), meter.snapshot()
        await sessions.start()
        lat, err, secs = await _submit_run(ctx.base_url, procedures, SUSTAINED_SUBMISSIONS, f"{run_id}-long",
                                           sustained)
        cpu = meter.per_request(before, meter.snapshot(), SUSTAINED_SUBMISSIONS)
        tx, tx_detail = await sessions.stop()
        sql, sql_detail = statements.per_request(sql_before, await statements.snapshot(), SUSTAINED_SUBMISSIONS)
        behind = await _receipts_planned(pool, list(sustained))
        rows = await pool.fetchval("SELECT count(*) FROM dossier.dossiers WHERE idempotency_key LIKE $1",
                                   f"{run_id}-long-%")
        results.append(summarize(f"dossier: gateway submit, {len(procedures)} agencies, sustained", lat, err, secs,
                                 concurrency=CONCURRENCY, rows=rows, lost=len(sustained) - rows, **cpu,
                                 receipts_behind_at_end_s=round(behind, 1),
                                 receipts_delivered=await _receipts_delivered(pool, list(sustained)), **sql, **tx))
        results[-1].detail.update(sql_detail | tx_detail)
    finally:
        await sessions.stop()  # a row that failed may have left it sampling
        if direct is not None and direct.returncode is None:
            direct.terminate()
            await asyncio.wait_for(direct.wait(), 10)
        await arrivals.stop()
        await pool.close()
        _restart_gateway(stack, UNLIMITED, True)
    for r in results:
        r.extra.setdefault("load_avg_1m", round(os.getloadavg()[0], 2))
    return results
