"""All SQL of the catalogue. Functions take the connection so that the caller owns the transaction.

Tables live in the service's schema, which is first on the pool's search_path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from motcua_catalogue.domain import model as m
from motcua_catalogue.domain.search import RANK_WEIGHTS, TsQueries
from motcua_catalogue.domain.text import index_text

_SUMMARY_COLUMNS = """p.code, p.version, p.name, p.field_code, p.field_name, p.level, p.agency_code, p.agency_name,
       p.online_level, p.legacy_level_label, p.min_working_days"""

_VERSION_FIELDS = ("code", "version", "status", "details", "created_at", "updated_at", "published_at", "withdrawn_at",
                   "withdrawal_reason", "replaced_by_code")
_VERSION_COLUMNS = ", ".join(_VERSION_FIELDS)
_VERSION_COLUMNS_P = ", ".join(f"p.{name}" for name in _VERSION_FIELDS)


@dataclass(frozen=True)
class Head:
    """Where a procedure stands: its highest version, and its published and draft versions if any."""

    code: str
    max_version: int
    published_version: int | None
    published_hash: str | None
    draft_version: int | None
    draft_hash: str | None


@dataclass(frozen=True)
class Found:
    rows: list[asyncpg.Record]
    total: int


async def lock_catalogue(conn: asyncpg.Connection, schema: str) -> None:
    """Serialise writers of this catalogue until the transaction ends (writes are rare; races are not)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"motcua.catalogue.write.{schema}")


# -- writes ------------------------------------------------------------------------------------------


async def heads(conn: asyncpg.Connection, codes: Sequence[str]) -> dict[str, Head]:
    rows = await conn.fetch(
        """
        SELECT code,
               max(version) AS max_version,
               max(version) FILTER (WHERE status = 'published') AS published_version,
               max(content_hash) FILTER (WHERE status = 'published') AS published_hash,
               max(version) FILTER (WHERE status = 'draft') AS draft_version,
               max(content_hash) FILTER (WHERE status = 'draft') AS draft_hash
        FROM procedures WHERE code = ANY($1::text[]) GROUP BY code
        """,
        list(codes),
    )
    return {r["code"]: Head(**dict(r)) for r in rows}


async def upsert_fields(conn: asyncpg.Connection, fields: Iterable[m.Field]) -> None:
    unique = {f.code: f for f in fields}
    if not unique:
        return
    await conn.executemany(
        """
        INSERT INTO fields (code, name, name_norm) VALUES ($1, $2, $3)
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_norm = EXCLUDED.name_norm, updated_at = now()
        WHERE fields.name <> EXCLUDED.name
        """,
        [(f.code, f.name, index_text(f.name)) for f in unique.values()],
    )


async def upsert_agencies(conn: asyncpg.Connection, agencies: Iterable[m.Agency]) -> None:
    unique = {a.code: a for a in agencies}
    if not unique:
        return
    await conn.executemany(
        """
        INSERT INTO agencies (code, name, name_norm) VALUES ($1, $2, $3)
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_norm = EXCLUDED.name_norm, updated_at = now()
        WHERE agencies.name <> EXCLUDED.name
        """,
        [(a.code, a.name, index_text(a.name)) for a in unique.values()],
    )


def _content_values(c: m.ProcedureContent) -> tuple[Any, ...]:
    return (
        c.name, c.field.code, c.field.name, c.agency.code, c.agency.name, c.level.value, c.online_level.value,
        c.legacy_level_label, c.min_working_days, json.dumps(c.to_document(), ensure_ascii=False), c.content_hash(),
        index_text(c.name),
        index_text(*c.keywords, *c.synonyms, c.field.name),
        index_text(*(d.name for d in c.required_documents), *c.legal_basis),
    )


async def insert_drafts(conn: asyncpg.Connection, drafts: Sequence[tuple[m.ProcedureContent, int]], *, actor_id: str) -> None:
    """Insert new draft versions: (content, version) pairs."""
    await conn.executemany(
        """
        INSERT INTO procedures (code, version, status, created_by,
            name, field_code, field_name, agency_code, agency_name, level, online_level, legacy_level_label,
            min_working_days, details, content_hash, name_norm, terms_norm, body_norm)
        VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15, $16, $17)
        """,
        [(c.code, version, actor_id, *_content_values(c)) for c, version in drafts],
    )


