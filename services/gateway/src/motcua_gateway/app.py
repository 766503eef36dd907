"""Wiring of the gateway: FastAPI app, gRPC channels, database pool, probes."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from motcua_gateway import hardening, openapi_problems, problems, text_guard, web
from motcua_gateway.auth import TokenVerifier, dev_router
from motcua_gateway.channels.runtime import start_channels
from motcua_gateway.public_cache import PublicCacheMiddleware
from motcua_gateway.readiness import ReadinessProbe
from motcua_gateway.routes import all_routers
from motcua_gateway.settings import Settings
from motcua_platform.db import create_pool
from motcua_platform.grpc_client import open_channel
from motcua_platform.logging import get_logger
from motcua_platform.migrations import Track
from motcua_platform.runtime import freeze_startup_heap
from motcua_platform.tracing import extract_context, tracer

NAME = "gateway"
MIGRATIONS = Path(__file__).parent / "migrations"

log = get_logger(__name__)

HTTP_REQUESTS = Counter("motcua_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "motcua_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


def tracks() -> list[Track]:
    return [Track(NAME, MIGRATIONS)]


def create_app(settings: Settings) -> FastAPI:
    """Build the FastAPI application; resources open in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await create_pool(
            settings.database_url, schema=NAME, max_size=settings.database_pool_size, application_name="motcua-gateway"
        )
        channels = {name: open_channel(target) for name, target in settings.grpc_targets().items()}
        app.state.settings = settings
        app.state.pool = pool
        app.state.channels = channels
        app.state.readiness = ReadinessProbe(
            pool=pool,
            bootstrap=settings.kafka_bootstrap,
            channels=channels,
            timeout=settings.readiness_timeout_seconds,
            cache_seconds=settings.readiness_cache_seconds,
        )
        # Zalo/SMS webhooks: the durable inbox worker (channels/worker.py).
        app.state.channel_runtime = start_channels(settings, pool, channels)
        freeze_startup_heap()
        log.info("gateway_started", http=f"{settings.http_host}:{settings.http_port}")
        try:
            yield
        finally:
            await app.state.channel_runtime.stop()
            for channel in channels.values():
                await channel.close()
            await pool.close()
            log.info("gateway_stopped")

    app = FastAPI(
        title="Một Cửa API",
        version="1.0.0",
        description=(
            "Public HTTP API of Một Cửa: administrative procedures, dossiers, assisted-help bookings "
            "and notifications. Errors are `application/problem+json` with a Vietnamese `detail`."
        ),
        lifespan=lifespan,
        # Our middleware already makes the span, metrics and log line of each request.
        telemetry={"tracing": False, "metrics": False},
    )
    problems.install(app)
    openapi_problems.install(app)  # document the problem+json answers (checked by schemathesis)
    app.state.verifier = TokenVerifier(settings)
    if settings.auth_dev_issuer:
        app.include_router(dev_router)
    if settings.public_cache_seconds > 0:  # innermost of ours: hits are still guarded, logged and decorated
        app.add_middleware(PublicCacheMiddleware, ttl=settings.public_cache_seconds)
    text_guard.install(app)  # NUL in query/path/body -> 422 (inside the body-size limit added next)
    hardening.install(app, settings)  # inside the request context: 413s and CORS refusals are logged too
    app.add_middleware(RequestContextMiddleware)
    for router in all_routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")  # portal and console CSS/JS

    @app.get("/livez", tags=["ops"], summary="Process liveness")
    async def livez() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", tags=["ops"], summary="Readiness: Postgres, broker and every gRPC service reachable")
    async def readyz(request: Request) -> JSONResponse:
        readiness = await request.app.state.readiness.check()
        return JSONResponse(readiness.as_json(), status_code=200 if readiness.ready else 503)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


class RequestContextMiddleware:
    """Bind a request id, open a span, write one canonical log line per request (plain ASGI: cheap)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ())}
        request_id = headers.get("x-request-id") or uuid.uuid4().hex
        if len(request_id) > 64 or not request_id.replace("-", "").isalnum():
            request_id = uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            with tracer().start_as_current_span(f"{scope['method']} {scope['path']}", context=extract_context(headers)):
                await self.app(scope, receive, send_with_id)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            elapsed = time.perf_counter() - started
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], route).observe(elapsed)
            if route not in ("/livez", "/readyz", "/metrics"):
                log.info("http_request", method=scope["method"], route=route, status=status,
                         duration_ms=round(elapsed * 1000, 2))
            structlog.contextvars.unbind_contextvars("request_id")
