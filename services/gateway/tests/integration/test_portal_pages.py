"""The citizen web portal through the real app and real catalogue, dossier and scheduler services (plain HTTP, no JS)."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest

from motcua_catalogue.testing import RunningCatalogue, running_catalogue
from motcua_dossier.testing import REREGISTER_DEATH, REREGISTER_DEATH_DOCUMENTS, RunningDossier, running_dossier
from motcua_gateway.app import create_app
from motcua_gateway.settings import Settings
from motcua_scheduler import seed
from motcua_scheduler.domain.calendar import local_day
from motcua_scheduler.testing import Clock, RunningScheduler, running_scheduler

pytestmark = pytest.mark.integration

BASE = "https://dichvucong.example.vn"
NOW = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)  # Monday 09:00 in Vietnam: the scheduler's clock
TODAY = datetime.now(timezone(timedelta(hours=7))).date()  # the portal's "today" is Vietnam's day, not UTC's


def _procedure(code: str, name: str, *, field: tuple[str, str], fees: list[dict] | None = None,
               keywords: list[str] | None = None) -> dict:
    return {
        "code": code, "name": name, "field": {"code": field[0], "name": field[1]}, "level": "province",
        "agency": {"code": "000.00.12.H29", "name": "Sở Công Thương"}, "online_level": "partial",
        "legacy_level_label": "Mức độ 3",
        "processing_times": [{"working_days": 10, "channel": "any", "description": "10 ngày làm việc"}],
        "fees": fees or [],
        "required_documents": [
            {"name": "Đơn đề nghị cấp Giấy phép", "originals": 1, "copies": 0, "required": True,
             "form_template_ref": "Mẫu số 01", "note": ""},
            {"name": "Bản sao Giấy chứng nhận đăng ký doanh nghiệp", "originals": 0, "copies": 1, "required": True,
             "form_template_ref": "", "note": ""}],
        "submission_channels": ["in_person", "post", "online"], "result_channels": ["in_person", "post"],
        "legal_basis": ["Nghị định số 67/2013/NĐ-CP"], "keywords": keywords or [], "synonyms": [],
    }


TOBACCO = "2.000181.000.00.00.H29"
PROCEDURES = [
    _procedure(TOBACCO, "Cấp Giấy phép bán lẻ sản phẩm thuốc lá", field=("LUU_THONG_HANG_HOA", "Lưu thông hàng hoá"),
               fees=[{"name": "Phí thẩm định", "amount_vnd": 1_200_000, "effective_from": "2017-01-01",
                      "effective_to": (TODAY - timedelta(days=1)).isoformat()},
                     {"name": "Phí thẩm định", "amount_vnd": 600_000, "effective_from": TODAY.isoformat()}]),
    *[_procedure(f"2.{100000 + i}.000.00.00.H29", f"Thủ tục mẫu về thuốc lá số {i}",
                 field=("LUU_THONG_HANG_HOA", "Lưu thông hàng hoá"), keywords=["thuốc lá"]) for i in range(25)],
    _procedure("1.001193.000.00.00.H29", "Đăng ký khai sinh", field=("HO_TICH", "Hộ tịch")),
]
PERSONAL = ("Trần Thị Ngọc Ánh", "079190001234", "0912345678", "Nguyễn Huệ")


@pytest.fixture
async def schemas(postgres_url: str) -> AsyncIterator[list[str]]:
    names = [f"t_{uuid.uuid4().hex[:12]}" for _ in range(3)]
    conn = await asyncpg.connect(postgres_url)
    try:
        for name in names:
            await conn.execute(f"CREATE SCHEMA {name}")
        yield names
    finally:
        for name in names:
            await conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        await conn.close()


@pytest.fixture
async def catalogue(postgres_url: str, schemas: list[str], tmp_path: Path) -> AsyncIterator[RunningCatalogue]:
    file = tmp_path / "catalogue.json"
    file.write_text(json.dumps({"procedures": PROCEDURES}, ensure_ascii=False))
    async with running_catalogue(postgres_url, schemas[0], load=file) as running:
        yield running


@pytest.fixture
async def scheduler(postgres_url: str, schemas: list[str]) -> AsyncIterator[RunningScheduler]:
    async with running_scheduler(postgres_url, schemas[1], clock=Clock(NOW)) as running:
        await seed.load_demo(running.service, weekends=1)
        yield running


@pytest.fixture
async def dossier(postgres_url: str, schemas: list[str]) -> AsyncIterator[RunningDossier]:
    async with running_dossier(postgres_url, schemas[2], public_base_url=BASE) as running:
        yield running


async def _client(postgres_url: str, catalogue: RunningCatalogue, scheduler: RunningScheduler, dossier: RunningDossier,
                  **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    values: dict[str, Any] = {"dossier_lookup_burst": 1000, "dossier_submit_burst": 1000, "scheduling_write_burst": 1000}
    values.update(overrides)
    settings = Settings(database_url=postgres_url, kafka_bootstrap="127.0.0.1:9", catalogue_target=catalogue.address,
                        scheduler_target=scheduler.address, dossier_target=dossier.address, public_base_url=BASE,
                        **values)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
            yield http


@pytest.fixture
async def client(postgres_url: str, catalogue: RunningCatalogue, scheduler: RunningScheduler,
                 dossier: RunningDossier) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(postgres_url, catalogue, scheduler, dossier):
        yield http


def text(reply: httpx.Response) -> str:
    """The page's visible text, tags removed and entities decoded (for assertions on words)."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", reply.text)))


