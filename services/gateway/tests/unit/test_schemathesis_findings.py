"""Regressions for what schemathesis found (tests-e2e/security/test_schemathesis.py): 500s on odd input, undocumented answers.

The routes are driven through the real app without backends: each refusal here happens before any gRPC call,
which is the point (the services used to receive the input and fail with INTERNAL).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from motcua_gateway.app import create_app
from motcua_gateway.settings import Settings


def _app(**overrides: Any):  # type: ignore[no-untyped-def]
    base = {"database_url": "postgresql://u@127.0.0.1/x", "kafka_bootstrap": "127.0.0.1:9092",
            "auth_dev_issuer": True, "auth_hs256_secret": "s" * 32}
    return create_app(Settings(_env_file=None, **{**base, **overrides}))  # type: ignore[call-arg]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://gw") as c:
        yield c


def assert_problem(reply: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    body = reply.json()
    assert body["status"] == status and body["detail"]
    if code:
        assert body["code"] == code, body
    return body


# -- NUL characters: PostgreSQL text cannot hold U+0000; it used to come back from the services as 500 -------------


@pytest.mark.parametrize("url", [
    "/api/v1/service-points?province=%C3%B7A%00wh",         # was 500 from scheduler ListServicePoints
    "/api/v1/notification-templates?code=a%00b",              # was 500 from notification ListTemplates
    "/api/v1/procedures?q=r%00u",
    "/api/v1/dossiers/000.00.04.H15-201125-0080%00/journey",  # NUL in a path segment
])
async def test_nul_in_query_or_path_is_422(client: httpx.AsyncClient, url: str) -> None:
    body = assert_problem(await client.get(url), 422, "NUL_CHARACTER")
    assert "NUL" in body["detail"] and "không hợp lệ" in body["detail"]


async def test_nul_in_a_json_body_is_422_also_when_split_across_chunks(client: httpx.AsyncClient) -> None:
    payload = b'{"username": "tnv.an\\u0000", "password": "demo"}'
    assert_problem(await client.post("/api/v1/auth/dev-token", content=payload,
                                     headers={"content-type": "application/json"}), 422, "NUL_CHARACTER")

    async def pieces() -> AsyncIterator[bytes]:
        cut = payload.index(b"\\u0000") + 3  # the escape straddles two chunks
        yield payload[:cut]
        yield payload[cut:]

    assert_problem(await client.post("/api/v1/auth/dev-token", content=pieces(),
                                     headers={"content-type": "application/json"}), 422, "NUL_CHARACTER")


async def test_ordinary_text_still_passes_the_nul_guard(client: httpx.AsyncClient) -> None:
    reply = await client.post("/api/v1/auth/dev-token", json={"username": "tnv.an", "password": "demo"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["access_token"]
    # "%2500" is an escaped "%" followed by "00", not a NUL
    assert_problem(await client.post("/api/v1/auth/dev-token", json={"username": "x%2500", "password": "demo"}),
                   401, "LOGIN_FAILED")


# -- numbers beyond the proto's int32: was a ValueError (500) while building the gRPC request ----------------------


async def test_procedure_version_beyond_int32_is_422(client: httpx.AsyncClient) -> None:
    body = {"procedure_code": "1.000028.000.00.00.H15", "procedure_version": 3479073455297,
            "applicant": {"full_name": "A", "address": {}}, "documents": [],
            "consent": {"purpose": "dossier_processing", "text_version": "2025-01"}}
    problem = assert_problem(await client.post("/api/v1/dossiers", json=body, headers={"Idempotency-Key": "k" * 20}),
                             422, "VALIDATION_FAILED")
    assert "procedure_version" in problem["detail"]


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31"])
async def test_route_stop_days_the_calendar_cannot_hold_are_422(client: httpx.AsyncClient, query: str) -> None:
    # year 1 in Vietnam time overflowed when the scheduler moved it to UTC (OverflowError, a 500)
    body = assert_problem(await client.get(f"/api/v1/route-stops?{query}"), 422, "DATE_OUT_OF_RANGE")
    assert "1900" in body["detail"]


async def test_expected_version_beyond_int64_is_422(client: httpx.AsyncClient) -> None:
    token = (await client.post("/api/v1/auth/dev-token", json={"username": "vanhanh", "password": "demo"})).json()
    staff = {"Authorization": f"Bearer {token['access_token']}"}
    huge = 18446744073709551617  # 2**64 + 1
    moved = await client.post("/api/v1/dossiers/000.00.04.H15-201125-0080/transitions", headers=staff,
                              json={"to_status": 6, "expected_version": huge})
    assert "expected_version" in assert_problem(moved, 422, "VALIDATION_FAILED")["detail"]
    withdrawn = await client.post("/api/v1/dossiers/000.00.04.H15-201125-0080/withdrawal",
                                  json={"token": "t" * 16, "reason": "nhầm", "expected_version": huge})
    assert "expected_version" in assert_problem(withdrawn, 422, "VALIDATION_FAILED")["detail"]


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+07:00", "9999-12-31T23:59:59-07:00"])
async def test_due_before_at_the_ends_of_the_calendar_is_422(client: httpx.AsyncClient, instant: str) -> None:
    # moving these to UTC overflowed (OverflowError, a 500)
    token = (await client.post("/api/v1/auth/dev-token", json={"username": "vanhanh", "password": "demo"})).json()
    reply = await client.get("/api/v1/dossiers", params={"due_before": instant},
                             headers={"Authorization": f"Bearer {token['access_token']}"})
    assert "due_before" in assert_problem(reply, 422, "DATE_OUT_OF_RANGE")["detail"]


# -- the published document says what is answered -------------------------------------------------------------------


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return _app().openapi()


def test_every_error_answer_is_documented_as_problem_json(document: dict[str, Any]) -> None:
    seen = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code[0] in "45":
                    seen += 1
                    assert list(response["content"]) == ["application/problem+json"], (method, path, code)
    assert seen > 100
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status", "code", "detail"]


@pytest.mark.parametrize(("method", "path", "codes"), [
    ("get", "/api/v1/subscriptions", {"401", "403"}),                        # require_roles("agency", "operator")
    ("get", "/api/v1/verification-queue", {"401", "403"}),                   # require_roles("officer", "operator")
    ("post", "/api/v1/volunteer-availability", {"401", "403", "400"}),       # a body: 400 when not UTF-8 JSON
    ("post", "/api/v1/dossiers", {"400", "401", "403", "422", "429"}),       # optional token; counter channels
    ("delete", "/api/v1/bookings/{booking_id}", {"401", "404"}),             # unknown booking or wrong token
    ("get", "/api/v1/provider-callbacks/esms/{token}", {"401"}),             # unknown callback token
    ("post", "/api/v1/auth/dev-token", {"401"}),                             # wrong password (dev issuer only)
])
def test_guarded_and_resource_routes_document_their_refusals(document: dict[str, Any], method: str, path: str,
                                                              codes: set[str]) -> None:
    assert codes <= set(document["paths"][path][method]["responses"]), document["paths"][path][method]["responses"]


def test_public_routes_do_not_claim_auth_refusals(document: dict[str, Any]) -> None:
    assert "401" not in document["paths"]["/api/v1/procedures"]["get"]["responses"]
    assert not {"401", "403"} & set(document["paths"]["/api/v1/procedures/{code}"]["get"]["responses"])
    assert not {"401", "403", "404"} & set(document["paths"]["/api/v1/service-models"]["get"]["responses"])
