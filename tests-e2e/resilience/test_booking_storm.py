"""Scenario 7: a booking storm — M concurrent attempts over S kiosk slots whose capacities sum to C.

Exactly C bookings are made, every other attempt is a clean 409 SLOT_FULL, and no slot holds more than its
capacity — counted in the scheduler's tables, in its outbox and on its topic.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

from resilience.harness import SCHEDULER_TOPIC, citizens, read_topic, report, scenario, sizes, sql, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.resilience]

ATTEMPTS = sizes(2000, 10_000)
SLOTS = sizes(20, 100)
CAPACITY = 10  # per slot: Σ capacity = 200 (default) / 1,000 (full)
CONCURRENCY = 32
SAI_GON = "26740"


def test_booking_storm_never_overbooks(tmp_path: Path) -> None:
    with scenario(tmp_path) as sc:
        asyncio.run(_run(sc))


async def _kiosk_slots(client: httpx.AsyncClient, wanted: int) -> list[dict]:
    slots: list[dict] = []
    page = 1
    while len(slots) < wanted:
        reply = await client.get("/api/v1/availability", params={"model": "kiosk", "ward": SAI_GON, "help_type": "vneid_level2",
                                                                  "page": page, "page_size": 100})
        assert reply.status_code == 200, reply.text
        items = reply.json()["items"]
        assert items, f"the demo ward offers only {len(slots)} kiosk slots, {wanted} wanted"
        slots += [s for s in items if s["booked"] == 0] if "booked" in items[0] else items
        page += 1
    return slots[:wanted]


async def _run(sc) -> None:  # type: ignore[no-untyped-def]
    figures: dict[str, object] = {"attempts": ATTEMPTS, "slots": SLOTS, "capacity_total": SLOTS * CAPACITY}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=sc.base_url, timeout=30, limits=limits) as client:
        login = await client.post("/api/v1/auth/dev-token", json={"username": "canbo.saigon", "password": "demo"})
        officer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        slots = await _kiosk_slots(client, SLOTS)
        for s in slots:
            patched = await client.patch(f"/api/v1/slots/{s['id']}", json={"capacity": CAPACITY}, headers=officer)
            assert patched.status_code == 200, patched.text
        slot_ids = [s["id"] for s in slots]
        # The demo data may already hold places on these slots (make run books some): they count against capacity.
        before = await sql(sc.infra.database_url, "SELECT id::text, status IN ('held', 'requested', 'confirmed', 'completed', "
                           "'no_show') AS holding FROM scheduler.booking WHERE slot_id = ANY($1)", slot_ids)
        existing = {r["id"] for r in before}
        free = SLOTS * CAPACITY - sum(1 for r in before if r["holding"])
        figures["held_before"] = SLOTS * CAPACITY - free
        rng = random.Random(7)
        # Every attempt is a different citizen (no overlap rule in play); a third aim at one hot slot.
        targets = [slot_ids[0] if rng.random() < 0.33 else rng.choice(slot_ids) for _ in range(ATTEMPTS)]
        gate = asyncio.Semaphore(CONCURRENCY)
        results: list[tuple[int, str, str]] = []
        people = citizens(ATTEMPTS)

        async def attempt(i: int) -> None:
            body = {"slot_id": targets[i], "help_type": "vneid_level2", "channel": "web",
                    "citizen": {"full_name": people[i].full_name, "phone": people[i].phone},
                    "consent": {"accepted": True, "text_version": "2025-01"}}
            key = {"Idempotency-Key": f"storm-{uuid.uuid4()}"}
            async with gate:
                for tries in range(3):  # a keep-alive connection the server just closed: retry with the same key
                    try:
                        reply = await client.post("/api/v1/bookings", json=body, headers=key)
                        break
                    except (httpx.ReadError, httpx.RemoteProtocolError):
                        if tries == 2:
                            raise
            code = reply.json().get("code", "") if reply.status_code >= 400 else ""
            # 200 = the server had made it before the connection dropped: the retry replays that booking.
            status = 201 if reply.status_code == 200 and tries > 0 else reply.status_code
            results.append((status, code, reply.json().get("id", "") if status == 201 else ""))

        await attempt(0)
        assert results[0][0] == 201, f"a first booking is accepted: {results}"
        started = time.monotonic()
        await asyncio.gather(*(attempt(i) for i in range(1, ATTEMPTS)))
        elapsed = time.monotonic() - started
    statuses = Counter((status, code) for status, code, _ in results)
    figures["seconds"] = round(elapsed, 1)
    figures["attempts_per_second"] = round(ATTEMPTS / elapsed, 1)
    figures["answers"] = {f"{s} {c}".strip(): n for (s, c), n in statuses.items()}
    made = {booking_id for status, _, booking_id in results if status == 201}
    assert statuses[(201, "")] == free, str(figures)
    assert statuses[(201, "")] + statuses[(409, "SLOT_FULL")] == ATTEMPTS, f"only 201 or 409 SLOT_FULL: {figures}"

    # The scheduler's tables: exactly C places taken, none beyond a slot's capacity.
    rows = await sql(sc.infra.database_url,
                     "SELECT s.id, s.capacity, s.booked, count(b.id) FILTER (WHERE b.status IN "
                     "('held', 'requested', 'confirmed', 'completed', 'no_show')) AS holding "
                     "FROM scheduler.slot s LEFT JOIN scheduler.booking b ON b.slot_id = s.id "
                     "WHERE s.id = ANY($1) GROUP BY s.id", slot_ids)
    overbooked = [r["id"] for r in rows if r["holding"] > r["capacity"] or r["booked"] != r["holding"]]
    figures["overbooked_slots"] = len(overbooked)
    assert len(rows) == SLOTS and not overbooked
    assert sum(r["holding"] for r in rows) == SLOTS * CAPACITY
    stored = await sql(sc.infra.database_url, "SELECT id::text FROM scheduler.booking WHERE slot_id = ANY($1)", slot_ids)
    assert {r["id"] for r in stored} - existing == made

    # Their events: one confirmed event per booking in the outbox, and all of them on the topic.
    async def published() -> list:
        rows = await sql(sc.infra.database_url, "SELECT event_id, partition_key FROM scheduler.outbox "
                         "WHERE type = 'motcua.scheduler.v1.booking_confirmed' AND published_at IS NOT NULL")
        return rows if {r["partition_key"] for r in rows} >= made else []

    outbox = await wait_for(published, timeout=60) or []
    ours = [r for r in outbox if r["partition_key"] in made]
    assert len(ours) == len(made), "one confirmed event per booking"
    on_topic = {r.ce_id for r in await read_topic(sc.infra.bootstrap, SCHEDULER_TOPIC) if r.key in made
                and r.ce_type == "motcua.scheduler.v1.booking_confirmed"}
    figures["confirmed_events_on_topic"] = len(on_topic)
    assert on_topic == {r["event_id"] for r in ours}
    report("booking_storm", figures)
