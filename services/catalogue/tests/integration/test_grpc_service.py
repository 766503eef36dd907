"""CatalogueService over a real grpc.aio server: every RPC, and errors as rich statuses in Vietnamese."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from motcua.catalogue.v1 import catalogue_service_pb2 as pb
from motcua.catalogue.v1 import catalogue_service_pb2_grpc as pb_grpc
from motcua.common.v1 import common_pb2
from motcua_catalogue.testing import RunningCatalogue

pytestmark = pytest.mark.integration

OFFICER = common_pb2.Actor(id="officer-0031", role=common_pb2.ACTOR_ROLE_OFFICER, display_name="Đặng Quốc Bảo")
SMALL = Path(__file__).parent.parent / "fixtures" / "small_catalogue.json"


def details(error: grpc.aio.AioRpcError) -> tuple[str, str]:
    """(ErrorInfo.reason, LocalizedMessage.message) of a failed call."""
    raw = dict(error.trailing_metadata() or ())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(raw)
    info, localized = error_details_pb2.ErrorInfo(), error_details_pb2.LocalizedMessage()
    for detail in status.details:
        if detail.Is(info.DESCRIPTOR):
            detail.Unpack(info)
        elif detail.Is(localized.DESCRIPTOR):
            detail.Unpack(localized)
    assert localized.locale == "vi-VN"
    return info.reason, localized.message


async def test_search_returns_ranked_summaries_and_paging(stub: pb_grpc.CatalogueServiceStub) -> None:
    reply = await stub.SearchProcedures(pb.SearchProceduresRequest(query="thuoc la"))
    assert [i.code for i in reply.items] == ["1.000031.000.00.00.H15"]
    item = reply.items[0]
    assert (item.name, item.level, item.online_level, item.min_working_days) == (
        "Cấp Giấy phép bán lẻ sản phẩm thuốc lá", pb.GOVERNMENT_LEVEL_COMMUNE, pb.ONLINE_LEVEL_FULL, 10)
    assert item.score > 0
    assert (reply.page_info.total, reply.page_info.page, reply.page_info.page_size) == (1, 1, 20)
    browse = await stub.SearchProcedures(pb.SearchProceduresRequest(
        level=pb.GOVERNMENT_LEVEL_PROVINCE, page=common_pb2.PageRequest(page=2, page_size=2)))
    assert (browse.page_info.total, len(browse.items), browse.page_info.page) == (5, 2, 2)


async def test_get_procedure_in_full_and_by_version(stub: pb_grpc.CatalogueServiceStub) -> None:
    p = await stub.GetProcedure(pb.GetProcedureRequest(code="1.000028.000.00.00.H15"))
    assert (p.version, p.status, p.field.code) == (1, pb.PROCEDURE_STATUS_PUBLISHED, "CONG_THUONG")
    assert [(f.amount.amount_vnd, f.HasField("effective_to")) for f in p.fees] == [(400000, True), (200000, False)]
    assert (p.fees[1].effective_from.year, p.fees[1].effective_from.month) == (2025, 7)
    assert p.required_documents[0].originals == 1
    assert list(p.submission_channels) == [pb.DELIVERY_CHANNEL_IN_PERSON, pb.DELIVERY_CHANNEL_POST, pb.DELIVERY_CHANNEL_ONLINE]
    assert p.HasField("published_at") and not p.HasField("withdrawn_at")
    same = await stub.GetProcedure(pb.GetProcedureRequest(code="1.000028.000.00.00.h15", version=1))
    assert same == p


@pytest.mark.parametrize(("request_", "status", "reason", "text"), [
    (pb.GetProcedureRequest(code="1.999999.000.00.00.H15"), grpc.StatusCode.NOT_FOUND, "PROCEDURE_NOT_FOUND",
     "Không tìm thấy thủ tục hành chính có mã 1.999999.000.00.00.H15."),
    (pb.GetProcedureRequest(code="1.001193.000.00.00.H15", version=9), grpc.StatusCode.NOT_FOUND,
     "PROCEDURE_VERSION_NOT_FOUND", "Không tìm thấy phiên bản 9 của thủ tục 1.001193.000.00.00.H15."),
    (pb.GetProcedureRequest(code="abc"), grpc.StatusCode.INVALID_ARGUMENT, "PROCEDURE_CODE_INVALID",
     "Mã thủ tục không đúng định dạng (ví dụ đúng: 1.000028.000.00.00.H15)."),
])
async def test_errors_carry_a_stable_reason_and_vietnamese_text(stub: pb_grpc.CatalogueServiceStub, request_: object,
                                                                 status: grpc.StatusCode, reason: str, text: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await stub.GetProcedure(request_)
    assert failed.value.code() == status
    assert details(failed.value) == (reason, text)


async def test_bad_search_queries_are_invalid_arguments(stub: pb_grpc.CatalogueServiceStub) -> None:
    for query, reason in (("x" * 201, "SEARCH_QUERY_TOO_LONG"), ("ruou\x07", "SEARCH_QUERY_INVALID")):
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await stub.SearchProcedures(pb.SearchProceduresRequest(query=query))
        assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert details(failed.value)[0] == reason


async def test_fields_and_agencies(stub: pb_grpc.CatalogueServiceStub) -> None:
    fields = await stub.ListFields(pb.ListFieldsRequest())
    assert {(i.field.code, i.procedure_count) for i in fields.items} >= {("HO_TICH", 6), ("CU_TRU", 2)}
    province = await stub.ListAgencies(pb.ListAgenciesRequest(level=pb.GOVERNMENT_LEVEL_PROVINCE))
    assert sum(i.procedure_count for i in province.items) == 5


async def test_officer_edits_publishes_and_withdraws_over_grpc(stub: pb_grpc.CatalogueServiceStub) -> None:
    current = await stub.GetProcedure(pb.GetProcedureRequest(code="1.001612.000.00.00.H15"))
    edited = pb.Procedure()
    edited.CopyFrom(current)
    edited.processing_times[0].working_days = 5
    draft = await stub.UpsertProcedureDraft(pb.UpsertProcedureDraftRequest(procedure=edited, actor=OFFICER))
    assert (draft.version, draft.status) == (2, pb.PROCEDURE_STATUS_DRAFT)
    published = await stub.PublishProcedure(pb.PublishProcedureRequest(code=draft.code, version=2, actor=OFFICER))
    assert published.status == pb.PROCEDURE_STATUS_PUBLISHED
    old = await stub.GetProcedure(pb.GetProcedureRequest(code=draft.code, version=1))
    assert old.status == pb.PROCEDURE_STATUS_WITHDRAWN and old.processing_times[0].working_days == 7
    withdrawn = await stub.WithdrawProcedure(pb.WithdrawProcedureRequest(
        code=draft.code, reason="Bãi bỏ theo Quyết định 1234/QĐ-UBND", actor=OFFICER))
    assert (withdrawn.status, withdrawn.withdrawal_reason) == (pb.PROCEDURE_STATUS_WITHDRAWN, "Bãi bỏ theo Quyết định 1234/QĐ-UBND")
    with pytest.raises(grpc.aio.AioRpcError) as no_actor:
        await stub.PublishProcedure(pb.PublishProcedureRequest(code=draft.code, version=2))
    assert details(no_actor.value)[0] == "ACTOR_REQUIRED"


async def test_import_over_grpc_reports_every_bad_row_and_writes_nothing(stub: pb_grpc.CatalogueServiceStub,
                                                                         catalogue: RunningCatalogue) -> None:
    procedures = json.loads(SMALL.read_text())["procedures"][:3]
    for p in procedures:
        p["code"] = p["code"][:-3] + "H56"
    procedures[1]["level"] = "village"
    content = json.dumps({"procedures": procedures}, ensure_ascii=False, indent=2).encode()
    bad = await stub.ImportProcedures(pb.ImportProceduresRequest(format=pb.IMPORT_FORMAT_JSON, content=content, publish=True,
                                                                 actor=OFFICER))
    assert [(e.field, e.procedure_code) for e in bad.errors] == [("level", "1.004884.000.00.00.H56")]
    assert bad.errors[0].line > 1 and bad.created == 0
    procedures[1]["level"] = "commune"
    content = json.dumps({"procedures": procedures}, ensure_ascii=False).encode()
    good = await stub.ImportProcedures(pb.ImportProceduresRequest(format=pb.IMPORT_FORMAT_JSON, content=content, publish=True,
                                                                  actor=OFFICER))
    assert (good.created, good.published, list(good.errors)) == (3, 3, [])
    with pytest.raises(grpc.aio.AioRpcError) as no_format:
        await stub.ImportProcedures(pb.ImportProceduresRequest(content=content, actor=OFFICER))
    assert details(no_format.value)[0] == "IMPORT_FORMAT_INVALID"


async def test_health_reports_the_service(catalogue: RunningCatalogue) -> None:
    async with grpc.aio.insecure_channel(catalogue.address) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="motcua.catalogue.v1.CatalogueService"))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
