"""Authorisation matrix: every route of the gateway × every kind of caller.

Every route of `create_app(...)` (walked from `app.routes`, included routers and mounts too)
must have ONE line in `MATRIX` saying who may call it. The test calls each route as each
identity and asserts: allowed → the answer is not 401/403 (nor the console's sign-in
redirect); denied → 401/403 (or, for console pages, the redirect to `/console/dang-nhap`).
A route missing from the table fails with "add <METHOD> <path> to the authorisation matrix".

Identities: anonymous; citizen (a token with role `citizen`, plus `?token=` public links);
officer (agency 000.00.41.H29); volunteer; operator (operator role only); agency A (BHXH,
every procedure) and agency B (another agency, no procedures). Role-level checks are what
this table proves; per-object scoping (agency B cannot read agency A's subscription, an
officer only his agency's dossiers) is tested beside each route.

How to add a route: one line in MATRIX, `("METHOD", "/path/{param}"): WHO,` where WHO is one
of the sets below (or a new `frozenset({...})`); a path parameter without a sample in
`PATH_SAMPLES` gets "x". Backends are not running: allowed calls that reach them answer
503/502/404/422, which is fine — the table is about 401/403.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.routing import Mount, Route

from motcua_gateway.app import create_app, tracks
from motcua_gateway.readiness import ReadinessProbe
from motcua_gateway.settings import Settings
from motcua_platform.db import create_pool
from motcua_platform.grpc_client import open_channel
from motcua_platform.migrations import apply_migrations

pytestmark = pytest.mark.integration

ANON, CITIZEN, OFFICER, VOLUNTEER, OPERATOR, AGENCY_A, AGENCY_B = (
    "anonymous", "citizen", "officer", "volunteer", "operator", "agency A", "agency B")
IDENTITIES = (ANON, CITIZEN, OFFICER, VOLUNTEER, OPERATOR, AGENCY_A, AGENCY_B)

EVERYONE = frozenset(IDENTITIES)
NOBODY = frozenset()  # signed webhooks / secret-token callbacks: no identity opens them without the signature
OFFICERS = frozenset({OFFICER, OPERATOR})
OPERATORS = frozenset({OPERATOR})
HELPERS = frozenset({OFFICER, OPERATOR, VOLUNTEER})
AGENCIES = frozenset({AGENCY_A, AGENCY_B})
AGENCIES_AND_OPERATORS = AGENCIES | OPERATORS
STAFF = frozenset({OFFICER, VOLUNTEER, OPERATOR, AGENCY_A, AGENCY_B})  # console sign-in roles
RECEPTION = frozenset({OFFICER, VOLUNTEER})

# (method, path) -> who may call it. One line per route; keep it sorted by area.
MATRIX: dict[tuple[str, str], frozenset[str]] = {
    # ops and docs
    ("GET", "/livez"): EVERYONE,
    ("GET", "/readyz"): EVERYONE,
    ("GET", "/metrics"): EVERYONE,  # k8s: a NetworkPolicy limits it to Prometheus (or MOTCUA_METRICS_PORT)
    ("GET", "/openapi.json"): EVERYONE,
    ("HEAD", "/openapi.json"): EVERYONE,
    ("GET", "/docs"): EVERYONE,
    ("HEAD", "/docs"): EVERYONE,
    ("GET", "/docs/oauth2-redirect"): EVERYONE,
    ("HEAD", "/docs/oauth2-redirect"): EVERYONE,
    ("GET", "/redoc"): EVERYONE,
    ("HEAD", "/redoc"): EVERYONE,
    ("MOUNT", "/static"): EVERYONE,
    ("POST", "/api/v1/auth/dev-token"): EVERYONE,  # only with MOTCUA_AUTH_DEV_ISSUER (the password decides)
    # catalogue and calendar (public)
    ("GET", "/api/v1/procedures"): EVERYONE,
    ("GET", "/api/v1/procedures/{code}"): EVERYONE,
    ("POST", "/api/v1/procedures/{code}/publication"): OFFICERS,
    ("POST", "/api/v1/procedures/{code}/withdrawal"): OFFICERS,
    ("POST", "/api/v1/procedures/imports"): OPERATORS,
    ("GET", "/api/v1/fields"): EVERYONE,
    ("GET", "/api/v1/agencies"): EVERYONE,
    ("GET", "/api/v1/calendar/due-date"): EVERYONE,
    ("GET", "/api/v1/calendar/overrides"): EVERYONE,
    ("PUT", "/api/v1/calendar/overrides/{day}"): OFFICERS,  # an officer for his own agency only (tested beside the route)
    ("DELETE", "/api/v1/calendar/overrides/{day}"): OFFICERS,
    # dossiers
    ("POST", "/api/v1/dossiers"): EVERYONE,
    ("GET", "/api/v1/dossiers"): OFFICERS,
    ("GET", "/api/v1/dossiers/{code}"): EVERYONE,  # public coarse view; personal data only with token, officer or applicant sign-in
    ("GET", "/api/v1/dossiers/{code}/receipt"): EVERYONE,  # needs the receipt token or an officer
    ("GET", "/api/v1/dossiers/{code}/receipt.pdf"): EVERYONE,
    ("GET", "/api/v1/dossiers/{code}/journey"): EVERYONE,
    ("POST", "/api/v1/dossiers/{code}/transitions"): frozenset({OFFICER}),
    ("POST", "/api/v1/dossiers/{code}/withdrawal"): EVERYONE,  # the citizen's token decides
    # data subject requests
    ("POST", "/api/v1/data-subject/exports"): OPERATORS,
    ("POST", "/api/v1/data-subject/erasures"): OPERATORS,
    # notifications
    ("GET", "/api/v1/notifications"): OFFICERS,
    ("GET", "/api/v1/notifications/{notification_id}"): OFFICERS,
    ("POST", "/api/v1/email-suppressions/lookup"): OFFICERS,
    ("POST", "/api/v1/email-suppressions/lift"): OFFICERS,
    ("GET", "/api/v1/notification-templates"): OFFICERS,
    ("PUT", "/api/v1/notification-templates/{code}/{channel}"): OPERATORS,
    ("POST", "/api/v1/notification-templates/{code}/preview"): OFFICERS,
    ("GET", "/api/v1/channel-attachments"): OFFICERS,
    # agency webhook subscriptions
    ("POST", "/api/v1/subscriptions"): AGENCIES,
    ("GET", "/api/v1/subscriptions"): AGENCIES_AND_OPERATORS,
    ("DELETE", "/api/v1/subscriptions/{subscription_id}"): AGENCIES,
    ("POST", "/api/v1/subscriptions/{subscription_id}/reenable"): AGENCIES,
    ("GET", "/api/v1/subscriptions/{subscription_id}/deliveries"): AGENCIES_AND_OPERATORS,
    # assisted-help bookings
    ("GET", "/api/v1/service-models"): EVERYONE,
    ("GET", "/api/v1/service-points"): EVERYONE,
    ("GET", "/api/v1/route-stops"): EVERYONE,
    ("GET", "/api/v1/availability"): EVERYONE,
    ("POST", "/api/v1/bookings/holds"): EVERYONE,
    ("POST", "/api/v1/bookings"): EVERYONE,
    ("GET", "/api/v1/bookings/{booking_id}"): EVERYONE,  # the booking token decides
    ("DELETE", "/api/v1/bookings/{booking_id}"): EVERYONE,
    ("POST", "/api/v1/bookings/{booking_id}/reschedule"): EVERYONE,
    ("GET", "/api/v1/verification-queue"): OFFICERS,
    ("POST", "/api/v1/bookings/{booking_id}/verification"): OFFICERS,
    ("PUT", "/api/v1/bookings/{booking_id}/assignment"): OFFICERS,
    ("POST", "/api/v1/bookings/{booking_id}/completion"): HELPERS,
    ("POST", "/api/v1/bookings/{booking_id}/no-show"): HELPERS,
    ("GET", "/api/v1/schedules/{day}"): OFFICERS,
    ("POST", "/api/v1/route-stops/{stop_id}/cancellation"): OFFICERS,
    ("PATCH", "/api/v1/slots/{slot_id}"): OFFICERS,
    ("GET", "/api/v1/resources"): OFFICERS,
    ("POST", "/api/v1/volunteer-availability"): HELPERS,
    # provider receipts and channel webhooks: secret token / signature, whoever calls
    ("GET", "/api/v1/provider-callbacks/esms/{token}"): NOBODY,
    ("POST", "/api/v1/provider-callbacks/speedsms/{token}"): NOBODY,
    ("POST", "/api/v1/provider-callbacks/zalo"): NOBODY,
    ("POST", "/webhooks/zalo"): NOBODY,
    ("GET", "/webhooks/sms"): NOBODY,
    # citizen portal (public pages; forms carry the double-submit CSRF token)
    ("GET", "/"): EVERYONE,
    ("GET", "/thu-tuc"): EVERYONE,
    ("GET", "/thu-tuc/{code}"): EVERYONE,
    ("GET", "/tra-cuu"): EVERYONE,
    ("GET", "/tra-cuu/{code}"): EVERYONE,
    ("GET", "/ho-tro"): EVERYONE,
    ("GET", "/ho-tro/{slug}"): EVERYONE,
    ("GET", "/ho-tro/{slug}/dang-ky"): EVERYONE,
    ("POST", "/ho-tro/{slug}/dang-ky"): EVERYONE,
    ("GET", "/lich-hen/{booking_id}"): EVERYONE,
    ("GET", "/lich-hen/{booking_id}/huy"): EVERYONE,
    ("POST", "/lich-hen/{booking_id}/huy"): EVERYONE,
    ("GET", "/lich-hen/{booking_id}/doi-lich"): EVERYONE,
    ("POST", "/lich-hen/{booking_id}/doi-lich"): EVERYONE,
    # officer console (bearer header or session cookie; anonymous → sign-in page)
    ("GET", "/console/static/console.css"): EVERYONE,
    ("GET", "/console/dang-nhap"): EVERYONE,
    ("POST", "/console/dang-nhap"): EVERYONE,
    ("POST", "/console/dang-xuat"): EVERYONE,
    ("GET", "/console"): STAFF,
    ("GET", "/console/xac-minh"): OFFICERS,
    ("GET", "/console/xac-minh/{booking_id}"): OFFICERS,
    ("POST", "/console/xac-minh/{booking_id}"): OFFICERS,
    ("GET", "/console/lich"): HELPERS,
    ("GET", "/console/tiep-nhan"): RECEPTION,
    ("POST", "/console/tiep-nhan"): RECEPTION,
    ("GET", "/console/tiep-nhan/{code}"): RECEPTION,
    ("GET", "/console/ho-so"): OFFICERS,
    ("GET", "/console/ho-so/{code}"): OFFICERS,
    ("POST", "/console/ho-so/{code}/chuyen-trang-thai"): frozenset({OFFICER}),
    ("GET", "/console/thong-bao"): OFFICERS,
    ("GET", "/console/so-lieu"): OFFICERS,
}

PATH_SAMPLES = {
    "code": "000.00.41.H29-261123-0001",
    "booking_id": "5c1b7e0a-3f2d-4c8e-9a61-2b7d4e9f0a13",
    "subscription_id": "3b9a7c1e-2d4f-4a6b-8c0d-1e2f3a4b5c6d",
    "notification_id": "7d1e2f3a-4b5c-4d6e-8f90-1a2b3c4d5e6f",
    "stop_id": "stop-1",
    "slot_id": "slot-1",
    "day": "2030-03-04",
    "slug": "tai-nha",
    "channel": "sms",
    "token": "not-the-callback-token",
}
#: A body that passes validation, for routes whose secret is checked after the body (else 422 hides the refusal).
BODY_SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/provider-callbacks/speedsms/{token}"): {"type": "report", "tranId": 1, "phone": "", "status": 0},
}
#: Query parameters a route needs to get past its per-object check for the identities the table allows.
PARAM_SAMPLES: dict[tuple[str, str], dict[str, str]] = {
    ("DELETE", "/api/v1/calendar/overrides/{day}"): {"agency": "000.00.41.H29"},  # the officer's own agency
}
TOKEN_CLAIMS = {
    CITIZEN: {"roles": ["citizen"]},
    OFFICER: {"roles": ["officer"], "agency": "000.00.41.H29"},
    VOLUNTEER: {"roles": ["volunteer"]},
    OPERATOR: {"roles": ["operator"]},
    AGENCY_A: {"roles": ["agency"], "agency": "BHXH.H29", "procedures": ["*"]},
    AGENCY_B: {"roles": ["agency"], "agency": "000.20.41.H29", "procedures": []},
}


def walk_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, through included routers and mounts."""
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included router
            yield from walk_routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute | Route):
            for method in sorted(route.methods or ()):
                yield method, prefix + route.path
        elif isinstance(route, Mount):
            yield "MOUNT", prefix + route.path
        else:
            raise AssertionError(f"unknown route kind {type(route).__name__}: teach walk_routes about it")