async def replace_drafts(conn: asyncpg.Connection, drafts: Sequence[tuple[m.ProcedureContent, int]]) -> None:
    """Overwrite the content of existing draft versions."""
    await conn.executemany(
        """
        UPDATE procedures SET name = $3, field_code = $4, field_name = $5, agency_code = $6, agency_name = $7,
            level = $8, online_level = $9, legacy_level_label = $10, min_working_days = $11, details = $12::jsonb,
            content_hash = $13, name_norm = $14, terms_norm = $15, body_norm = $16, updated_at = now()
        WHERE code = $1 AND version = $2 AND status = 'draft'
        """,
        [(c.code, version, *_content_values(c)) for c, version in drafts],
    )


async def published_contents(conn: asyncpg.Connection, codes: Sequence[str]) -> dict[str, tuple[int, m.ProcedureContent]]:
    rows = await conn.fetch(
        "SELECT code, version, details FROM procedures WHERE code = ANY($1::text[]) AND status = 'published'",
        list(codes),
    )
    return {r["code"]: (r["version"], m.ProcedureContent.from_document(json.loads(r["details"]))) for r in rows}


async def supersede_published(conn: asyncpg.Connection, codes: Sequence[str], *, actor_id: str, at: datetime) -> None:
    """Mark the published versions of `codes` superseded (before their drafts are published)."""
    await conn.execute(
        """
        UPDATE procedures SET status = 'superseded', withdrawn_at = $2, withdrawn_by = $3, updated_at = $2
        WHERE code = ANY($1::text[]) AND status = 'published'
        """,
        list(codes), at, actor_id,
    )


async def publish_drafts(conn: asyncpg.Connection, versions: Sequence[tuple[str, int]], *, actor_id: str,
                         at: datetime) -> list[asyncpg.Record]:
    """Publish the given draft versions; return the published rows (the unique index forbids a second one)."""
    return await conn.fetch(
        f"""
        UPDATE procedures p SET status = 'published', published_at = $3, published_by = $4, updated_at = $3
        FROM unnest($1::text[], $2::int[]) AS v(code, version)
        WHERE p.code = v.code AND p.version = v.version AND p.status = 'draft'
        RETURNING {_VERSION_COLUMNS_P}
        """,
        [c for c, _ in versions], [v for _, v in versions], at, actor_id,
    )


