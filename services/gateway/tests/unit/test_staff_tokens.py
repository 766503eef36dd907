"""Bearer tokens: valid ones pass, forged/expired/foreign ones give 401, wrong roles 403."""

from __future__ import annotations

import time
from typing import Annotated

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI

from motcua_gateway import problems
from motcua_gateway.auth import Principal, TokenVerifier, dev_router, require_roles
from motcua_gateway.settings import Settings


def _app(**overrides: object) -> tuple[FastAPI, TokenVerifier]:
    settings = Settings(database_url="postgresql://x@127.0.0.1/x", kafka_bootstrap="127.0.0.1:9",
                        auth_hs256_secret="s3cret-for-tests-only-0123456789abcdef", **overrides)
    app = FastAPI()
    problems.install(app)
    app.state.verifier = TokenVerifier(settings)
    app.include_router(dev_router)

    @app.get("/officer-only")
    async def officer_only(p: Annotated[Principal, Depends(require_roles("officer"))]) -> dict[str, str]:
        return {"sub": p.subject, "agency": p.agency or ""}

    return app, app.state.verifier


async def _get(app: FastAPI, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.get("/officer-only", headers=headers)


async def test_valid_officer_token_passes() -> None:
    app, verifier = _app()
    token = verifier.issue(subject="canbo.1", name="Cán bộ", roles=["officer"], agency="000.00.01.H29")
    reply = await _get(app, token)
    assert reply.status_code == 200
    assert reply.json() == {"sub": "canbo.1", "agency": "000.00.01.H29"}


async def test_missing_token_is_401_with_challenge() -> None:
    app, _ = _app()
    reply = await _get(app, None)
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"] == "Bearer"
    assert reply.json()["detail"] == "Vui lòng đăng nhập."


@pytest.mark.parametrize("case", ["forged", "expired", "wrong_audience", "wrong_issuer", "none_alg"])
async def test_bad_tokens_are_401(case: str) -> None:
    app, verifier = _app()
    now = int(time.time())
    claims = {"sub": "x", "roles": ["officer"], "iss": verifier.issuer, "aud": verifier.audience, "iat": now,
              "exp": now + 60}
    key = verifier.key
    if case == "forged":
        key = "another-secret-another-secret-0000"
    elif case == "expired":
        claims["exp"] = now - 10
    elif case == "wrong_audience":
        claims["aud"] = "someone-else"
    elif case == "wrong_issuer":
        claims["iss"] = "https://evil.example"
    token = jwt.encode(claims, None if case == "none_alg" else key, algorithm="none" if case == "none_alg" else "HS256")
    reply = await _get(app, token)
    assert reply.status_code == 401, case
    assert reply.headers["content-type"].startswith("application/problem+json")


async def test_wrong_role_is_403() -> None:
    app, verifier = _app()
    token = verifier.issue(subject="tnv", name="TNV", roles=["volunteer"])
    reply = await _get(app, token)
    assert reply.status_code == 403
    assert reply.json()["code"] == "ROLE_REQUIRED"


async def test_dev_issuer_is_off_unless_enabled() -> None:
    app, _ = _app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        reply = await client.post("/api/v1/auth/dev-token", json={"username": "canbo.saigon", "password": "demo"})
    assert reply.status_code == 401
