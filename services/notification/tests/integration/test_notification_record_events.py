"""A consumer chunk recorded in one statement leaves exactly what recording each event in turn leaves.

And the planner and the webhook worker are woken only when rows were inserted: not for an event no
subscription wants, nor for a redelivered event whose notification already exists.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from motcua_notification.consumers import EventHandler
from motcua_notification.testing import DOSSIER_RECEIVED, booking_cancelled, dossier_received, migrate
from motcua_notification.worker import work_channel
from motcua_platform.cloudevents import CloudEvent, data_from_message
from motcua_platform.consumer import ReceivedEvent

pytestmark = pytest.mark.integration

DOSSIER_REJECTED = "motcua.dossier.v1.rejected"
BOOKING_CANCELLED = "motcua.scheduler.v1.booking_cancelled"


async def _schema_conn(postgres_url: str, db_schema: str, suffix: str) -> asyncpg.Connection:
    schema = f"{db_schema}_{suffix}"
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
    finally:
        await admin.close()
    await migrate(postgres_url, schema)
    return await asyncpg.connect(postgres_url, server_settings={"search_path": schema})


@pytest.fixture
async def two(postgres_url: str, db_schema: str) -> AsyncIterator[tuple[asyncpg.Connection, asyncpg.Connection]]:
    """Two fresh schemas with the same subscriptions: one recorded event by event, one by chunk."""
    conns = [await _schema_conn(postgres_url, db_schema, s) for s in ("each", "chunk")]
    try:
        for conn in conns:
            for sid, types, procedures in (
                ("00000000-0000-0000-0000-000000000001", [], []),  # every dossier event
                ("00000000-0000-0000-0000-000000000002", [DOSSIER_RECEIVED], ["1.000001.000.00.00.H15"]),
                ("00000000-0000-0000-0000-000000000003", [BOOKING_CANCELLED], []),
            ):
                await conn.execute(
                    "INSERT INTO subscriptions (id, agency_id, url, event_types, procedure_codes, secret_ciphertext) "
                    "VALUES ($1, 'agency', 'https://agency.example/hook', $2, $3, '\\x00')", uuid.UUID(sid), types,
                    procedures)
        yield conns[0], conns[1]
    finally:
        for conn in conns:
            await conn.execute("DROP SCHEMA IF EXISTS " + (await conn.fetchval("SELECT current_schema()")) + " CASCADE")
            await conn.close()


def _received(event_type: str, message: Any, source: str, offset: int, key: str) -> ReceivedEvent:
    event = CloudEvent(id=str(uuid.uuid4()), source=source, type=event_type, time=datetime.now(UTC), subject=key,
                       data=data_from_message(message))
    return ReceivedEvent(event=event, topic="t", partition=0, offset=offset, key=key)


def _events() -> list[ReceivedEvent]:
    events = []
    for i in range(6):
        code = f"000.00.04.H15-261206-{i:04d}"
        procedure = "1.000001.000.00.00.H15" if i % 2 else "1.000002.000.00.00.H15"
        events.append(_received(DOSSIER_RECEIVED, dossier_received(code, f"ct_{i}", procedure_code=procedure),
                                "/motcua/dossier", i, code))
    events.append(_received(BOOKING_CANCELLED, booking_cancelled("bk-1", "ct_b"), "/motcua/scheduler", 6, "bk-1"))
    return events


async def _rows(conn: asyncpg.Connection) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    notes = await conn.fetch(
        "SELECT source_key, source_event_id, event_type, template_code, params::text, contact_source, contact_ref, "
        "dossier_code, booking_id, procedure_code, urgent, essential, legal_basis, state FROM notifications "
        "ORDER BY source_key")
    hooks = await conn.fetch("SELECT subscription_id, event_id, event_type, body, status FROM webhook_deliveries "
                             "ORDER BY subscription_id, event_id")
    return [tuple(r) for r in notes], [tuple(r) for r in hooks]


async def test_a_chunk_leaves_what_each_event_in_turn_leaves(
        two: tuple[asyncpg.Connection, asyncpg.Connection]) -> None:
    each, chunked = two
    handler = EventHandler(lookup_url="https://dichvucong.example/tra-cuu")
    received = _events()
    async with each.transaction():
        for item in received:
            await handler(each, item)
    async with chunked.transaction():
        await handler.chunk(chunked, received)

    notes, hooks = await _rows(chunked)
    assert (notes, hooks) == await _rows(each)
    assert len(notes) == 7  # a receipt for each dossier and the booking's cancellation notice
    # Every dossier event for the first subscription, the filtered one only for its procedure, the booking's own.
    wanted = {str(s): n for s, n in [("00000000-0000-0000-0000-000000000001", 6),
                                      ("00000000-0000-0000-0000-000000000002", 3),
                                      ("00000000-0000-0000-0000-000000000003", 1)]}
    assert {s: sum(1 for h in hooks if str(h[0]) == s) for s in wanted} == wanted

    async with chunked.transaction():  # the same events again (the inbox stops this; the statement holds anyway)
        await handler.chunk(chunked, received)
    assert await _rows(chunked) == (notes, hooks)


async def test_workers_are_woken_only_when_rows_were_inserted(
        two: tuple[asyncpg.Connection, asyncpg.Connection], postgres_url: str) -> None:
    _, conn = two
    await conn.execute("DELETE FROM subscriptions")
    heard: list[str] = []
    channel = work_channel(await conn.fetchval("SELECT current_schema()"))
    listener = await asyncpg.connect(postgres_url)
    try:
        await listener.add_listener(channel, lambda *args: heard.append(args[3]))
        handler = EventHandler(lookup_url="https://dichvucong.example/tra-cuu")
        received = _events()[:2]

        async def recorded(items: list[ReceivedEvent]) -> list[str]:
            heard.clear()
            async with conn.transaction():
                await handler.chunk(conn, items)
            await asyncio.sleep(0.3)
            return sorted(heard)

        assert await recorded(received) == ["notifications"]  # no subscription: the webhook worker sleeps on
        assert await recorded(received) == []  # nothing new: nobody is woken
        await conn.execute(
            "INSERT INTO subscriptions (id, agency_id, url, secret_ciphertext) "
            "VALUES (gen_random_uuid(), 'agency', 'https://agency.example/hook', '\\x00')")
        assert await recorded(_events()[2:3]) == ["notifications", "webhook_deliveries"]
    finally:
        await listener.close()