def hidden_fields(page: str) -> dict[str, str]:
    return {m.group(1): html.unescape(m.group(2))
            for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}


def links(page: str, pattern: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page) if re.search(pattern, html.unescape(h))]


def assert_html_page(reply: httpx.Response, status: int = 200) -> None:
    assert reply.status_code == status, reply.text[:2000]
    assert reply.headers["content-type"].startswith("text/html")
    csp = reply.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert '<html lang="vi">' in reply.text and 'href="#noi-dung"' in reply.text
    assert "<script>" not in reply.text and "style=" not in reply.text


async def test_home_search_paging_and_procedure_detail(client: httpx.AsyncClient) -> None:
    home = await client.get("/")
    assert_html_page(home)
    assert "Thủ tục hành chính" in home.text and 'label for="q"' in home.text
    assert "Lưu thông hàng hoá" in text(home) and home.headers["referrer-policy"] == "same-origin"

    found = await client.get("/thu-tuc", params={"q": "thuoc la"})
    assert_html_page(found)
    assert "Tìm thấy 26 thủ tục" in text(found) and "trang 1/2" in text(found)
    assert text(found).index("Cấp Giấy phép bán lẻ sản phẩm thuốc lá") < text(found).index("Thủ tục mẫu về thuốc lá")
    second = await client.get(links(found.text, r"page=2")[0])
    assert_html_page(second)
    assert "Trang 2 / 2" in text(second) and "Trang trước" in text(second)

    by_field = await client.get("/thu-tuc", params={"field": "HO_TICH", "level": "province", "page": "x"})
    assert_html_page(by_field)
    assert "Đăng ký khai sinh" in text(by_field) and "thuốc lá" not in text(by_field)

    too_long = await client.get("/thu-tuc", params={"q": "a" * 201})
    assert_html_page(too_long, 422)
    assert "Từ khoá quá dài" in text(too_long)

    detail = await client.get(links(found.text, TOBACCO)[0])
    assert_html_page(detail)
    page = text(detail)
    for expected in ("Cấp Giấy phép bán lẻ sản phẩm thuốc lá", "Đơn đề nghị cấp Giấy phép", "Mẫu số 01",
                     "Bản sao Giấy chứng nhận đăng ký doanh nghiệp", "10 ngày làm việc", "600.000 đồng", "Sở Công Thương",
                     "Qua dịch vụ bưu chính", "Nghị định số 67/2013/NĐ-CP", "Một phần"):
        assert expected in page, expected
    assert "1.200.000" not in page  # the fee that ended yesterday is not in force

    missing = await client.get("/thu-tuc/9.999999.000.00.00.H29")
    assert_html_page(missing, 404)
    assert "Không tìm thấy thủ tục hành chính có mã 9.999999.000.00.00.H29" in text(missing)


