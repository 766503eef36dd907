"""Scenario 5: the notification service's consumers are scaled 1 → 3 → 1 while dossier events flow.

A modest number of real dossiers are submitted through the gateway and moved to "being processed" by an
officer (their receipts, acceptances and status changes are real events of the dossier service). The test
then commits thousands of follow-up events for those dossiers into the dossier service's outbox, the way the
service does (`motcua_dossier.events.transitioned` + `motcua_platform.outbox.enqueue`: the dossier is paused
and resumed again and again), and the service's own relay publishes them, keyed by dossier code. The dossier
rows themselves stay where the officer left them: only the event stream is under test.

While they flow, two more notification processes join the consumer group (the environment of the stack's
own notification process, their own ports); once all three hold partitions and have shared the flow for a
while, one is stopped with SIGTERM (it finishes the work in hand, commits and leaves the group), then the other
with SIGKILL, on purpose while it holds handled events whose offsets are not committed yet (a trigger slows one
of its partitions, see `_kill_with_work_in_hand`): its partitions come back to the first process when its
session expires, and those events are delivered again.

Proves, counting PostgreSQL, the topic read from the beginning and the provider fakes: every event of the
outbox is on the topic; each has exactly one inbox row and one notification (no duplicate effect, whatever
the redeliveries, which must have happened); each of its deliveries has exactly one message at the providers
(a ZNS call whose outcome is unknown, e.g. in flight in the killed process, is not sent again: at most one,
the documented choice); and each dossier's notifications were recorded in the order of its events.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import signal
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from motcua_dossier import events as dossier_events
from motcua_dossier import repository as dossier_repository
from motcua_dossier.domain import lifecycle
from motcua_dossier.domain.lifecycle import Status
from motcua_dossier.domain.model import Actor
from motcua_notification.settings import Settings
from motcua_platform.outbox import enqueue
from resilience.harness import (
    DOSSIER_TOPIC,
    Replica,
    citizens,
    execute,
    fakes_messages,
    group_members,
    log_records,
    read_topic,
    report,
    run_paced,
    scenario,
    sizes,
    sql,
    start_replica,
    submit_until_accepted,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.resilience]

DOSSIERS = sizes(40, 200)
EVENTS = sizes(2000, 10_000)  # on the dossier topic for those dossiers, the real ones included
RATE = sizes(40, 80)  # follow-up events committed to the outbox per second
TICK = 0.1  # one outbox transaction per tick
GROUP = "motcua-notification"
STALE = 30.0  # a delivery `sending` this long in a dead process is reconciled (above the 10 s provider timeout)
UP_AT = 0.1  # share of the follow-up events committed when the two replicas are started
THREE_FOR = sizes(8.0, 30.0)  # seconds the three consumers share the flow, then one is stopped (SIGTERM)
TWO_FOR = sizes(5.0, 15.0)  # seconds two consumers share it, then the other is killed (SIGKILL)
#: Share of the follow-up events kept for after the kill: when the scaler is late (a slow machine), the flow
#: slows to a trickle (a tenth of RATE) until the kill rather than running out before it.
TAIL = 0.15
SLOW_INBOX = """
CREATE OR REPLACE FUNCTION notification.resilience_slow_inbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(1.0); RETURN NEW; END $$;
CREATE TRIGGER resilience_slow_inbox BEFORE INSERT ON notification.inbox FOR EACH ROW
    WHEN (NEW.topic = '{topic}' AND NEW.partition = {partition}) EXECUTE FUNCTION notification.resilience_slow_inbox();
