"""Scenario 3: the outbox relay is killed between the broker's acknowledgement and marking its rows published.

The dossier service (which runs the relay) is killed with SIGKILL, repeatedly, while submissions flow. To
land the kills inside the window on purpose rather than by luck, the test (which owns the database) slows
the relay's marking statement with a trigger: each batch then sits acknowledged-but-unmarked for a second.
The restarted relay republishes those rows, so duplicates appear on the topic (counted and shown); the
notification service must still send exactly one receipt per dossier.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from resilience.harness import (
    DOSSIER_TOPIC,
    RECEIVED,
    by_phone,
    citizens,
    digits,
    execute,
    fakes_messages,
    read_topic,
    report,
        scenario,
    sizes,
    sql,
    submit_until_accepted,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.resilience]

N = sizes(120, 1000)  # at least; more while the kills are still landing
N_MAX = 4 * N
KILLS = sizes(3, 4)  # the stack gives up on a service that crashes 5 times in a minute
RATE = sizes(5, 12)  # submissions started per second

SLOW_MARKING = """
CREATE OR REPLACE FUNCTION dossier.resilience_slow_marking() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(1.0); RETURN NULL; END $$;
CREATE TRIGGER resilience_slow_marking BEFORE UPDATE OF published_at ON dossier.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION dossier.resilience_slow_marking();
"""
#: Without it a statement whose client died still runs to its end and (autocommit) commits.
CHECK_CLIENT = "ALTER SYSTEM SET client_connection_check_interval = '100ms'"


def test_relay_killed_between_ack_and_mark(tmp_path: Path) -> None:
    with scenario(tmp_path) as sc:
        asyncio.run(_run(sc))


async def _run(sc) -> None:  # type: ignore[no-untyped-def]
    people = citizens(N_MAX)
    figures: dict[str, object] = {"kills": KILLS}
    await execute(sc.infra.database_url, SLOW_MARKING)
    await execute(sc.infra.database_url, CHECK_CLIENT)
    await execute(sc.infra.database_url, "SELECT pg_reload_conf()")
    killed: list[int] = []
    kills_done = asyncio.Event()

    async def marking() -> bool:
        rows = await sql(sc.infra.database_url,
                         "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' "
                         "AND query ILIKE '%UPDATE outbox SET published_at%' AND pid <> pg_backend_pid()")
        return rows[0]["n"] > 0

    async def killer() -> None:
        try:
            for _ in range(KILLS):
                # Wait until the (restarted) relay holds acknowledged rows it has not marked yet: its UPDATE
                # sleeps in the trigger. Then kill the process: the server notices the lost client
                # (client_connection_check_interval) and rolls the marking back.
                assert await wait_for(marking, timeout=90, interval=0.05), "the relay never reached its marking step"
                pid = sc.service_pid("dossier")
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                await asyncio.sleep(1)
        finally:
            kills_done.set()

    async with httpx.AsyncClient(base_url=sc.base_url, timeout=15) as client:
        deadline = time.monotonic() + 400
        kills = asyncio.create_task(killer())
        tasks: list[asyncio.Task] = []
        gate = asyncio.Semaphore(8)

        async def one(i: int):  # type: ignore[no-untyped-def]
            async with gate:
                return await submit_until_accepted(client, people[i], deadline=deadline)

        # Submissions flow until every kill has landed (and at least N of them were made).
        while (len(tasks) < N or not kills_done.is_set()) and len(tasks) < N_MAX:
            tasks.append(asyncio.create_task(one(len(tasks))))
            await asyncio.sleep(1 / RATE)
        outcomes = await asyncio.gather(*tasks)
        await kills
    people = people[:len(outcomes)]
    figures["submissions"] = len(outcomes)
    await execute(sc.infra.database_url, "DROP TRIGGER resilience_slow_marking ON dossier.outbox")
    statuses = Counter(s for o in outcomes for s in o.statuses)
    figures["http_statuses"] = dict(statuses)
    figures["killed_pids"] = killed
    assert len(set(killed)) == KILLS, "each kill hit a new dossier process (the stack restarted it)"
    assert all(o.code for o in outcomes), [o.errors for o in outcomes if not o.code][:5]
    assert not [e for o in outcomes for e in o.errors if e.startswith("5")], "no 5xx other than 503 + Retry-After"
    codes = {o.code for o in outcomes}
    rows = await sql(sc.infra.database_url, "SELECT idempotency_key, code FROM dossier.dossiers WHERE idempotency_key = ANY($1)",
                     [o.key for o in outcomes])
    assert {r["idempotency_key"]: r["code"] for r in rows} == {o.key: o.code for o in outcomes}, "one dossier per key"

    async def all_published() -> bool:
        rows = await sql(sc.infra.database_url, "SELECT count(*) AS n, count(published_at) AS p FROM dossier.outbox "
                         "WHERE type = $1 AND partition_key = ANY($2)", RECEIVED, list(codes))
        return rows[0]["n"] == len(codes) and rows[0]["p"] == len(codes)

    assert await wait_for(all_published, timeout=90), "every outbox row published in the end"

    # The topic: every event at least once; the kills show up as duplicates (same CloudEvents id twice).
    async def complete() -> list:
        records = [r for r in await read_topic(sc.infra.bootstrap, DOSSIER_TOPIC) if r.ce_type == RECEIVED and r.key in codes]
        return records if {r.key for r in records} == codes else []

    records = await wait_for(complete, timeout=60, interval=2) or []
    per_id = Counter(r.ce_id for r in records)
    figures["topic_records"] = len(records)
    figures["topic_distinct_ids"] = len(per_id)
    figures["duplicated_ids"] = sum(1 for n in per_id.values() if n > 1)
    assert len(per_id) == len(codes)
    assert figures["duplicated_ids"] > 0, "the kills landed between ack and mark: some events were published twice"

    # Downstream: exactly one receipt per dossier, whatever the duplicates.
    state: dict[str, list] = {}

    async def receipts() -> bool:
        state["rows"] = await sql(sc.infra.database_url,
                                  "SELECT n.dossier_code, d.status FROM notification.notifications n "
                                  "JOIN notification.deliveries d ON d.notification_id = n.id "
                                  "WHERE n.event_type = $1 AND n.dossier_code = ANY($2)", RECEIVED, list(codes))
        return {r["dossier_code"] for r in state["rows"] if r["status"] in ("sent", "delivered")} == codes

    assert await wait_for(receipts, timeout=180, interval=2), f"{figures}"
    per_dossier = Counter(r["dossier_code"] for r in state["rows"])
    assert set(per_dossier.values()) == {1}, "one notification delivery per dossier event"
    await asyncio.sleep(3)
    sent = [m for m in await fakes_messages(sc.fakes_url) if any(c in (m.get("text", "") + str(m.get("template_data")))
                                                                     for c in codes)]
    at_providers = by_phone(sent)
    figures["provider_messages"] = len(sent)
    assert set(at_providers) == {digits(p.phone)[-9:] for p in people}
    assert set(at_providers.values()) == {1}, "exactly one message per citizen at the providers"
    report("relay_killed", figures)
