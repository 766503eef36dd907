"""Transient failures reach clients as 503 + Retry-After problem+json, never a 500 (PostgreSQL restart scenario)."""

from __future__ import annotations

import asyncpg
from fastapi import FastAPI
from fastapi.testclient import TestClient

from motcua_gateway import problems
from motcua_platform.errors import Unavailable


def _app() -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.get("/lost")
    async def lost() -> None:
        raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation")

    @app.get("/refused")
    async def refused() -> None:
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    @app.get("/domain")
    async def domain() -> None:
        raise Unavailable("PROVIDER_DOWN", "provider down", "Nhà cung cấp tạm thời gián đoạn.")

    @app.get("/bug")
    async def bug() -> None:
        raise ValueError("password=hunter2")

    return app


def test_lost_database_connections_are_503_with_retry_after() -> None:
    with TestClient(_app(), raise_server_exceptions=False) as client:
        for path in ("/lost", "/refused"):
            reply = client.get(path)
            assert reply.status_code == 503, reply.text
            assert reply.headers["retry-after"] == "2"
            assert reply.headers["content-type"] == "application/problem+json"
            assert reply.json()["code"] == "DATABASE_UNAVAILABLE" and "thử lại" in reply.json()["detail"]
            assert "127.0.0.1" not in reply.text


def test_domain_unavailable_carries_retry_after_and_bugs_stay_500() -> None:
    with TestClient(_app(), raise_server_exceptions=False) as client:
        domain = client.get("/domain")
        assert domain.status_code == 503 and domain.headers["retry-after"] == "2"
        bug = client.get("/bug")
        assert bug.status_code == 500 and "retry-after" not in bug.headers and "hunter2" not in bug.text
