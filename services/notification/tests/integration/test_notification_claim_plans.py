"""The worker's claim queries bound their index scans by time: held rows cost nothing to skip.

At night the quiet hours hold SMS and ZNS receipts until morning, so thousands of `created`
deliveries wait with a future `not_before`. A claim written `not_before <= clock_timestamp()`
cannot use that comparison as an index bound (clock_timestamp() is volatile): PostgreSQL then
reads every held row of the partial index and filters it, on every poll. Measured in the
submission benchmark, that one statement took 8.5 ms per call and 40 % of PostgreSQL's time.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from motcua_notification import repository
from motcua_notification.testing import migrate


@pytest.fixture
async def conn(postgres_url: str, db_schema: str) -> AsyncIterator[asyncpg.Connection]:
    await migrate(postgres_url, db_schema)
    connection = await asyncpg.connect(postgres_url, server_settings={"search_path": db_schema})
    try:
        yield connection
    finally:
        await connection.close()


def _index_conditions(plan: dict[str, Any]) -> list[str]:
    found = [plan["Index Cond"]] if "Index Cond" in plan else []
    for child in plan.get("Plans", []):
        found += _index_conditions(child)
    return found


async def _plan_of(conn: asyncpg.Connection, call: Callable[[asyncpg.Connection], Awaitable[Any]]) -> list[str]:
    """Run `call` (its statement), then EXPLAIN that statement with the same arguments; return its index bounds."""
    seen: list[Any] = []
    conn.add_query_logger(seen.append)
    try:
        async with conn.transaction():
            await call(conn)
    finally:
        conn.remove_query_logger(seen.append)
    statements = [q for q in seen if q.query.strip().rstrip(";") not in ("BEGIN", "COMMIT")]
    assert len(statements) == 1, [q.query for q in statements]
    async with conn.transaction():
        # The tables are empty: make the planner show the index it would use once they are not.
        await conn.execute("SET LOCAL enable_seqscan = off")
        plan = json.loads(await conn.fetchval("EXPLAIN (FORMAT JSON) " + statements[0].query, *statements[0].args))
    return _index_conditions(plan[0]["Plan"])


@pytest.mark.parametrize(
    ("name", "call", "column"),
    [
        ("deliveries due", lambda c: repository.claim_due(c, limit=50, sms_provider="viettel"), "not_before"),
        ("notifications to plan", lambda c: repository.claim_to_plan(c, limit=50, lease_seconds=30), "plan_after"),
        ("deliveries left sending", lambda c: repository.stale_sending(c, older_than_seconds=60), "sending_since"),
        ("webhooks due", lambda c: repository.claim_webhooks(c, limit=50, lease_seconds=30), "next_attempt_at"),
    ],
)
async def test_claims_bound_their_index_scan_by_time(conn: asyncpg.Connection, name: str, call: Any,
                                                       column: str) -> None:
    conditions = await _plan_of(conn, call)
    assert any(column in condition for condition in conditions), (name, conditions)
