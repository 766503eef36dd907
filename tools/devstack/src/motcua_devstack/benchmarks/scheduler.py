"""Assisted-help scheduling through the gateway: availability queries/s and bookings/s at 32 concurrent clients.

Runs against the full stack (demo ward seeded). Bookings are made by an officer at the
counter (staff are not rate-limited per IP; 32 citizens would come from 32 addresses),
each for a different citizen, into demo slots whose capacity the officer first raises
(PATCH /api/v1/slots/{id}). Attempts beyond the capacity get 409 SLOT_FULL, as they
should. Afterwards the database is asked how many slots hold more bookings than places:
the overbooking count, which must be 0.

The load itself comes from the lean keep-alive client (`motcua_devstack.loadgen`); httpx only sets
the stage (sign-in, slot capacities). CPU per request of each process is reported beside the figures.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from urllib.parse import urlencode

import asyncpg
import httpx

from motcua_devstack.bench import BenchContext, BenchResult, ProcessMeter, summarize
from motcua_devstack.loadgen import Connection, closed_loop_http, expect

NAME = "scheduler"
ORDER = 40
CONCURRENCY = 32
AVAILABILITY_QUERIES = 3000
SLOTS = 40
CAPACITY = 50
OVERSUBSCRIBE = 1.1
HOT_CAPACITY = 100
HOT_ATTEMPTS = 400

_QUERIES = (
    {"model": "kiosk", "ward": "26740"},
    {"model": "kiosk", "ward": "26740", "help_type": "scan_documents", "priority": "true"},
    {"model": "home_visit", "ward": "26740"},
    {"model": "mobile_bus"},
    {"model": "remote", "help_type": "vneid_level2"},
    {"model": "volunteer", "ward": "26734"},
    {"help_type": "online_dossier", "page_size": "50"},
)

_OVERBOOKED = """
SELECT count(*) FILTER (WHERE s.booked > s.capacity OR n.taken > s.capacity) AS overbooked,
       count(*) FILTER (WHERE s.booked <> n.taken) AS counter_drift
FROM scheduler.slot s
CROSS JOIN LATERAL (SELECT count(*) AS taken FROM scheduler.booking b
                    WHERE b.slot_id = s.id AND b.status IN ('held', 'requested', 'confirmed', 'completed', 'no_show')) n
"""


async def _officer(http: httpx.AsyncClient) -> dict[str, str]:
    login = await http.post("/api/v1/auth/dev-token", json={"username": "canbo.saigon", "password": "demo"})
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def _slots_to_fill(http: httpx.AsyncClient, officer: dict[str, str], count: int, capacity: int) -> list[str]:
    """Future remote-help slots (open every weekday), their capacity raised by the officer."""
    start = (date.today() + timedelta(days=2)).isoformat()
    reply = await http.get("/api/v1/availability", params={"model": "remote", "from": start, "page_size": 100})
    reply.raise_for_status()
    ids = [s["id"] for s in reply.json()["items"]][:count]
    for slot_id in ids:
        patched = await http.patch(f"/api/v1/slots/{slot_id}", headers=officer,
                                   json={"capacity": capacity, "reserved_for_priority": 0})
        patched.raise_for_status()
    return ids


async def _book(base_url: str, officer: dict[str, str], slots: list[str], total: int, prefix: str,
                concurrency: int) -> tuple[list[float], Counter[int], float]:
    """Book `total` times over `slots`; latencies of the 201s, the count of each status, seconds."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()

    async def one(conn: Connection, i: int) -> None:
        body = {"slot_id": slots[i % len(slots)], "help_type": "vneid_level2", "channel": "counter",
                "citizen": {"full_name": "Người Dân Thử", "phone": f"03{prefix}{i:07d}"},
                "consent": {"accepted": True, "text_version": "2025-01"}}
        started = time.perf_counter()
        reply = await conn.request("POST", "/api/v1/bookings", {
            **officer, "Content-Type": "application/json", "Idempotency-Key": f"bench-{uuid.uuid4()}"},
            json.dumps(body, ensure_ascii=False).encode())
        statuses[reply.status] += 1
        if reply.status == 201:
            latencies.append(time.perf_counter() - started)
        elif reply.status != 409:
            raise RuntimeError(f"booking failed: {reply.status} {reply.body[:200]!r}")

    _, _, seconds = await closed_loop_http(base_url, one, concurrency=concurrency, total=total)
    return latencies, statuses, seconds


