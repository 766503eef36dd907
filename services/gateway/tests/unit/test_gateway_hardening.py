"""Gateway-wide hardening: body size limit (also while streaming), CORS, security headers, metrics port."""

from __future__ import annotations

import asyncio
import socket
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from motcua_gateway import hardening, problems
from motcua_gateway.app import create_app
from motcua_gateway.settings import Settings

LIMIT = 4096


def settings(**overrides: Any) -> Settings:
    base = {"database_url": "postgresql://u@127.0.0.1/x", "kafka_bootstrap": "127.0.0.1:9092",
            "http_max_body_bytes": LIMIT}
    return Settings(_env_file=None, **{**base, **overrides})  # type: ignore[call-arg]


class Note(BaseModel):
    text: str


def small_app(**overrides: Any) -> FastAPI:
    app = FastAPI()
    problems.install(app)
    hardening.install(app, settings(**overrides))

    @app.post("/json")
    async def json_body(note: Note) -> dict[str, int]:
        return {"length": len(note.text)}

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    @app.get("/page")
    async def page() -> HTMLResponse:
        return HTMLResponse("<p>Xin chào</p>", headers={"Content-Security-Policy": "default-src 'self'",
                                                        "X-Frame-Options": "SAMEORIGIN"})

    @app.get("/plain")
    async def plain() -> dict[str, str]:
        return {"ok": "yes"}

    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def chunks(total: int, size: int = 1000) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"x" * piece


def assert_too_large(reply: httpx.Response) -> None:
    assert reply.status_code == 413, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    body = reply.json()
    assert body["code"] == "BODY_TOO_LARGE" and body["status"] == 413
    assert "vượt quá giới hạn" in body["detail"]


async def test_body_within_the_limit_passes() -> None:
    async with client(small_app()) as c:
        assert (await c.post("/json", json={"text": "a" * 1000})).json() == {"length": 1000}
        assert (await c.post("/raw", content=b"y" * LIMIT)).json() == {"length": LIMIT}


async def test_declared_content_length_over_the_limit_is_413_before_reading() -> None:
    async with client(small_app()) as c:
        assert_too_large(await c.post("/json", json={"text": "a" * (LIMIT + 10)}))
        assert_too_large(await c.post("/raw", content=b"y" * (LIMIT + 1)))


async def test_streamed_body_without_content_length_is_cut_off() -> None:
    """Chunked upload (no Content-Length): the limit applies to the bytes received."""
    async with client(small_app()) as c:
        for path in ("/raw", "/json"):
            reply = await c.post(path, content=chunks(LIMIT * 3), headers={"content-type": "application/json"})
            assert "content-length" not in reply.request.headers
            assert_too_large(reply)
        ok = await c.post("/raw", content=chunks(LIMIT - 10))
        assert ok.json() == {"length": LIMIT - 10}