async def _submit(client: httpx.AsyncClient) -> dict[str, Any]:
    reply = await client.post("/api/v1/dossiers", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "procedure_code": REREGISTER_DEATH,
        "applicant": {"full_name": "Trần Thị Ngọc Ánh", "id_number": "079190001234", "phone": "0912345678",
                      "address": {"street": "12 Nguyễn Huệ", "ward_name": "Phường Sài Gòn",
                                  "province_name": "Thành phố Hồ Chí Minh"}},
        "documents": [{"name": n, "originals": o, "copies": c} for n, o, c in REREGISTER_DEATH_DOCUMENTS],
        "consent": {"purpose": "dossier_processing"}})
    assert reply.status_code == 201, reply.text
    return reply.json()


async def test_dossier_status_public_full_and_bad_token(client: httpx.AsyncClient) -> None:
    made = await _submit(client)
    code, token = made["code"], made["public_token"]
    qr = urlsplit(made["status_url"])
    assert (qr.scheme + "://" + qr.netloc, qr.path) == (BASE, f"/tra-cuu/{code}")

    full = await client.get(f"{qr.path}?{qr.query}")  # exactly what the receipt's QR code opens
    assert_html_page(full)
    assert full.headers["referrer-policy"] == "no-referrer" and "no-store" in full.headers["cache-control"]
    page = text(full)
    assert "Trần Thị Ngọc Ánh" in page and "Mới đăng ký" in page and "Tờ khai đăng ký lại khai tử" in page
    assert links(full.text, r"receipt\.pdf\?token=")

    form = await client.get("/tra-cuu", params={"ma": f" {code} "})
    assert form.status_code == 303 and form.headers["location"] == f"/tra-cuu/{code}"
    public = await client.get(f"/tra-cuu/{code}")
    assert_html_page(public)
    assert "Mới đăng ký" in text(public) and code in text(public)
    assert not any(p in public.text for p in PERSONAL) and token not in public.text

    wrong = await client.get(f"/tra-cuu/{code}", params={"token": "x" * 43})
    assert_html_page(wrong, 403)
    assert "Đường dẫn tra cứu không đúng" in text(wrong) and not any(p in wrong.text for p in PERSONAL)
    assert wrong.headers["referrer-policy"] == "no-referrer"
    unknown_code = f"{code.rsplit('-', 1)[0]}-9999"
    wrong_unknown = await client.get(f"/tra-cuu/{unknown_code}", params={"token": "x" * 43})
    assert (wrong_unknown.status_code, text(wrong_unknown)) == (403, text(wrong).replace(code, unknown_code))

    unknown = await client.get(f"/tra-cuu/{unknown_code}")
    assert_html_page(unknown, 404)
    assert "Không tìm thấy hồ sơ" in text(unknown)
    malformed = await client.get("/tra-cuu/abc")
    assert_html_page(malformed, 422)


async def test_lookups_share_the_rate_limit_and_429_is_a_vietnamese_page(
        postgres_url: str, catalogue: RunningCatalogue, scheduler: RunningScheduler, dossier: RunningDossier) -> None:
    async for http in _client(postgres_url, catalogue, scheduler, dossier, dossier_lookup_burst=2,
                              dossier_lookup_rate_per_second=0.01):
        made = await _submit(http)
        assert (await http.get(f"/tra-cuu/{made['code']}")).status_code == 200
        assert (await http.get(f"/api/v1/dossiers/{made['code']}")).status_code == 200
        limited = await http.get(f"/tra-cuu/{made['code']}")
        assert_html_page(limited, 429)
        assert int(limited.headers["retry-after"]) >= 1
        assert "Bạn thao tác quá nhanh" in text(limited) and "Quá nhiều yêu cầu" in text(limited)


async def _slot_link(client: httpx.AsyncClient, slug: str, **params: str) -> str:
    page = await client.get(f"/ho-tro/{slug}", params=params)
    assert_html_page(page)
    found = links(page.text, rf"^/ho-tro/{slug}/dang-ky\?")
    assert found, text(page)[:2000]
    return found[0]


