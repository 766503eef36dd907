"""Domain errors cross gRPC with a reason code and Vietnamese text; internals never leak."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from motcua_platform.embedded.process import free_port
from motcua_platform.errors import NotFound
from motcua_platform.grpc_client import decode_rpc_error, open_channel
from motcua_platform.grpc_server import INTERNAL_MESSAGE, INTERNAL_MESSAGE_VI, GrpcServer


async def _not_found(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise NotFound("DOSSIER_NOT_FOUND", "no dossier with that code", "Không tìm thấy hồ sơ có mã này.",
                   metadata={"code": "000.00.04.H15-201125-0080"})


async def _boom(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise RuntimeError("password=hunter2 at db.internal:5432")


async def _echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return request


def _handlers() -> grpc.GenericRpcHandler:
    identity = lambda b: b  # noqa: E731
    return grpc.method_handlers_generic_handler(
        "test.Probe",
        {
            name: grpc.unary_unary_rpc_method_handler(fn, request_deserializer=identity, response_serializer=identity)
            for name, fn in {"NotFound": _not_found, "Boom": _boom, "Echo": _echo}.items()
        },
    )


@pytest.fixture
async def server() -> AsyncIterator[GrpcServer]:
    srv = GrpcServer(host="127.0.0.1", port=free_port(), service_names=["test.Probe"])
    srv.server.add_generic_rpc_handlers((_handlers(),))
    await srv.start()
    await srv.set_serving(True)
    yield srv
    await srv.stop(0.5)


async def _call(address: str, method: str) -> grpc.aio.AioRpcError | bytes:
    async with open_channel(address) as channel:
        stub = channel.unary_unary(f"/test.Probe/{method}")
        try:
            return await stub(b"hello", timeout=5)
        except grpc.aio.AioRpcError as exc:
            return exc


async def test_domain_error_carries_reason_and_vietnamese_message(server: GrpcServer) -> None:
    exc = await _call(server.address, "NotFound")
    assert isinstance(exc, grpc.aio.AioRpcError)
    assert exc.code() == grpc.StatusCode.NOT_FOUND
    error = decode_rpc_error(exc)
    assert error is not None
    assert error.code == "DOSSIER_NOT_FOUND"
    assert error.message_vi == "Không tìm thấy hồ sơ có mã này."
    assert error.metadata == {"code": "000.00.04.H15-201125-0080"}
    assert error.http_status == 404


async def test_unknown_error_is_internal_without_details(server: GrpcServer) -> None:
    exc = await _call(server.address, "Boom")
    assert isinstance(exc, grpc.aio.AioRpcError)
    assert exc.code() == grpc.StatusCode.INTERNAL
    assert exc.details() == INTERNAL_MESSAGE
    assert "hunter2" not in str(exc.trailing_metadata()) and "hunter2" not in (exc.details() or "")
    assert decode_rpc_error(exc) is None
    assert INTERNAL_MESSAGE_VI.encode() in b"".join(
        v for k, v in (exc.trailing_metadata() or ()) if k.endswith("-bin")
    )


async def test_success_and_health(server: GrpcServer) -> None:
    assert await _call(server.address, "Echo") == b"hello"
    async with open_channel(server.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        reply = await health.Check(health_pb2.HealthCheckRequest(service="test.Probe"), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        await server.set_serving(False)
        reply = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING


async def test_port_in_use_is_a_clear_error(server: GrpcServer) -> None:
    host, port = server.address.rsplit(":", 1)
    other = GrpcServer(host=host, port=int(port))
    with pytest.raises(OSError, match="cannot listen on"):
        await other.start()