"""
OFFICER = Actor("canbo.saigon", "officer")
REASONS = {Status.SUSPENDED: "Chờ kết quả xác minh của cơ quan có liên quan",
           Status.SUPPLEMENT_REQUESTED: "Bổ sung bản sao giấy chứng tử có chứng thực"}
#: ZNS calls one notification process makes at once (the stack's default): what a kill can leave unanswered.
PROVIDER_SLOTS = Settings.model_fields["worker_provider_concurrency"].default
FINAL = ("sent", "delivered", "permanent-failure", "technical-failure")


def test_consumers_scaled_one_three_one(tmp_path: Path) -> None:
    env = {"MOTCUA_SENDING_STALE_SECONDS": str(STALE), "MOTCUA_RECONCILE_INTERVAL_SECONDS": "2"}
    with scenario(tmp_path, env) as sc:
        asyncio.run(_run(sc))


def walk() -> Iterator[tuple[Status, Status]]:
    """An endless legal path from 'being processed': suspended and resumed, supplement asked and resumed, ..."""
    for pause in itertools.cycle((Status.SUSPENDED, Status.SUPPLEMENT_REQUESTED)):
        yield Status.PROCESSING, pause
        yield pause, Status.PROCESSING


def follow_up(locked: dossier_repository.Locked, source: Status, target: Status) -> Any:
    """The event the dossier service emits for this move (lifecycle table, message, CloudEvent), not applied."""
    move = lifecycle.find(source, target)
    assert move is not None, (source, target)
    return dossier_events.transitioned(move.event, dataclasses.replace(locked, status=source), to=target,
                                       at=datetime.now(UTC), actor=OFFICER, reason=REASONS.get(target, ""),
                                       due_at=locked.due_at)


async def _run(sc) -> None:  # type: ignore[no-untyped-def]
    db = sc.infra.database_url
    figures: dict[str, Any] = {"dossiers": DOSSIERS}
    codes = await _real_dossiers(sc, figures)
    dossier_conn = await asyncpg.connect(db, server_settings={"search_path": "dossier"})
    try:
        async with dossier_conn.transaction():
            locked = [await dossier_repository.lock(dossier_conn, code) for code in codes]
        assert all(row is not None and row.status == Status.PROCESSING for row in locked)
        real = (await sql(db, "SELECT count(*) AS n FROM dossier.outbox WHERE partition_key = ANY($1)", codes))[0]["n"]
        follow_ups = EVENTS - real
        figures["events_real"] = real
        figures["events_follow_up"] = follow_ups
        replicas: list[Replica] = []
        try:
            flow_done = await _flow_and_scale(sc, dossier_conn, locked, follow_ups, replicas, figures)
        finally:
            for replica in replicas:
                replica.stop(signal.SIGKILL, timeout=10)
    finally:
        await dossier_conn.close()
    try:
        await _reconcile(sc, codes, replicas, flow_done, figures)
    finally:
        report("consumers_scaled", figures)


async def _real_dossiers(sc, figures: dict[str, Any]) -> list[str]:  # type: ignore[no-untyped-def]
    """Submit the dossiers through the gateway, then an officer accepts them and starts processing them."""
    people = citizens(DOSSIERS)
    async with httpx.AsyncClient(base_url=sc.base_url, timeout=20) as client:
        deadline = time.monotonic() + 120
        outcomes = await run_paced(DOSSIERS, 40, 8, lambda i: submit_until_accepted(client, people[i], deadline=deadline))
        assert all(o.code for o in outcomes), [o.errors for o in outcomes if not o.code][:5]
        reply = await client.post("/api/v1/auth/dev-token", json={"username": "vanhanh", "password": "demo"})
        operator = {"Authorization": f"Bearer {reply.json()['access_token']}"}
        for to_status in (Status.RECEIVED, Status.PROCESSING):
            moves = await run_paced(DOSSIERS, 40, 8, lambda i, to=to_status: client.post(
                f"/api/v1/dossiers/{outcomes[i].code}/transitions", json={"to_status": int(to)}, headers=operator))
            assert {m.status_code for m in moves} == {200}, [m.text for m in moves if m.status_code != 200][:3]
    return [o.code for o in outcomes]


async def _flow_and_scale(sc, conn: asyncpg.Connection, locked: list, total: int,  # type: ignore[no-untyped-def]
                          replicas: list[Replica], figures: dict[str, Any]) -> float:
    """Commit `total` follow-up events at RATE while the scaler takes the group 1 → 3 → 1; return (monotonic)
    when the last one was committed."""
    started = time.monotonic()
    timeline: dict[str, float] = {}
    scale_up, killed = asyncio.Event(), asyncio.Event()

    def mark(what: str) -> None:
        timeline[what] = round(time.monotonic() - started, 1)

    async def flow() -> None:
        paths = [walk() for _ in locked]
        per_tick = max(1, round(RATE * TICK))
        up_at, hold_at = round(UP_AT * total), round((1 - TAIL) * total)
        sent = 0
        while sent < total:
            tick_started = time.monotonic()
            tick = TICK
            if sent >= hold_at and not killed.is_set():
                tick = 10 * TICK
                figures["flow_trickled_s"] = round(figures.get("flow_trickled_s", 0) + tick, 1)
            batch = [follow_up(locked[i % len(locked)], *next(paths[i % len(locked)]))
                     for i in range(sent, min(total, sent + per_tick))]
            async with conn.transaction():
                await enqueue(conn, *batch)
            sent += len(batch)
            if sent >= up_at:
                scale_up.set()
            await asyncio.sleep(max(0.0, tick_started + tick - time.monotonic()))
        mark("flow_done")

    async def members() -> list[str]:
        return await group_members(sc.infra.bootstrap, GROUP)

    async def scaler() -> None:
        await scale_up.wait()
        mark("scale_up")
        replicas.extend(start_replica(sc, "notification", f"motcua-replica{n}") for n in (1, 2))

        async def three_at_work() -> bool:
            dead = [r for r in replicas if r.process.poll() is not None]
            assert not dead, f"{dead[0].name} exited: {dead[0].log_path.read_text(errors='replace')[-3000:]}"
            return len(await members()) == 3 and all(_handled(r.log_path) for r in replicas)

        assert await wait_for(three_at_work, timeout=120, interval=0.5), f"not three consumers at work: {await members()}"
        mark("three_at_work")
        await asyncio.sleep(THREE_FOR)
        mark("sigterm")
        code, seconds = await asyncio.to_thread(replicas[0].stop, signal.SIGTERM)
        figures["sigterm_exit"] = {"code": code, "seconds": round(seconds, 1)}
        assert code == 0, "a stopped consumer exits cleanly"
        await asyncio.sleep(TWO_FOR)
        figures["sigkill_window"] = await _kill_with_work_in_hand(sc, replicas[1])
        mark("sigkill")
        killed.set()

    history: list[tuple[float, list[str]]] = []

    async def watch(stop: asyncio.Event) -> None:
        """Record every membership of the group seen (polled twice a second)."""
        while not stop.is_set():
            try:
                now = await members()
            except Exception as exc:  # a describe that failed is just a missed sample
                print(f"group describe failed: {exc}")
            else:
                if not history or history[-1][1] != now:
                    history.append((round(time.monotonic() - started, 1), now))
            await asyncio.sleep(0.5)

    stop_watch = asyncio.Event()
    watcher = asyncio.create_task(watch(stop_watch))
    try:
        await asyncio.gather(flow(), scaler())

        async def back_to_one() -> bool:
            return len(await members()) == 1

        assert await wait_for(back_to_one, timeout=60, interval=0.5), f"the killed member never left: {await members()}"
    finally:
        stop_watch.set()
        await watcher
        figures["timeline_s"] = timeline
        figures["group_memberships"] = [(t, [_member_name(m) for m in ms]) for t, ms in history]
        figures["group_membership_changes"] = len(history) - 1
    assert max(len(ms) for _, ms in history) == 3
    # The killed member stays in the group until its session times out; then its partitions move.
    left = next((t for t, ms in history if t >= timeline["sigkill"] and len(ms) == 1), None)
    figures["killed_member_left_after_s"] = None if left is None else round(left - timeline["sigkill"], 1)
    return started + timeline["flow_done"]


async def _kill_with_work_in_hand(sc, replica: Replica) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """SIGKILL `replica` while it has handled events whose offsets are not committed yet.

    The consumer commits the offsets of a fetched batch once every partition of it is done. A trigger (the test
    owns the database) makes the inbox insert of one of the replica's partitions sleep, so the batches of its
    other partition are committed to PostgreSQL but their offsets wait; the kill lands while the replica sleeps
    there. Its sleeping transaction dies with it; the handled events of the other partition come again to the
    next owner, whose inbox must skip them.
    """
    db = sc.infra.database_url
    partitions = sorted({p for p, _ in _handled(replica.log_path)})
    assert len(partitions) >= 2, f"{replica.name} holds dossier partitions {partitions}"
    slow = partitions[-1]
    await execute(db, SLOW_INBOX.format(topic=DOSSIER_TOPIC, partition=slow))

    async def sleeping() -> bool:
        rows = await sql(db, "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
                             "AND query ILIKE '%INSERT INTO inbox%'")
        return rows[0]["n"] > 0

    try:
        assert await wait_for(sleeping, timeout=60, interval=0.05), f"{replica.name} never reached partition {slow}"
        await asyncio.sleep(0.5)  # the batch's other partitions finish their transactions meanwhile
        code, _ = await asyncio.to_thread(replica.stop, signal.SIGKILL)
    finally:
        await execute(db, "DROP TRIGGER resilience_slow_inbox ON notification.inbox")
    return {"exit": code, "partitions": partitions, "slowed": slow}


def _handled(path: Path, prefix: str = "") -> list[tuple[int, int]]:
    """(partition, offset) of every dossier event a process's log says it handled (processed, not skipped)."""
    return [(r["partition"], r["offset"]) for r in log_records(path, prefix=prefix, event="event_processed")
            if r.get("topic") == DOSSIER_TOPIC]


