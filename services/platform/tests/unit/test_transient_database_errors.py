"""A lost or refused database connection is UNAVAILABLE (retry), never INTERNAL (found by the PostgreSQL restart scenario)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import grpc
import pytest

from motcua_platform.embedded.process import free_port
from motcua_platform.errors import transient_unavailable
from motcua_platform.grpc_client import decode_rpc_error, open_channel
from motcua_platform.grpc_server import GrpcServer


def _chained(outer: BaseException, cause: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException:
            raise outer  # noqa: B904 - the implicit context is what asyncpg leaves behind
    except BaseException as exc:
        return exc


@pytest.mark.parametrize("exc", [
    asyncpg.exceptions.CannotConnectNowError("the database system is shutting down"),
    asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.InterfaceError("cannot call Transaction.__aexit__(): the underlying connection is closed"),
    # A pool connection whose server restarted mid-operation, reused before asyncpg noticed (seen at BEGIN).
    asyncpg.exceptions.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
    ConnectionRefusedError(111, "Connect call failed"),
    ConnectionResetError(104, "Connection reset by peer"),
    TimeoutError(),
])
def test_connection_failures_are_unavailable_with_retry_after(exc: BaseException) -> None:
    found = transient_unavailable(exc)
    assert found is not None and found.status == grpc.StatusCode.UNAVAILABLE and found.http_status == 503
    assert found.code == "DATABASE_UNAVAILABLE" and found.metadata["retry_after"].isdigit()
    assert "thử lại" in found.message_vi


@pytest.mark.parametrize("exc", [
    ValueError("bad input"),
    asyncpg.exceptions.UniqueViolationError("duplicate key value"),
    asyncpg.exceptions.UndefinedTableError("relation does not exist"),
    asyncpg.InterfaceError("the server expects 2 arguments for this query, 1 was passed"),
    asyncpg.exceptions.InternalClientError("PoolConnectionHolder.release() called on a free connection holder"),
    KeyError("x"),
])
def test_other_errors_stay_internal(exc: BaseException) -> None:
    assert transient_unavailable(exc) is None


def test_the_cause_chain_is_followed() -> None:
    wrapped = _chained(RuntimeError("commit failed"), asyncpg.exceptions.ConnectionDoesNotExistError("closed"))
    assert transient_unavailable(wrapped) is not None
    assert transient_unavailable(_chained(RuntimeError("x"), ValueError("y"))) is None


async def _lost(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise asyncpg.exceptions.CannotConnectNowError("the database system is shutting down")


@pytest.fixture
async def server() -> AsyncIterator[GrpcServer]:
    identity = lambda b: b  # noqa: E731
    handlers = grpc.method_handlers_generic_handler("test.Probe", {
        "Lost": grpc.unary_unary_rpc_method_handler(_lost, request_deserializer=identity, response_serializer=identity)})
    srv = GrpcServer(host="127.0.0.1", port=free_port(), service_names=["test.Probe"])
    srv.server.add_generic_rpc_handlers((handlers,))
    await srv.start()
    yield srv
    await srv.stop(0.5)


async def test_a_lost_database_crosses_grpc_as_unavailable(server: GrpcServer) -> None:
    async with open_channel(server.address) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await channel.unary_unary("/test.Probe/Lost")(b"x", timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    error = decode_rpc_error(caught.value)
    assert error is not None and error.code == "DATABASE_UNAVAILABLE" and error.http_status == 503
    assert error.metadata["retry_after"] == "2"
