"""Append-only SQL migration runner.

Migrations are files `NNNN_description.sql` in a directory, applied in order,
each in its own transaction together with its row in `schema_migrations`.
A service applies several *tracks* into its own schema: the platform's
(outbox, inbox) and its own. Rules:

- an advisory lock per schema serialises concurrent starters, so two replicas
  starting at once apply each file exactly once;
- the SHA-256 of every applied file is recorded; a file edited after it was
  applied, a gap in the numbering or an applied migration whose file is gone
  refuses the start (`MigrationError`), because the database would no longer
  match the code.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import asyncpg

from motcua_platform.db import check_schema_name
from motcua_platform.logging import get_logger

log = get_logger(__name__)

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """The database and the migration files disagree; the service must not start."""


@dataclass(frozen=True)
class Migration:
    track: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Track:
    """A named, ordered list of migrations (e.g. `platform`, `dossier`)."""

    name: str
    directory: Path

    def load(self) -> list[Migration]:
        migrations: list[Migration] = []
        if not self.directory.is_dir():
            return migrations
        for path in sorted(self.directory.iterdir()):
            if path.suffix != ".sql":
                continue
            match = _FILE.match(path.name)
            if not match:
                raise MigrationError(f"{self.name}: bad migration file name {path.name!r} (want NNNN_name.sql)")
            migrations.append(
                Migration(self.name, int(match.group(1)), match.group(2), path.read_text(encoding="utf-8"))
            )
        for expected, migration in enumerate(migrations, start=1):
            if migration.version != expected:
                raise MigrationError(
                    f"{self.name}: migrations must be numbered 0001, 0002, ... without gaps or duplicates; "
                    f"found {migration.version:04d}_{migration.name}.sql where {expected:04d} was expected"
                )
        return migrations


def platform_track() -> Track:
    """The platform's own migrations (outbox, inbox), applied into every service schema."""
    return Track("platform", Path(str(resources.files("motcua_platform") / "migrations")))


_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
    track       text        NOT NULL,
    version     integer     NOT NULL,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (track, version)
)
"""


async def apply_migrations(dsn_or_conn: str | asyncpg.Connection, *, schema: str, tracks: list[Track]) -> list[Migration]:
    """Apply the pending migrations of `tracks` into `schema`; return what was applied.

    Idempotent: re-running applies nothing. Raises `MigrationError` on an edited,
    missing or misnumbered file.
    """
    check_schema_name(schema)
    conn = await asyncpg.connect(dsn_or_conn) if isinstance(dsn_or_conn, str) else dsn_or_conn
    lock_key = f"motcua.migrations.{schema}"
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", lock_key)
        try:
            return await _apply_locked(conn, schema, tracks)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", lock_key)
    finally:
        if isinstance(dsn_or_conn, str):
            await conn.close()


async def _apply_locked(conn: asyncpg.Connection, schema: str, tracks: list[Track]) -> list[Migration]:
    await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    await conn.execute(_BOOKKEEPING.format(schema=schema))
    rows = await conn.fetch(f"SELECT track, version, name, checksum FROM {schema}.schema_migrations")
    applied = {(r["track"], r["version"]): r for r in rows}
    wanted = [m for track in tracks for m in track.load()]
    known = {(m.track, m.version) for m in wanted}
    track_names = {t.name for t in tracks}
    for key, row in applied.items():
        if key[0] in track_names and key not in known:
            raise MigrationError(
                f"{schema}: migration {row['track']}/{row['version']:04d}_{row['name']}.sql is applied "
                "but its file is missing; this code is older than the database"
            )
    done: list[Migration] = []
    for migration in wanted:
        row = applied.get((migration.track, migration.version))
        if row is not None:
            if row["checksum"] != migration.checksum:
                raise MigrationError(
                    f"{schema}: migration {migration.track}/{migration.version:04d}_{migration.name}.sql was edited "
                    "after it was applied; migrations are append-only, add a new file instead"
                )
            continue
        async with conn.transaction():
            await conn.execute(f"SET LOCAL search_path TO {schema}, public")
            await conn.execute(migration.sql)
            await conn.execute(
                f"INSERT INTO {schema}.schema_migrations (track, version, name, checksum) VALUES ($1, $2, $3, $4)",
                migration.track,
                migration.version,
                migration.name,
                migration.checksum,
            )
        log.info("migration_applied", schema=schema, track=migration.track, version=migration.version, migration=migration.name)
        done.append(migration)
    return done
