"""Use cases of the catalogue. Each runs in one transaction; writes also enqueue their events in it.

Writers serialise on an advisory lock of the catalogue (writes are rare, and it makes
"next version = highest + 1" and "supersede, then publish" race-free); the unique
indexes on (code) for published and draft versions back that up in the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import asyncpg

from motcua_catalogue import events, import_format
from motcua_catalogue import repository as repo
from motcua_catalogue.cache import ReadCache
from motcua_catalogue.domain import errors
from motcua_catalogue.domain import model as m
from motcua_catalogue.domain import search as s
from motcua_catalogue.domain.text import has_control_characters, tokens
from motcua_platform.logging import get_logger
from motcua_platform.outbox import enqueue

log = get_logger(__name__)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 10_000
MAX_IMPORT_BYTES = 64 * 1024 * 1024
ANALYZE_AFTER_ROWS = 200
WRITER_ROLES = frozenset({"officer", "system", "agency"})


@dataclass
class _SearchState:
    """Synonyms and vocabulary as of one cache generation (reloaded after any change)."""

    generation: int
    synonyms: s.SynonymGroups
    vocabulary: s.Vocabulary | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass(frozen=True)
class _WriteResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    published: tuple[m.ProcedureVersion, ...] = ()


class CatalogueService:
    """The catalogue's use cases over a pool whose search_path starts with the service schema."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        schema: str,
        cache: ReadCache | None = None,
        fuzzy_threshold: float = 0.55,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.pool = pool
        self.schema = schema
        self.cache = cache if cache is not None else ReadCache()
        self.fuzzy_threshold = fuzzy_threshold
        self.clock = clock
        self._state: _SearchState | None = None

    # -- reads ------------------------------------------------------------------------------------

    async def search(self, *, query: str, filters: m.SearchFilters, page: int = 1, page_size: int = 0) -> m.SearchPage:
        """Search published procedures; see `domain.search` for the matching stages. Cached until the next change."""
        if len(query) > errors.MAX_QUERY_LENGTH:
            raise errors.query_too_long(len(query))
        if has_control_characters(query):
            raise errors.query_has_control_characters()
        page, page_size = _paging(page, page_size)
        filters = _checked_filters(filters)
        toks = tokens(query)
        code_prefix = s.looks_like_code(query)
        key = ("search", " ".join(toks), code_prefix, filters, page, page_size)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        generation = self.cache.generation
        async with self.pool.acquire() as conn:
            result = await self._search(conn, query.strip(), toks, code_prefix, filters, page, page_size)
        self.cache.put(key, result, generation)
        return result

    async def _search(self, conn: asyncpg.Connection, query: str, toks: list[str], code_prefix: str | None,
                      filters: m.SearchFilters, page: int, page_size: int) -> m.SearchPage:
        limit, offset = page_size, (page - 1) * page_size

        def done(found: repo.Found, strategy: str, scored: bool = True) -> m.SearchPage:
            items = tuple(repo.summary_from_row(r, float(r["score"]) if scored else 0.0) for r in found.rows)
            return m.SearchPage(items, found.total, page, page_size, strategy)

        if not query:
            return done(await repo.browse(conn, filters, limit=limit, offset=offset), "browse", scored=False)
        if code_prefix:
            found = await repo.search_code_prefix(conn, code_prefix, filters, limit=limit, offset=offset)
            if found.total:
                return done(found, "code", scored=False)
        if not toks:
            return m.SearchPage((), 0, page, page_size, "none")
        state = await self._search_state(conn)
        filtered = filters != m.SearchFilters()

        async def fulltext(queries: s.TsQueries, strategy: str) -> m.SearchPage | None:
            found = await repo.search_fulltext(conn, queries, filters, limit=limit, offset=offset)
            if found.total:
                return done(found, strategy)
            if filtered and await repo.matches_anything(conn, queries.match):
                # The words are right and only the filters exclude them: that is the answer,
                # not a reason to go looking for typos.
                return m.SearchPage((), 0, page, page_size, strategy)
            return None

        plan = s.plan(toks, state.synonyms)
        if result := await fulltext(plan.queries(), "exact"):
            return result
        relaxed = s.without_filler(toks)
        if relaxed != toks and (result := await fulltext(s.plan(relaxed, state.synonyms).queries(), "relaxed")):
            return result
        for fixed in s.corrected(relaxed, await self._vocabulary(conn, state), state.synonyms):
            if result := await fulltext(fixed.queries(), "typo"):
                return result
        found = await repo.search_fuzzy(conn, " ".join(relaxed), filters, threshold=self.fuzzy_threshold,
                                        limit=limit, offset=offset)
        if found.total:
            return done(found, "fuzzy")
        relaxed_plan = s.plan(relaxed, state.synonyms)
        if len(relaxed_plan.units) > 1 and (result := await fulltext(relaxed_plan.queries(any_unit=True), "any")):
            return result
        return m.SearchPage((), 0, page, page_size, "none")

    async def _search_state(self, conn: asyncpg.Connection) -> _SearchState:
        state = self._state
        if state is None or state.generation != self.cache.generation:
            generation = self.cache.generation
            state = _SearchState(generation, s.SynonymGroups.from_rows(await repo.synonym_rows(conn)))
            self._state = state
        return state

    async def _vocabulary(self, conn: asyncpg.Connection, state: _SearchState) -> s.Vocabulary:
        async with state.lock:
            if state.vocabulary is None:
                state.vocabulary = s.Vocabulary(await repo.vocabulary(conn))
            return state.vocabulary

    async def get_procedure(self, *, code: str, version: int | None = None) -> m.ProcedureVersion:
        """The version in force (or, when none, the last withdrawn one), or exactly `version` (drafts included)."""
        code = _checked_code(code)
        if version is not None and version < 1:
            raise errors.invalid_version(version)
        key = ("get", code, version)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        generation = self.cache.generation
        async with self.pool.acquire() as conn:
            found = await (repo.get_current(conn, code) if version is None else repo.get_version(conn, code, version))
        if found is None:
            raise errors.procedure_not_found(code, version)
        self.cache.put(key, found, generation)
        return found

    async def list_fields(self, *, level: m.Level | None = None) -> list[m.FieldCount]:
        return await self._cached_list(("fields", level), repo.list_fields, level)

    async def list_agencies(self, *, level: m.Level | None = None) -> list[m.AgencyCount]:
        return await self._cached_list(("agencies", level), repo.list_agencies, level)

    async def _cached_list(self, key: tuple[str, m.Level | None], read: Callable, level: m.Level | None) -> list:
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        generation = self.cache.generation
        async with self.pool.acquire() as conn:
            items = await read(conn, level)
        self.cache.put(key, items, generation)
        return items

    # -- writes -----------------------------------------------------------------------------------

    async def upsert_draft(self, *, content: m.ProcedureContent, actor: m.Actor | None) -> m.ProcedureVersion:
        """Create the next draft version, or replace the content of the existing draft."""
        actor = _checked_actor(actor)
        _checked_code(content.code)
        checked, problems = import_format.validated(content)
        if checked is None:
            raise errors.invalid_procedure(problems)
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.lock_catalogue(conn, self.schema)
            await self._write(conn, [checked], publish=False, always_draft=True, actor=actor)
            draft = await repo.get_draft(conn, checked.code)
        self.cache.invalidate()
        assert draft is not None
        log.info("procedure_draft_saved", code=draft.code, version=draft.version, actor_id=actor.id)
        return draft

    async def publish(self, *, code: str, version: int, actor: m.Actor | None) -> m.ProcedureVersion:
        """Publish a draft, superseding the version in force. Idempotent: publishing it again changes nothing."""
        actor = _checked_actor(actor)
        code = _checked_code(code)
        if version < 1:
            raise errors.invalid_version(version)
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.lock_catalogue(conn, self.schema)
            current = await repo.get_version(conn, code, version)
            if current is None:
                raise errors.procedure_not_found(code, version)
            if current.status is m.Status.PUBLISHED:
                return current
            if current.status is not m.Status.DRAFT:
                raise errors.not_a_draft(code, version, current.status.value)
            published = await self._publish(conn, [(code, version)], actor)
        self.cache.invalidate()
        log.info("procedure_published", code=code, version=version, actor_id=actor.id)
        return published[0]

    async def withdraw(self, *, code: str, reason: str, replaced_by_code: str = "",
                       actor: m.Actor | None) -> m.ProcedureVersion:
        """Withdraw (bãi bỏ) the version in force. Idempotent: a withdrawn procedure stays as it is."""
        actor = _checked_actor(actor)
        code = _checked_code(code)
        reason = reason.strip()
        if not reason or len(reason) > 1000 or has_control_characters(reason):
            raise errors.invalid_procedure(["reason: required, at most 1000 characters"])
        if replaced_by_code:
            replaced_by_code = _checked_code(replaced_by_code)
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.lock_catalogue(conn, self.schema)
            at = self.clock()
            row = await repo.withdraw_published(conn, code, reason=reason, replaced_by=replaced_by_code,
                                                actor_id=actor.id, at=at)
            if row is None:
                current = await repo.get_current(conn, code)
                if current is not None and current.status is m.Status.WITHDRAWN:
                    return current
                if current is None and await repo.get_draft(conn, code) is None:
                    raise errors.procedure_not_found(code)
                raise errors.nothing_to_withdraw(code)
            withdrawn = repo.version_from_row(row)
            await repo.refresh_search(conn, [code])
            await enqueue(conn, events.withdrawn(withdrawn, actor, at))
        self.cache.invalidate()
        log.info("procedure_withdrawn", code=code, version=withdrawn.version, actor_id=actor.id)
        return withdrawn

    async def import_document(self, *, content: bytes, fmt: Literal["json", "csv"], publish: bool, dry_run: bool = False,
                              actor: m.Actor | None) -> m.ImportReport:
        """Validate every row; with no problem, write them all (and their events) in one transaction.

        With problems, nothing is written and every problem is returned. `dry_run` does the
        whole write and rolls it back, so the counts are exact.
        """
        actor = _checked_actor(actor)
        if len(content) > MAX_IMPORT_BYTES:
            raise errors.import_too_large(len(content), MAX_IMPORT_BYTES)
        parsed = await asyncio.to_thread(import_format.parse, content, fmt)
        if not parsed.ok:
            log.info("catalogue_import_rejected", problems=len(parsed.problems), actor_id=actor.id)
            return m.ImportReport(errors=parsed.problems)
        async with self.pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            try:
                await repo.lock_catalogue(conn, self.schema)
                result = await self._write(conn, [r.procedure for r in parsed.rows], publish=publish, actor=actor)
            except BaseException:
                await transaction.rollback()
                raise
            if dry_run:
                await transaction.rollback()
            else:
                await transaction.commit()
                if len(parsed.rows) >= ANALYZE_AFTER_ROWS:
                    await repo.analyze(conn)
        if not dry_run:
            self.cache.invalidate()
        report = m.ImportReport(result.created, result.updated, result.unchanged, len(result.published))
        log.info("catalogue_imported", rows=len(parsed.rows), created=report.created, updated=report.updated,
                 unchanged=report.unchanged, published=report.published, dry_run=dry_run, actor_id=actor.id)
        return report

    async def import_if_empty(self, *, content: bytes, fmt: Literal["json", "csv"], actor: m.Actor) -> m.ImportReport | None:
        """Import and publish `content` only when the catalogue holds no procedure at all (safe for racing replicas)."""
        parsed = await asyncio.to_thread(import_format.parse, content, fmt)
        if not parsed.ok:
            return m.ImportReport(errors=parsed.problems)
        async with self.pool.acquire() as conn, conn.transaction():
            await repo.lock_catalogue(conn, self.schema)
            if await repo.count_procedures(conn):
                return None
            result = await self._write(conn, [r.procedure for r in parsed.rows], publish=True, actor=actor)
        async with self.pool.acquire() as conn:
            await repo.analyze(conn)
        self.cache.invalidate()
        return m.ImportReport(result.created, result.updated, result.unchanged, len(result.published))

    async def _write(self, conn: asyncpg.Connection, contents: Sequence[m.ProcedureContent], *, publish: bool,
                     actor: m.Actor, always_draft: bool = False) -> _WriteResult:
        """Store `contents` as drafts (new version, or replacing the open draft) and publish them if asked.

        A content equal to the version in force is skipped (unchanged) unless `always_draft`.
        Caller holds the catalogue lock inside its transaction.
        """
        heads = await repo.heads(conn, [c.code for c in contents])
        await repo.upsert_fields(conn, (c.field for c in contents))
        await repo.upsert_agencies(conn, (c.agency for c in contents))
        new: list[tuple[m.ProcedureContent, int]] = []
        replaced: list[tuple[m.ProcedureContent, int]] = []
        to_publish: list[tuple[str, int]] = []
        created = updated = unchanged = 0
        for content in contents:
            head = heads.get(content.code)
            digest = content.content_hash()
            if head is None:
                new.append((content, 1))
                created += 1
                version = 1
            elif head.published_hash == digest and not always_draft:
                unchanged += 1
                continue
            elif head.draft_version is not None:
                version = head.draft_version
                if head.draft_hash != digest:
                    replaced.append((content, version))
                elif not publish and not always_draft:
                    unchanged += 1
                    continue
                updated += 1
            else:
                version = head.max_version + 1
                new.append((content, version))
                updated += 1
            if publish:
                to_publish.append((content.code, version))
        if new:
            await repo.insert_drafts(conn, new, actor_id=actor.id)
        if replaced:
            await repo.replace_drafts(conn, replaced)
        published = await self._publish(conn, to_publish, actor) if to_publish else []
        return _WriteResult(created, updated, unchanged, tuple(published))

    async def _publish(self, conn: asyncpg.Connection, versions: list[tuple[str, int]], actor: m.Actor
                       ) -> list[m.ProcedureVersion]:
        at = self.clock()
        previous = await repo.published_contents(conn, [code for code, _ in versions])
        await repo.supersede_published(conn, list(previous), actor_id=actor.id, at=at)
        rows = await repo.publish_drafts(conn, versions, actor_id=actor.id, at=at)
        published = [repo.version_from_row(r) for r in rows]
        await repo.refresh_search(conn, [v.code for v in published])
        await enqueue(conn, *(events.published(v, previous.get(v.code), actor, at) for v in published))
        return published


