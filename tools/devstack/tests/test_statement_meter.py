"""`make bench`'s statement figures, read from a real PostgreSQL that loads pg_stat_statements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from motcua_devstack.bench import StatementMeter
from motcua_platform.embedded.postgres import EmbeddedPostgres
from motcua_platform.embedded.process import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(tmp_path: Path) -> AsyncIterator[asyncpg.Pool]:
    server = EmbeddedPostgres(tmp_path / "pg", port=free_port(), durable=False, statement_stats=True)
    url = server.start()
    try:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
        try:
            yield pool
        finally:
            await pool.close()
    finally:
        server.stop()


async def test_statements_are_counted_per_request_and_ranked_by_time(pool: asyncpg.Pool) -> None:
    await pool.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
    meter = StatementMeter(pool)
    before = await meter.snapshot()
    async with pool.acquire() as conn:  # one connection: a pool's release adds its reset statements
        for i in range(10):  # 10 "requests": two inserts and one slow statement each
            await conn.execute("INSERT INTO t VALUES ($1, 'a')", 2 * i)
            await conn.execute("INSERT INTO t VALUES ($1, 'b')", 2 * i + 1)
            await conn.execute("SELECT pg_sleep(0.01)")
        await conn.fetch("SELECT count(*) FROM pg_stat_activity")  # as TransactionSampler reads: not the stack's work
    figures, detail = meter.per_request(before, await meter.snapshot(), 10)

    top = detail["pg_top_statements"]
    assert isinstance(top, list)
    assert "pg_sleep" in top[0]["statement"]  # ranked by time taken
    assert top[0]["calls_per_request"] == 1.0 and top[0]["ms_per_call"] >= 10
    inserts = [row for row in top if row["statement"].startswith("INSERT INTO t")]
    assert [row["calls_per_request"] for row in inserts] == [2.0]  # one normalized statement, two calls per request
    assert not any("pg_stat_statements" in row["statement"] for row in top)  # the meter's own reads are left out
    assert not any("pg_stat_activity" in row["statement"] for row in top)  # and the sampler's
    # The three of each request, plus the reset statements of the meter's own pool when it releases a connection.
    assert 3.0 <= figures["pg_statements_per_request"] < 4.0
    assert figures["pg_exec_ms_per_request"] >= 10


async def test_a_server_without_the_extension_loaded_gives_no_figures(postgres_url: str) -> None:
    pool = await asyncpg.create_pool(postgres_url, min_size=1, max_size=1)
    try:
        meter = StatementMeter(pool)
        before = await meter.snapshot()
        assert meter.per_request(before, await meter.snapshot(), 10) == ({}, {})
    finally:
        await pool.close()
