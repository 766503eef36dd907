"""The officer console (/console) through the real app and real catalogue, dossier and scheduler services on Postgres.

Sign-in through the development issuer, the session cookie and its CSRF token, role checks, the
verification queue with a call-back outcome, a dossier received on behalf of a citizen, printed and
moved, and the figures page with its SVG chart.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from motcua_catalogue.testing import running_catalogue
from motcua_dossier.testing import BIRTH, PROCEDURES, REREGISTER_DEATH, running_dossier
from motcua_gateway.app import create_app
from motcua_gateway.settings import Settings
from motcua_platform.embedded.process import free_port
from motcua_scheduler import seed
from motcua_scheduler.testing import Clock, RunningScheduler, running_scheduler

pytestmark = pytest.mark.integration

NOW = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)  # scheduler clock: Monday 09:00 in Vietnam
SEED = Path(__file__).parents[3] / "catalogue" / "src" / "motcua_catalogue" / "seed" / "procedures.json"
PAGES = ("/console/xac-minh", "/console/lich", "/console/tiep-nhan", "/console/ho-so", "/console/thong-bao",
         "/console/so-lieu")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class World:
    app: Any
    scheduler: RunningScheduler

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://gw")

    def bearer(self, subject: str, roles: list[str], agency: str | None = None) -> dict[str, str]:
        token = self.app.state.verifier.issue(subject=subject, name=f"Người dùng {subject}", roles=roles, agency=agency)
        return {"Authorization": f"Bearer {token}"}


async def _schema(postgres_url: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute(f"CREATE SCHEMA {name}")
    finally:
        await conn.close()
    return name


@pytest.fixture
async def world(postgres_url: str, kafka_bootstrap: str, db_schema: str, tmp_path: Path) -> AsyncIterator[World]:
    # The catalogue serves the demo entries of the procedures the dossier service's fake catalogue knows.
    seed_doc = json.loads(SEED.read_text(encoding="utf-8"))
    seed_doc["procedures"] = [p for p in seed_doc["procedures"] if p["code"] in PROCEDURES]
    small = tmp_path / "procedures.json"
    small.write_text(json.dumps(seed_doc, ensure_ascii=False), encoding="utf-8")
    schemas = [await _schema(postgres_url) for _ in range(2)]
    try:
        async with running_catalogue(postgres_url, schemas[0], load=small) as catalogue, \
                running_dossier(postgres_url, schemas[1]) as dossier, \
                running_scheduler(postgres_url, db_schema, clock=Clock(NOW)) as scheduler:
            await seed.load_demo(scheduler.service, weekends=1)
            app = create_app(Settings(
                database_url=postgres_url, kafka_bootstrap=kafka_bootstrap, catalogue_target=catalogue.address,
                dossier_target=dossier.address, scheduler_target=scheduler.address,
                notification_target=f"127.0.0.1:{free_port()}", auth_dev_issuer=True, scheduling_write_burst=1000,
                dossier_lookup_burst=1000, public_base_url="http://gw"))
            async with app.router.lifespan_context(app):
                yield World(app, scheduler)
    finally:
        conn = await asyncpg.connect(postgres_url)
        try:
            for name in schemas:
                await conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        finally:
            await conn.close()


def csrf(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


async def sign_in(http: httpx.AsyncClient, username: str, password: str = "demo", next_url: str = "/console") -> httpx.Response:
    form = await http.get("/console/dang-nhap", params={"next": next_url})
    assert form.status_code == 200
    return await http.post("/console/dang-nhap", data={"csrf": csrf(form), "username": username, "password": password,
                                                        "next": next_url})


@asynccontextmanager
async def signed_in(world: World, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with world.client() as http:
        done = await sign_in(http, username)
        assert done.status_code == 303, done.text
        yield http


async def test_sign_in_session_cookie_csrf_and_sign_out(world: World) -> None:
    async with world.client() as http:
        anonymous = await http.get("/console/ho-so", params={"han": "qua-han"})
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == "/console/dang-nhap?next=%2Fconsole%2Fho-so%3Fhan%3Dqua-han"
        page = await http.get("/console/dang-nhap")
        assert page.status_code == 200 and "Đăng nhập bàn làm việc cán bộ" in page.text
        assert page.headers["cache-control"] == "private, no-store" and "frame-ancestors 'none'" in page.headers[
            "content-security-policy"]
        token = csrf(page)

        no_csrf = await http.post("/console/dang-nhap", data={"username": "canbo.saigon", "password": "demo"})
        assert no_csrf.status_code == 403 and "Biểu mẫu đã hết hạn" in no_csrf.text
        assert "motcua_console=" not in no_csrf.headers.get("set-cookie", "")
        forged = await http.post("/console/dang-nhap", data={"csrf": token[:-2] + "xx", "username": "canbo.saigon",
                                                              "password": "demo"})
        assert forged.status_code == 403
        wrong = await http.post("/console/dang-nhap", data={"csrf": token, "username": "canbo.saigon", "password": "nope"})
        assert wrong.status_code == 401 and "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.text

        ok = await http.post("/console/dang-nhap", data={"csrf": token, "username": "canbo.saigon", "password": "demo",
                                                          "next": "/console/ho-so?han=qua-han"})
        assert ok.status_code == 303 and ok.headers["location"] == "/console/ho-so?han=qua-han"
        cookie = next(c for c in ok.headers.get_list("set-cookie") if c.startswith("motcua_console="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
        assert "Secure" not in cookie  # plain http here; https sets Secure
        home = await http.get("/console")
        assert home.status_code == 200 and "Cán bộ một cửa phường Sài Gòn" in home.text
        assert "000.00.41.H29" in home.text

        # The CSRF token is bound to the session: the pre-sign-in one and another user's are refused.
        assert (await http.post("/console/dang-xuat", data={"csrf": token})).status_code == 403
        async with signed_in(world, "tnv.an") as other:
            theirs = csrf(await other.get("/console"))
            assert (await http.post("/console/dang-xuat", data={"csrf": theirs})).status_code == 403
        # A cross-site POST is refused even with the right token.
        mine = csrf(home)
        cross = await http.post("/console/dang-xuat", data={"csrf": mine}, headers={"Origin": "https://evil.example"})
        assert cross.status_code == 403
        out = await http.post("/console/dang-xuat", data={"csrf": mine})
        assert out.status_code == 303 and out.headers["location"] == "/console/dang-nhap?ok=signed_out"
        assert any(c.startswith('motcua_console=""') for c in out.headers.get_list("set-cookie"))
        assert (await http.get("/console")).status_code == 303

    async with world.client() as http:
        # The same TokenVerifier: a bearer header works without a cookie; a forged cookie is an expired session.
        bearer = await http.get("/console", headers=world.bearer("oidc-user-7", ["officer"], agency="000.00.41.H29"))
        assert bearer.status_code == 200 and "Người dùng oidc-user-7" in bearer.text
        stale = await http.get("/console/so-lieu", headers={"Cookie": "motcua_console=not-a-jwt"})
        assert stale.status_code == 303 and "het-han=1" in stale.headers["location"]
        assert any(c.startswith('motcua_console=""') for c in stale.headers.get_list("set-cookie"))
        pasted_form = await http.get("/console/dang-nhap")
        pasted = await http.post("/console/dang-nhap", data={
            "csrf": csrf(pasted_form), "access_token": world.bearer("oidc-op", ["operator"])["Authorization"][7:]})
        assert pasted.status_code == 303 and (await http.get("/console/so-lieu")).status_code == 200
        assert (await http.get("/console/dang-nhap")).status_code == 303  # signed in: the form sends you on
    async with world.client() as http:
        citizen_form = await http.get("/console/dang-nhap")
        citizen = await http.post("/console/dang-nhap", data={
            "csrf": csrf(citizen_form), "access_token": world.bearer("citizen-1", ["citizen"])["Authorization"][7:]})
        assert citizen.status_code == 403 and "Tài khoản này không có quyền" in citizen.text
        assert not any(c.startswith("motcua_console=") for c in citizen.headers.get_list("set-cookie"))


async def test_each_page_checks_the_role(world: World) -> None:
    expected = {
        "canbo.saigon": {p: 200 for p in PAGES},
        "vanhanh": {p: 200 for p in PAGES},
        "tnv.an": {"/console/xac-minh": 403, "/console/lich": 200, "/console/tiep-nhan": 200, "/console/ho-so": 403,
                   "/console/thong-bao": 403, "/console/so-lieu": 403},
        "coquan.bhxh": {p: 403 for p in PAGES},
    }
    for user, pages in expected.items():
        async with signed_in(world, user) as http:
            home = await http.get("/console")
            assert home.status_code == 200
            for path, status in pages.items():
                reply = await http.get(path)
                assert reply.status_code == status, (user, path, reply.text[:300])
                if status == 403:
                    assert "Không có quyền truy cập" in reply.text and reply.headers["content-type"].startswith("text/html")
                    assert f'href="{path}"' not in home.text  # not offered in the menu either
                else:
                    assert f'href="{path}"' in home.text
    async with world.client() as http:
        citizen = await http.get("/console", headers=world.bearer("citizen-1", ["citizen"]))
        assert citizen.status_code == 403
        for path in PAGES:
            assert (await http.get(path)).status_code == 303


async def test_officer_calls_back_a_home_visit_request(world: World) -> None:
    async with world.client() as http:
        slots = await http.get("/api/v1/availability", params={"model": "home_visit", "ward": "26740"})
        slot = slots.json()["items"][0]
        made = await http.post("/api/v1/bookings", headers={"Idempotency-Key": "console-home-01"}, json={
            "slot_id": slot["id"], "help_type": "vneid_level2", "priority": True, "note": "Cụ bà 85 tuổi",
            "citizen": {"full_name": "Lê Thị Chín", "phone": "0908000999",
                        "address": {"street": "7 Nguyễn Huy Tự", "ward_code": "26740"}},
            "consent": {"accepted": True, "text_version": "2025-01"}})
        assert made.status_code == 201, made.text
    booking_id = made.json()["id"]

    async with signed_in(world, "canbo.saigon") as http:
        queue = await http.get("/console/xac-minh")
        assert queue.status_code == 200
        row = re.search(rf'data-booking="{booking_id}">(.*?)</tr>', queue.text, re.S)
        assert row, queue.text
        assert "0908000999" not in queue.text and "090*****99" in row.group(1)
        assert "Lê Thị Chín" not in queue.text and "L* T** C***" in row.group(1)

        opened = await http.get(f"/console/xac-minh/{booking_id}")
        assert opened.status_code == 200 and "0908000999" in opened.text and "Lê Thị Chín" in opened.text
        token = csrf(opened)
        url = f"/console/xac-minh/{booking_id}"
        assert (await http.post(url, data={"outcome": "unreachable"})).status_code == 403  # no CSRF token
        no_reason = await http.post(url, data={"csrf": token, "outcome": "rejected"})
        assert no_reason.status_code == 422 and "Vui lòng ghi lý do từ chối" in no_reason.text
        unreachable = await http.post(url, data={"csrf": token, "outcome": "unreachable", "note": "Không nghe máy"})
        assert unreachable.status_code == 303 and unreachable.headers["location"] == "/console/xac-minh?ok=verified_unreachable"
        again = await http.get(unreachable.headers["location"])
        assert "chưa liên lạc được" in again.text
        assert re.search(rf'data-booking="{booking_id}">.*?1 lần', again.text, re.S)
        confirmed = await http.post(url, data={"csrf": token, "outcome": "confirmed", "note": "Đã gọi, hẹn đúng giờ"})
        assert confirmed.status_code == 303
        assert booking_id not in (await http.get("/console/xac-minh")).text
        after = await http.get(f"/console/xac-minh/{booking_id}")
        assert "Đã xác nhận" in after.text and "không còn chờ xác minh" in after.text
        assert "Đã gọi, hẹn đúng giờ" in after.text and "verification_unreachable" in after.text

        day = slot["starts_at"][:10]
        schedule = await http.get("/console/lich", params={"ngay": day, "noi": f"point:{slot['point']['id']}"})
        assert schedule.status_code == 200 and "Lê Thị Chín" in schedule.text and "0908000999" in schedule.text
    async with signed_in(world, "tnv.an") as http:
        schedule = await http.get("/console/lich", params={"ngay": day, "noi": f"point:{slot['point']['id']}"})
        assert schedule.status_code == 200 and "0908000999" not in schedule.text and "090*****99" in schedule.text
        assert (await http.get(f"/console/xac-minh/{booking_id}")).status_code == 403
        bad = await http.get("/console/lich", params={"ngay": "2030-13-45"})
        assert bad.status_code == 422 and "không hợp lệ" in bad.text


def reception_form(page: httpx.Response, **change: str) -> dict[str, str]:
    form = {"csrf": csrf(page), "ma": re.search(r'name="ma" value="([^"]+)"', page.text).group(1),  # type: ignore[union-attr]
            "idem": re.search(r'name="idem" value="([^"]+)"', page.text).group(1),  # type: ignore[union-attr]
            "full_name": "Phạm Thị Mười", "id_number": "079190005678", "phone": "0912000010",
            "street": "5 Lê Lợi", "ward_name": "Phường Sài Gòn", "province_name": "Thành phố Hồ Chí Minh",
            "channel": "counter", "result_delivery": "counter", "consent": "on"}
    for i in range(len(re.findall(r'name="doc_\d+"', page.text))):
        form[f"doc_{i}"] = "on"
    form.update(change)
    return {k: v for k, v in form.items() if v is not None}


async def test_dossier_received_for_a_citizen_printed_moved_and_counted(world: World) -> None:
    async with signed_in(world, "canbo.saigon") as http:
        found = await http.get("/console/tiep-nhan", params={"q": "khai sinh"})
        assert found.status_code == 200 and f"/console/tiep-nhan?ma={BIRTH}" in found.text
        page = await http.get("/console/tiep-nhan", params={"ma": BIRTH})
        assert page.status_code == 200 and "Tờ khai đăng ký khai sinh" in page.text and "Bộ phận Một cửa (quầy)" in page.text
        no_consent = await http.post("/console/tiep-nhan", data=reception_form(page, consent=""))
        assert no_consent.status_code == 422 and "Cần có sự đồng ý của công dân" in no_consent.text
        assert 'value="Phạm Thị Mười"' in no_consent.text  # what was typed is kept
        bad_phone = await http.post("/console/tiep-nhan", data=reception_form(page, phone="12"))
        assert bad_phone.status_code == 422 and 'role="alert"' in bad_phone.text
        assert (await http.post("/console/tiep-nhan", data={**reception_form(page), "csrf": "x"})).status_code == 403

        no_birth_date = await http.post("/console/tiep-nhan", data=reception_form(page))
        assert no_birth_date.status_code == 422 and "Cần ngày sinh của trẻ" in no_birth_date.text
        # A late registration of a child over six: no linked dossiers.
        done = await http.post("/console/tiep-nhan", data=reception_form(page, birth_date="2015-03-02"))
        assert done.status_code == 303, done.text
        location = done.headers["location"]
        code = re.match(r"/console/tiep-nhan/([^?]+)\?token=", location).group(1)  # type: ignore[union-attr]
        assert code.startswith("000.00.41.H29-")
        replay = await http.post("/console/tiep-nhan", data=reception_form(page, birth_date="2015-03-02"))
        assert replay.headers["location"] == location  # same idempotency key: the same dossier
        receipt = await http.get(location)
        assert receipt.status_code == 200 and code in receipt.text and "Được tiếp nhận" in receipt.text
        assert re.search(r'id="due-label">(Sáng|Chiều) ngày \d\d/\d\d/\d{4}<', receipt.text)
        pdf_link = re.search(r'id="receipt-pdf" href="([^"]+)"', receipt.text).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
        pdf = await http.get(pdf_link)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        html_link = re.search(r'id="receipt-html" href="([^"]+)"', receipt.text).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
        assert "GIẤY TIẾP NHẬN HỒ SƠ" in (await http.get(html_link)).text

        listed = await http.get("/console/ho-so")
        assert f'href="/console/ho-so/{code}"' in listed.text
        detail = await http.get(f"/console/ho-so/{code}")
        assert detail.status_code == 200 and "Phạm Thị Mười" in detail.text
        basis = re.search(r'<dd id="due-basis">(.*?)</dd>', detail.text, re.S).group(1)  # type: ignore[union-attr]
        assert re.search(r"\d+ ngày làm việc, tính từ", basis)  # how the appointment was reached, for the officer
        assert 'name="to_status" value="4"' in detail.text and 'name="to_status" value="10"' not in detail.text
        token = csrf(detail)
        version = re.search(r'name="version" value="(\d+)"', detail.text).group(1)  # type: ignore[union-attr]
        url = f"/console/ho-so/{code}/chuyen-trang-thai"
        assert (await http.post(url, data={"to_status": "4", "version": version})).status_code == 403
        no_reason = await http.post(url, data={"csrf": token, "to_status": "5", "version": version})
        assert no_reason.status_code == 422 and "Cần ghi lý do" in no_reason.text
        moved = await http.post(url, data={"csrf": token, "to_status": "4", "version": version})
        assert moved.status_code == 303 and moved.headers["location"] == f"/console/ho-so/{code}?ok=moved"
        after = await http.get(moved.headers["location"])
        assert "Đã chuyển trạng thái hồ sơ." in after.text and 'id="dossier-status">Đang xử lý<' in after.text
        stale = await http.post(url, data={"csrf": token, "to_status": "9", "version": version})
        assert stale.status_code == 409 and 'role="alert"' in stale.text
        illegal = await http.post(url, data={"csrf": token, "to_status": "1"})
        assert illegal.status_code == 422

        today = datetime.now(UTC).astimezone().date().isoformat()
        figures = await http.get("/console/so-lieu")
        assert figures.status_code == 200 and "<svg" in figures.text and 'id="received">1<' in figures.text
        assert 'data-label="Bộ phận Một cửa (quầy)" data-count="1"' in figures.text
        assert 'id="online-share">0,0 %<' in figures.text
        assert (await http.get("/console/so-lieu", params={"tu": today, "den": "2000-01-01"})).status_code == 422

        foreign = world.bearer("canbo.benthanh", ["officer"], agency="000.00.42.H29")
        async with world.client() as other:
            assert (await other.get(f"/console/ho-so/{code}", headers=foreign)).status_code == 403
            assert (await other.get("/console/thong-bao", params={"ho-so": code}, headers=foreign)).status_code == 403
            assert (await other.get("/console/ho-so/khong-phai-ma", headers=foreign)).status_code == 404

    async with signed_in(world, "tnv.an") as http:
        page = await http.get("/console/tiep-nhan", params={"ma": REREGISTER_DEATH})
        assert page.status_code == 200 and 'name="channel" value="counter"' not in page.text
        refused = await http.post("/console/tiep-nhan", data=reception_form(page))
        assert refused.status_code == 422 and "Vui lòng chọn kênh tiếp nhận." in refused.text
        done = await http.post("/console/tiep-nhan", data=reception_form(page, channel="volunteer"))
        assert done.status_code == 303
        receipt = await http.get(done.headers["location"])
        assert "Mới đăng ký" in receipt.text and "Tình nguyện viên" in receipt.text
        assert (await http.post(f"/console/ho-so/{code}/chuyen-trang-thai", data={"csrf": csrf(receipt), "to_status": "9"})
                ).status_code == 403

    async with signed_in(world, "vanhanh") as http:
        everyone = await http.get("/console/so-lieu")
        assert 'id="received">2<' in everyone.text and 'data-label="Tình nguyện viên" data-count="1"' in everyone.text
        assert 'id="online-share">50,0 %<' in everyone.text
