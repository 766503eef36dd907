"""The portal's HTML helpers: Vietnamese formatting, security headers, CSRF decisions, form reading."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from starlette.requests import Request

from motcua_gateway import web


def request(method: str = "POST", headers: dict[str, str] | None = None, body: bytes = b"",
            base_url: str = "https://dichvucong.example.vn") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    app = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(public_base_url=base_url)))
    sent = False

    async def receive() -> dict:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": method, "path": "/ho-tro/tai-nha/dang-ky", "query_string": b"",
             "headers": [(b"host", b"gw.internal:8080"), *raw], "scheme": "http", "server": ("gw.internal", 8080),
             "app": app}
    return Request(scope, receive)


def test_vietnamese_formats() -> None:
    assert web.format_vnd(0) == "Miễn phí"
    assert web.format_vnd(1_200_000) == "1.200.000 đồng"
    assert web.format_datetime("2026-11-23T01:30:00+00:00") == "08:30, Thứ Hai 23/11/2026"
    assert web.format_datetime(datetime(2026, 11, 29, 10, 0, tzinfo=UTC)) == "17:00, Chủ nhật 29/11/2026"
    assert web.format_date("2026-11-28") == "Thứ Bảy 28/11/2026"
    assert web.format_date(date(2026, 11, 24)) == "Thứ Ba 24/11/2026"
    assert web.local_day("2026-11-23T18:30:00+00:00") == "2026-11-24"  # 01:30 the next day in Vietnam
    assert web.format_datetime(None) == "" and web.format_time("") == ""


def test_token_pages_never_send_a_referer_nor_are_cached() -> None:
    token = web.security_headers(token_url=True)
    plain = web.security_headers(token_url=False)
    assert token["Referrer-Policy"] == "no-referrer" and token["Cache-Control"] == "private, no-store"
    assert plain["Referrer-Policy"] == "same-origin"
    for headers in (token, plain):
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"


TOKEN = "a" * 43


@pytest.mark.parametrize(("headers", "form", "allowed"), [
    ({"Origin": "https://dichvucong.example.vn", "Cookie": f"motcua_csrf={TOKEN}"}, {"csrf": TOKEN}, True),
    ({"Origin": "http://gw.internal:8080", "Cookie": f"motcua_csrf={TOKEN}"}, {"csrf": TOKEN}, True),
    ({"Origin": "null", "Cookie": f"motcua_csrf={TOKEN}"}, {"csrf": TOKEN}, True),  # from a no-referrer page
    ({"Cookie": f"motcua_csrf={TOKEN}"}, {"csrf": TOKEN}, True),
    ({"Referer": "https://dichvucong.example.vn/ho-tro", "Cookie": f"motcua_csrf={TOKEN}"}, {"csrf": TOKEN}, True),
    ({"Origin": "https://evil.example", "Cookie": f"motcua_csrf={TOKEN}"}, {"csrf": TOKEN}, False),
    ({"Referer": "https://evil.example/x", "Cookie": f"motcua_csrf={TOKEN}"}, {"csrf": TOKEN}, False),
    ({"Origin": "https://dichvucong.example.vn"}, {"csrf": TOKEN}, False),  # no cookie
    ({"Origin": "https://dichvucong.example.vn", "Cookie": f"motcua_csrf={TOKEN}"}, {}, False),
    ({"Origin": "https://dichvucong.example.vn", "Cookie": f"motcua_csrf={TOKEN}"}, {"csrf": "b" * 43}, False),
])
def test_csrf_needs_this_site_and_the_matching_token(headers: dict[str, str], form: dict[str, str], allowed: bool) -> None:
    if allowed:
        web.check_csrf(request(headers=headers), form)
    else:
        with pytest.raises(web.PageError) as refused:
            web.check_csrf(request(headers=headers), form)
        assert refused.value.status == 403 and "Một Cửa" in refused.value.message


async def test_read_form_takes_urlencoded_only_and_bounds_the_size() -> None:
    ok = request(headers={"Content-Type": "application/x-www-form-urlencoded"},
                 body=b"full_name=Tr%E1%BA%A7n+Th%E1%BB%8B+B%E1%BA%A3y&consent=1&empty=")
    assert await web.read_form(ok) == {"full_name": "Trần Thị Bảy", "consent": "1", "empty": ""}
    with pytest.raises(web.PageError) as wrong_type:
        await web.read_form(request(headers={"Content-Type": "application/json"}, body=b"{}"))
    assert wrong_type.value.status == 415
    big = b"note=" + b"x" * (web.MAX_FORM_BYTES + 1)
    with pytest.raises(web.PageError) as too_big:
        await web.read_form(request(headers={"Content-Type": "application/x-www-form-urlencoded"}, body=big))
    assert too_big.value.status == 413


def test_a_new_browser_gets_a_token_and_keeps_it() -> None:
    fresh = request(method="GET")
    token = web.csrf_token(fresh)
    assert len(token) >= 32 and fresh.state.csrf_new is True and web.csrf_token(fresh) == token
    returning = request(method="GET", headers={"Cookie": f"motcua_csrf={TOKEN}"})
    assert web.csrf_token(returning) == TOKEN and not getattr(returning.state, "csrf_new", False)
    forged = request(method="GET", headers={"Cookie": "motcua_csrf=<script>"})
    assert web.csrf_token(forged) != "<script>"
