"""An import writes every row and its events in one transaction, or nothing at all."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from motcua_catalogue.domain import model as m
from motcua_catalogue.service import CatalogueService
from motcua_catalogue.testing import TEST_ACTOR, RunningCatalogue

pytestmark = pytest.mark.integration

SMALL = Path(__file__).parent.parent / "fixtures" / "small_catalogue.json"


def document(procedures: list[dict]) -> bytes:
    return json.dumps({"format": "motcua.catalogue.import.v1", "procedures": procedures}, ensure_ascii=False, indent=2).encode()


def small() -> list[dict]:
    return json.loads(SMALL.read_text())["procedures"]


async def counts(db: asyncpg.Connection) -> tuple[int, int, int]:
    return (await db.fetchval("SELECT count(*) FROM procedures"), await db.fetchval("SELECT count(*) FROM search_entries"),
            await db.fetchval("SELECT count(*) FROM outbox"))


async def test_one_bad_row_imports_nothing(empty_catalogue: RunningCatalogue, db: asyncpg.Connection) -> None:
    rows = small()
    rows[7]["processing_times"][0]["working_days"] = -3
    report = await empty_catalogue.service.import_document(content=document(rows), fmt="json", publish=True,
                                                           actor=TEST_ACTOR)
    assert len(report.errors) == 1
    assert report.errors[0].field == "processing_times[0].working_days"
    assert report.errors[0].procedure_code == rows[7]["code"]
    assert await counts(db) == (0, 0, 0)
    assert await db.fetchval("SELECT count(*) FROM fields") == 0


async def test_a_published_import_writes_rows_index_and_events_in_one_transaction(
    empty_catalogue: RunningCatalogue, db: asyncpg.Connection
) -> None:
    report = await empty_catalogue.service.import_document(content=SMALL.read_bytes(), fmt="json", publish=True,
                                                           actor=TEST_ACTOR)
    assert (report.created, report.updated, report.unchanged, report.published, report.errors) == (18, 0, 0, 18, ())
    assert await counts(db) == (18, 18, 18)
    transactions = await db.fetch("SELECT DISTINCT xmin::text AS tx FROM procedures UNION SELECT DISTINCT xmin::text FROM outbox")
    assert len(transactions) == 1
    assert await db.fetchval("SELECT count(DISTINCT partition_key) FROM outbox") == 18
    assert await db.fetchval("SELECT count(*) FROM fields") == 10


async def test_reimporting_changes_only_what_changed(empty_catalogue: RunningCatalogue, db: asyncpg.Connection) -> None:
    service = empty_catalogue.service
    await service.import_document(content=SMALL.read_bytes(), fmt="json", publish=True, actor=TEST_ACTOR)
    same = await service.import_document(content=SMALL.read_bytes(), fmt="json", publish=True, actor=TEST_ACTOR)
    assert (same.created, same.updated, same.unchanged, same.published) == (0, 0, 18, 0)
    rows = small()
    rows[6]["fees"].append({"name": "Phí cấp lại", "amount_vnd": 100000, "effective_from": "2026-01-01"})
    changed = await service.import_document(content=document(rows), fmt="json", publish=True, actor=TEST_ACTOR)
    assert (changed.updated, changed.unchanged, changed.published) == (1, 17, 1)
    last = await db.fetchrow("SELECT type, data FROM outbox ORDER BY id DESC LIMIT 1")
    assert last["type"] == "motcua.catalogue.v1.updated"
    assert json.loads(bytes(last["data"]))["changedFields"] == ["fees"]
    assert await db.fetchval("SELECT count(*) FROM outbox") == 19


async def test_a_draft_import_is_invisible_until_published(empty_catalogue: RunningCatalogue, db: asyncpg.Connection) -> None:
    service = empty_catalogue.service
    report = await service.import_document(content=SMALL.read_bytes(), fmt="json", publish=False, actor=TEST_ACTOR)
    assert (report.created, report.published) == (18, 0)
    assert await counts(db) == (18, 0, 0)
    assert (await service.search(query="khai sinh", filters=m.SearchFilters())).total == 0
    published = await service.import_document(content=SMALL.read_bytes(), fmt="json", publish=True, actor=TEST_ACTOR)
    assert (published.updated, published.published) == (18, 18)
    assert await counts(db) == (18, 18, 18)


async def test_a_dry_run_counts_and_writes_nothing(empty_catalogue: RunningCatalogue, db: asyncpg.Connection) -> None:
    report = await empty_catalogue.service.import_document(content=SMALL.read_bytes(), fmt="json", publish=True,
                                                           dry_run=True, actor=TEST_ACTOR)
    assert (report.created, report.published) == (18, 18)
    assert await counts(db) == (0, 0, 0)


async def test_csv_import(empty_catalogue: RunningCatalogue, db: asyncpg.Connection) -> None:
    header = ("code,name,field_code,field_name,level,agency_code,agency_name,online_level,legacy_level_label,"
              "processing_times,fees,required_documents,submission_channels,result_channels,legal_basis,keywords,synonyms")
    row = ('1.000775.000.00.00.H15,Đăng ký giám hộ,HO_TICH,Hộ tịch,commune,000.00.04.H15,UBND phường Bến Nghé,partial,'
           'Mức độ 3,"[{""working_days"": 3}]","[{""name"": ""Lệ phí"", ""amount_vnd"": 0, ""effective_from"": ""2016-01-01""}]",'
           '"[{""name"": ""Tờ khai"", ""originals"": 1}]",in_person|post,in_person,Luật Hộ tịch số 60/2014/QH13,'
           'giám hộ|người giám hộ,')
    report = await empty_catalogue.service.import_document(content=f"{header}\n{row}\n".encode(), fmt="csv", publish=True,
                                                           actor=TEST_ACTOR)
    assert (report.created, report.errors) == (1, ())
    procedure = await empty_catalogue.service.get_procedure(code="1.000775.000.00.00.H15")
    assert procedure.content.keywords == ("giám hộ", "người giám hộ")
    assert procedure.content.submission_channels == (m.Channel.IN_PERSON, m.Channel.POST)


async def test_seed_style_import_if_empty_runs_once_even_when_replicas_race(
    empty_catalogue: RunningCatalogue, postgres_url: str, db: asyncpg.Connection
) -> None:
    import asyncio

    from motcua_platform.db import create_pool

    other_pool = await create_pool(postgres_url, schema=empty_catalogue.schema, max_size=2)
    try:
        other = CatalogueService(pool=other_pool, schema=empty_catalogue.schema)
        content = SMALL.read_bytes()
        first, second = await asyncio.gather(
            empty_catalogue.service.import_if_empty(content=content, fmt="json", actor=TEST_ACTOR),
            other.import_if_empty(content=content, fmt="json", actor=TEST_ACTOR),
        )
    finally:
        await other_pool.close()
    reports = [r for r in (first, second) if r is not None]
    assert len(reports) == 1 and reports[0].published == 18
    assert await counts(db) == (18, 18, 18)
    assert await empty_catalogue.service.import_if_empty(content=content, fmt="json", actor=TEST_ACTOR) is None
