"""Scenario 6: the SMS providers answer 5xx for a while, with SMS receipts queued; then a permanent refusal.

Every citizen here has no Zalo account (ZNS answers -118 for everyone, a permanent refusal that hands the
receipt over to SMS) and gave no e-mail, so each receipt must go out as one SMS. Both SMS providers (eSMS
and the SpeedSMS failover) answer HTTP 500 from before the first submission until every queued SMS has
been refused at least once and the outage has lasted its planned time (compressed by the retry settings:
`MOTCUA_RETRY_BASE_SECONDS` / `MOTCUA_RETRY_MAX_SECONDS`). Then they recover.

Proves: every SMS is delivered after the recovery, exactly once per citizen and dossier at the providers;
the retries during the outage stay within the bound that the backoff settings allow (no retry storm), per
delivery and in total; and a number the SMS gateway refuses permanently is tried exactly once (no retry,
no failover), after which the notification is failed.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from resilience.harness import (
    RECEIVED,
    by_phone,
    citizens,
    digits,
    fakes_messages,
    report,
    run_paced,
    scenario,
    sizes,
    sql,
    submit_until_accepted,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.resilience]

N = sizes(100, 500)  # SMS queued during the outage
PERMANENT = sizes(5, 20)  # citizens whose number the SMS gateway refuses permanently
OUTAGE = sizes(20.0, 120.0)  # at least, seconds (issue: 10 minutes, compressed by the retry settings)
RETRY_BASE = sizes(1.0, 2.0)
RETRY_CAP = sizes(8.0, 30.0)
CIRCUIT_OPEN = 5.0
SMS_PROVIDERS = ("esms", "speedsms")


def max_tries(window: float, *, base: float, cap: float) -> int:
    """The most provider calls one delivery can make within `window` seconds under the worker's backoff.

    After failed try k the next one waits at least half of min(cap, base * 2^(k-1)) ("equal jitter",
    motcua_notification.domain.retry.backoff), so the tries fit only as long as those minimum waits add up.
    """
    tries, elapsed = 1, 0.0
    while True:
        wait = min(cap, base * 2 ** (tries - 1)) / 2
        if elapsed + wait > window:
            return tries
        elapsed += wait
        tries += 1


def test_max_tries_follows_the_backoff() -> None:
    assert max_tries(0.4, base=1, cap=8) == 1
    assert max_tries(0.5, base=1, cap=8) == 2  # 0.5
    assert max_tries(3.5, base=1, cap=8) == 4  # 0.5 + 1 + 2
    assert max_tries(11.5, base=1, cap=8) == 6  # ... + 4 + 4 (capped)


async def _admin(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> None:
    reply = await client.post(path, json=body)
    reply.raise_for_status()


async def _calls(client: httpx.AsyncClient) -> Counter[str]:
    reply = await client.get("/_admin/stats")
    reply.raise_for_status()
    return Counter(reply.json()["calls"])


def test_sms_providers_down_then_recover(tmp_path: Path) -> None:
    env = {"MOTCUA_RETRY_BASE_SECONDS": str(RETRY_BASE), "MOTCUA_RETRY_MAX_SECONDS": str(RETRY_CAP),
           "MOTCUA_CIRCUIT_OPEN_SECONDS": str(CIRCUIT_OPEN)}
    with scenario(tmp_path, env) as sc:
        asyncio.run(_run(sc))


async def _run(sc) -> None:  # type: ignore[no-untyped-def]
    people = citizens(N + PERMANENT)
    queued, blocked = people[:N], people[N:]
    figures: dict[str, Any] = {"sms": N, "retry_base_s": RETRY_BASE, "retry_cap_s": RETRY_CAP}
    db = sc.infra.database_url

    async def sms_rows(phones: list[str]) -> list[Any]:
        return await sql(db, "SELECT d.id, d.recipient, d.status, d.attempts, n.dossier_code FROM notification.deliveries d "
                             "JOIN notification.notifications n ON n.id = d.notification_id "
                             "WHERE d.channel = 'sms' AND n.event_type = $1 AND right(d.recipient, 9) = ANY($2)",
                         RECEIVED, [digits(p)[-9:] for p in phones])

    async with httpx.AsyncClient(base_url=sc.fakes_url, timeout=10) as fakes, \
            httpx.AsyncClient(base_url=sc.base_url, timeout=15) as client:
        # No citizen follows the OA or has a Zalo account: ZNS refuses every one of them (-118, permanent).
        await _admin(fakes, "/_admin/failures", {"provider": "zalo_zns", "mode": "error", "code": "-118"})
        before = await _calls(fakes)
        for provider in SMS_PROVIDERS:
            await _admin(fakes, "/_admin/failures", {"provider": provider, "mode": "http_500"})
        down_at = time.monotonic()

        deadline = time.monotonic() + 300
        outcomes = await run_paced(N, 20, 8, lambda i: submit_until_accepted(client, queued[i], deadline=deadline))
        assert all(o.code for o in outcomes), [o.errors for o in outcomes if not o.code][:5]
        codes = {o.code for o in outcomes}

        async def all_refused_once() -> bool:
            rows = await sql(db, "SELECT count(DISTINCT a.delivery_id) AS n FROM notification.delivery_attempts a "
                                 "JOIN notification.deliveries d ON d.id = a.delivery_id "
                                 "JOIN notification.notifications n ON n.id = d.notification_id "
                                 "WHERE a.channel = 'sms' AND a.status = 'temporary-failure' AND n.dossier_code = ANY($1)",
                             list(codes))
            return rows[0]["n"] == N

        assert await wait_for(all_refused_once, timeout=180), "every queued SMS was refused at least once"
        await asyncio.sleep(max(0.0, down_at + OUTAGE - time.monotonic()))
        during = await _calls(fakes)
        outage = time.monotonic() - down_at
        for provider in SMS_PROVIDERS:  # count 0: the failure mode is spent, the provider answers again
            await _admin(fakes, "/_admin/failures", {"provider": provider, "mode": "http_500", "count": 0})
        up_at = time.monotonic()

        refused = sum(during[p] - before[p] for p in SMS_PROVIDERS)
        per_delivery_bound = max_tries(outage + 1.0, base=RETRY_BASE, cap=RETRY_CAP)
        figures.update(outage_s=round(outage, 1), calls_refused_during_outage=refused,
                       bound_per_delivery=per_delivery_bound, bound_total=N * per_delivery_bound,
                       calls_per_provider={p: during[p] - before[p] for p in SMS_PROVIDERS})
        assert refused >= N, "the outage was real: every SMS was refused at least once"
        assert refused <= N * per_delivery_bound, f"retry storm: {figures}"
        tries = await sql(db, "SELECT a.delivery_id, count(*) AS n FROM notification.delivery_attempts a "
                              "JOIN notification.deliveries d ON d.id = a.delivery_id "
                              "JOIN notification.notifications n ON n.id = d.notification_id "
                              "WHERE a.channel = 'sms' AND a.status = 'temporary-failure' AND n.dossier_code = ANY($1) "
                              "GROUP BY a.delivery_id", list(codes))
        figures["max_refusals_one_delivery"] = max(r["n"] for r in tries)
        assert figures["max_refusals_one_delivery"] <= per_delivery_bound

        # Recovery: every queued SMS goes out, once.
        state: dict[str, list[Any]] = {}

        async def all_sent() -> bool:
            state["rows"] = await sms_rows([p.phone for p in queued])
            return len(state["rows"]) == N and all(r["status"] in ("sent", "delivered") for r in state["rows"])

        assert await wait_for(all_sent, timeout=max(120.0, 3 * RETRY_CAP)), Counter(r["status"] for r in state.get("rows", []))
        figures["all_sent_after_recovery_s"] = round(time.monotonic() - up_at, 1)
        assert {r["dossier_code"] for r in state["rows"]} == codes, "one SMS delivery per dossier"
        await asyncio.sleep(2)
        sms = await fakes_messages(sc.fakes_url, channel="sms")
        ours = [m for m in sms if any(c in m.get("text", "") for c in codes)]
        per_code = Counter(c for m in ours for c in codes if c in m["text"])
        figures["sms_at_providers"] = len(ours)
        assert per_code == Counter({c: 1 for c in codes}), "exactly one SMS per dossier event"
        assert by_phone(ours) == {digits(p.phone)[-9:]: 1 for p in queued}, "exactly one SMS per citizen"
        ours_zns = [m for m in await fakes_messages(sc.fakes_url, channel="zns") if digits(m["recipient"])[-9:] in by_phone(ours)]
        assert ours_zns == [], "nobody here has Zalo"  # (the demo seed's own receipt may have gone out by ZNS)

        # A permanent refusal is never retried: wait until the circuits are closed (SMS back on the primary),
        # then numbers blocked at both SMS gateways each get exactly one call.
        await asyncio.sleep(CIRCUIT_OPEN + 1)
        for p in blocked:
            international = "+84" + p.phone[1:]
            await _admin(fakes, "/_admin/recipients", {"provider": "esms", "recipient": international, "code": "99"})
            await _admin(fakes, "/_admin/recipients", {"provider": "speedsms", "recipient": international, "code": "105"})
        quiet = await _calls(fakes)
        blocked_out = await run_paced(PERMANENT, 10, 4, lambda i: submit_until_accepted(client, blocked[i], deadline=deadline))
        assert all(o.code for o in blocked_out)

        async def all_failed() -> bool:
            state["blocked"] = await sms_rows([p.phone for p in blocked])
            return len(state["blocked"]) == PERMANENT and all(r["status"] == "permanent-failure" for r in state["blocked"])

        assert await wait_for(all_failed, timeout=60), state.get("blocked")
        await asyncio.sleep(4 * RETRY_BASE + 2)  # a retry (after at most 2 x base at attempt 1) would have come by now
        after = await _calls(fakes)
        sms_calls = sum(after[p] - quiet[p] for p in SMS_PROVIDERS)
        figures["permanent"] = {"numbers": PERMANENT, "sms_calls": sms_calls, "zns_calls": after["zalo_zns"] - quiet["zalo_zns"]}
        assert sms_calls == PERMANENT, "each permanently refused number was tried exactly once"
        assert after["zalo_zns"] - quiet["zalo_zns"] == PERMANENT
        assert {r["attempts"] for r in state["blocked"]} == {1}
        attempts = await sql(db, "SELECT delivery_id, count(*) AS n, min(status) AS status FROM notification.delivery_attempts "
                                 "WHERE delivery_id = ANY($1) GROUP BY delivery_id", [r["id"] for r in state["blocked"]])
        assert [(r["n"], r["status"]) for r in attempts] == [(1, "permanent-failure")] * PERMANENT
        notes = await sql(db, "SELECT status FROM notification.notifications WHERE event_type = $1 AND dossier_code = ANY($2)",
                          RECEIVED, [o.code for o in blocked_out])
        assert [r["status"] for r in notes] == ["failed"] * PERMANENT
        assert not [m for m in await fakes_messages(sc.fakes_url, channel="sms")
                    if digits(m["recipient"])[-9:] in {digits(p.phone)[-9:] for p in blocked}]
    report("sms_provider_outage", figures)
