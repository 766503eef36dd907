"""The public catalogue cache: what it repeats, for how long, and what always reaches the route."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from motcua_gateway.public_cache import PublicCacheMiddleware


class Route:
    """Stands for the router: counts calls, answers `status` with a body naming the call."""

    def __init__(self, status: int = 200, size: int = 0) -> None:
        self.calls = 0
        self.status = status
        self.size = size

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls += 1
        scope["route"] = "route-template"
        body = (f"answer {self.calls}" + "x" * self.size).encode()
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [(b"content-type", b"application/json"), (b"x-request-id", b"r1"),
                                (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body, "more_body": False})


def client(route: Route, ttl: float = 60.0, **options: Any) -> httpx.AsyncClient:
    app = PublicCacheMiddleware(route, ttl=ttl, **options)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")


async def test_a_repeated_search_is_answered_from_memory_with_its_age() -> None:
    route = Route()
    async with client(route) as http:
        first = await http.get("/api/v1/procedures?q=khai+sinh")
        again = await http.get("/api/v1/procedures?q=khai+sinh")
    assert route.calls == 1
    assert first.text == again.text == "answer 1"
    assert first.headers["cache-control"] == again.headers["cache-control"] == "public, max-age=60"
    assert "age" not in first.headers and again.headers["age"] == "0"
    assert "x-request-id" not in again.headers  # per-exchange headers are not repeated


@pytest.mark.parametrize("path", ["/api/v1/procedures/1.001193.000.00.00.H15", "/api/v1/fields?level=commune",
                                  "/api/v1/agencies"])
async def test_every_public_catalogue_read_is_cached(path: str) -> None:
    route = Route()
    async with client(route) as http:
        await http.get(path)
        await http.get(path)
    assert route.calls == 1


async def test_other_queries_other_paths_officers_and_other_methods_reach_the_route() -> None:
    route = Route()
    async with client(route) as http:
        await http.get("/api/v1/procedures?q=ruou")
        await http.get("/api/v1/procedures?q=gas")  # another query string
        await http.get("/api/v1/dossiers/000.00.04.H15-201125-0080")  # never cached
        await http.get("/api/v1/dossiers/000.00.04.H15-201125-0080")
        await http.get("/api/v1/procedures?q=ruou", headers={"Authorization": "Bearer officer"})
        await http.post("/api/v1/procedures?q=ruou")
    assert route.calls == 6


async def test_refusals_are_never_repeated_from_memory() -> None:
    route = Route(status=422)
    async with client(route) as http:
        first = await http.get("/api/v1/procedures?q=%01")
        await http.get("/api/v1/procedures?q=%01")
    assert route.calls == 2
    assert first.headers["cache-control"] == "no-store"  # the route's own header is left alone


async def test_an_answer_expires_after_the_ttl() -> None:
    route = Route()
    async with client(route, ttl=0.2) as http:
        await http.get("/api/v1/agencies")
        await asyncio.sleep(0.3)
        later = await http.get("/api/v1/agencies")
    assert route.calls == 2 and later.text == "answer 2"


async def test_the_cache_is_bounded_in_entries_and_size() -> None:
    route = Route()
    async with client(route, max_entries=2) as http:
        for q in ("a", "b", "c", "a"):  # "a" was pushed out by "c"
            await http.get(f"/api/v1/procedures?q={q}")
    assert route.calls == 4
    big = Route(size=2_000)
    async with client(big, max_body_bytes=1_000) as http:
        await http.get("/api/v1/agencies")
        await http.get("/api/v1/agencies")
    assert big.calls == 2


async def test_a_hit_names_the_route_of_the_answer_it_repeats() -> None:
    route = Route()
    app = PublicCacheMiddleware(route, ttl=60)  # type: ignore[arg-type]
    seen: list[Any] = []

    async def call() -> None:
        scope = {"type": "http", "method": "GET", "path": "/api/v1/fields", "query_string": b"", "headers": []}
        messages: list[Any] = []

        async def send(message: Any) -> None:
            messages.append(message)

        await app(scope, None, send)  # type: ignore[arg-type]
        seen.append(scope.get("route"))

    await call()
    await call()
    assert route.calls == 1 and seen == ["route-template", "route-template"]
