"""Gateway-wide protections as plain ASGI middleware: body size limit, CORS, security headers.

- Request bodies larger than `MOTCUA_HTTP_MAX_BODY_BYTES` get 413 problem+json. The limit is
  enforced on the bytes actually received, not only on Content-Length (a chunked upload, or a
  client that lies, is cut off as soon as it passes the limit).
- CORS: only the origins in `MOTCUA_HTTP_CORS_ORIGINS` (none by default) get
  `Access-Control-Allow-Origin`; preflights from other origins are refused with 403.
- Security headers on every response — `X-Content-Type-Options`, `Referrer-Policy`,
  `X-Frame-Options` + CSP `frame-ancestors`, `Permissions-Policy`, and
  `Strict-Transport-Security` when `MOTCUA_HTTP_HSTS=true` — never replacing a header the route
  set itself (the portal sends its own Content-Security-Policy).
- Metrics: with `MOTCUA_METRICS_PORT` > 0 the Prometheus metrics are served on that port only
  (started with the app, stopped with it) and `/metrics` on the public port is 404, so an
  ingress that forwards every path cannot publish them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from motcua_gateway import problems
from motcua_gateway.console.session import COOKIE as CONSOLE_SESSION
from motcua_gateway.settings import Settings
from motcua_platform.logging import get_logger

log = get_logger(__name__)

PROBLEM = "application/problem+json"
_METHODS_WITH_BODY_OK = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
_CORS_MAX_AGE = "600"


def _problem(status: int, code: str, detail_vi: str, detail: str) -> bytes:
    titles = {403: "Không có quyền truy cập", 404: "Không tìm thấy", 413: "Dữ liệu gửi lên quá lớn"}
    return json.dumps({"type": f"https://motcua.gov.vn/problems/{code.lower().replace('_', '-')}",
                       "title": titles.get(status, "Lỗi"), "status": status, "code": code,
                       "detail": detail_vi, "detail_en": detail}, ensure_ascii=False).encode()


async def _send_problem(send: Send, status: int, code: str, detail_vi: str, detail: str,
                        headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = _problem(status, code, detail_vi, detail)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM.encode()), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(StarletteHTTPException):
    """Raised by the app's receive() when the body passes the limit.

    An HTTPException, so that FastAPI's body parsing lets it through (it turns other errors
    into 400) and the handler registered by `install` answers 413 problem+json.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes", headers={"Connection": "close"})
        self.limit = limit


class BodySizeLimitMiddleware:
    """413 for request bodies over `max_bytes`, checked on Content-Length and while streaming."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            # read outside a route (another middleware): nothing answered yet
            if started:
                raise
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        log.warning("request_body_too_large", limit=self.max_bytes)
        await _send_problem(send, 413, "BODY_TOO_LARGE", _too_large_vi(self.max_bytes),
                            f"request body larger than {self.max_bytes} bytes", [(b"connection", b"close")])


def _too_large_vi(limit: int) -> str:
    size = f"{limit // 1_048_576} MB" if limit >= 1_048_576 and limit % 1_048_576 == 0 else f"{limit // 1024} KB"
    return f"Dữ liệu gửi lên vượt quá giới hạn {size}. Vui lòng gửi tệp nhỏ hơn."


class CorsMiddleware:
    """Answer preflights and add CORS headers for the configured origins only (none = no CORS at all)."""

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        self.app = app
        self.origins = {o.rstrip("/") for o in origins}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        origin = headers.get(b"origin", b"").decode("latin-1")
        allowed = bool(origin) and origin in self.origins
        if scope["method"] == "OPTIONS" and origin and b"access-control-request-method" in headers:
            if not allowed:
                await _send_problem(send, 403, "CORS_ORIGIN_REFUSED", "Nguồn truy cập không được phép.",
                                    f"origin {origin!r} is not allowed", [(b"vary", b"Origin")])
                return
            requested = headers.get(b"access-control-request-headers", b"")
            await send({"type": "http.response.start", "status": 204, "headers": [
                (b"access-control-allow-origin", origin.encode()),
                (b"access-control-allow-methods", _METHODS_WITH_BODY_OK.encode()),
                (b"access-control-allow-headers", requested or b"authorization, content-type, idempotency-key"),
                (b"access-control-allow-credentials", b"true"),
                (b"access-control-max-age", _CORS_MAX_AGE.encode()),
                (b"vary", b"Origin"),
            ]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = list(message.get("headers", ()))
                if allowed:
                    out += [(b"access-control-allow-origin", origin.encode()),
                            (b"access-control-allow-credentials", b"true"),
                            (b"access-control-expose-headers", b"retry-after, x-request-id, idempotent-replayed")]
                if self.origins:
                    out.append((b"vary", b"Origin"))
                message["headers"] = out
            await send(message)

        await self.app(scope, receive, send_with_cors)


#: What a signed-in caller's answer says to caches when its route says nothing: staff answers hold personal data
#: (lists, notifications, bookings, exports, console pages), and a shared cache must never keep them.
_SIGNED_IN_CACHE = (b"cache-control", b"private, no-store")


class SecurityHeadersMiddleware:
    """Add the security headers a response does not already carry, and `Cache-Control: private, no-store` to the
    answers of requests that carry credentials (a bearer token, or one of `credential_cookies`)."""

    def __init__(self, app: ASGIApp, *, hsts: bool, credential_cookies: tuple[str, ...] = ()) -> None:
        self.app = app
        self.credential_cookies = tuple(f"{name}=".encode() for name in credential_cookies)
        defaults = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", b"frame-ancestors 'none'"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            defaults.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        self.defaults = defaults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        signed_in = self._signed_in(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = list(message.get("headers", ()))
                present = {name.lower() for name, _ in out}
                out += [(name, value) for name, value in self.defaults if name not in present]
                if signed_in and b"cache-control" not in present:
                    out.append(_SIGNED_IN_CACHE)
                message["headers"] = out
            await send(message)

        await self.app(scope, receive, send_with_headers)


    def _signed_in(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"authorization" and value:
                return True
            if name == b"cookie" and any(c in value for c in self.credential_cookies):
                return True
        return False


class MetricsPortMiddleware:
    """Serve Prometheus metrics on their own port (started/stopped with the app); hide /metrics on this one."""

    def __init__(self, app: ASGIApp, *, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._lifespan_receive(receive), send)
            return
        if scope["type"] == "http" and scope["path"].rstrip("/") == "/metrics":
            await _send_problem(send, 404, "NOT_FOUND", "Không tìm thấy trang.", "not found")
            return
        await self.app(scope, receive, send)

    def _lifespan_receive(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                from prometheus_client import start_http_server

                self._server, _ = start_http_server(self.port, addr=self.host)
                log.info("gateway_metrics_listening", port=self.port)
            elif message["type"] == "lifespan.shutdown" and self._server is not None:
                self._server.shutdown()
                self._server.server_close()
                self._server = None
            return message

        return wrapped


def install(app: FastAPI, settings: Settings) -> None:
    """Add the middleware and the 413 handler to the app (call before the request-context middleware)."""

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        log.warning("request_body_too_large", limit=exc.limit)
        return problems.problem(413, code="BODY_TOO_LARGE", detail=str(exc.detail), detail_vi=_too_large_vi(exc.limit),
                                headers={"Connection": "close"})

    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.http_max_body_bytes)
    app.add_middleware(CorsMiddleware, origins=settings.http_cors_origins)
    if settings.metrics_port:
        app.add_middleware(MetricsPortMiddleware, host=settings.http_host, port=settings.metrics_port)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.http_hsts, credential_cookies=(CONSOLE_SESSION,))
