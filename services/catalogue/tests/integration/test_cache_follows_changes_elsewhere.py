"""A replica's cached answers are dropped when another process changes the catalogue (LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import pytest

from motcua_catalogue.cache import ChangeListener, ReadCache
from motcua_catalogue.domain import model as m
from motcua_catalogue.service import CatalogueService
from motcua_catalogue.testing import TEST_ACTOR, RunningCatalogue
from motcua_platform.db import create_pool

pytestmark = pytest.mark.integration


async def eventually(check, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_a_publish_by_another_replica_reaches_this_replicas_cache(
    catalogue: RunningCatalogue, postgres_url: str
) -> None:
    pool = await create_pool(postgres_url, schema=catalogue.schema, max_size=2)
    cache = ReadCache(100)
    listener = ChangeListener(dsn=postgres_url, schema=catalogue.schema, cache=cache)
    task = asyncio.create_task(listener.run())
    try:
        await asyncio.wait_for(listener.listening.wait(), 5)
        replica = CatalogueService(pool=pool, schema=catalogue.schema, cache=cache)
        before = await replica.search(query="rượu", filters=m.SearchFilters())
        assert before.total == 1 and await replica.search(query="rượu", filters=m.SearchFilters()) is before

        # The other replica (the fixture's service) withdraws it.
        await catalogue.service.withdraw(code="1.000028.000.00.00.H15", reason="Bãi bỏ", actor=TEST_ACTOR)

        async def gone() -> bool:
            return (await replica.search(query="rượu", filters=m.SearchFilters())).total == 0

        await eventually(gone)
    finally:
        await listener.stop()
        await asyncio.wait_for(task, 5)
        await pool.close()


async def test_a_manual_sql_change_also_empties_the_cache(catalogue: RunningCatalogue, postgres_url: str) -> None:
    cache = ReadCache(100)
    listener = ChangeListener(dsn=postgres_url, schema=catalogue.schema, cache=cache)
    task = asyncio.create_task(listener.run())
    try:
        await asyncio.wait_for(listener.listening.wait(), 5)
        cache.put("k", "v", cache.generation)
        conn = await asyncpg.connect(postgres_url, server_settings={"search_path": f"{catalogue.schema}, public"})
        try:
            await conn.execute("INSERT INTO search_synonyms (group_key, term) VALUES ('bus', 'xe buýt'), ('bus', 'xe bus')")
        finally:
            await conn.close()

        async def emptied() -> bool:
            return cache.get("k") is None

        await eventually(emptied)
    finally:
        await listener.stop()
        await asyncio.wait_for(task, 5)


async def test_without_a_listening_connection_nothing_is_cached(catalogue: RunningCatalogue) -> None:
    cache = ReadCache(100)
    listener = ChangeListener(dsn="postgresql://nobody@127.0.0.1:9/none", schema=catalogue.schema, cache=cache,
                              retry_seconds=0.05)
    task = asyncio.create_task(listener.run())
    try:
        await asyncio.sleep(0.2)
        cache.put("k", "v", cache.generation)
        assert cache.get("k") is None and not listener.listening.is_set()
    finally:
        await listener.stop()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(task, 5)