async def _reconcile(sc, codes: list[str], replicas: list[Replica], flow_done: float,  # type: ignore[no-untyped-def]
                     figures: dict[str, Any]) -> None:
    db = sc.infra.database_url
    outbox = await sql(db, "SELECT event_id, partition_key, type FROM dossier.outbox WHERE partition_key = ANY($1) "
                           "ORDER BY id", codes)
    seq: dict[str, tuple[str, int]] = {}
    per_dossier: Counter[str] = Counter()
    for row in outbox:
        seq[row["event_id"]] = (row["partition_key"], per_dossier[row["partition_key"]])
        per_dossier[row["partition_key"]] += 1
    ids = list(seq)
    figures["events"] = len(ids)
    figures["events_by_type"] = dict(Counter(r["type"].rsplit(".", 1)[-1] for r in outbox))
    assert len(ids) == EVENTS

    # Drain, from the last commit to the outbox: every event consumed (its inbox row), then every notification settled.
    async def consumed() -> bool:
        rows = await sql(db, "SELECT count(*) AS n FROM notification.inbox WHERE consumer = $1 AND event_id = ANY($2)",
                         GROUP, ids)
        return rows[0]["n"] == len(ids)

    assert await wait_for(consumed, timeout=300, interval=1), "every event consumed"
    figures["drain_consumed_s"] = round(time.monotonic() - flow_done, 1)

    async def settled() -> bool:
        rows = await sql(db, """
            SELECT count(*) FILTER (WHERE n.state = 'planning') AS planning,
                   count(*) FILTER (WHERE d.status IS NOT NULL AND d.status <> ALL($2)) AS open,
                   count(DISTINCT n.id) AS notifications
            FROM notification.notifications n LEFT JOIN notification.deliveries d ON d.notification_id = n.id
            WHERE n.source_event_id = ANY($1)""", ids, list(FINAL))
        r = rows[0]
        return r["notifications"] >= len(ids) and r["planning"] == 0 and r["open"] == 0

    assert await wait_for(settled, timeout=300, interval=2), "every notification settled"
    figures["drain_settled_s"] = round(time.monotonic() - flow_done, 1)

    # The topic, read from the beginning: every event of the outbox, in each dossier's order.
    records = [r for r in await read_topic(sc.infra.bootstrap, DOSSIER_TOPIC) if r.key in set(codes)]
    on_topic = Counter(r.ce_id for r in records)
    figures["topic_records"] = len(records)
    figures["topic_duplicated_ids"] = sum(1 for n in on_topic.values() if n > 1)
    assert set(on_topic) == set(ids), "every outbox event on the topic, nothing else"
    first_seen: dict[str, tuple[int, int]] = {}
    for r in records:
        first_seen.setdefault(r.ce_id, (r.partition, r.offset))
    figures["topic_order_violations"] = _inversions(ids, seq, lambda e: first_seen[e])
    assert figures["topic_order_violations"] == 0, "the relay published each dossier's events in order"

    # PostgreSQL: one inbox row and one notification per event (the effect), recorded in each dossier's order.
    inbox = await sql(db, "SELECT event_id FROM notification.inbox WHERE consumer = $1 AND event_id = ANY($2)", GROUP, ids)
    assert len(inbox) == len(ids)
    notes = await sql(db, "SELECT id, source_event_id, created_at FROM notification.notifications "
                          "WHERE source_event_id = ANY($1)", ids)
    per_event = Counter(n["source_event_id"] for n in notes)
    figures["events_without_effect"] = len(set(ids) - set(per_event))
    figures["duplicate_effects"] = sum(n - 1 for n in per_event.values())
    assert figures["events_without_effect"] == 0
    assert figures["duplicate_effects"] == 0
    recorded = {n["source_event_id"]: n["created_at"] for n in notes}
    figures["order_violations"] = _inversions(ids, seq, lambda e: recorded[e])
    assert figures["order_violations"] == 0, "each dossier's notifications recorded in the order of its events"

    # The providers: exactly one message per delivery, matched on the tracking id the worker gave it.
    deliveries = await sql(db, """
        SELECT d.tracking_id, d.channel, d.recipient, d.status, d.last_error_code,
               d.last_error LIKE '%outcome unknown%' AS unknown, n.source_event_id
        FROM notification.deliveries d JOIN notification.notifications n ON n.id = d.notification_id
        WHERE n.source_event_id = ANY($1)""", ids)
    by_tracking = {d["tracking_id"]: d for d in deliveries}
    assert len(by_tracking) == len(deliveries), "one tracking id per delivery"
    figures["deliveries"] = dict(Counter(f"{d['channel']} {d['status']}" for d in deliveries))
    await asyncio.sleep(2)
    messages = [m for m in await fakes_messages(sc.fakes_url)
                if any(c in m.get("text", "") + str(m.get("template_data")) for c in codes)]
    figures["provider_messages"] = len(messages)
    per_delivery = Counter(m.get("tracking_id", "") for m in messages)
    strangers = [t for t in per_delivery if t not in by_tracking]
    assert not strangers, f"messages no delivery of these events accounts for: {strangers[:5]}"
    twice = [t for t, n in per_delivery.items() if n > 1]
    figures["duplicate_messages"] = len(twice)
    assert not twice, [(by_tracking[t]["source_event_id"], by_tracking[t]["channel"]) for t in twice[:5]]
    # A ZNS call whose outcome is unknown (the killed process had it in flight: `stuck_sending`; or the connection
    # broke before the answer) is not sent again (ZNS has no idempotency key): at most one message, counted here.
    unknown = {t for t, d in by_tracking.items() if d["status"] == "technical-failure" and d["unknown"]}
    figures["outcome_unknown"] = dict(Counter(by_tracking[t]["last_error_code"] for t in unknown))
    figures["outcome_unknown_with_message"] = sum(1 for t in unknown if per_delivery[t])
    # Left `sending` by the kill: calls answered whose outcome waited for the result writer's next batch (the
    # message exists), and calls in flight or about to start (slots reserved): only those can lack a message.
    stuck = [t for t in unknown if by_tracking[t]["last_error_code"] == "stuck_sending"]
    figures["stuck_sending_never_called"] = sum(1 for t in stuck if not per_delivery[t])
    assert figures["stuck_sending_never_called"] <= PROVIDER_SLOTS, "one kill: at most the provider slots never called"
    missing = [t for t, d in by_tracking.items() if d["status"] in ("sent", "delivered") and not per_delivery[t]]
    assert not missing, f"sent deliveries without a message: {missing[:5]}"
    failed = [d for t, d in by_tracking.items() if d["status"] not in ("sent", "delivered") and t not in unknown]
    assert not failed, failed[:5]
    _consumer_figures(sc, replicas, figures)