def app_settings(postgres_url: str) -> Settings:
    dead = "127.0.0.1:1"  # no backend runs: allowed calls stop there, after authorisation
    return Settings(_env_file=None, database_url=postgres_url, kafka_bootstrap=dead,  # type: ignore[call-arg]
                    catalogue_target=dead, dossier_target=dead, scheduler_target=dead, notification_target=dead,
                    auth_dev_issuer=True, provider_callback_token="the-real-callback-token-0123456789",
                    dossier_lookup_burst=10_000, dossier_submit_burst=10_000, scheduling_write_burst=10_000,
                    zalo={"app_id": "motcua-test", "oa_secret_key": "oa-secret-for-tests"},
                    channels={"worker_enabled": False, "lookup_burst": 10_000}, readiness_timeout_seconds=0.3)


@pytest.fixture
async def app(postgres_url: str, db_schema: str) -> AsyncIterator[FastAPI]:
    settings = app_settings(postgres_url)
    application = create_app(settings)
    await apply_migrations(postgres_url, schema=db_schema, tracks=tracks())
    pool = await create_pool(postgres_url, schema=db_schema, max_size=4)
    channels = {name: open_channel(target) for name, target in settings.grpc_targets().items()}
    application.state.settings = settings
    application.state.pool = pool
    application.state.channels = channels
    application.state.readiness = ReadinessProbe(pool=pool, bootstrap=settings.kafka_bootstrap, channels=channels,
                                                 timeout=0.3, cache_seconds=0)
    try:
        yield application
    finally:
        for channel in channels.values():
            await channel.close()
        await pool.close()


