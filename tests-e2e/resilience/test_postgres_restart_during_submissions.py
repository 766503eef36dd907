"""Scenario 2: PostgreSQL is restarted (fast shutdown, then start) while citizens submit dossiers.

While it is down, a submission fails as 503 with Retry-After (never a 500, never half a dossier); the
client retries with the same Idempotency-Key and ends with exactly one dossier per key; every dossier
acknowledged to a client is in the database; /readyz says unavailable, then ready again.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from resilience.harness import RECEIVED, citizens, report, run_paced, scenario, sizes, sql, submit_until_accepted, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.resilience]

N = sizes(150, 1000)
RATE = sizes(15, 25)  # submissions started per second: the restart falls in the middle of the stream


def test_postgres_restarted_during_submissions(tmp_path: Path) -> None:
    with scenario(tmp_path) as sc:
        asyncio.run(_run(sc))


async def _run(sc) -> None:  # type: ignore[no-untyped-def]
    people = citizens(N)
    figures: dict[str, object] = {"submissions": N}
    readiness: list[tuple[float, int]] = []
    stop = asyncio.Event()

    async with httpx.AsyncClient(base_url=sc.base_url, timeout=15) as client:

        async def probe_readiness() -> None:
            while not stop.is_set():
                try:
                    readiness.append((time.monotonic(), (await client.get("/readyz")).status_code))
                except httpx.TransportError:
                    readiness.append((time.monotonic(), 0))
                await asyncio.sleep(0.25)

        async def restart_postgres() -> float:
            await asyncio.sleep(N / RATE / 3)  # a third into the stream
            began = time.monotonic()
            # Blocking on purpose, in a thread: the server's parent-death signal is tied to the starting thread
            # only for `start`; run both there so the event loop keeps serving the clients meanwhile.
            await asyncio.to_thread(sc.infra.postgres.stop)
            await asyncio.sleep(1.0)  # a short but real outage
            sc.infra.postgres.start()
            return time.monotonic() - began

        prober = asyncio.create_task(probe_readiness())
        deadline = time.monotonic() + 240
        restart = asyncio.create_task(restart_postgres())
        outcomes = await run_paced(N, RATE, 16, lambda i: submit_until_accepted(client, people[i], deadline=deadline))
        figures["postgres_outage_seconds"] = round(await restart, 1)

        async def ready_again() -> bool:
            return (await client.get("/readyz")).status_code == 200

        assert await wait_for(ready_again, timeout=60, interval=0.5), "/readyz recovered"
        stop.set()
        await prober

    statuses = Counter(s for o in outcomes for s in o.statuses)
    figures["http_statuses"] = dict(statuses)
    figures["retried_submissions"] = sum(1 for o in outcomes if len(o.statuses) > 1)
    figures["readyz_statuses"] = dict(Counter(s for _, s in readiness))
    report("postgres_restart", figures)
    server_errors = [e for o in outcomes for e in o.errors if e.startswith("5")]
    assert not server_errors, f"{len(server_errors)} server errors other than 503, e.g. {server_errors[:3]}"
    assert all(o.retry_after_missing == 0 for o in outcomes), "every 503 carries Retry-After"
    assert all(o.code for o in outcomes), [o.errors for o in outcomes if not o.code][:5]
    assert statuses[503] + statuses[0] > 0, "the restart was felt by some submissions (else the test proves nothing)"
    assert 503 in [s for _, s in readiness], "/readyz said unavailable during the restart"

    # PostgreSQL: exactly one dossier per key, and it is the one the client was told about.
    rows = await sql(sc.infra.database_url, "SELECT idempotency_key, code FROM dossier.dossiers WHERE idempotency_key = ANY($1)",
                     [o.key for o in outcomes])
    stored = {r["idempotency_key"]: r["code"] for r in rows}
    assert len(rows) == N and stored == {o.key: o.code for o in outcomes}
    # No half-done submission: each dossier has its status history row and its received event in the outbox.
    partial = await sql(sc.infra.database_url,
                        "SELECT d.code FROM dossier.dossiers d WHERE d.idempotency_key = ANY($1) AND ("
                        " NOT EXISTS (SELECT 1 FROM dossier.status_history h WHERE h.dossier_id = d.id) OR"
                        " (SELECT count(*) FROM dossier.outbox o WHERE o.partition_key = d.code AND o.type = $2) <> 1)",
                        [o.key for o in outcomes], RECEIVED)
    assert not partial, f"dossiers without their history or event: {[r['code'] for r in partial][:5]}"
