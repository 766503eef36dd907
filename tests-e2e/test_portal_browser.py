"""The citizen web portal in real headless Chromium (Debian's /usr/bin/chromium) against the running stack.

Covers: search "thuoc la" → the tobacco licence's detail; a dossier submitted over REST opened by its QR
link (full view) and by its code alone (no personal data); the booking flow for three assistance models,
two of them with JavaScript disabled (the no-JS guarantee), each cancelled from its booking link; and a
screenshot-level proof that Vietnamese diacritics are drawn (not dropped, not tofu boxes).
Screenshots are kept under each test's tmp_path.
"""

from __future__ import annotations

import io
import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image, ImageChops

from e2e_stack import RunningStack

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
SAI_GON = "26740"
REREGISTER_DEATH = "2.002244.000.00.00.H29"  # Đăng ký lại khai tử (demo seed)
APPLICANT = {"full_name": "Đỗ Thị Phượng", "id_number": "079190007777", "phone": "0977123456",
             "address": {"street": "8 Hàm Nghi", "ward_name": "Phường Bến Thành", "province_name": "Thành phố Hồ Chí Minh"}}


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium; missing it is a failure (CI installs it), unless system tools are skipped."""
    if not CHROMIUM.exists():
        if os.environ.get("MOTCUA_SKIP_SYSTEM_TOOLS") == "1":
            pytest.skip("MOTCUA_SKIP_SYSTEM_TOOLS=1 and /usr/bin/chromium is missing")
        pytest.fail("headless browser missing: /usr/bin/chromium not found. Install Debian's chromium "
                    "(`sudo make install` runs tools/ensure_system_tools.sh), or set MOTCUA_SKIP_SYSTEM_TOOLS=1 to skip.")
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[object]:
    """Headless Chromium driven by Playwright (no browser download)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def api(stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=10) as http:
        yield http


async def new_page(browser, *, javascript: bool = True):  # type: ignore[no-untyped-def]
    context = await browser.new_context(java_script_enabled=javascript, locale="vi-VN",
                                        viewport={"width": 412, "height": 915})  # a mid-range Android phone
    page = await context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.problems = problems  # type: ignore[attr-defined]
    return page


def assert_no_csp_errors(page) -> None:  # type: ignore[no-untyped-def]
    blocked = [p for p in page.problems if "Content Security Policy" in p]
    assert not blocked, blocked