def bearer(app: FastAPI, identity: str) -> dict[str, str]:
    if identity == ANON:
        return {}
    claims = TOKEN_CLAIMS[identity]
    token = app.state.verifier.issue(subject=f"matrix-{identity.replace(' ', '-')}", name=identity,
                                     roles=claims["roles"], agency=claims.get("agency"),
                                     procedures=claims.get("procedures"))
    return {"Authorization": f"Bearer {token}"}


def console_csrf(app: FastAPI, headers: dict[str, str], pre: str) -> str:
    """The console's CSRF token for this caller, computed by the console's own code."""
    from motcua_gateway.console import session

    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"cookie", f"{session.PRE_COOKIE}={pre}".encode()))
    request = Request({"type": "http", "app": app, "headers": raw, "method": "POST", "path": "/console",
                       "query_string": b"", "state": {}})
    return session.csrf_token(request)


async def call(client: httpx.AsyncClient, app: FastAPI, method: str, path: str, identity: str) -> httpx.Response:
    from motcua_gateway import web
    from motcua_gateway.console import session

    url = path
    for name, value in PATH_SAMPLES.items():
        url = url.replace("{" + name + "}", value)
    if "{" in url:
        url = url.split("{")[0] + "x" + url.split("}", 1)[1]
    headers = {"Origin": "http://gw", **bearer(app, identity)}
    params = {"token": "a-public-token-for-the-matrix"} if identity == CITIZEN else {}
    params.update(PARAM_SAMPLES.get((method, path), {}))
    pre = "p" * 43
    cookies = {web.CSRF_COOKIE: "c" * 43, session.PRE_COOKIE: pre}
    if method == "MOUNT":
        method, url = "GET", url + "/does-not-exist.css"
    kwargs: dict[str, Any] = {}
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        if path.startswith("/api/") or path.startswith("/webhooks/"):
            kwargs["json"] = BODY_SAMPLES.get((method, path), {})
            headers["Idempotency-Key"] = f"matrix-{abs(hash((method, path, identity)))}"
        else:  # HTML forms: the right CSRF token, so that a refusal can only be about who calls
            csrf = console_csrf(app, headers, pre) if path.startswith("/console") else "c" * 43
            kwargs["data"] = {web.CSRF_FIELD: csrf}
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies.set(name, value)
    return await client.request(method, url, params=params, headers=headers, **kwargs)


