"""Scenario 8: graceful shutdown under load: SIGTERM to each service in turn while clients submit and book.

Clients submit dossiers and book kiosk places continuously through the gateway, each request with its own
Idempotency-Key, retrying the same key on 503 (after Retry-After) and on a dropped or refused connection,
as a real client would. Meanwhile the test sends SIGTERM to catalogue, dossier, scheduler, notification and
gateway in turn (pids from the stack's process tree); the stack restarts a service that exited, whatever its
exit code, as `make run` does. The next service is stopped only once the gateway is ready again.

Proves: each service really went down and came back (new pid, exit code read from the stack's output);
no client saw a 5xx other than a 503 with Retry-After that it retried; every acknowledged submission and
booking exists exactly once (one per key, the one the client was told about), and nothing exists that
was not acknowledged on our slots; in-flight work finished: every dossier has exactly one received event
in its outbox (published), every booking its confirmed event, every slot's counter matches its bookings,
and every citizen got exactly one receipt, none abandoned mid-send (`stuck_sending`).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from resilience.harness import (
    RECEIVED,
    Citizen,
    by_phone,
    citizens,
    digits,
    fakes_messages,
    report,
    scenario,
    sizes,
    sql,
    submit_until_accepted,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.resilience]

ORDER = ("catalogue", "dossier", "scheduler", "notification", "gateway")
N = sizes(120, 1000)  # requests at least (half submissions, half bookings); more while services are still being stopped
RATE = sizes(6, 12)  # requests started per second
SETTLE = sizes(3.0, 10.0)  # seconds of load between a service's return and the next SIGTERM
SLOTS, CAPACITY = 10, 50
SAI_GON = "26740"
CONFIRMED = "motcua.scheduler.v1.booking_confirmed"


@dataclass
class Booked:
    key: str
    citizen: Citizen
    slot_id: str
    statuses: list[int] = field(default_factory=list)
    booking_id: str = ""
    errors: list[str] = field(default_factory=list)
    retry_after_missing: int = 0


async def book_until_accepted(client: httpx.AsyncClient, c: Citizen, slot_id: str, *, deadline: float) -> Booked:
    """POST one booking; on 503 (or a dropped connection) wait Retry-After and repeat with the SAME key."""
    out = Booked(str(uuid.uuid4()), c, slot_id)
    body = {"slot_id": slot_id, "help_type": "vneid_level2", "channel": "web",
            "citizen": {"full_name": c.full_name, "phone": c.phone}, "consent": {"accepted": True, "text_version": "2025-01"}}
    while time.monotonic() < deadline:
        try:
            reply = await client.post("/api/v1/bookings", json=body, headers={"Idempotency-Key": out.key})
        except httpx.TransportError as exc:
            out.statuses.append(0)
            out.errors.append(type(exc).__name__)
            await asyncio.sleep(0.5)
            continue
        out.statuses.append(reply.status_code)
        if reply.status_code in (200, 201):
            out.booking_id = reply.json()["id"]
            return out
        if reply.status_code == 503:
            retry_after = reply.headers.get("Retry-After")
            if retry_after is None:
                out.retry_after_missing += 1
            await asyncio.sleep(min(float(retry_after or 1), 5.0))
            continue
        out.errors.append(f"{reply.status_code} {reply.text[:300]}")
        if reply.status_code >= 500:
            await asyncio.sleep(0.5)
            continue
        return out
    out.errors.append("deadline")
    return out


def test_sigterm_each_service_under_load(tmp_path: Path) -> None:
    with scenario(tmp_path) as sc:
        asyncio.run(_run(sc))


async def _kiosk_slots(client: httpx.AsyncClient, wanted: int) -> list[str]:
    reply = await client.get("/api/v1/availability", params={"model": "kiosk", "ward": SAI_GON, "help_type": "vneid_level2",
                                                              "page": 1, "page_size": 100})
    assert reply.status_code == 200, reply.text
    items = [s for s in reply.json()["items"] if s.get("booked", 0) == 0]
    assert len(items) >= wanted, f"the demo ward offers {len(items)} free kiosk slots, {wanted} wanted"
    return [s["id"] for s in items[:wanted]]


async def _run(sc) -> None:  # type: ignore[no-untyped-def]
    people = citizens(6 * N)
    figures: dict[str, Any] = {}
    db = sc.infra.database_url
    stops: list[dict[str, Any]] = []
    stops_done = asyncio.Event()

    async with httpx.AsyncClient(base_url=sc.base_url, timeout=20) as client:
        login = await client.post("/api/v1/auth/dev-token", json={"username": "canbo.saigon", "password": "demo"})
        officer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        slot_ids = await _kiosk_slots(client, SLOTS)
        for slot in slot_ids:
            patched = await client.patch(f"/api/v1/slots/{slot}", json={"capacity": CAPACITY}, headers=officer)
            assert patched.status_code == 200, patched.text

        async def ready() -> bool:
            try:
                return (await client.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        async def stopper() -> None:
            try:
                await asyncio.sleep(SETTLE)
                for name in ORDER:
                    pid = sc.service_pid(name)
                    began = time.monotonic()
                    os.kill(pid, signal.SIGTERM)

                    async def gone(pid: int = pid) -> bool:
                        try:
                            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
                        except psutil.NoSuchProcess:
                            return True

                    assert await wait_for(gone, timeout=60, interval=0.1), f"{name} did not stop on SIGTERM within 60 s"
                    stopped = time.monotonic() - began

                    async def back(pid: int = pid, name: str = name) -> bool:
                        try:
                            return sc.service_pid(name) != pid and await ready()
                        except LookupError:
                            return False

                    assert await wait_for(back, timeout=120, interval=0.2), f"{name} did not come back"
                    stops.append({"service": name, "pid": pid, "stop_s": round(stopped, 1),
                                  "back_s": round(time.monotonic() - began, 1)})
                    await asyncio.sleep(SETTLE)
            finally:
                stops_done.set()

        deadline = time.monotonic() + 600
        stopping = asyncio.create_task(stopper())
        gate = asyncio.Semaphore(12)
        tasks: list[asyncio.Task[Any]] = []

        async def one(i: int) -> Any:
            async with gate:
                if i % 2:
                    return await book_until_accepted(client, people[i], slot_ids[(i // 2) % SLOTS], deadline=deadline)
                return await submit_until_accepted(client, people[i], deadline=deadline)

        while (len(tasks) < N or not stops_done.is_set()) and len(tasks) < min(6 * N, SLOTS * CAPACITY * 2):
            tasks.append(asyncio.create_task(one(len(tasks))))
            await asyncio.sleep(1 / RATE)
        results = await asyncio.gather(*tasks)
        await stopping
    submissions = [r for r in results if not isinstance(r, Booked)]
    bookings = [r for r in results if isinstance(r, Booked)]
    statuses = Counter(s for r in results for s in r.statuses)
    log = sc.stack.log_path.read_text(encoding="utf-8", errors="replace")
    exits = {m.group(1): int(m.group(2)) for m in re.finditer(r"(\w+) exited with code (-?\d+); restarting it", log)}
    figures.update(requests=len(results), submissions=len(submissions), bookings=len(bookings), stops=stops,
                   exit_codes=exits, http_statuses={str(k): v for k, v in statuses.items()},
                   retried=sum(1 for r in results if len(r.statuses) > 1))
    assert [s["service"] for s in stops] == list(ORDER), "every service was stopped and came back"
    # The gRPC services exit 0; uvicorn re-raises the SIGTERM it handled once its graceful shutdown is complete
    # (so a supervisor sees why it stopped): -15 after "Application shutdown complete." is a clean exit too.
    assert set(exits) == set(ORDER) and all(code == 0 for name, code in exits.items() if name != "gateway"), exits
    assert exits["gateway"] in (0, -signal.SIGTERM), exits
    assert re.search(r"gateway \| .*Application shutdown complete\.(?s:.*)gateway exited with code", log), \
        "the gateway finished its graceful shutdown before it exited"
    assert all(r.code if not isinstance(r, Booked) else r.booking_id for r in results), \
        [r.errors for r in results if not (r.booking_id if isinstance(r, Booked) else r.code)][:5]
    fivexx = [e for r in results for e in r.errors if e[:1] == "5"]
    assert not fivexx, f"no 5xx other than retried 503s: {fivexx[:5]}"
    assert set(statuses) <= {0, 200, 201, 503}, statuses
    assert sum(r.retry_after_missing for r in results) == 0, "every 503 carried Retry-After"

    # Submissions: one dossier per key, the acknowledged one; its received event exactly once, published.
    rows = await sql(db, "SELECT idempotency_key, code FROM dossier.dossiers WHERE idempotency_key = ANY($1)",
                     [s.key for s in submissions])
    assert sorted((r["idempotency_key"], r["code"]) for r in rows) == sorted((s.key, s.code) for s in submissions)
    codes = {s.code for s in submissions}

    async def all_published() -> bool:
        rows = await sql(db, "SELECT partition_key, count(*) AS n, count(published_at) AS p FROM dossier.outbox "
                             "WHERE type = $1 AND partition_key = ANY($2) GROUP BY partition_key", RECEIVED, list(codes))
        return len(rows) == len(codes) and all(r["n"] == 1 and r["p"] == 1 for r in rows)

    assert await wait_for(all_published, timeout=90), "one received event per dossier, published"

    # Bookings: one per key, the acknowledged one; nothing else on our slots; counters match; one confirmed event each.
    made = {b.booking_id for b in bookings}
    keyed = await sql(db, "SELECT key, booking_id::text AS id FROM scheduler.idempotency_key WHERE key = ANY($1)",
                      [b.key for b in bookings])
    assert sorted((r["key"], r["id"]) for r in keyed) == sorted((b.key, b.booking_id) for b in bookings)
    stored = await sql(db, "SELECT id::text AS id, status FROM scheduler.booking WHERE slot_id::text = ANY($1)", slot_ids)
    assert {r["id"] for r in stored} == made, "no booking that was not acknowledged, none missing"
    figures["booking_statuses"] = dict(Counter(r["status"] for r in stored))
    slots = await sql(db, "SELECT s.id, s.capacity, s.booked, count(b.id) FILTER (WHERE b.status IN "
                          "('held', 'requested', 'confirmed', 'completed', 'no_show')) AS holding "
                          "FROM scheduler.slot s LEFT JOIN scheduler.booking b ON b.slot_id = s.id "
                          "WHERE s.id::text = ANY($1) GROUP BY s.id", slot_ids)
    assert all(r["booked"] == r["holding"] <= r["capacity"] for r in slots), [dict(r) for r in slots]

    async def confirmed() -> bool:
        rows = await sql(db, "SELECT partition_key, count(*) AS n, count(published_at) AS p FROM scheduler.outbox "
                             "WHERE type = $1 AND partition_key = ANY($2) GROUP BY partition_key", CONFIRMED, list(made))
        return len(rows) == len(made) and all(r["n"] == 1 and r["p"] == 1 for r in rows)

    assert await wait_for(confirmed, timeout=90), "one confirmed event per booking, published"

    # Notifications: every receipt sent exactly once, none abandoned mid-send by a stopping worker.
    state: dict[str, list[Any]] = {}

    async def receipts() -> bool:
        state["rows"] = await sql(db, "SELECT n.dossier_code, d.status, d.last_error_code FROM notification.notifications n "
                                      "JOIN notification.deliveries d ON d.notification_id = n.id "
                                      "WHERE n.event_type = $1 AND n.dossier_code = ANY($2)", RECEIVED, list(codes))
        return {r["dossier_code"] for r in state["rows"] if r["status"] in ("sent", "delivered")} == codes

    assert await wait_for(receipts, timeout=180, interval=2), Counter(r["status"] for r in state.get("rows", []))
    assert not [r for r in state["rows"] if r["last_error_code"] == "stuck_sending"], "no delivery abandoned mid-send"
    await asyncio.sleep(3)
    sent = [m for m in await fakes_messages(sc.fakes_url) if any(c in m.get("text", "") + str(m.get("template_data"))
                                                                  for c in codes)]
    figures["receipts_at_providers"] = len(sent)
    assert by_phone(sent) == {digits(s.citizen.phone)[-9:]: 1 for s in submissions}, "exactly one receipt per citizen"
    report("graceful_shutdown", figures)
