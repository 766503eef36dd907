"""The benchmark load generator speaks HTTP/1.1 correctly: keep-alive, bodies, chunked answers, reconnects."""

from __future__ import annotations

import asyncio
import json

import pytest

from motcua_devstack.loadgen import Connection, HttpError, Reply, closed_loop_http, expect


async def _server(handler_replies: list[bytes]) -> tuple[asyncio.Server, int, list[bytes]]:
    """A raw HTTP/1.1 server answering each request with the next canned reply; records the requests."""
    seen: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while handler_replies:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length) if length else b""
                seen.append(head + body)
                reply = handler_replies.pop(0)
                writer.write(reply)
                await writer.drain()
                if b"Connection: close" in reply:
                    break
        except asyncio.IncompleteReadError:
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen


async def test_keep_alive_content_length_and_chunked() -> None:
    replies = [
        b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"a": "b"}\n',
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nxin \r\n5\r\nch\xc3\xa0o\r\n0\r\n\r\n",
    ]
    server, port, seen = await _server(replies)
    async with server:
        conn = Connection("127.0.0.1", port)
        first = await conn.request("GET", "/api/v1/procedures?q=gas", {"Accept": "application/json"})
        assert first.status == 200 and first.json() == {"a": "b"}
        second = await conn.request("POST", "/x", {"Content-Type": "application/json"}, json.dumps({"k": 1}).encode())
        assert second.status == 201 and second.body.decode() == "xin chào"
        await conn.close()
    assert len(seen) == 2, "both requests went over one connection"
    assert seen[0].startswith(b"GET /api/v1/procedures?q=gas HTTP/1.1\r\n")
    assert seen[1].endswith(b'\r\n\r\n{"k": 1}') and b"Content-Length: 8" in seen[1]


async def test_reconnects_after_server_closes() -> None:
    replies = [b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
               b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"]
    server, port, _ = await _server(replies)
    async with server:
        conn = Connection("127.0.0.1", port)
        assert (await conn.request("GET", "/a")).status == 200
        assert (await conn.request("GET", "/b")).status == 204
        await conn.close()


async def test_closed_loop_counts_unexpected_statuses_as_errors() -> None:
    replies = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"] * 3 + [b"HTTP/1.1 503 X\r\nContent-Length: 0\r\n\r\n"]
    server, port, _ = await _server(replies)

    async def call(conn: Connection, i: int) -> None:
        expect(await conn.request("GET", f"/{i}"), 200)

    async with server:
        latencies, errors, seconds = await closed_loop_http(f"http://127.0.0.1:{port}", call, concurrency=1, total=4)
    assert len(latencies) == 3 and errors == 1 and seconds > 0
    with pytest.raises(HttpError):
        expect(Reply(500, {}, b""), 200)