def denied(reply: httpx.Response) -> bool:
    if reply.status_code in (401, 403):
        return True
    # the console sends anonymous callers to sign in, with where they wanted to go
    location = reply.headers.get("location", "")
    return reply.status_code in (302, 303, 307) and location.startswith("/console/dang-nhap?") and "next=" in location


async def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    routes = sorted(set(walk_routes(app.routes)))
    assert len(routes) > 50, "the route walker found too few routes"
    missing = [f"add {method} {path} to the authorisation matrix" for method, path in routes if (method, path) not in MATRIX]
    assert not missing, "\n".join(missing)
    stale = [f"{method} {path} is in the matrix but not in the app" for method, path in MATRIX if (method, path) not in routes]
    assert not stale, "\n".join(stale)


async def test_every_route_answers_each_identity_as_declared(app: FastAPI) -> None:
    problems: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw",
                                 follow_redirects=False, timeout=30) as client:
        for method, path in sorted(set(walk_routes(app.routes))):
            allowed = MATRIX.get((method, path))
            if allowed is None:
                continue  # reported by test_every_route_is_in_the_matrix
            for identity in IDENTITIES:
                reply = await asyncio.wait_for(call(client, app, method, path, identity), 30)
                if identity in allowed and denied(reply):
                    problems.append(f"{method} {path}: {identity} should be allowed, got {reply.status_code} "
                                    f"{reply.headers.get('location', '')}{reply.text[:160]}")
                elif identity not in allowed and not denied(reply):
                    problems.append(f"{method} {path}: {identity} should be refused, got {reply.status_code} "
                                    f"{reply.text[:160]}")
    assert not problems, f"{len(problems)} mismatches:\n" + "\n".join(problems)


async def test_a_forged_or_expired_token_is_refused_on_a_staff_route(app: FastAPI) -> None:
    import time

    import jwt

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        forged = jwt.encode({"sub": "x", "roles": ["operator"], "iss": "motcua-dev", "aud": "motcua-gateway",
                             "iat": int(time.time()), "exp": int(time.time()) + 60}, "guessed-secret-0123456789abcdef",
                            algorithm="HS256")
        expired = app.state.verifier.issue(subject="x", name="x", roles=["operator"], ttl=-120)
        for token in (forged, expired, "not-a-jwt"):
            reply = await client.get("/api/v1/verification-queue", headers={"Authorization": f"Bearer {token}"})
            assert reply.status_code == 401, reply.text
            assert reply.headers["content-type"].startswith("application/problem+json")
