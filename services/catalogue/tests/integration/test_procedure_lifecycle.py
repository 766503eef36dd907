"""Draft → published → new version → withdrawn: versions kept, one in force, each change and its event in one transaction."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import asyncpg
import grpc
import pytest

from motcua_catalogue.domain import model as m
from motcua_catalogue.service import CatalogueService
from motcua_catalogue.testing import TEST_ACTOR, RunningCatalogue
from motcua_platform.errors import MotcuaError

pytestmark = pytest.mark.integration

GIAM_HO = m.ProcedureContent(
    code="1.000775.000.00.00.H15",
    name="Đăng ký giám hộ",
    field=m.Field("HO_TICH", "Hộ tịch"),
    level=m.Level.COMMUNE,
    agency=m.Agency("000.00.04.H15", "UBND phường Bến Nghé"),
    online_level=m.OnlineLevel.PARTIAL,
    legacy_level_label="Mức độ 3",
    processing_times=(m.ProcessingTime(3, "03 ngày làm việc"),),
    fees=(m.Fee("Lệ phí đăng ký giám hộ", 0, date(2016, 1, 1)),),
    required_documents=(m.RequiredDocument("Tờ khai đăng ký giám hộ", 1, 0),),
    submission_channels=(m.Channel.IN_PERSON,),
    result_channels=(m.Channel.IN_PERSON,),
    keywords=("người giám hộ",),
)


async def outbox(db: asyncpg.Connection) -> list[tuple[str, str, dict]]:
    rows = await db.fetch("SELECT type, partition_key, data FROM outbox ORDER BY id")
    return [(r["type"], r["partition_key"], json.loads(bytes(r["data"]))) for r in rows]


async def search_codes(service: CatalogueService, query: str) -> list[str]:
    page = await service.search(query=query, filters=m.SearchFilters())
    return [i.code for i in page.items]


async def test_a_procedure_goes_from_draft_to_published_to_a_new_version_to_withdrawn(
    empty_catalogue: RunningCatalogue, db: asyncpg.Connection
) -> None:
    service = empty_catalogue.service
    draft = await service.upsert_draft(content=GIAM_HO, actor=TEST_ACTOR)
    assert (draft.version, draft.status) == (1, m.Status.DRAFT)
    assert await search_codes(service, "giám hộ") == []
    with pytest.raises(MotcuaError) as not_yet:
        await service.get_procedure(code=GIAM_HO.code)
    assert not_yet.value.code == "PROCEDURE_NOT_FOUND"
    assert (await service.get_procedure(code=GIAM_HO.code, version=1)).status is m.Status.DRAFT
    assert await outbox(db) == []

    published = await service.publish(code=GIAM_HO.code, version=1, actor=TEST_ACTOR)
    assert published.status is m.Status.PUBLISHED and published.published_at is not None
    assert await search_codes(service, "giam ho") == [GIAM_HO.code]
    again = await service.publish(code=GIAM_HO.code, version=1, actor=TEST_ACTOR)
    assert again.published_at == published.published_at
    events = await outbox(db)
    assert [(t, k) for t, k, _ in events] == [("motcua.catalogue.v1.published", GIAM_HO.code)]
    assert events[0][2] == {
        "procedureCode": GIAM_HO.code, "version": 1, "name": "Đăng ký giám hộ", "fieldCode": "HO_TICH",
        "agencyCode": "000.00.04.H15", "level": "GOVERNMENT_LEVEL_COMMUNE", "onlineLevel": "ONLINE_LEVEL_PARTIAL",
        "occurredAt": events[0][2]["occurredAt"], "actor": {"id": "officer-test", "role": "ACTOR_ROLE_OFFICER"},
    }

    # A fee change is a new version; the one in force stays searchable until it is published.
    changed = dataclasses.replace(GIAM_HO, fees=(m.Fee("Lệ phí đăng ký giám hộ", 5000, date(2026, 1, 1)),))
    draft2 = await service.upsert_draft(content=changed, actor=TEST_ACTOR)
    assert draft2.version == 2
    again2 = await service.upsert_draft(content=dataclasses.replace(changed, keywords=("giám hộ cho trẻ em",)), actor=TEST_ACTOR)
    assert again2.version == 2  # the open draft is replaced, not stacked
    assert (await service.get_procedure(code=GIAM_HO.code)).version == 1
    await service.publish(code=GIAM_HO.code, version=2, actor=TEST_ACTOR)
    assert (await service.get_procedure(code=GIAM_HO.code)).version == 2
    superseded = await service.get_procedure(code=GIAM_HO.code, version=1)
    assert superseded.status is m.Status.SUPERSEDED and superseded.content == GIAM_HO  # a dossier keeps its version
    updated = (await outbox(db))[-1]
    assert updated[0] == "motcua.catalogue.v1.updated"
    assert updated[2]["previousVersion"] == 1 and updated[2]["changedFields"] == ["fees", "keywords"]
    with pytest.raises(MotcuaError) as not_draft:
        await service.publish(code=GIAM_HO.code, version=1, actor=TEST_ACTOR)
    assert not_draft.value.code == "PROCEDURE_NOT_DRAFT"

    withdrawn = await service.withdraw(code=GIAM_HO.code, reason="Bãi bỏ theo Quyết định 1234/QĐ-UBND",
                                       replaced_by_code="1.000776.000.00.00.H15", actor=TEST_ACTOR)
    assert withdrawn.status is m.Status.WITHDRAWN and withdrawn.version == 2
    assert await search_codes(service, "giam ho") == []
    current = await service.get_procedure(code=GIAM_HO.code)
    assert (current.status, current.withdrawal_reason, current.replaced_by_code) == (
        m.Status.WITHDRAWN, "Bãi bỏ theo Quyết định 1234/QĐ-UBND", "1.000776.000.00.00.H15")
    await service.withdraw(code=GIAM_HO.code, reason="again", actor=TEST_ACTOR)  # idempotent
    kinds = [t for t, _, _ in await outbox(db)]
    assert kinds == ["motcua.catalogue.v1.published", "motcua.catalogue.v1.updated", "motcua.catalogue.v1.withdrawn"]
    withdrawn_event = (await outbox(db))[-1][2]
    assert withdrawn_event["reason"] == "Bãi bỏ theo Quyết định 1234/QĐ-UBND" and withdrawn_event["version"] == 2

    # Publishing again after a withdrawal brings it back: `published`, not `updated`.
    draft3 = await service.upsert_draft(content=changed, actor=TEST_ACTOR)
    await service.publish(code=GIAM_HO.code, version=draft3.version, actor=TEST_ACTOR)
    assert (await outbox(db))[-1][0] == "motcua.catalogue.v1.published"
    assert await search_codes(service, "giam ho") == [GIAM_HO.code]


async def test_each_change_and_its_event_commit_in_the_same_transaction(
    empty_catalogue: RunningCatalogue, db: asyncpg.Connection
) -> None:
    await empty_catalogue.service.upsert_draft(content=GIAM_HO, actor=TEST_ACTOR)
    await empty_catalogue.service.publish(code=GIAM_HO.code, version=1, actor=TEST_ACTOR)
    publish_tx = await db.fetchval("SELECT xmin::text FROM procedures WHERE code = $1 AND version = 1", GIAM_HO.code)
    event_tx = await db.fetchval("SELECT xmin::text FROM outbox WHERE type = 'motcua.catalogue.v1.published'")
    assert publish_tx == event_tx


async def test_only_one_version_is_ever_in_force(empty_catalogue: RunningCatalogue, db: asyncpg.Connection) -> None:
    service = empty_catalogue.service
    await service.upsert_draft(content=GIAM_HO, actor=TEST_ACTOR)
    await service.publish(code=GIAM_HO.code, version=1, actor=TEST_ACTOR)
    await service.upsert_draft(content=dataclasses.replace(GIAM_HO, name="Đăng ký giám hộ (sửa)"), actor=TEST_ACTOR)
    with pytest.raises(asyncpg.UniqueViolationError):
        await db.execute("UPDATE procedures SET status = 'published', published_at = now() WHERE code = $1 AND version = 2",
                         GIAM_HO.code)


@pytest.mark.parametrize(("actor", "reason", "status"), [
    (None, "ACTOR_REQUIRED", grpc.StatusCode.INVALID_ARGUMENT),
    (m.Actor("", "officer"), "ACTOR_REQUIRED", grpc.StatusCode.INVALID_ARGUMENT),
    (m.Actor("citizen-1", "citizen"), "CATALOGUE_CHANGE_NOT_ALLOWED", grpc.StatusCode.PERMISSION_DENIED),
])
async def test_changes_need_an_officer_or_system_actor(service: CatalogueService, actor: m.Actor | None, reason: str,
                                                       status: grpc.StatusCode) -> None:
    with pytest.raises(MotcuaError) as refused:
        await service.upsert_draft(content=GIAM_HO, actor=actor)
    assert (refused.value.code, refused.value.status) == (reason, status)


async def test_an_invalid_draft_is_refused_with_every_problem(service: CatalogueService) -> None:
    bad = dataclasses.replace(GIAM_HO, name="x", submission_channels=(), fees=(m.Fee("Lệ phí", -1, date(2020, 1, 1)),))
    with pytest.raises(MotcuaError) as refused:
        await service.upsert_draft(content=bad, actor=TEST_ACTOR)
    assert refused.value.code == "PROCEDURE_INVALID"
    for problem in ("name:", "submission_channels:", "fees[0].amount_vnd:"):
        assert problem in refused.value.message


async def test_withdrawing_what_is_not_in_force(service: CatalogueService) -> None:
    with pytest.raises(MotcuaError) as unknown:
        await service.withdraw(code="1.999999.000.00.00.H15", reason="Bãi bỏ", actor=TEST_ACTOR)
    assert unknown.value.code == "PROCEDURE_NOT_FOUND"
    await service.upsert_draft(content=GIAM_HO, actor=TEST_ACTOR)
    with pytest.raises(MotcuaError) as draft_only:
        await service.withdraw(code=GIAM_HO.code, reason="Bãi bỏ", actor=TEST_ACTOR)
    assert draft_only.value.code == "PROCEDURE_NOT_PUBLISHED"
    with pytest.raises(MotcuaError) as no_reason:
        await service.withdraw(code="1.001193.000.00.00.H15", reason="  ", actor=TEST_ACTOR)
    assert no_reason.value.status is grpc.StatusCode.INVALID_ARGUMENT