async def test_book_a_kiosk_slot_with_errors_then_move_and_cancel_it(client: httpx.AsyncClient) -> None:
    models = await client.get("/ho-tro")
    assert_html_page(models)
    assert [urlsplit(u).path for u in links(models.text, r"^/ho-tro/")] == [
        "/ho-tro/tai-nha", "/ho-tro/diem-ho-tro", "/ho-tro/xe-luu-dong", "/ho-tro/tinh-nguyen-vien", "/ho-tro/tu-xa"]
    thursday = (local_day(NOW) + timedelta(days=3)).isoformat()
    link = await _slot_link(client, "diem-ho-tro", help_type="vneid_level2", ward="26740", **{"from": thursday})
    details = await client.get(link)
    assert_html_page(details)
    assert "Tạo tài khoản định danh điện tử VNeID mức 2" in text(details) and "17:30" in text(details)
    fields = hidden_fields(details.text)
    assert client.cookies.get("motcua_csrf") == fields["csrf"]

    bad = {**fields, "full_name": "Trần Thị Bảy", "phone": "12ab", "note": "Gọi trước 15 phút"}
    again = await client.post("/ho-tro/diem-ho-tro/dang-ky", data=bad, headers={"Origin": BASE})
    assert_html_page(again, 422)
    page = text(again)
    assert "Số điện thoại không hợp lệ" in page and "cần đồng ý cho phép sử dụng thông tin cá nhân" in page
    assert 'value="Trần Thị Bảy"' in again.text and "Gọi trước 15 phút" in again.text  # values kept
    assert 'aria-invalid="true"' in again.text

    forged = await client.post("/ho-tro/diem-ho-tro/dang-ky", data={**bad, "csrf": "x" * 43}, headers={"Origin": BASE})
    assert_html_page(forged, 403)
    other_site = await client.post("/ho-tro/diem-ho-tro/dang-ky", data={**bad, "consent": "1", "phone": "0912345678"},
                                   headers={"Origin": "https://evil.example"})
    assert_html_page(other_site, 403)
    assert "không đến từ trang Một Cửa" in text(other_site)

    good = {**hidden_fields(again.text), "full_name": "Trần Thị Bảy", "phone": "0912 345 678", "consent": "1", "note": ""}
    made = await client.post("/ho-tro/diem-ho-tro/dang-ky", data=good, headers={"Origin": BASE})
    assert made.status_code == 303, text(made)[:2000]
    location = made.headers["location"]
    assert re.fullmatch(r"/lich-hen/[0-9a-f-]+\?token=[^&]+&moi=1", location)
    replay = await client.post("/ho-tro/diem-ho-tro/dang-ky", data=good, headers={"Origin": BASE})
    assert replay.status_code == 303 and replay.headers["location"] == location  # a double click books once

    confirmation = await client.get(location)
    assert_html_page(confirmation)
    assert confirmation.headers["referrer-policy"] == "no-referrer"
    page = text(confirmation)
    assert "Đăng ký thành công" in page and "Đã xác nhận" in page and "+84912345678" in page
    booking_id = urlsplit(location).path.rsplit("/", 1)[1]
    token = parse_qs(urlsplit(location).query)["token"][0]
    assert f"{BASE}/lich-hen/{booking_id}?token=" in page

    move = await client.get(links(confirmation.text, r"/doi-lich\?token=")[0])
    assert_html_page(move)
    choose = await client.get(links(move.text, r"/doi-lich\?token=.*&slot=")[1])
    assert_html_page(choose)
    assert "Xác nhận đổi sang" in text(choose)
    moved = await client.post(f"/lich-hen/{booking_id}/doi-lich", data=hidden_fields(choose.text), headers={"Origin": "null"})
    assert moved.status_code == 303 and "da_doi=1" in moved.headers["location"]
    after = await client.get(moved.headers["location"])
    assert "Đã đổi lịch hẹn" in text(after)
    api = (await client.get(f"/api/v1/bookings/{booking_id}", params={"token": token})).json()
    assert api["slot"]["id"] == hidden_fields(choose.text)["slot"] and api["history"][-1]["action"] == "rescheduled"

    ask = await client.get(links(after.text, r"/huy\?token=")[0])
    assert_html_page(ask)
    assert "Huỷ lịch hẹn?" in text(ask)
    no_token = await client.post(f"/lich-hen/{booking_id}/huy", data={**hidden_fields(ask.text), "csrf": ""})
    assert no_token.status_code == 403
    cancelled = await client.post(f"/lich-hen/{booking_id}/huy", data={**hidden_fields(ask.text), "reason": "Bận việc"})
    assert cancelled.status_code == 303
    final = await client.get(cancelled.headers["location"])
    assert "Đã huỷ" in text(final) and "Bận việc" in text(final) and not links(final.text, r"/huy\?")

    stranger = await client.get(f"/lich-hen/{booking_id}", params={"token": "y" * 40})
    assert_html_page(stranger, 404)
    assert "Trần Thị Bảy" not in stranger.text