async def withdraw_published(conn: asyncpg.Connection, code: str, *, reason: str, replaced_by: str, actor_id: str,
                             at: datetime) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""
        UPDATE procedures SET status = 'withdrawn', withdrawn_at = $2, withdrawn_by = $3, withdrawal_reason = $4,
            replaced_by_code = $5, updated_at = $2
        WHERE code = $1 AND status = 'published'
        RETURNING {_VERSION_COLUMNS}
        """,
        code, at, actor_id, reason, replaced_by,
    )


async def refresh_search(conn: asyncpg.Connection, codes: Sequence[str] | None) -> None:
    """Make the search index hold exactly the published versions of `codes` (None: of every procedure)."""
    await conn.execute("SELECT refresh_search_entries($1::text[])", None if codes is None else list(codes))


async def analyze(conn: asyncpg.Connection) -> None:
    """Refresh planner statistics after a bulk change (autovacuum would, later)."""
    await conn.execute("ANALYZE procedures")
    await conn.execute("ANALYZE search_entries")


async def count_procedures(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM procedures")


# -- reads ------------------------------------------------------------------------------------------


def version_from_row(row: asyncpg.Record) -> m.ProcedureVersion:
    return m.ProcedureVersion(
        content=m.ProcedureContent.from_document(json.loads(row["details"])),
        version=row["version"],
        status=m.Status(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        published_at=row["published_at"],
        withdrawn_at=row["withdrawn_at"],
        withdrawal_reason=row["withdrawal_reason"],
        replaced_by_code=row["replaced_by_code"],
    )


async def get_version(conn: asyncpg.Connection, code: str, version: int) -> m.ProcedureVersion | None:
    row = await conn.fetchrow(f"SELECT {_VERSION_COLUMNS} FROM procedures WHERE code = $1 AND version = $2", code, version)
    return version_from_row(row) if row else None


async def get_current(conn: asyncpg.Connection, code: str) -> m.ProcedureVersion | None:
    """The published version; else the last withdrawn one (kept so citizens learn it was withdrawn); else None."""
    row = await conn.fetchrow(
        f"""
        SELECT {_VERSION_COLUMNS} FROM procedures
        WHERE code = $1 AND status IN ('published', 'withdrawn')
        ORDER BY status = 'published' DESC, version DESC LIMIT 1
        """,
        code,
    )
    return version_from_row(row) if row else None


async def get_draft(conn: asyncpg.Connection, code: str) -> m.ProcedureVersion | None:
    row = await conn.fetchrow(f"SELECT {_VERSION_COLUMNS} FROM procedures WHERE code = $1 AND status = 'draft'", code)
    return version_from_row(row) if row else None


def summary_from_row(row: asyncpg.Record, score: float = 0.0) -> m.ProcedureSummary:
    return m.ProcedureSummary(
        code=row["code"],
        version=row["version"],
        name=row["name"],
        field=m.Field(row["field_code"], row["field_name"]),
        level=m.Level(row["level"]),
        agency=m.Agency(row["agency_code"], row["agency_name"]),
        online_level=m.OnlineLevel(row["online_level"]),
        legacy_level_label=row["legacy_level_label"],
        min_working_days=row["min_working_days"],
        score=score,
    )


def _filters(filters: m.SearchFilters, first: int) -> tuple[str, list[Any]]:
    """SQL conditions for the filters that are set (so each combination gets its own plan)."""
    clauses: list[str] = []
    args: list[Any] = []
    for column, value in (("level", filters.level), ("field_code", filters.field_code),
                          ("agency_code", filters.agency_code), ("online_level", filters.online_level)):
        if value is not None:
            args.append(value.value if hasattr(value, "value") else value)
            clauses.append(f" AND p.{column} = ${first + len(args) - 1}")
    return "".join(clauses), args


async def search_fulltext(conn: asyncpg.Connection, queries: TsQueries, filters: m.SearchFilters, *, limit: int,
                          offset: int) -> Found:
    """Procedures in force matching `queries.match`, best first.

    Score = weighted ts_rank (name A > keywords B > documents C) + bonuses for all words
    in the name (more when they make up more of the name: "Đăng ký khai sinh" before
    "Đăng ký khai sinh cho người đã có hồ sơ..."), the words adjacent in the name, and
    whole-word (not prefix) matches; shorter names first among equals. Only matching rows
    are ranked (GIN index on search_entries.search_doc).
    """
    where, args = _filters(filters, 8)
    rows = await conn.fetch(
        f"""
        WITH q AS (
            SELECT $1::tsquery AS match, $2::tsquery AS in_name, $3::tsquery AS name_phrase, $4::tsquery AS whole_words
        ), hits AS (
            SELECT {_SUMMARY_COLUMNS},
                   ts_rank('{RANK_WEIGHTS}', p.search_doc, q.match)
                   + CASE WHEN p.search_doc @@ q.in_name THEN 1.0 + least(1.0, $7::float8 / p.name_words) ELSE 0 END
                   + CASE WHEN p.search_doc @@ q.name_phrase THEN 0.5 ELSE 0 END
                   + CASE WHEN p.search_doc @@ q.whole_words THEN 0.3 ELSE 0 END
                   + CASE p.level WHEN 'commune' THEN 0.02 WHEN 'district' THEN -0.5 ELSE 0 END
                   - p.name_words / 10000.0 AS score,
                   p.name_norm
            FROM search_entries p, q
            WHERE p.search_doc @@ q.match{where}
        )
        SELECT *, count(*) OVER () AS total FROM hits ORDER BY score DESC, name_norm, code LIMIT $5 OFFSET $6
        """,
        queries.match, queries.in_name, queries.name_phrase, queries.whole_words, limit, offset, queries.words, *args,
    )
    return Found(rows, rows[0]["total"] if rows else await _count_fulltext(conn, queries, filters, offset))


async def _count_fulltext(conn: asyncpg.Connection, queries: TsQueries, filters: m.SearchFilters, offset: int) -> int:
    if offset == 0:
        return 0
    where, args = _filters(filters, 2)
    return await conn.fetchval(
        f"SELECT count(*) FROM search_entries p WHERE p.search_doc @@ $1::tsquery{where}",
        queries.match, *args,
    )


async def matches_anything(conn: asyncpg.Connection, match: str) -> bool:
    """Whether any procedure in force matches, whatever the filters (one index probe)."""
    return await conn.fetchval("SELECT EXISTS (SELECT 1 FROM search_entries p WHERE p.search_doc @@ $1::tsquery)", match)


async def search_fuzzy(conn: asyncpg.Connection, text: str, filters: m.SearchFilters, *, threshold: float, limit: int,
                       offset: int) -> Found:
    """Procedures in force whose names/keywords contain words similar to `text` (pg_trgm `<%`, indexed)."""
    where, args = _filters(filters, 4)
    async with conn.transaction():
        await conn.execute(f"SET LOCAL pg_trgm.word_similarity_threshold = {float(threshold)}")
        rows = await conn.fetch(
            f"""
            WITH hits AS (
                SELECT {_SUMMARY_COLUMNS}, word_similarity($1, p.fuzzy_text) - length(p.name_norm) / 5000.0 AS score,
                       p.name_norm
                FROM search_entries p
                WHERE $1 <% p.fuzzy_text{where}
            )
            SELECT *, count(*) OVER () AS total FROM hits ORDER BY score DESC, name_norm, code LIMIT $2 OFFSET $3
            """,
            text, limit, offset, *args,
        )
        if rows or offset == 0:
            return Found(rows, rows[0]["total"] if rows else 0)
        total = await conn.fetchval(f"SELECT count(*) FROM search_entries p WHERE $1 <% p.fuzzy_text{_filters(filters, 2)[0]}",
                                    text, *args)
    return Found(rows, total)


async def search_code_prefix(conn: asyncpg.Connection, prefix: str, filters: m.SearchFilters, *, limit: int,
                             offset: int) -> Found:
    where, args = _filters(filters, 4)
    pattern = prefix.replace("\\", "").replace("%", "").replace("_", "") + "%"
    rows = await conn.fetch(
        f"""
        SELECT {_SUMMARY_COLUMNS}, count(*) OVER () AS total FROM search_entries p
        WHERE p.code LIKE $1{where}
        ORDER BY p.code LIMIT $2 OFFSET $3
        """,
        pattern, limit, offset, *args,
    )
    if rows or offset == 0:
        return Found(rows, rows[0]["total"] if rows else 0)
    total = await conn.fetchval(f"SELECT count(*) FROM search_entries p WHERE p.code LIKE $1{_filters(filters, 2)[0]}",
                                pattern, *args)
    return Found(rows, total)


async def browse(conn: asyncpg.Connection, filters: m.SearchFilters, *, limit: int, offset: int) -> Found:
    """Procedures in force under the filters, by folded name (the page by index order, the total counted apart)."""
    where, args = _filters(filters, 3)
    rows = await conn.fetch(
        f"""
        SELECT {_SUMMARY_COLUMNS} FROM search_entries p
        WHERE true{where}
        ORDER BY p.name_norm, p.code LIMIT $1 OFFSET $2
        """,
        limit, offset, *args,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM search_entries p WHERE true{_filters(filters, 1)[0]}", *args)
    return Found(rows, total)


async def list_fields(conn: asyncpg.Connection, level: m.Level | None) -> list[m.FieldCount]:
    rows = await conn.fetch(
        """
        SELECT f.code, f.name, count(*) AS n FROM fields f
        JOIN search_entries p ON p.field_code = f.code AND ($1::text IS NULL OR p.level = $1)
        GROUP BY f.code, f.name, f.name_norm ORDER BY f.name_norm, f.code
        """,
        level.value if level else None,
    )
    return [m.FieldCount(m.Field(r["code"], r["name"]), r["n"]) for r in rows]


async def list_agencies(conn: asyncpg.Connection, level: m.Level | None) -> list[m.AgencyCount]:
    rows = await conn.fetch(
        """
        SELECT a.code, a.name, count(*) AS n FROM agencies a
        JOIN search_entries p ON p.agency_code = a.code AND ($1::text IS NULL OR p.level = $1)
        GROUP BY a.code, a.name, a.name_norm ORDER BY a.name_norm, a.code
        """,
        level.value if level else None,
    )
    return [m.AgencyCount(m.Agency(r["code"], r["name"]), r["n"]) for r in rows]


async def vocabulary(conn: asyncpg.Connection) -> dict[str, int]:
    """Words of published names and keywords (weights A, B) with the number of procedures using each."""
    rows = await conn.fetch(
        "SELECT word, ndoc FROM ts_stat('SELECT search_doc FROM search_entries', 'AB')"
    )
    return {r["word"]: r["ndoc"] for r in rows}


async def synonym_rows(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    rows = await conn.fetch("SELECT group_key, term FROM search_synonyms ORDER BY group_key, term")
    return [(r["group_key"], r["term"]) for r in rows]
