"""Scenario 1: the broker is stopped while citizens submit dossiers.

Submissions only need PostgreSQL (state and event in one transaction, the outbox), so every one is
accepted during the outage; when the broker returns (memory-only: it forgot everything) the relays
republish, and every citizen gets exactly one receipt.
"""

from __future__ import annotations

import asyncio
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
    fakes_messages,
    read_topic,
    report,
    run_paced,
    scenario,
    sizes,
    sql,
    submit_until_accepted,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.resilience]

N = sizes(150, 1000)
OUTAGE_SECONDS = sizes(12, 60)


def test_broker_stopped_during_submissions(tmp_path: Path) -> None:
    with scenario(tmp_path) as sc:
        asyncio.run(_run(sc))


async def _run(sc) -> None:  # type: ignore[no-untyped-def]
    people = citizens(N)
    before = N // 5  # submitted with the broker up; the rest while it is down
    figures: dict[str, object] = {"submissions": N, "outage_seconds": OUTAGE_SECONDS}
    async with httpx.AsyncClient(base_url=sc.base_url, timeout=15) as client:
        deadline = time.monotonic() + 300
        first = await run_paced(before, 50, 8, lambda i: submit_until_accepted(client, people[i], deadline=deadline))
        sc.infra.stop_broker()
        down_at = time.monotonic()
        # Spread the remaining submissions over the outage so that all of them land while the broker is down.
        rest_rate = (N - before) / (OUTAGE_SECONDS * 0.8)
        rest = await run_paced(N - before, rest_rate, 8,
                               lambda i: submit_until_accepted(client, people[before + i], deadline=deadline))
        during = time.monotonic() - down_at
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - during))
        figures["submitted_while_down_seconds"] = round(during, 1)
        figures["broker_down_seconds"] = round(time.monotonic() - down_at, 1)
        assert during < OUTAGE_SECONDS + 5, "the submissions while the broker was down took longer than the outage"
        sc.infra.start_broker()
        up_at = time.monotonic()
    outcomes = first + rest
    statuses = Counter(s for o in outcomes for s in o.statuses)
    figures["http_statuses"] = dict(statuses)
    assert all(o.code for o in outcomes), [o.errors for o in outcomes if not o.code][:5]
    assert set(statuses) == {201}, f"every submission accepted at once, broker or not: {statuses}"
    codes = {o.code for o in outcomes}
    assert len(codes) == N

    # PostgreSQL: every dossier stored, one received event each in the outbox.
    keys = [o.key for o in outcomes]
    stored = await sql(sc.infra.database_url, "SELECT code FROM dossier.dossiers WHERE idempotency_key = ANY($1)", keys)
    assert {r["code"] for r in stored} == codes

    async def all_published() -> bool:
        rows = await sql(sc.infra.database_url,
                         "SELECT count(*) AS n, count(published_at) AS published FROM dossier.outbox "
                         "WHERE type = $1 AND partition_key = ANY($2)", RECEIVED, list(codes))
        return rows[0]["n"] == N and rows[0]["published"] == N

    assert await wait_for(all_published, timeout=90), "the relay published every outbox row after the broker returned"

    # The topic: at least N distinct received events for these dossiers (duplicates allowed).
    async def topic_complete() -> list:
        records = [r for r in await read_topic(sc.infra.bootstrap, DOSSIER_TOPIC) if r.ce_type == RECEIVED and r.key in codes]
        return records if len({r.key for r in records}) == N else []

    records = await wait_for(topic_complete, timeout=60, interval=2) or []
    distinct = {r.ce_id for r in records}
    figures["topic_received_records"] = len(records)
    figures["topic_received_distinct_ids"] = len(distinct)
    figures["republished_seconds"] = round(time.monotonic() - up_at, 1)
    assert {r.key for r in records} == codes and len(distinct) >= N

    # Notifications: exactly one receipt per dossier, in the registry and at the providers.
    phones = {digits(p.phone)[-9:] for p in people}

    rows: list = []

    async def receipts_done() -> bool:
        nonlocal rows
        rows = await sql(sc.infra.database_url,
                         "SELECT n.dossier_code, n.state, n.status AS n_status, d.channel, d.status "
                         "FROM notification.notifications n "
                         "LEFT JOIN notification.deliveries d ON d.notification_id = n.id "
                         "WHERE n.event_type = $1 AND n.dossier_code = ANY($2)", RECEIVED, list(codes))
        done = [r for r in rows if r["status"] in ("sent", "delivered")]
        return len({r["dossier_code"] for r in done}) == N

    await wait_for(receipts_done, timeout=180, interval=2)
    figures["notification_states"] = dict(Counter(f"{r['state']}/{r['n_status']}/{r['channel']}/{r['status']}" for r in rows))
    per_dossier = Counter(r["dossier_code"] for r in rows if r["status"] in ("sent", "delivered"))
    figures["receipt_deliveries"] = dict(Counter(r["channel"] for r in rows))
    figures["receipts_seconds_after_broker_back"] = round(time.monotonic() - up_at, 1)
    assert set(per_dossier) == codes, f"{len(codes - set(per_dossier))} dossiers without a receipt: {figures}"
    assert set(per_dossier.values()) == {1}, "exactly one delivered receipt per dossier"
    await asyncio.sleep(3)  # let a would-be duplicate arrive before counting at the providers
    sent = [m for m in await fakes_messages(sc.fakes_url) if any(c in (m.get("text", "") + str(m.get("template_data")))
                                                                     for c in codes)]
    at_providers = by_phone(sent)
    figures["provider_messages"] = len(sent)
    assert set(at_providers) == phones, "every citizen got the receipt at a provider"
    assert set(at_providers.values()) == {1}, "and exactly one"
    report("broker_outage", figures)
