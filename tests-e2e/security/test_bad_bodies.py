"""Oversized bodies are 413 and malformed JSON is 422 on the main POST routes, always as problem+json."""

from __future__ import annotations

import httpx
import pytest

from security.conftest import SecurityStack, token

pytestmark = pytest.mark.e2e

#: (path, who) — who: None = anonymous, else a demo user whose token is sent.
ROUTES = [
    ("/api/v1/dossiers", None),
    ("/api/v1/bookings", None),
    ("/api/v1/bookings/holds", None),
    ("/api/v1/auth/dev-token", None),
    ("/api/v1/subscriptions", "coquan.bhxh"),
    ("/api/v1/dossiers/000.00.42.H29-261122-0001/transitions", "vanhanh"),
    ("/api/v1/volunteer-availability", "tnv.an"),
]


def _headers(client: httpx.Client, who: str | None) -> dict[str, str]:
    base = {"Content-Type": "application/json", "Idempotency-Key": "security-bad-bodies"}
    return {**base, **token(client, who)} if who else base


def _is_problem(reply: httpx.Response, status: int) -> None:
    assert reply.status_code == status, (reply.request.url, reply.status_code, reply.text[:300])
    assert reply.headers["content-type"].startswith("application/problem+json")
    body = reply.json()
    assert body["status"] == status and body["detail"] and body["title"]


def test_oversized_bodies_are_413(security_stack: SecurityStack) -> None:
    big = b'{"note": "' + b"x" * (2 * 1024 * 1024) + b'"}'  # 2 MiB, over the 1 MiB default limit
    with httpx.Client(base_url=security_stack.stack.base_url, timeout=30) as client:
        for path, who in ROUTES:
            _is_problem(client.post(path, content=big, headers=_headers(client, who)), 413)
            assert "quá lớn" in client.post(path, content=big, headers=_headers(client, who)).json()["title"]
        # A client that lies about the length (chunked upload, no Content-Length) is cut off too.
        chunks = (b"x" * 65536 for _ in range(40))
        _is_problem(client.post("/api/v1/dossiers", content=chunks, headers=_headers(client, None)), 413)


@pytest.mark.parametrize("payload", [b'{"procedure_code": ', b"not json", b"[1, 2", b'{"a": 1}}', b"\xff\xfe{}"])
def test_malformed_json_is_422(security_stack: SecurityStack, payload: bytes) -> None:
    with httpx.Client(base_url=security_stack.stack.base_url, timeout=30) as client:
        for path, who in ROUTES:
            _is_problem(client.post(path, content=payload, headers=_headers(client, who)), 422)
