"""A short-lived in-process cache of the public catalogue reads (plain ASGI: a hit skips routing and gRPC).

Citizens search the same words all day ("khai sinh", "rượu", "gas") and the catalogue changes a few
times a day, so an answer may be served for `public_cache_seconds` (5 s by default; 0 turns it off).
What is cached is narrow on purpose:

- GET of `/api/v1/procedures`, `/api/v1/procedures/{code}`, `/api/v1/fields`, `/api/v1/agencies` only:
  the catalogue reads that are the same for everyone (dossier look-ups are never cached: they are
  rate-limited per client and their status changes);
- requests without `Authorization` (an officer always reaches the service);
- complete `200` answers only, keyed by the exact path and query string (so a refused query,
  422 or 404, is answered by the route every time);
- bounded: at most `max_entries` answers of at most `max_body_bytes` each, least recently used out first.

It sits inside the request-context, CORS and security-header middleware, which therefore still log,
count and decorate every request (a hit keeps the route template of the answer it repeats). Every
cacheable answer says so to shared caches in front (`Cache-Control: public, max-age=N`); a hit carries
`Age`. Measured with `make bench BENCH=catalogue`: see docs/benchmarks.md.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHE_LOOKUPS = Counter("motcua_gateway_public_cache_total", "Public catalogue reads by cache outcome", ["outcome"])

_CACHEABLE = re.compile(r"^/api/v1/(?:procedures(?:/[^/]+)?|fields|agencies)$")
#: Headers that belong to one exchange, never repeated from a stored answer.
_PER_REQUEST = {b"x-request-id", b"date", b"server", b"set-cookie", b"age", b"cache-control"}


@dataclass(frozen=True)
class _Entry:
    stored_at: float
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: Any


class PublicCacheMiddleware:
    """Answer repeated anonymous catalogue GETs from memory for `ttl` seconds (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, ttl: float, max_entries: int = 4096, max_body_bytes: int = 262_144) -> None:
        self.app = app
        self.ttl = ttl
        self.max_entries = max_entries
        self.max_body_bytes = max_body_bytes
        self._entries: OrderedDict[tuple[str, bytes], _Entry] = OrderedDict()
        self._cache_control = f"public, max-age={int(ttl)}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope.get("query_string", b""))
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now - entry.stored_at < self.ttl:
            self._entries.move_to_end(key)
            CACHE_LOOKUPS.labels("hit").inc()
            await self._replay(entry, now, scope, send)
            return
        CACHE_LOOKUPS.labels("miss").inc()
        await self._forward_and_store(key, scope, receive, send)

    def _cacheable(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET" or not _CACHEABLE.match(scope["path"]):
            return False
        return not any(name == b"authorization" for name, _ in scope.get("headers", ()))

    async def _replay(self, entry: _Entry, now: float, scope: Scope, send: Send) -> None:
        scope["route"] = entry.route  # the request log and metrics name the route the answer came from
        age = str(int(now - entry.stored_at)).encode()
        headers = [*entry.headers, (b"cache-control", self._cache_control), (b"age", age)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": entry.body, "more_body": False})

    async def _forward_and_store(self, key: tuple[str, bytes], scope: Scope, receive: Receive, send: Send) -> None:
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        size = 0
        keep = True

        async def capture(message: Message) -> None:
            nonlocal status, headers, size, keep
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in _PER_REQUEST]
                keep = status == 200
                if keep:
                    own = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"cache-control"]
                    message = {**message, "headers": [*own, (b"cache-control", self._cache_control)]}
            elif message["type"] == "http.response.body" and keep:
                body = message.get("body", b"")
                size += len(body)
                keep = size <= self.max_body_bytes
                chunks.append(body)
                if keep and not message.get("more_body", False):
                    self._store(key, _Entry(time.monotonic(), headers, b"".join(chunks), scope.get("route")))
            await send(message)

        await self.app(scope, receive, capture)

    def _store(self, key: tuple[str, bytes], entry: _Entry) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
