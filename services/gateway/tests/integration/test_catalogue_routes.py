"""/api/v1 procedures, fields and agencies through the real app (lifespan, middleware, problems) and a real catalogue."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from motcua_catalogue.domain import model as m
from motcua_catalogue.testing import TEST_ACTOR, RunningCatalogue, running_catalogue
from motcua_gateway.app import create_app
from motcua_gateway.settings import Settings
from motcua_platform.embedded.process import free_port

pytestmark = pytest.mark.integration

TODAY = datetime.now(timezone(timedelta(hours=7))).date()  # the gateway's "today" is Vietnam's day, not UTC's


def procedure(code: str, name: str, *, field: tuple[str, str] = ("HO_TICH", "Hộ tịch"), level: str = "commune",
              agency: tuple[str, str] = ("000.00.04.H15", "UBND phường Bến Nghé"), online: str = "full",
              fees: list[dict] | None = None, keywords: list[str] | None = None) -> dict:
    return {
        "code": code, "name": name, "field": {"code": field[0], "name": field[1]}, "level": level,
        "agency": {"code": agency[0], "name": agency[1]}, "online_level": online, "legacy_level_label": "Mức độ 4",
        "processing_times": [{"working_days": 3, "channel": "any", "description": "03 ngày làm việc"},
                             {"working_days": 2, "channel": "online", "description": "Nộp trực tuyến"}],
        "fees": fees or [],
        "required_documents": [{"name": "Tờ khai", "originals": 1, "copies": 1, "required": True,
                                "form_template_ref": "Mẫu TP/HT-2020-KS.1", "note": ""}],
        "submission_channels": ["in_person", "online"], "result_channels": ["in_person", "post"],
        "legal_basis": ["Luật Hộ tịch số 60/2014/QH13"], "keywords": keywords or [], "synonyms": [],
    }


PROCEDURES = [
    procedure("1.001193.000.00.00.H15", "Đăng ký khai sinh", keywords=["giấy khai sinh"],
              fees=[{"name": "Lệ phí", "amount_vnd": 0, "effective_from": "2016-01-01", "effective_to": None}]),
    procedure("1.000028.000.00.00.H15", "Cấp Giấy phép bán lẻ sản phẩm rượu", field=("CONG_THUONG", "Công thương"),
              fees=[
                  {"name": "Phí thẩm định", "amount_vnd": 400000, "effective_from": "2017-01-01",
                   "effective_to": (TODAY - timedelta(days=1)).isoformat()},
                  {"name": "Phí thẩm định", "amount_vnd": 200000, "effective_from": TODAY.isoformat(),
                   "effective_to": (TODAY + timedelta(days=30)).isoformat()},
                  {"name": "Phí thẩm định", "amount_vnd": 250000, "effective_from": (TODAY + timedelta(days=31)).isoformat()},
              ]),
    procedure("2.000633.000.00.00.H15", "Cấp Giấy chứng nhận đủ điều kiện cửa hàng bán lẻ LPG chai",
              field=("CONG_THUONG", "Công thương"), level="province", agency=("000.00.12.H15", "Sở Công Thương"),
              online="partial"),
]


@pytest.fixture
async def catalogue(postgres_url: str, db_schema: str, tmp_path: Path) -> AsyncIterator[RunningCatalogue]:
    file = tmp_path / "catalogue.json"
    file.write_text(json.dumps({"procedures": PROCEDURES}, ensure_ascii=False))
    async with running_catalogue(postgres_url, db_schema, load=file) as running:
        yield running


@pytest.fixture
async def client(postgres_url: str, catalogue: RunningCatalogue) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=postgres_url, kafka_bootstrap="127.0.0.1:9", catalogue_target=catalogue.address)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            yield http


def assert_problem(reply: httpx.Response, status: int, code: str) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    body = reply.json()
    assert body["code"] == code and body["status"] == status
    return body


async def test_search_without_diacritics_finds_the_procedure(client: httpx.AsyncClient) -> None:
    reply = await client.get("/api/v1/procedures", params={"q": "ruou"})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {
        "items": [{
            "code": "1.000028.000.00.00.H15", "version": 1, "name": "Cấp Giấy phép bán lẻ sản phẩm rượu",
            "field": {"code": "CONG_THUONG", "name": "Công thương"}, "level": "commune", "level_label": "Cấp xã",
            "agency": {"code": "000.00.04.H15", "name": "UBND phường Bến Nghé"}, "online_level": "full",
            "online_level_label": "Toàn trình", "legacy_level_label": "Mức độ 4", "processing_days": 2,
        }],
        "total": 1, "page": 1, "page_size": 20,
    }


async def test_listing_filters_and_paging(client: httpx.AsyncClient) -> None:
    everything = (await client.get("/api/v1/procedures")).json()
    assert everything["total"] == 3
    province = (await client.get("/api/v1/procedures", params={"level": "province"})).json()
    assert [i["code"] for i in province["items"]] == ["2.000633.000.00.00.H15"]
    partial = (await client.get("/api/v1/procedures", params={"online_level": "partial", "field": "CONG_THUONG"})).json()
    assert partial["total"] == 1 and partial["items"][0]["online_level_label"] == "Một phần"
    second = (await client.get("/api/v1/procedures", params={"page": 2, "page_size": 2})).json()
    assert (second["total"], len(second["items"]), second["page"], second["page_size"]) == (3, 1, 2, 2)
    gas = (await client.get("/api/v1/procedures", params={"q": "gas", "agency": "000.00.12.H15"})).json()
    assert gas["total"] == 1


@pytest.mark.parametrize(("params", "code", "detail"), [
    ({"q": "k" * 201}, "SEARCH_QUERY_TOO_LONG", "Từ khóa tìm kiếm quá dài: tối đa 200 ký tự."),
    # NUL is refused at the gateway's edge for every route (text_guard), before the catalogue sees it.
    ({"q": "khai\x00sinh"}, "NUL_CHARACTER", "Dữ liệu gửi lên chứa ký tự không hợp lệ (ký tự NUL)."),
    ({"q": "khai\x07sinh"}, "SEARCH_QUERY_INVALID", "Từ khóa tìm kiếm chứa ký tự không hợp lệ, vui lòng nhập lại."),
    ({"q": "ruou\x1b[0m"}, "SEARCH_QUERY_INVALID", "Từ khóa tìm kiếm chứa ký tự không hợp lệ, vui lòng nhập lại."),
    ({"page_size": 101}, "VALIDATION_FAILED", "Dữ liệu không hợp lệ: page_size."),
    ({"page": 0}, "VALIDATION_FAILED", "Dữ liệu không hợp lệ: page."),
    ({"level": "village"}, "VALIDATION_FAILED", "Dữ liệu không hợp lệ: level."),
    ({"field": "hộ tịch"}, "SEARCH_FILTER_INVALID", "Giá trị bộ lọc lĩnh vực không hợp lệ."),
])
async def test_bad_queries_are_422_in_vietnamese(client: httpx.AsyncClient, params: dict, code: str, detail: str) -> None:
    body = assert_problem(await client.get("/api/v1/procedures", params=params), 422, code)
    assert body["detail"] == detail


async def test_a_200_character_query_is_fine(client: httpx.AsyncClient) -> None:
    reply = await client.get("/api/v1/procedures", params={"q": "khai sinh " + "x" * 190})
    assert reply.status_code == 200


async def test_detail_shows_documents_times_channels_and_the_fee_in_force_today(client: httpx.AsyncClient) -> None:
    reply = await client.get("/api/v1/procedures/1.000028.000.00.00.H15")
    assert reply.status_code == 200
    body = reply.json()
    assert (body["status"], body["processing_days"], body["fees_as_of"]) == ("published", 2, TODAY.isoformat())
    assert [f["amount_vnd"] for f in body["fees_today"]] == [200000]
    assert [f["amount_vnd"] for f in body["fees"]] == [400000, 200000, 250000]
    assert body["fees"][2]["effective_to"] is None
    assert body["processing_times"][1] == {"working_days": 2, "channel": "online", "description": "Nộp trực tuyến"}
    assert body["required_documents"] == [{"name": "Tờ khai", "originals": 1, "copies": 1, "required": True,
                                           "form_template_ref": "Mẫu TP/HT-2020-KS.1", "note": ""}]
    assert (body["submission_channels"], body["result_channels"]) == (["in_person", "online"], ["in_person", "post"])
    assert body["published_at"] and body["withdrawn_at"] is None
    versioned = await client.get("/api/v1/procedures/1.000028.000.00.00.H15", params={"version": 1})
    assert versioned.json() == body


async def test_unknown_malformed_and_draft_codes(client: httpx.AsyncClient, catalogue: RunningCatalogue) -> None:
    unknown = assert_problem(await client.get("/api/v1/procedures/1.999999.000.00.00.H15"), 404, "PROCEDURE_NOT_FOUND")
    assert unknown["detail"] == "Không tìm thấy thủ tục hành chính có mã 1.999999.000.00.00.H15."
    malformed = assert_problem(await client.get("/api/v1/procedures/khai-sinh"), 422, "PROCEDURE_CODE_INVALID")
    assert malformed["detail"].startswith("Mã thủ tục không đúng định dạng")
    assert_problem(await client.get("/api/v1/procedures/" + "1" * 65), 422, "VALIDATION_FAILED")
    current = await catalogue.service.get_procedure(code="1.001193.000.00.00.H15")
    await catalogue.service.upsert_draft(content=current.content, actor=TEST_ACTOR)
    assert_problem(await client.get("/api/v1/procedures/1.001193.000.00.00.H15", params={"version": 2}), 404,
                   "PROCEDURE_NOT_FOUND")


async def test_a_withdrawn_procedure_says_so(client: httpx.AsyncClient, catalogue: RunningCatalogue) -> None:
    await catalogue.service.withdraw(code="2.000633.000.00.00.H15", reason="Bãi bỏ theo Quyết định 1234/QĐ-UBND",
                                     actor=m.Actor("officer-1", "officer"))
    body = (await client.get("/api/v1/procedures/2.000633.000.00.00.H15")).json()
    assert (body["status"], body["withdrawal_reason"]) == ("withdrawn", "Bãi bỏ theo Quyết định 1234/QĐ-UBND")
    assert (await client.get("/api/v1/procedures", params={"q": "LPG"})).json()["total"] == 0


async def test_public_answers_are_repeated_for_the_cache_ttl_then_fresh(
        postgres_url: str, catalogue: RunningCatalogue) -> None:
    settings = Settings(database_url=postgres_url, kafka_bootstrap="127.0.0.1:9", catalogue_target=catalogue.address,
                        public_cache_seconds=1.0)
    app = create_app(settings)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        first = await http.get("/api/v1/procedures", params={"q": "LPG"})
        assert first.json()["total"] == 1 and first.headers["cache-control"] == "public, max-age=1"
        await catalogue.service.withdraw(code="2.000633.000.00.00.H15", reason="Bãi bỏ", actor=m.Actor("officer-1", "officer"))
        repeated = await http.get("/api/v1/procedures", params={"q": "LPG"})
        assert repeated.json()["total"] == 1 and "age" in repeated.headers  # within the TTL: the same answer
        assert repeated.headers["x-request-id"] != first.headers["x-request-id"]  # still a request of its own
        await asyncio.sleep(1.1)
        fresh = await http.get("/api/v1/procedures", params={"q": "LPG"})
        assert fresh.json()["total"] == 0 and "age" not in fresh.headers


async def test_fields_and_agencies_with_counts(client: httpx.AsyncClient) -> None:
    fields = (await client.get("/api/v1/fields")).json()["items"]
    assert fields == [{"code": "CONG_THUONG", "name": "Công thương", "procedure_count": 2},
                      {"code": "HO_TICH", "name": "Hộ tịch", "procedure_count": 1}]
    commune = (await client.get("/api/v1/agencies", params={"level": "commune"})).json()["items"]
    assert commune == [{"code": "000.00.04.H15", "name": "UBND phường Bến Nghé", "procedure_count": 2}]


async def test_the_routes_are_documented_in_openapi(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path in ("/api/v1/procedures", "/api/v1/procedures/{code}", "/api/v1/fields", "/api/v1/agencies"):
        assert path in spec["paths"]
    listing = spec["paths"]["/api/v1/procedures"]["get"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ProcedureList")
    assert {p["name"] for p in listing["parameters"]} == {"q", "level", "field", "agency", "online_level", "page", "page_size"}
    assert "fees_today" in spec["components"]["schemas"]["ProcedureDetail"]["properties"]


async def test_a_catalogue_that_is_down_gives_503_with_retry_after(postgres_url: str) -> None:
    settings = Settings(database_url=postgres_url, kafka_bootstrap="127.0.0.1:9", catalogue_target=f"127.0.0.1:{free_port()}")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            reply = await http.get("/api/v1/procedures", params={"q": "khai sinh"})
    body = assert_problem(reply, 503, "UPSTREAM_UNAVAILABLE")
    assert reply.headers["retry-after"] == "2" and body["detail"].startswith("Dịch vụ tạm thời không khả dụng")


# -- officers: publish, withdraw, import ---------------------------------------------------------------

AGENCY = "000.00.04.H15"  # carries out the two procedures of PROCEDURES at UBND phường Bến Nghé


@pytest.fixture
async def staff(postgres_url: str, catalogue: RunningCatalogue) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(database_url=postgres_url, kafka_bootstrap="127.0.0.1:9", catalogue_target=catalogue.address,
                        auth_dev_issuer=True, public_cache_seconds=0)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            http.app = app  # type: ignore[attr-defined]
            yield http


def bearer(client: httpx.AsyncClient, roles: list[str], agency: str | None = None) -> dict[str, str]:
    token = client.app.state.verifier.issue(subject=f"{roles[0]}-1", name="Nguyễn Văn Cán Bộ", roles=roles,  # type: ignore[attr-defined]
                                            agency=agency)
    return {"Authorization": f"Bearer {token}"}


async def test_an_officer_publishes_a_draft_of_his_agency_and_only_his(
        staff: httpx.AsyncClient, catalogue: RunningCatalogue) -> None:
    code = "1.001193.000.00.00.H15"
    current = await catalogue.service.get_procedure(code=code)
    draft = await catalogue.service.upsert_draft(
        content=dataclasses.replace(current.content, name="Đăng ký khai sinh (sửa đổi)"), actor=TEST_ACTOR)
    url = f"/api/v1/procedures/{code}/publication"

    assert_problem(await staff.post(url, json={"version": draft.version}), 401, "TOKEN_MISSING")
    assert_problem(await staff.post(url, json={"version": draft.version}, headers=bearer(staff, ["citizen"])), 403,
                   "ROLE_REQUIRED")
    other = assert_problem(await staff.post(url, json={"version": draft.version},
                                            headers=bearer(staff, ["officer"], "000.00.12.H15")),
                           403, "PROCEDURE_OTHER_AGENCY")
    assert other["detail"].startswith("Thủ tục thuộc cơ quan khác")
    assert (await staff.get(f"/api/v1/procedures/{code}")).json()["name"] == "Đăng ký khai sinh"  # nothing changed

    reply = await staff.post(url, json={"version": draft.version}, headers=bearer(staff, ["officer"], AGENCY))
    assert reply.status_code == 200, reply.text
    assert (reply.json()["version"], reply.json()["status"]) == (draft.version, "published")
    assert (await staff.get(f"/api/v1/procedures/{code}")).json()["name"] == "Đăng ký khai sinh (sửa đổi)"

    again = assert_problem(await staff.post(url, json={"version": current.version},
                                            headers=bearer(staff, ["officer"], AGENCY)), 422, "PROCEDURE_NOT_DRAFT")
    assert "không phải bản dự thảo" in again["detail"]
    assert_problem(await staff.post(url, json={"version": 99}, headers=bearer(staff, ["operator"])), 404,
                   "PROCEDURE_VERSION_NOT_FOUND")
    assert_problem(await staff.post(url, json={"version": 0}, headers=bearer(staff, ["operator"])), 422,
                   "VALIDATION_FAILED")


async def test_an_officer_withdraws_a_procedure_with_a_reason(staff: httpx.AsyncClient) -> None:
    code = "1.000028.000.00.00.H15"
    url = f"/api/v1/procedures/{code}/withdrawal"
    officer = bearer(staff, ["officer"], AGENCY)
    assert_problem(await staff.post(url, json={"reason": ""}, headers=officer), 422, "VALIDATION_FAILED")
    reply = await staff.post(url, json={"reason": "Bãi bỏ theo Quyết định 1234/QĐ-UBND",
                                        "replaced_by_code": "2.000633.000.00.00.H15"}, headers=officer)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["status"], body["withdrawal_reason"]) == ("withdrawn", "Bãi bỏ theo Quyết định 1234/QĐ-UBND")
    assert (await staff.get("/api/v1/procedures", params={"q": "rượu"})).json()["total"] == 0
    assert_problem(await staff.post("/api/v1/procedures/1.999999.000.00.00.H15/withdrawal",
                                    json={"reason": "x"}, headers=bearer(staff, ["operator"])), 404, "PROCEDURE_NOT_FOUND")


async def test_an_operator_imports_procedures_and_a_bad_document_writes_nothing(staff: httpx.AsyncClient) -> None:
    new = procedure("1.004227.000.00.00.H15", "Đăng ký kết hôn", keywords=["kết hôn"])
    url = "/api/v1/procedures/imports"
    document = json.dumps({"procedures": [new]}, ensure_ascii=False)
    assert_problem(await staff.post(url, json={"format": "json", "content": document},
                                    headers=bearer(staff, ["officer"], AGENCY)), 403, "ROLE_REQUIRED")

    broken = dict(new, fees=[{"name": "Lệ phí", "amount_vnd": -5, "effective_from": "2016-01-01"}])
    bad = assert_problem(await staff.post(url, headers=bearer(staff, ["operator"]), json={
        "format": "json", "content": json.dumps({"procedures": [broken]}, ensure_ascii=False), "publish": True}),
        422, "IMPORT_INVALID")
    assert bad["detail"].startswith("Tệp có 1 lỗi")
    assert [(e["procedure_code"], e["field"]) for e in bad["errors"]] == [("1.004227.000.00.00.H15", "fees[0].amount_vnd")]
    assert (await staff.get("/api/v1/procedures", params={"q": "kết hôn"})).json()["total"] == 0

    dry = await staff.post(url, json={"format": "json", "content": document, "publish": True, "dry_run": True},
                           headers=bearer(staff, ["operator"]))
    assert dry.json() == {"created": 1, "updated": 0, "unchanged": 0, "published": 1, "dry_run": True}, dry.text
    assert (await staff.get("/api/v1/procedures", params={"q": "kết hôn"})).json()["total"] == 0
    done = await staff.post(url, json={"format": "json", "content": document, "publish": True},
                            headers=bearer(staff, ["operator"]))
    assert done.json() == {"created": 1, "updated": 0, "unchanged": 0, "published": 1, "dry_run": False}, done.text
    assert (await staff.get("/api/v1/procedures", params={"q": "ket hon"})).json()["total"] == 1


async def test_an_import_larger_than_one_grpc_message_is_413(staff: httpx.AsyncClient,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from motcua_gateway.routes import catalogue as routes

    monkeypatch.setattr(routes, "MAX_IMPORT_BYTES", 100)  # the real bound (4,000,000) is above the default body limit
    big = assert_problem(await staff.post("/api/v1/procedures/imports", headers=bearer(staff, ["operator"]),
                                          json={"format": "csv", "content": "Đ" * 60}), 413, "IMPORT_TOO_LARGE")
    assert big["detail"].startswith("Tệp nhập danh mục quá lớn")