async def test_search_without_diacritics_then_open_the_procedure(stack: RunningStack, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = await new_page(browser)
    await page.goto(stack.base_url + "/")
    assert await page.locator("html").get_attribute("lang") == "vi"
    # the stylesheet is applied (CSP allows it): the skip link is moved off screen until focused
    assert await page.locator(".skip-link").evaluate("e => getComputedStyle(e).position") == "absolute"
    # keyboard: the first Tab shows the skip link, with a visible focus outline
    await page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert await skip.evaluate("e => e === document.activeElement && getComputedStyle(e).outlineStyle === 'solid'")
    box = await skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0
    # touch targets: every control and navigation link is at least 44 × 44 CSS pixels
    sizes = await page.eval_on_selector_all(
        "a.button, button, .nav a, .chips a, .brand, input, select",
        "els => els.map(e => [e.outerHTML.slice(0, 60), e.getBoundingClientRect().height, e.getBoundingClientRect().width])")
    small = [s for s in sizes if s[1] < 44 or s[2] < 44]
    assert sizes and not small, small
    await page.get_by_label("Tìm thủ tục hành chính").fill("thuoc la")
    await page.get_by_role("button", name="Tìm kiếm").click()
    await page.wait_for_url(re.compile(r"/thu-tuc\?q=thuoc\+la"))
    await page.get_by_role("link", name="Cấp Giấy phép bán lẻ sản phẩm thuốc lá", exact=True).first.click()
    await page.wait_for_url(re.compile(r"/thu-tuc/\d\.\d{6}\.000\.00\.00\.H\d\d$"))
    heading = await page.locator("h1").inner_text()
    assert "thuốc lá" in heading
    body = await page.locator("main").inner_text()
    assert "Giấy tờ cần chuẩn bị" in body and "Thời hạn giải quyết" in body and "Phí, lệ phí" in body
    await page.screenshot(path=str(tmp_path / "procedure.png"), full_page=True)
    assert_no_csp_errors(page)


async def test_qr_link_opens_the_full_view_and_the_code_alone_shows_no_personal_data(
        stack: RunningStack, api: httpx.AsyncClient, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    procedure = (await api.get(f"/api/v1/procedures/{REREGISTER_DEATH}")).json()
    documents = [{"name": d["name"], "originals": d["originals"], "copies": d["copies"]}
                 for d in procedure["required_documents"] if d["required"]]
    made = await api.post("/api/v1/dossiers", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "procedure_code": REREGISTER_DEATH, "applicant": APPLICANT, "documents": documents,
        "consent": {"purpose": "dossier_processing", "text_version": "2025-01"}})
    assert made.status_code == 201, made.text
    code, qr = made.json()["code"], made.json()["status_url"]
    assert qr.startswith(stack.base_url + f"/tra-cuu/{code}?token=")

    page = await new_page(browser)
    await page.goto(qr)
    full = await page.locator("main").inner_text()
    assert "Đỗ Thị Phượng" in full and code in full and "Mới đăng ký" in full
    await page.screenshot(path=str(tmp_path / "full-view.png"), full_page=True)

    await page.goto(stack.base_url + "/tra-cuu")
    await page.get_by_label("Mã hồ sơ").fill(code)
    await page.get_by_role("button", name="Tra cứu").click()
    await page.wait_for_url(stack.base_url + f"/tra-cuu/{code}")
    coarse = await page.content()
    assert "Mới đăng ký" in coarse and code in coarse
    for personal in ("Đỗ Thị Phượng", "079190007777", "0977123456", "Hàm Nghi"):
        assert personal not in coarse
    await page.screenshot(path=str(tmp_path / "public-view.png"), full_page=True)

    await page.goto(stack.base_url + f"/tra-cuu/{code}?token=not-the-right-token")
    assert "Đường dẫn tra cứu không đúng" in await page.locator("main").inner_text()
    assert "Đỗ Thị Phượng" not in await page.content()


@pytest.mark.parametrize(("slug", "label", "javascript", "phone"), [
    ("diem-ho-tro", "Điểm hỗ trợ dịch vụ công cộng đồng", True, "0966100201"),
    ("tinh-nguyen-vien", "Tình nguyện viên cuối tuần", False, "0966100202"),
    ("xe-luu-dong", "Xe dịch vụ công lưu động", False, "0966100203"),
])
async def test_book_in_the_browser_then_cancel_from_the_booking_link(
        stack: RunningStack, api: httpx.AsyncClient, browser, tmp_path: Path,  # type: ignore[no-untyped-def]
        slug: str, label: str, javascript: bool, phone: str) -> None:
    page = await new_page(browser, javascript=javascript)
    await page.goto(stack.base_url + "/ho-tro")
    await page.get_by_role("link", name=label).click()
    await page.wait_for_url(stack.base_url + f"/ho-tro/{slug}")
    help_label = "Scan, số hoá giấy tờ" if slug == "xe-luu-dong" else "Tạo tài khoản định danh điện tử VNeID mức 2"
    await page.get_by_label(help_label).check()
    await page.get_by_label("Phường/xã nơi anh/chị ở").select_option(SAI_GON if slug != "xe-luu-dong" else "")
    await page.get_by_role("button", name="Xem lịch còn trống").click()
    await page.wait_for_url(re.compile(rf"/ho-tro/{slug}\?help_type="))
    await page.locator("a.button", has_text="Chọn").first.click()
    await page.wait_for_url(re.compile(rf"/ho-tro/{slug}/dang-ky\?"))

    await page.get_by_role("textbox", name="Họ và tên").fill("Nguyễn Thị Thu Hà")
    await page.get_by_role("textbox", name="Số điện thoại").fill(phone)
    await page.get_by_role("textbox", name="Địa chỉ (số nhà, đường, khu phố/tổ)").fill("27 Lê Thánh Tôn")
    await page.get_by_role("button", name="Xác nhận đặt lịch").click()  # consent not ticked yet
    await page.wait_for_load_state()
    assert "cần đồng ý cho phép sử dụng thông tin cá nhân" in await page.locator("main").inner_text()
    assert await page.get_by_role("textbox", name="Họ và tên").input_value() == "Nguyễn Thị Thu Hà"  # values kept
    await page.get_by_role("checkbox", name="Tôi đồng ý").check()
    await page.get_by_role("button", name="Xác nhận đặt lịch").click()
    await page.wait_for_url(re.compile(r"/lich-hen/[0-9a-f-]+\?token=.+&moi=1"))
    done = await page.locator("main").inner_text()
    assert "Đăng ký thành công" in done and "Nguyễn Thị Thu Hà" in done
    await page.screenshot(path=str(tmp_path / f"booked-{slug}.png"), full_page=True)
    link = await page.locator("#duong-dan").inner_text()
    assert link.startswith(stack.base_url + "/lich-hen/")
    # the copy button is an enhancement: shown by portal.js, hidden without JavaScript
    assert await page.locator("#sao-chep").is_visible() is javascript

    # later, from the link in the confirmation message
    later = await new_page(browser, javascript=javascript)
    await later.goto(link)
    await later.get_by_role("link", name="Huỷ lịch hẹn").click()
    await later.get_by_label("Lý do huỷ").fill("Đã tự làm được")
    await later.get_by_role("button", name="Đồng ý huỷ lịch").click()
    await later.wait_for_url(re.compile(r"&da_huy=1$"))
    assert "Đã huỷ" in await later.locator("#trang-thai").inner_text()
    assert_no_csp_errors(page)
    assert_no_csp_errors(later)

    parts = urlsplit(link)
    booking_id = parts.path.rsplit("/", 1)[1]
    seen = (await api.get(f"/api/v1/bookings/{booking_id}", params={"token": parse_qs(parts.query)["token"][0]})).json()
    assert (seen["status"], seen["cancel_reason"], seen["channel"]) == ("cancelled", "Đã tự làm được", "web")


def _gray(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("L")


def _ink_difference(a: Image.Image, b: Image.Image, box: tuple[int, int, int, int] | None = None) -> int:
    """Pixels that differ clearly (> 64 of 255 grey levels) between a and b, optionally inside box."""
    diff = ImageChops.difference(a, b)
    if box is not None:
        diff = diff.crop(box)
    return diff.point(lambda v: 255 if v > 64 else 0).histogram()[255]


async def test_vietnamese_diacritics_are_drawn(stack: RunningStack, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = await new_page(browser)
    await page.goto(stack.base_url + "/")
    heading = page.locator("h1")
    assert "Thủ tục hành chính" in await heading.inner_text()
    await heading.screenshot(path=str(tmp_path / "heading.png"))
    # Two copies of the heading with the page's own styles: with and without diacritics.
    await page.evaluate("""() => {
        const h = document.querySelector('h1');
        for (const [id, text] of [['co-dau', 'Thủ tục hành chính'], ['khong-dau', 'Thu tuc hanh chinh']]) {
            const c = h.cloneNode(false); c.id = id; c.textContent = text;
            c.style.display = 'inline-block'; c.style.background = '#fff'; c.style.color = '#000';
            c.style.padding = '4px'; c.style.margin = '0';
            h.after(c);
        }
    }""")
    with_marks = _gray(await page.locator("#co-dau").screenshot(path=str(tmp_path / "co-dau.png")))
    without = _gray(await page.locator("#khong-dau").screenshot(path=str(tmp_path / "khong-dau.png")))
    assert with_marks.size == without.size  # same advances: the marks sit on the same letters
    # Where each letter with a mark is drawn (relative to the element), from the layout itself.
    boxes = await page.evaluate("""() => {
        const el = document.getElementById('co-dau'), node = el.firstChild, r0 = el.getBoundingClientRect();
        const plain = 'Thu tuc hanh chinh', out = [];
        for (let i = 0; i < node.length; i++) {
            if (node.data[i] === plain[i]) continue;
            const range = document.createRange(); range.setStart(node, i); range.setEnd(node, i + 1);
            const r = range.getBoundingClientRect();
            out.push([Math.floor(r.left - r0.left), Math.floor(r.top - r0.top), Math.ceil(r.right - r0.left),
                      Math.ceil(r.bottom - r0.top)]);
        }
        return out;
    }""")
    assert len(boxes) == 4  # ủ, ụ, à, í
    total = _ink_difference(with_marks, without)
    inside = 0
    for box in boxes:
        changed = _ink_difference(with_marks, without, tuple(box))
        assert changed >= 3, f"no diacritic drawn in {box}"
        inside += changed
    assert inside >= 0.9 * total, (inside, total)  # the two renderings differ in the diacritic area only

    # No glyph is a tofu box: compare each letter with a code point no font has, drawn the same way.
    letters = ["ủ", "ụ", "à", "í", "ệ", "ơ", "ư", "đ", "ạ", "ấ", "ỹ", "Đ"]
    missing = ["\u0378", "\u0379"]  # unassigned code points: rendered as the missing-glyph box
    await page.evaluate("""(chars) => {
        const box = document.createElement('div'); box.id = 'glyphs'; document.querySelector('main').append(box);
        chars.forEach((ch, i) => {
            const s = document.createElement('span'); s.id = 'g' + i; s.textContent = ch;
            Object.assign(s.style, {display: 'inline-block', width: '2em', textAlign: 'center', fontSize: '32px',
                                    lineHeight: '1.4', background: '#fff', color: '#000'});
            box.append(s);
        });
    }""", letters + missing)
    images = [_gray(await page.locator(f"#g{i}").screenshot(path=str(tmp_path / f"glyph-{i}.png")))
              for i in range(len(letters) + len(missing))]
    tofu, tofu_again = images[len(letters)], images[len(letters) + 1]
    assert _ink_difference(tofu, tofu_again) == 0 and _ink_difference(tofu, Image.new("L", tofu.size, 255)) > 20
    for letter, image in zip(letters, images, strict=False):
        assert _ink_difference(image, Image.new("L", image.size, 255)) > 10, f"{letter} drew nothing"
        assert _ink_difference(image, tofu) > 10, f"{letter} is drawn as a missing-glyph box"
    for i in range(len(letters)):
        for j in range(i + 1, len(letters)):
            assert _ink_difference(images[i], images[j]) > 0, f"{letters[i]} and {letters[j]} look the same"
