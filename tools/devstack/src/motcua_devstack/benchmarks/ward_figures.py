"""Ward figures: cost of the dossier service's GetFigures aggregate (what the console's /console/so-lieu runs).

Against the embedded Postgres (or MOTCUA_DATABASE_URL), in a private schema migrated like the dossier
service's: N synthetic dossiers spread over a year across 8 agencies and 9 channels, half of them with a
"result ready" history row. Then the repository's one-statement aggregate is timed for a month and a year,
for all agencies and for one agency, sequentially (the figure is latency per page view, not throughput).
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from motcua_devstack.bench import BenchContext, BenchResult, summarize
from motcua_platform.db import create_pool
from motcua_platform.migrations import Track, apply_migrations, platform_track

NAME = "ward_figures"
ORDER = 80
DOSSIERS = int(os.environ.get("MOTCUA_BENCH_FIGURES_DOSSIERS", "100000"))
CALLS = int(os.environ.get("MOTCUA_BENCH_FIGURES_CALLS", "30"))

SEED_SQL = """
INSERT INTO dossiers (code, agency_code, receipt_day, seq, public_token, procedure_code, procedure_version,
                      procedure_name, agency_name, status, received_at, due_at, processing_working_days, collect_at,
                      channel, result_delivery, consent, contact_ref, applicant, documents, root_code, updated_at)
SELECT 'A' || (i % 8) || '-' || i, 'A' || (i % 8), (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, i, 'token',
       'P.' || (i % 40), 1, 'Thủ tục', 'UBND', CASE WHEN i % 2 = 0 THEN 9 ELSE 1 + i % 8 END, at,
       at + interval '5 days', 5, 'Bộ phận Một cửa', 1 + i % 9, 1, '{}', 'ct_' || i, '{}', '[]',
       'A' || (i % 8) || '-' || i, at
FROM generate_series(1, $1::int) AS i, LATERAL (SELECT $2::timestamptz - (i % 365) * interval '1 day'
                                                       - (i % 600) * interval '1 minute' AS at) t
"""
HISTORY_SQL = """
INSERT INTO status_history (dossier_id, from_status, to_status, actor, at, version)
SELECT id, 4, 9, '{}', received_at + (id % 8) * interval '1 day', 2 FROM dossiers WHERE status = 9
"""


async def run(ctx: BenchContext) -> list[BenchResult]:
    from motcua_dossier import repository as repo
    from motcua_dossier.app import MIGRATIONS

    stack = ctx.infrastructure()
    schema = f"bench_figures_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(stack.database_url)
    await conn.execute(f"CREATE SCHEMA {schema}")
    await conn.close()
    results: list[BenchResult] = []
    try:
        await apply_migrations(stack.database_url, schema=schema, tracks=[platform_track(), Track("dossier", MIGRATIONS)])
        pool = await create_pool(stack.database_url, schema=schema, max_size=2)
        try:
            now = datetime.now(UTC)
            started = time.perf_counter()
            async with pool.acquire() as c:
                await c.execute(SEED_SQL, DOSSIERS, now)
                await c.execute(HISTORY_SQL)
                await c.execute("ANALYZE dossiers; ANALYZE status_history")
            seeded = time.perf_counter() - started
            for label, days, agency in (("month, all agencies", 30, ""), ("month, one agency", 30, "A3"),
                                        ("year, all agencies", 365, "")):
                start = now - timedelta(days=days)
                latencies: list[float] = []
                figures = None
                began = time.perf_counter()
                for _ in range(CALLS):
                    t = time.perf_counter()
                    figures = await repo.figures(pool, start=start, end=now, agency_code=agency, now=now)
                    latencies.append(time.perf_counter() - t)
                assert figures is not None and figures.received > 0
                results.append(summarize(f"GetFigures SQL, {label}", latencies, 0, time.perf_counter() - began,
                                         dossiers=DOSSIERS, received=figures.received, resolved=figures.resolved,
                                         seed_seconds=round(seeded, 1)))
        finally:
            await pool.close()
    finally:
        conn = await asyncpg.connect(stack.database_url)
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await conn.close()
    return results
