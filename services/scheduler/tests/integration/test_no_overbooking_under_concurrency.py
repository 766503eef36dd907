"""No overbooking, ever: thousands of concurrent attempts and races for the last place, against real Postgres."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import asyncpg
import pytest

from motcua_platform.errors import MotcuaError
from motcua_scheduler.domain import model as m
from motcua_scheduler.service import CitizenInput, SlotRef
from motcua_scheduler.testing import CONSENT, Clock, RunningScheduler, running_scheduler

pytestmark = pytest.mark.integration

ATTEMPTS = 2000
SLOTS = 20


async def attempt(running: RunningScheduler, slot_id: str, n: int, *, priority: bool = False) -> str:
    try:
        result = await running.service.create_booking(
            key=f"attempt-{n:06d}", ref=SlotRef(slot_id=slot_id),
            citizen=CitizenInput("Nguyễn Văn Thử", f"09{n:08d}"), help_type=m.HelpType.VNEID_LEVEL2,
            priority=priority, consent=CONSENT)
    except MotcuaError as exc:
        return exc.code
    return str(result.booking.status)


async def test_two_thousand_attempts_for_two_hundred_places(postgres_url: str, db_schema: str, clock: Clock,
                                                            db: asyncpg.Connection) -> None:
    # A bounded pool (20 connections) behind 2,000 coroutines started together.
    async with running_scheduler(postgres_url, db_schema, clock=clock, grpc=False, pool_size=20) as running:
        await running.point("kiosk-rush")
        capacities = [5 + (i % 11) for i in range(SLOTS)]  # 5..15, summing to 200
        capacities[-1] += 200 - sum(capacities)
        assert sum(capacities) == 200
        slots = [await running.slot("kiosk-rush", clock.now + timedelta(days=1, minutes=30 * i), capacity=c,
                                    reserved=1 if i % 4 == 0 else 0) for i, c in enumerate(capacities)]
        started = time.monotonic()
        outcomes = await asyncio.gather(*(
            attempt(running, slots[n % SLOTS], n, priority=n % 7 == 0) for n in range(ATTEMPTS)))
        elapsed = time.monotonic() - started

    assert outcomes.count("confirmed") == 200, {o: outcomes.count(o) for o in set(outcomes)}
    assert outcomes.count("SLOT_FULL") == ATTEMPTS - 200
    over = await db.fetchval(
        """SELECT count(*) FROM slot s
           WHERE s.booked > s.capacity
              OR s.booked <> (SELECT count(*) FROM booking b WHERE b.slot_id = s.id AND b.status = 'confirmed')""")
    assert over == 0
    rows = await db.fetch("SELECT id, capacity, booked FROM slot ORDER BY starts_at")
    assert [(r["booked"], r["capacity"]) for r in rows] == [(c, c) for c in capacities]
    assert await db.fetchval("SELECT count(*) FROM booking") == 200
    # One event per booking, and no trace of the refused attempts (nothing half-booked).
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE type = 'motcua.scheduler.v1.booking_confirmed'") == 200
    assert await db.fetchval("SELECT count(*) FROM idempotency_key") == 200
    print(f"\n{ATTEMPTS} attempts in {elapsed:.1f}s ({ATTEMPTS / elapsed:.0f}/s)")


async def test_two_clients_racing_for_the_last_place_exactly_one_wins(postgres_url: str, db_schema: str, clock: Clock,
                                                                       db: asyncpg.Connection) -> None:
    async with running_scheduler(postgres_url, db_schema, clock=clock, grpc=False, pool_size=4) as running:
        await running.point("kiosk-race")
        async with running.pool.acquire() as conn:
            await conn.execute(
                """INSERT INTO slot (id, point_id, model, starts_at, ends_at, capacity)
                   SELECT 'race-' || i, 'kiosk-race', 'kiosk', $1::timestamptz + i * interval '30 minutes',
                          $1::timestamptz + (i + 1) * interval '30 minutes', 1
                   FROM generate_series(0, 199) AS i""", clock.now + timedelta(days=2))
        winners = []
        for i in range(200):
            outcomes = await asyncio.gather(attempt(running, f"race-{i}", 10_000 + 2 * i),
                                            attempt(running, f"race-{i}", 10_001 + 2 * i))
            winners.append(sorted(outcomes))
    assert winners == [["SLOT_FULL", "confirmed"]] * 200
    assert await db.fetchval("SELECT count(*) FROM slot WHERE booked <> 1") == 0