async def run(ctx: BenchContext) -> list[BenchResult]:
    stack = await ctx.start_services()
    meter = ProcessMeter(stack, ("gateway", "scheduler"))
    results: list[BenchResult] = []
    async with httpx.AsyncClient(base_url=ctx.base_url, timeout=30) as http:
        officer = await _officer(http)
        template = Connection.to(ctx.base_url)
        queries = [template.encode("GET", f"/api/v1/availability?{urlencode(q)}") for q in _QUERIES]

        async def query(conn: Connection, i: int) -> None:
            expect(await conn.send(queries[i % len(queries)]), 200)

        await closed_loop_http(ctx.base_url, query, concurrency=4, total=50)  # warm up connections and caches
        before = meter.snapshot()
        latencies, errors, seconds = await closed_loop_http(ctx.base_url, query, concurrency=CONCURRENCY,
                                                            total=AVAILABILITY_QUERIES)
        results.append(summarize(f"scheduler availability @ {CONCURRENCY} clients", latencies, errors, seconds,
                                 **meter.per_request(before, meter.snapshot(), AVAILABILITY_QUERIES)))

        slots = await _slots_to_fill(http, officer, SLOTS, CAPACITY)
        places = len(slots) * CAPACITY
        attempts = int(places * OVERSUBSCRIBE)
        before = meter.snapshot()
        latencies, statuses, seconds = await _book(ctx.base_url, officer, slots, attempts, "1", CONCURRENCY)
        booked = summarize(f"scheduler bookings @ {CONCURRENCY} clients", latencies,
                           sum(n for code, n in statuses.items() if code not in (201, 409)), seconds,
                           slots=len(slots), places=places, attempts=attempts,
                           attempts_per_s=round(attempts / seconds, 1), booked=statuses[201], full_409=statuses[409],
                           **meter.per_request(before, meter.snapshot(), attempts))

        # All 32 clients on one slot: the race for its last places.
        reply = await http.get("/api/v1/availability", params={"model": "remote", "page_size": 100,
                                                                "from": (date.today() + timedelta(days=9)).isoformat()})
        hot_slot = reply.json()["items"][0]["id"]
        (await http.patch(f"/api/v1/slots/{hot_slot}", headers=officer, json={"capacity": HOT_CAPACITY})).raise_for_status()
        hot_latencies, hot_statuses, hot_seconds = await _book(ctx.base_url, officer, [hot_slot], HOT_ATTEMPTS, "2",
                                                               CONCURRENCY)

    conn = await asyncpg.connect(stack.database_url)
    try:
        row = await conn.fetchrow(_OVERBOOKED)
        hot_taken = await conn.fetchval("SELECT booked FROM scheduler.slot WHERE id = $1", hot_slot)
    finally:
        await conn.close()
    booked.extra.update(overbooked_slots=row["overbooked"], counter_drift=row["counter_drift"])
    results.append(booked)
    results.append(summarize(f"scheduler one hot slot ({HOT_CAPACITY} places) @ {CONCURRENCY}", hot_latencies,
                             sum(n for code, n in hot_statuses.items() if code not in (201, 409)), hot_seconds,
                             attempts=HOT_ATTEMPTS, attempts_per_s=round(HOT_ATTEMPTS / hot_seconds, 1),
                             booked=hot_statuses[201], full_409=hot_statuses[409],
                             places_taken=hot_taken, overbooked_slots=row["overbooked"]))
    return results