def _paging(page: int, page_size: int) -> tuple[int, int]:
    if page < 0 or page > MAX_PAGE:
        raise errors.invalid_filter("page", str(page))
    if page_size < 0:
        raise errors.invalid_filter("page_size", str(page_size))
    return page or 1, min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _checked_filters(filters: m.SearchFilters) -> m.SearchFilters:
    field_code = filters.field_code.strip().upper() if filters.field_code else None
    agency_code = filters.agency_code.strip().upper() if filters.agency_code else None
    if field_code and not m.FIELD_CODE.fullmatch(field_code):
        raise errors.invalid_filter("field_code", field_code)
    if agency_code and not m.AGENCY_CODE.fullmatch(agency_code):
        raise errors.invalid_filter("agency_code", agency_code)
    return m.SearchFilters(filters.level, field_code or None, agency_code or None, filters.online_level)


def _checked_code(code: str) -> str:
    normalised = code.strip().upper()
    if not m.PROCEDURE_CODE.fullmatch(normalised):
        raise errors.procedure_code_invalid(code)
    return normalised


def _checked_actor(actor: m.Actor | None) -> m.Actor:
    if actor is None or not actor.id:
        raise errors.actor_required()
    if actor.role not in WRITER_ROLES:
        raise errors.actor_not_allowed(actor.role)
    return actor
