"""`make bench`'s view of what PostgreSQL sessions in a transaction are doing, sampled from a real server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from motcua_devstack.bench import TransactionSampler
from motcua_platform.embedded.postgres import EmbeddedPostgres
from motcua_platform.embedded.process import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
async def url(tmp_path: Path) -> AsyncIterator[str]:
    server = EmbeddedPostgres(tmp_path / "pg", port=free_port(), durable=False)
    try:
        yield server.start()
    finally:
        server.stop()


async def test_sessions_are_counted_by_what_they_wait_for(url: str) -> None:
    setup = await asyncpg.connect(url)
    await setup.execute("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)")
    await setup.execute("INSERT INTO counters VALUES (1, 0)")
    holder, blocked, sleeper, idle = [await asyncpg.connect(url) for _ in range(4)]
    sampler = TransactionSampler(url, interval=0.01)
    tasks: list[asyncio.Task[object]] = []
    try:
        await holder.execute("BEGIN")
        await holder.execute("UPDATE counters SET n = n + 1 WHERE id = 1")  # holds the row, then waits for us
        await idle.execute("BEGIN")
        await idle.execute("SELECT 1")
        waiting = asyncio.create_task(blocked.execute("UPDATE counters SET n = n + 1 WHERE id = 1"))
        tasks += [waiting, asyncio.create_task(sleeper.execute("BEGIN; SELECT pg_sleep(30)"))]
        await asyncio.sleep(0.3)  # both statements are under way
        await sampler.start()
        await asyncio.sleep(0.5)
        figures, detail = await sampler.stop()

        sessions = detail["pg_tx_sessions"]
        assert isinstance(sessions, dict)
        assert sessions["samples"] >= 5
        # holder and idle wait for their client; blocked waits on holder's row; sleeper waits on a timer.
        assert sessions["client"] == pytest.approx(2.0)
        assert sessions["lock"] == pytest.approx(1.0)
        assert sessions["other"] == pytest.approx(1.0)
        assert sessions["running"] == 0.0
        assert detail["pg_tx_waits"] == {"other:PgSleep": pytest.approx(1.0), "lock:transactionid": pytest.approx(1.0)}
        assert figures == {"pg_tx_sessions": "running 0.00 / lock 1.00 / client 2.00 / other 1.00"}

        await holder.execute("COMMIT")
        await waiting  # the row is free: the blocked update goes through
        assert await setup.fetchval("SELECT n FROM counters WHERE id = 1") == 2
    finally:
        await sampler.stop()
        await _end(tasks, holder, blocked, sleeper, idle, setup)


async def test_a_session_at_work_is_running_and_sessions_outside_a_transaction_are_not_counted(url: str) -> None:
    busy, outside = await asyncpg.connect(url), await asyncpg.connect(url)
    sampler = TransactionSampler(url, interval=0.01)
    tasks: list[asyncio.Task[object]] = []
    try:
        await outside.execute("SELECT 1")  # idle, no transaction open
        # A loop: CPU only (a generate_series in FROM would spill to a temporary file and wait on its writes).
        tasks.append(asyncio.create_task(busy.execute("DO $$ BEGIN FOR i IN 1..2000000000 LOOP END LOOP; END $$")))
        await asyncio.sleep(0.2)
        await sampler.start()
        await asyncio.sleep(0.5)
        _, detail = await sampler.stop()
        sessions = detail["pg_tx_sessions"]
        assert isinstance(sessions, dict)
        assert sessions["running"] == pytest.approx(1.0)
        assert sessions["client"] == sessions["lock"] == sessions["other"] == 0.0
    finally:
        await sampler.stop()
        await _end(tasks, busy, outside)


async def _end(tasks: list[asyncio.Task[object]], *conns: asyncpg.Connection) -> None:
    """Close the connections; the statements still under way end with them."""
    for conn in conns:
        conn.terminate()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_lost_sampling_connection_ends_the_sampling_not_the_row(url: str) -> None:
    admin, idle = await asyncpg.connect(url), await asyncpg.connect(url)
    sampler = TransactionSampler(url, interval=0.01)
    try:
        await idle.execute("BEGIN")
        await sampler.start()
        await asyncio.sleep(0.2)
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE '%idle in transaction%' "
            "AND pid <> pg_backend_pid()")
        assert killed == 1
        await asyncio.sleep(0.1)
        figures, detail = await sampler.stop()  # no error: the samples taken before still count
        sessions = detail["pg_tx_sessions"]
        assert isinstance(sessions, dict)
        assert sessions["samples"] >= 3 and sessions["client"] == 1.0
        assert "client 1.00" in str(figures["pg_tx_sessions"])  # (admin's own statement may show as running once)
    finally:
        await sampler.stop()
        await _end([], admin, idle)


async def test_no_sample_no_figures(url: str) -> None:
    assert await TransactionSampler(url).stop() == ({}, {})