def _member_name(member_id: str) -> str:
    """'notification' for the stack's own process, else the replica's name (member ids start with the client id)."""
    client = member_id.split("-notification-", 1)[0]
    return client.removeprefix("motcua-") if client != "motcua" else "notification"


def _inversions(ids: list[str], seq: dict[str, tuple[str, int]], position: Any) -> int:
    """How many times, per dossier, an event comes (by `position`) before one that precedes it in the outbox."""
    by_dossier: dict[str, list[tuple[Any, int]]] = defaultdict(list)
    for event_id in ids:
        dossier, n = seq[event_id]
        by_dossier[dossier].append((position(event_id), n))
    bad = 0
    for items in by_dossier.values():
        order = [n for _, n in sorted(items)]
        bad += sum(1 for a, b in itertools.pairwise(order) if b < a)
    return bad


def _consumer_figures(sc, replicas: list[Replica], figures: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    """Who handled what, from the processes' logs: events processed, redeliveries the inbox skipped, and how
    often a partition's next event was processed by another process than the one before (a handover)."""
    sources = {"notification": (sc.stack.log_path, "notification |")}
    sources.update({r.name.removeprefix("motcua-"): (r.log_path, "") for r in replicas})
    owners: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for name, (path, prefix) in sources.items():
        handled = _handled(path, prefix)
        skipped = [r for r in log_records(path, prefix=prefix, event="event_duplicate_skipped")
                   if r.get("topic") == DOSSIER_TOPIC]
        figures[f"{name}_processed"] = len(handled)
        figures[f"{name}_redelivered_skipped"] = len(skipped)
        for partition, offset in handled:
            owners[partition].append((offset, name))
    figures["partition_handovers"] = sum(sum(1 for a, b in itertools.pairwise([n for _, n in sorted(items)]) if a != b)
                                         for items in owners.values())
    for replica in replicas:
        assert figures[f"{replica.name.removeprefix('motcua-')}_processed"] > 0, f"{replica.name} never consumed"
    assert figures["partition_handovers"] >= 4, "partitions went to the new members and came back"
    assert figures["notification_redelivered_skipped"] > 0, "the kill left handled events to deliver again"
