"""Server-rendered HTML of the gateway: one Jinja2 environment, security headers, CSRF and form helpers.

Used by the citizen portal (`routes/portal.py`) and available to the officer console:

    from motcua_gateway import web
    page = web.render(request, "portal/home.html", {"fields": ...}, token_url=False)

Templates live in `web/templates/` (`base.html` is the shared layout, see its header comment for the
block names); static files in `web/static/` are served under `/static` (mounted in app.py). Pages
carry no inline script or style, so the Content-Security-Policy can forbid both.

CSRF: the portal has no login, so forms carry a double-submit token — a random value in a cookie
(`motcua_csrf`, HttpOnly, SameSite=Lax) repeated in a hidden field `csrf` — and a POST is refused
unless both match and its Origin (or, without one, its Referer) is this site. Pages whose URL holds
a secret token are sent with `Referrer-Policy: no-referrer`, so a browser posting from them sends
`Origin: null`; such a POST is accepted on the token match alone (and carries the secret itself).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

VIETNAM = timezone(timedelta(hours=7), "ICT")
CSRF_COOKIE = "motcua_csrf"
CSRF_FIELD = "csrf"
#: Largest form body the portal reads (the gateway-wide limit may be lower).
MAX_FORM_BYTES = 32 * 1024

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")

_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


class PageError(Exception):
    """Stop a page and show a Vietnamese error page with this status (rendered by the portal's route class)."""

    def __init__(self, status: int, title: str, message: str, *, headers: dict[str, str] | None = None,
                 token_url: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.headers = headers or {}
        self.token_url = token_url


# -- formatting filters ------------------------------------------------------------------------------


def _as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(VIETNAM)
    return None


def format_datetime(value: Any) -> str:
    """"08:30, Thứ Hai 25/11/2026" in Vietnam time; empty for nothing."""
    moment = _as_datetime(value)
    if moment is None:
        return ""
    return f"{moment:%H:%M}, {_WEEKDAYS[moment.weekday()]} {moment:%d/%m/%Y}"


def format_time(value: Any) -> str:
    moment = _as_datetime(value)
    return "" if moment is None else f"{moment:%H:%M}"


def format_date(value: Any) -> str:
    """"Thứ Hai 25/11/2026" for a date or an instant (Vietnam day)."""
    if isinstance(value, str) and len(value) == 10:
        value = date.fromisoformat(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{_WEEKDAYS[value.weekday()]} {value:%d/%m/%Y}"
    moment = _as_datetime(value)
    return "" if moment is None else f"{_WEEKDAYS[moment.weekday()]} {moment:%d/%m/%Y}"


def format_vnd(amount: int) -> str:
    """"200.000 đồng"; "Miễn phí" for 0 (Vietnamese groups thousands with dots)."""
    if not amount:
        return "Miễn phí"
    return f"{amount:,}".replace(",", ".") + " đồng"


def local_day(value: Any) -> str:
    """The Vietnam day (ISO) of an instant."""
    moment = _as_datetime(value)
    return "" if moment is None else moment.date().isoformat()


@lru_cache(maxsize=8)
def environment(*extra_dirs: str) -> Environment:
    """The Jinja2 environment: autoescaped (missing keys render empty, as `errors.phone` does); `extra_dirs` first."""
    env = Environment(
        loader=FileSystemLoader([*extra_dirs, str(TEMPLATES_DIR)]),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(datetime_vi=format_datetime, time_vi=format_time, date_vi=format_date, vnd=format_vnd,
                       local_day=local_day)
    return env


# -- responses ---------------------------------------------------------------------------------------


def security_headers(*, token_url: bool) -> dict[str, str]:
    """Headers of every portal HTML page; token pages also refuse caching and never send a Referer."""
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer" if token_url else "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cache-Control": "private, no-store" if token_url else "no-cache",
    }
    return headers


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (from its cookie, or a new one set with the response)."""
    current = getattr(request.state, "csrf_token", None)
    if current:
        return current
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if 32 <= len(cookie) <= 64 and cookie.replace("-", "").replace("_", "").isalnum():
        token = cookie
    else:
        token = secrets.token_urlsafe(32)
        request.state.csrf_new = True
    request.state.csrf_token = token
    return token


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200,
           token_url: bool = False, headers: dict[str, str] | None = None,
           extra_dirs: Iterable[str] = ()) -> HTMLResponse:
    """Render `template` with the request, CSRF token and `context`; add the security headers and the CSRF cookie."""
    env = environment(*extra_dirs)
    values = {"request": request, "csrf_token": csrf_token(request), "csrf_field": CSRF_FIELD, "path": request.url.path}
    values.update(context or {})
    body = env.get_template(template).render(values)
    response = HTMLResponse(body, status_code=status, headers={**security_headers(token_url=token_url), **(headers or {})})
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(CSRF_COOKIE, request.state.csrf_token, httponly=True, samesite="lax", path="/",
                            secure=request.url.scheme == "https", max_age=12 * 3600)
    return response


# -- forms -------------------------------------------------------------------------------------------


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded form of a POST as {name: first value}; 413/415 pages for oversized or other bodies."""
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise PageError(415, "Yêu cầu không hợp lệ", "Biểu mẫu phải được gửi từ trang web của Một Cửa.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise PageError(413, "Dữ liệu gửi lên quá lớn", "Nội dung biểu mẫu quá dài. Vui lòng rút gọn và gửi lại.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM_BYTES:
            raise PageError(413, "Dữ liệu gửi lên quá lớn", "Nội dung biểu mẫu quá dài. Vui lòng rút gọn và gửi lại.")
    try:
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PageError(400, "Yêu cầu không hợp lệ", "Không đọc được nội dung biểu mẫu.") from exc
    return {key: values[0] for key, values in parsed.items()}


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def allowed_origins(request: Request) -> set[str]:
    """This site as the browser sees it: the Host it asked for, and the configured public base URL."""
    origins = {f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}".lower()}
    settings = getattr(request.app.state, "settings", None)
    base = getattr(settings, "public_base_url", "") if settings is not None else ""
    if base:
        origins.add(_origin_of(base))
    return origins


def check_csrf(request: Request, form: dict[str, str]) -> None:
    """Refuse (403 page) a POST from another site or without this browser's token."""
    refused = PageError(403, "Yêu cầu không hợp lệ",
                        "Phiên làm việc đã hết hạn hoặc yêu cầu không đến từ trang Một Cửa. "
                        "Vui lòng quay lại trang trước, tải lại và thử lại.")
    allowed = allowed_origins(request)
    origin = request.headers.get("origin", "").strip().lower()
    if origin and origin != "null":
        if origin not in allowed:
            raise refused
    else:
        referer = request.headers.get("referer", "")
        if referer and _origin_of(referer) not in allowed:
            raise refused
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get(CSRF_FIELD, "")
    if not cookie or not sent or not secrets.compare_digest(cookie.encode(), sent.encode()):
        raise refused