async def test_home_visit_needs_ward_and_address_and_awaits_verification(client: httpx.AsyncClient) -> None:
    no_ward = await client.get("/ho-tro/tai-nha", params={"help_type": "vneid_level2"})
    assert_html_page(no_ward, 422)
    assert "Vui lòng chọn phường/xã" in text(no_ward)
    assert "Phường Sài Gòn" in no_ward.text
    link = await _slot_link(client, "tai-nha", help_type="vneid_level2", ward="26740")
    fields = hidden_fields((await client.get(link)).text)
    missing = await client.post("/ho-tro/tai-nha/dang-ky", data={**fields, "full_name": "Lê Văn Tám",
                                                                  "phone": "0987654321", "consent": "1"})
    assert_html_page(missing, 422)
    assert "Vui lòng nhập số nhà, tên đường" in text(missing)
    made = await client.post("/ho-tro/tai-nha/dang-ky", data={**fields, "full_name": "Lê Văn Tám", "phone": "0987654321",
                                                              "consent": "1", "street": "45 Lý Tự Trọng"})
    assert made.status_code == 303, text(made)[:1500]
    page = text(await client.get(made.headers["location"]))
    assert "Chờ cán bộ xác minh" in page and "Cán bộ sẽ gọi lại để xác minh" in page


async def test_a_slot_filled_meanwhile_keeps_the_values_and_offers_the_next_slots(
        client: httpx.AsyncClient, scheduler: RunningScheduler) -> None:
    thursday = (local_day(NOW) + timedelta(days=3)).isoformat()
    link = await _slot_link(client, "diem-ho-tro", help_type="vneid_level2", ward="26740", **{"from": thursday})
    fields = hidden_fields((await client.get(link)).text)
    for _ in range(2):  # the two ordinary places go to others (the third is kept for priority citizens)
        await scheduler.book(fields["slot"])
    full = await client.post("/ho-tro/diem-ho-tro/dang-ky", data={**fields, "full_name": "Trần Thị Bảy",
                                                                  "phone": "0912345678", "consent": "1"})
    assert_html_page(full, 409)
    page = text(full)
    assert "Khung giờ còn chỗ gần nhất" in page and "Vui lòng chọn khung giờ khác" in page
    assert 'value="Trần Thị Bảy"' in full.text and 'value="0912345678"' in full.text
    assert hidden_fields(full.text)["form_key"] != fields["form_key"]  # the next try takes a new hold
    nxt = links(full.text, r"^/ho-tro/diem-ho-tro/dang-ky\?slot=")
    assert nxt and parse_qs(urlsplit(nxt[0]).query)["slot"][0] != fields["slot"]
    assert_html_page(await client.get(nxt[0]))


async def test_unknown_model_and_slot_gone_pages(client: httpx.AsyncClient) -> None:
    assert_html_page(await client.get("/ho-tro/khong-co"), 404)
    gone = await client.get("/ho-tro/diem-ho-tro/dang-ky", params={"slot": "nope", "point": "kiosk-saigon-kp3",
                                                                    "day": "2030-03-05", "help_type": "vneid_level2"})
    assert_html_page(gone, 409)
    assert "vừa hết chỗ" in text(gone)
    assert (await client.get("/lich-hen/abc")).status_code == 404
    assert (await client.get("/static/site.css")).status_code == 200
