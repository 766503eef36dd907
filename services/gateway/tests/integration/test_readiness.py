"""/readyz is 200 only when Postgres, the broker and every gRPC service answer; 503 names what is down."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from motcua_gateway.app import create_app
from motcua_gateway.settings import Settings
from motcua_platform.embedded.process import free_port
from motcua_platform.grpc_server import GrpcServer

pytestmark = pytest.mark.integration

SERVICES = ("catalogue", "dossier", "scheduler", "notification")


@pytest.fixture
async def backends() -> AsyncIterator[dict[str, GrpcServer]]:
    servers = {name: GrpcServer(host="127.0.0.1", port=free_port()) for name in SERVICES}
    for server in servers.values():
        await server.start()
        await server.set_serving(True)
    yield servers
    for server in servers.values():
        await server.stop(0)


def _settings(postgres_url: str, kafka_bootstrap: str, backends: dict[str, GrpcServer]) -> Settings:
    return Settings(
        database_url=postgres_url,
        kafka_bootstrap=kafka_bootstrap,
        readiness_cache_seconds=0,
        **{f"{name}_target": server.address for name, server in backends.items()},
    )


async def test_ready_when_everything_answers_then_names_what_is_down(
    postgres_url: str, kafka_bootstrap: str, backends: dict[str, GrpcServer]
) -> None:
    app = create_app(_settings(postgres_url, kafka_bootstrap, backends))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["down"] == []
            assert ready.headers["x-request-id"]

            await backends["dossier"].set_serving(False)
            not_serving = await client.get("/readyz")
            assert not_serving.status_code == 503
            assert not_serving.json()["down"] == ["dossier"]
            assert "NOT_SERVING" in not_serving.json()["checks"]["dossier"]

            await backends["scheduler"].stop(0)
            down = await client.get("/readyz")
            assert down.status_code == 503
            assert down.json()["down"] == ["dossier", "scheduler"]

            live = await client.get("/livez")
            assert live.status_code == 200


async def test_broker_down_is_reported(
    postgres_url: str, backends: dict[str, GrpcServer]
) -> None:
    app = create_app(_settings(postgres_url, f"127.0.0.1:{free_port()}", backends))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            reply = await client.get("/readyz")
            assert reply.status_code == 503
            assert reply.json()["down"] == ["broker"]


async def test_unknown_route_is_problem_json_in_vietnamese(
    postgres_url: str, kafka_bootstrap: str, backends: dict[str, GrpcServer]
) -> None:
    app = create_app(_settings(postgres_url, kafka_bootstrap, backends))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
            reply = await client.get("/api/v1/no-such-thing")
            assert reply.status_code == 404
            assert reply.headers["content-type"].startswith("application/problem+json")
            assert reply.json()["detail"] == "Không tìm thấy địa chỉ yêu cầu."