async def test_lying_content_length_is_cut_off_too() -> None:
    app = small_app()
    messages = [{"type": "http.request", "body": b"z" * 3000, "more_body": True},
                {"type": "http.request", "body": b"z" * 3000, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/raw", "raw_path": b"/raw", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"t"), (b"content-length", b"10")], "client": ("127.0.0.1", 1), "server": ("t", 80)}
    await app(scope, receive, send)
    assert sent[0]["status"] == 413


async def test_security_headers_on_every_response_without_overriding_the_route() -> None:
    async with client(small_app()) as c:
        for reply in (await c.get("/plain"), await c.get("/missing"), await c.post("/raw", content=b"y" * (LIMIT + 1))):
            assert reply.headers["x-content-type-options"] == "nosniff"
            assert reply.headers["referrer-policy"] == "strict-origin-when-cross-origin"
            assert reply.headers["x-frame-options"] == "DENY"
            assert reply.headers["content-security-policy"] == "frame-ancestors 'none'"
            assert "strict-transport-security" not in reply.headers
        page = await c.get("/page")
        assert page.headers.get_list("content-security-policy") == ["default-src 'self'"]
        assert page.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
        assert page.headers["x-content-type-options"] == "nosniff"
    async with client(small_app(http_hsts=True)) as c:
        assert (await c.get("/plain")).headers["strict-transport-security"].startswith("max-age=31536000")


async def test_cors_is_off_by_default() -> None:
    async with client(small_app()) as c:
        reply = await c.get("/plain", headers={"Origin": "https://evil.example"})
        assert reply.status_code == 200 and "access-control-allow-origin" not in reply.headers
        preflight = await c.options("/json", headers={"Origin": "https://evil.example",
                                                      "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 403
        assert preflight.headers["content-type"].startswith("application/problem+json")


async def test_cors_allows_only_the_configured_origins() -> None:
    app = small_app(http_cors_origins=["https://motcua.example.gov.vn"])
    async with client(app) as c:
        preflight = await c.options("/json", headers={"Origin": "https://motcua.example.gov.vn",
                                                      "Access-Control-Request-Method": "POST",
                                                      "Access-Control-Request-Headers": "authorization, content-type"})
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "https://motcua.example.gov.vn"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert preflight.headers["access-control-allow-headers"] == "authorization, content-type"
        reply = await c.post("/json", json={"text": "x"}, headers={"Origin": "https://motcua.example.gov.vn"})
        assert reply.headers["access-control-allow-origin"] == "https://motcua.example.gov.vn"
        assert "Origin" in reply.headers["vary"]
        other = await c.post("/json", json={"text": "x"}, headers={"Origin": "https://motcua.example.gov.vn.evil.example"})
        assert "access-control-allow-origin" not in other.headers
        assert (await c.options("/json", headers={"Origin": "http://motcua.example.gov.vn",
                                                  "Access-Control-Request-Method": "POST"})).status_code == 403


async def test_the_real_app_is_wired() -> None:
    app = create_app(settings(auth_dev_issuer=False))
    async with client(app) as c:
        reply = await c.get("/livez", headers={"Origin": "https://evil.example"})
        assert reply.status_code == 200
        assert reply.headers["x-content-type-options"] == "nosniff" and "x-request-id" in reply.headers
        assert "access-control-allow-origin" not in reply.headers
        assert_too_large(await c.post("/api/v1/dossiers", content=chunks(LIMIT * 2),
                                      headers={"content-type": "application/json", "Idempotency-Key": "k" * 20}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_metrics_on_their_own_port_and_hidden_on_the_public_one() -> None:
    port = free_port()
    app = small_app(metrics_port=port, http_host="127.0.0.1")
    events = asyncio.Queue()
    for message in ({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}):
        events.put_nowait(message)
    sent: list[dict[str, Any]] = []
    started = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if sent:  # startup completed: hold the shutdown until the checks ran
            await started.wait()
        return await events.get()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send))
    for _ in range(100):
        if sent:
            break
        await asyncio.sleep(0.02)
    assert sent[0]["type"] == "lifespan.startup.complete"
    text = await asyncio.to_thread(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3).read())
    assert b"# HELP" in text
    async with client(app) as c:
        assert (await c.get("/metrics")).status_code == 404
    started.set()
    await asyncio.wait_for(lifespan, 5)
    with pytest.raises(urllib.error.URLError):
        await asyncio.to_thread(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1))


async def test_answers_to_signed_in_callers_are_not_kept_by_caches() -> None:
    """Staff answers hold personal data: with a bearer token or a console session, `private, no-store` unless the
    route says otherwise; anonymous answers are left to their routes."""
    from motcua_gateway.console.session import COOKIE

    async with client(small_app()) as c:
        assert "cache-control" not in (await c.get("/plain")).headers
        assert (await c.get("/plain", headers={"Authorization": "Bearer x"})).headers["cache-control"] == "private, no-store"
        assert (await c.get("/missing", headers={"Authorization": "Bearer x"})).headers["cache-control"] == "private, no-store"
        c.cookies.set(COOKIE, "s" * 20)
        assert (await c.get("/plain")).headers["cache-control"] == "private, no-store"
        c.cookies.clear()
        c.cookies.set("unrelated", "v")
        assert "cache-control" not in (await c.get("/plain")).headers
