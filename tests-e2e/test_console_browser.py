"""The officer console in real headless Chromium (Debian's /usr/bin/chromium) against the running stack.

An officer (canbo.saigon) signs in with JavaScript off, receives a birth registration for a citizen,
opens its printable receipt and PDF, moves it to "Đang xử lý", sees what the citizen was told, and
finds it counted in the figures' SVG chart. A volunteer (tnv.an) is offered, and may open, only the
volunteer's pages. Screenshots are kept under each test's tmp_path.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from e2e_stack import RunningStack

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
COUNTER = "Bộ phận Một cửa (quầy)"


def _chromium_present() -> bool:
    return CHROMIUM.exists()


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    """Headless Chromium from Debian; missing it is a failure (CI installs it), unless system tools are skipped."""
    if not _chromium_present():
        if os.environ.get("MOTCUA_SKIP_SYSTEM_TOOLS") == "1":
            pytest.skip("MOTCUA_SKIP_SYSTEM_TOOLS=1 and /usr/bin/chromium is missing")
        pytest.fail("headless browser missing: /usr/bin/chromium not found (`sudo make install` installs it)")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


async def new_page(browser, *, javascript: bool = False):  # type: ignore[no-untyped-def]
    context = await browser.new_context(java_script_enabled=javascript, locale="vi-VN",
                                        viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.problems = problems  # type: ignore[attr-defined]
    return page


async def sign_in(page, stack: RunningStack, username: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(stack.base_url + "/console")
    await page.wait_for_url(re.compile(r"/console/dang-nhap\?next=%2Fconsole$"))
    await page.get_by_label("Tên đăng nhập").fill(username)
    await page.get_by_label("Mật khẩu").fill("demo")
    await page.get_by_role("button", name="Đăng nhập", exact=True).click()
    await page.wait_for_url(re.compile(r"/console$"))


async def counter_count(page) -> int:  # type: ignore[no-untyped-def]
    bar = page.locator(f'#chart-channels g.bar[data-label="{COUNTER}"]')
    return int(await bar.get_attribute("data-count")) if await bar.count() else 0


async def test_officer_receives_prints_moves_and_counts_a_dossier(stack: RunningStack, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = await new_page(browser)
    await sign_in(page, stack, "canbo.saigon")
    assert "Cán bộ một cửa phường Sài Gòn" in await page.locator("main").inner_text()

    await page.goto(stack.base_url + "/console/so-lieu")
    received_before = int(await page.locator("#received").inner_text())
    counter_before = await counter_count(page)

    await page.goto(stack.base_url + "/console/tiep-nhan")
    await page.get_by_label("Tìm thủ tục hành chính").fill("khai sinh")
    await page.get_by_role("button", name="Tìm", exact=True).click()
    await page.get_by_role("link", name="Đăng ký khai sinh", exact=True).first.click()
    await page.wait_for_url(re.compile(r"/console/tiep-nhan\?ma="))
    await page.get_by_label("Họ và tên").fill("Võ Thị Mai")
    await page.get_by_label("Số định danh cá nhân (CCCD)").fill("079190004321")
    await page.get_by_label("Số điện thoại").fill("0977000111")
    await page.get_by_label("Địa chỉ (số nhà, đường, tổ, khu phố)").fill("14 Lê Thánh Tôn")
    await page.get_by_label("Ngày sinh của người được đăng ký", exact=False).fill("2015-03-02")  # over six: not linked
    assert await page.get_by_role("radio", name=COUNTER).is_checked()
    await page.get_by_label("Công dân đồng ý", exact=False).check()
    await page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    await page.wait_for_url(re.compile(r"/console/tiep-nhan/000\.00\.41\.H29-\d{6}-\d{4}\?token="))
    code = (await page.locator("#dossier-code").inner_text()).strip()
    assert await page.locator("#dossier-status").inner_text() == "Được tiếp nhận"
    assert re.match(r"(Sáng|Chiều) ngày \d\d/\d\d/\d{4}", await page.locator("#due-label").inner_text())
    await page.screenshot(path=str(tmp_path / "received.png"), full_page=True)

    pdf_href = await page.locator("#receipt-pdf").get_attribute("href")
    pdf = await page.request.get(stack.base_url + pdf_href)
    assert pdf.status == 200 and (await pdf.body()).startswith(b"%PDF")
    await page.get_by_role("link", name="Giấy tiếp nhận (trang in)").click()
    await page.wait_for_url(re.compile(r"/api/v1/dossiers/.+/receipt\?token="))
    receipt = await page.locator("body").inner_text()
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in receipt.upper() and code in receipt and "Võ Thị Mai" in receipt

    await page.goto(f"{stack.base_url}/console/ho-so/{code}")
    assert await page.locator("#dossier-status").inner_text() == "Được tiếp nhận"
    await page.get_by_role("radio", name="Đang xử lý", exact=True).check()
    await page.get_by_role("button", name="Chuyển trạng thái").click()
    await page.wait_for_url(re.compile(r"\?ok=moved$"))
    assert await page.locator("#dossier-status").inner_text() == "Đang xử lý"
    assert "Đã chuyển trạng thái hồ sơ." in await page.get_by_role("status").first.inner_text()
    assert "Đang xử lý" in await page.locator("#history").inner_text()

    # What the citizen was told: the receipt and the status change go out through the notification service.
    deadline = time.monotonic() + 30
    while True:
        await page.goto(f"{stack.base_url}/console/thong-bao?ho-so={code}")
        rows = page.locator("tr.notification-row")
        if await rows.count() >= 1 or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    assert await rows.count() >= 1, await page.locator("main").inner_text()
    assert re.search(r"Đã gửi|Đã đến máy người nhận|Đang chờ gửi|Gửi thất bại", await rows.first.inner_text())

    await page.goto(stack.base_url + "/console/so-lieu")
    assert int(await page.locator("#received").inner_text()) == received_before + 1
    assert await counter_count(page) == counter_before + 1
    bar_text = await page.locator(f'#chart-channels g.bar[data-label="{COUNTER}"] text.count').text_content()
    assert int(bar_text) == counter_before + 1  # the number drawn in the SVG itself
    assert await page.locator("#chart-models svg").count() == 1
    await page.screenshot(path=str(tmp_path / "figures.png"), full_page=True)
    assert not [p for p in page.problems if "Content Security Policy" in p]


async def test_volunteer_sees_only_what_a_volunteer_may(stack: RunningStack, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = await new_page(browser)
    await sign_in(page, stack, "tnv.an")
    menu = [t.strip() for t in await page.get_by_role("navigation", name="Chức năng của bàn làm việc")
            .get_by_role("link").all_inner_texts()]
    assert menu == ["Trang chính", "Lịch trong ngày", "Tiếp nhận hồ sơ"]
    for path in ("/console/ho-so", "/console/so-lieu", "/console/xac-minh", "/console/thong-bao"):
        reply = await page.goto(stack.base_url + path)
        assert reply.status == 403, path
        assert await page.locator("h1").inner_text() == "Không có quyền truy cập"

    await page.goto(stack.base_url + "/console/lich")
    await page.get_by_label("Điểm hỗ trợ, điểm dừng xe hoặc người").select_option(index=1)
    await page.get_by_role("button", name="Xem lịch").click()
    await page.wait_for_url(re.compile(r"/console/lich\?ngay=.+&noi=.+"))
    assert "Số điện thoại được che" in await page.locator("main").inner_text()

    await page.goto(stack.base_url + "/console/tiep-nhan?ma=2.002244.000.00.00.H29")
    assert await page.get_by_role("radio", name="Tình nguyện viên").is_checked()
    assert await page.get_by_role("radio", name=COUNTER).count() == 0
    await page.screenshot(path=str(tmp_path / "volunteer.png"), full_page=True)

    await page.get_by_role("button", name="Đăng xuất").click()
    await page.wait_for_url(re.compile(r"/console/dang-nhap\?ok=signed_out$"))
    await page.goto(stack.base_url + "/console/lich")
    await page.wait_for_url(re.compile(r"/console/dang-nhap\?next="))
