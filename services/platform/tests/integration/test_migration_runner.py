"""The migration runner applies append-only files once, even with concurrent starters."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from motcua_platform.migrations import MigrationError, Track, apply_migrations

pytestmark = pytest.mark.integration


def _track(tmp_path: Path, files: dict[str, str]) -> Track:
    directory = tmp_path / "migrations"
    directory.mkdir(exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql, encoding="utf-8")
    return Track("svc", directory)


FILES = {
    "0001_create_things.sql": "CREATE TABLE things (id serial PRIMARY KEY, label text NOT NULL);",
    "0002_add_counter.sql": "CREATE TABLE counter (n int NOT NULL); INSERT INTO counter VALUES (0);"
    "UPDATE counter SET n = n + 1;",
}


async def test_fresh_apply_then_reapply_is_a_no_op(postgres_url: str, db_schema: str, tmp_path: Path) -> None:
    track = _track(tmp_path, FILES)
    applied = await apply_migrations(postgres_url, schema=db_schema, tracks=[track])
    assert [m.version for m in applied] == [1, 2]
    again = await apply_migrations(postgres_url, schema=db_schema, tracks=[track])
    assert again == []
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await conn.fetchval(f"SELECT n FROM {db_schema}.counter") == 1
        rows = await conn.fetch(f"SELECT track, version FROM {db_schema}.schema_migrations ORDER BY version")
        assert [(r["track"], r["version"]) for r in rows] == [("svc", 1), ("svc", 2)]
    finally:
        await conn.close()


async def test_new_file_is_applied_incrementally(postgres_url: str, db_schema: str, tmp_path: Path) -> None:
    track = _track(tmp_path, {"0001_create_things.sql": FILES["0001_create_things.sql"]})
    await apply_migrations(postgres_url, schema=db_schema, tracks=[track])
    track = _track(tmp_path, {"0002_add_counter.sql": FILES["0002_add_counter.sql"]})
    applied = await apply_migrations(postgres_url, schema=db_schema, tracks=[track])
    assert [m.version for m in applied] == [2]


async def test_edited_migration_is_refused(postgres_url: str, db_schema: str, tmp_path: Path) -> None:
    track = _track(tmp_path, FILES)
    await apply_migrations(postgres_url, schema=db_schema, tracks=[track])
    (track.directory / "0001_create_things.sql").write_text(
        "CREATE TABLE things (id bigserial PRIMARY KEY, label text);", encoding="utf-8"
    )
    with pytest.raises(MigrationError, match="edited after it was applied"):
        await apply_migrations(postgres_url, schema=db_schema, tracks=[track])


async def test_missing_applied_file_and_gaps_are_refused(postgres_url: str, db_schema: str, tmp_path: Path) -> None:
    track = _track(tmp_path, FILES)
    await apply_migrations(postgres_url, schema=db_schema, tracks=[track])
    (track.directory / "0002_add_counter.sql").unlink()
    with pytest.raises(MigrationError, match="file is missing"):
        await apply_migrations(postgres_url, schema=db_schema, tracks=[track])
    gap_dir = tmp_path / "gap"
    gap_dir.mkdir()
    (gap_dir / "0001_a.sql").write_text("SELECT 1;", encoding="utf-8")
    (gap_dir / "0003_c.sql").write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(MigrationError, match="without gaps"):
        await apply_migrations(postgres_url, schema=db_schema, tracks=[Track("gap", gap_dir)])


async def test_failed_migration_rolls_back_and_is_not_recorded(postgres_url: str, db_schema: str, tmp_path: Path) -> None:
    track = _track(tmp_path, {"0001_broken.sql": "CREATE TABLE half (id int); SELECT no_such_function();"})
    with pytest.raises(asyncpg.PostgresError):
        await apply_migrations(postgres_url, schema=db_schema, tracks=[track])
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await conn.fetchval("SELECT to_regclass($1)", f"{db_schema}.half") is None
        assert await conn.fetchval(f"SELECT count(*) FROM {db_schema}.schema_migrations") == 0
    finally:
        await conn.close()


async def test_concurrent_starters_apply_each_file_once(postgres_url: str, db_schema: str, tmp_path: Path) -> None:
    # A slow, non-idempotent migration: applied twice it would fail on the duplicate table.
    track = _track(
        tmp_path,
        {
            "0001_slow.sql": "SELECT pg_sleep(0.5); CREATE TABLE once_only (id int);",
            "0002_count.sql": "CREATE TABLE applied_count (n int); INSERT INTO applied_count VALUES (1);",
        },
    )
    results = await asyncio.gather(
        *(apply_migrations(postgres_url, schema=db_schema, tracks=[track]) for _ in range(4))
    )
    assert sorted(len(r) for r in results) == [0, 0, 0, 2]
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await conn.fetchval(f"SELECT count(*) FROM {db_schema}.applied_count") == 1
    finally:
        await conn.close()
