"""A lean HTTP/1.1 load generator for `make bench`: raw asyncio streams, keep-alive, pre-encoded requests.

httpx costs ~2–3 ms of CPU per request in the generator, so on a 2-core machine it saturates a core at a
few hundred requests per second and measures itself rather than the gateway. This client writes the request
bytes and parses only the status line, the headers it needs (Content-Length / chunked) and the body, which
keeps the generator's share of the CPU small; `make bench` reports that share next to every figure.

One connection per worker (closed loop: a worker sends its next request when the answer has arrived).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpError(Exception):
    """An answer the benchmark did not expect (status outside the accepted set)."""


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @classmethod
    def to(cls, base_url: str) -> Connection:
        parts = urlsplit(base_url)
        return cls(parts.hostname or "127.0.0.1", parts.port or 80)

    async def _open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    def encode(self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
        """The request's bytes (build once, send many times when the request does not change)."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body

    async def send(self, raw: bytes) -> Reply:
        """Send pre-encoded request bytes and read the whole answer (one retry on a stale keep-alive)."""
        for attempt in (1, 2):
            if self._writer is None:
                await self._open()
            assert self._reader is not None and self._writer is not None
            try:
                self._writer.write(raw)
                return await self._read()
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Reply:
        return await self.send(self.encode(method, path, headers, body))

    async def _read(self) -> Reply:
        assert self._reader is not None
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, _, header_block = head.partition(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_block.split(b"\r\n"):
            if line:
                name, _, value = line.partition(b":")
                headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        if "content-length" in headers:
            body = await self._reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunked()
        else:
            body = b""
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Reply(status, headers, body)

    async def _read_chunked(self) -> bytes:
        assert self._reader is not None
        parts = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)


async def closed_loop_http(
    base_url: str,
    call: Callable[[Connection, int], Awaitable[None]],
    *,
    concurrency: int,
    total: int,
) -> tuple[list[float], int, float]:
    """Run `total` calls over `concurrency` keep-alive connections; return (latencies s, errors, seconds).

    `call(conn, i)` sends request number `i` on `conn` and raises when the answer is not what it expects.
    """
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def worker() -> None:
        nonlocal errors
        conn = Connection.to(base_url)
        try:
            for i in counter:
                started = time.perf_counter()
                try:
                    await call(conn, i)
                except Exception:
                    errors += 1
                    await conn.close()
                    continue
                latencies.append(time.perf_counter() - started)
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - started


def expect(reply: Reply, *statuses: int) -> Reply:
    if reply.status not in statuses:
        raise HttpError(f"HTTP {reply.status}: {reply.body[:200]!r}")
    return reply
