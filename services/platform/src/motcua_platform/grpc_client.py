"""gRPC client side: channels that carry request id and trace context, and rich error decoding."""

from __future__ import annotations

from typing import Any

import grpc
import structlog
from google.rpc import error_details_pb2, status_pb2

from motcua_platform.errors import MotcuaError
from motcua_platform.tracing import inject_headers

_DETAILS_KEY = "grpc-status-details-bin"


def context_metadata() -> tuple[tuple[str, str], ...]:
    """`x-request-id` of the current request and its W3C trace headers."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    headers = tuple(inject_headers().items())
    return (("x-request-id", str(request_id)), *headers) if request_id else headers


class _WithContext:
    """A unary-unary multicallable that adds the context metadata to each call."""

    __slots__ = ("_inner",)

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __call__(self, request: Any, *, metadata: Any = None, **kwargs: Any) -> Any:
        extra = context_metadata()
        return self._inner(request, metadata=(*tuple(metadata), *extra) if metadata else extra, **kwargs)


class ContextChannel:
    """A `grpc.aio.Channel` whose unary-unary calls carry `x-request-id` and the W3C trace headers.

    The multicallables are wrapped instead of using a client interceptor: grpc.aio runs an
    intercepted call through an extra task and call object, which cost the gateway ~4 % of its
    CPU per request. Everything else is the channel's own.
    """

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._channel = channel

    def unary_unary(self, *args: Any, **kwargs: Any) -> _WithContext:
        return _WithContext(self._channel.unary_unary(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)

    async def __aenter__(self) -> ContextChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._channel.close(None)


def open_channel(target: str) -> grpc.aio.Channel:
    """Open an insecure channel (mesh/network policy provide transport security) with context propagation."""
    channel = grpc.aio.insecure_channel(
        target,
        options=[
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.max_receive_message_length", 16 * 1024 * 1024),
            ("grpc.enable_retries", 1),
        ],
    )
    return ContextChannel(channel)  # type: ignore[return-value]  # a Channel in every use


_CODES = {code.value[0]: code for code in grpc.StatusCode}


def rpc_error_from_status(raw: bytes) -> grpc.aio.AioRpcError:
    """The error a call ending with the serialized google.rpc.Status `raw` raises (details in its trailers).

    For RPCs that answer many items in one call with a status per failed item: the caller raises
    what a single call would have raised, and handles it the same way (`decode_rpc_error`).
    """
    status = status_pb2.Status.FromString(raw)
    return grpc.aio.AioRpcError(_CODES.get(status.code, grpc.StatusCode.UNKNOWN), grpc.aio.Metadata(),
                                grpc.aio.Metadata((_DETAILS_KEY, raw)), details=status.message)


class RemoteError(MotcuaError):
    """A domain error reported by another service over gRPC."""


def decode_rpc_error(exc: grpc.aio.AioRpcError) -> MotcuaError | None:
    """Return the domain error carried by a failed call, or None for a transport/internal failure."""
    trailing = exc.trailing_metadata() or ()
    for key, value in trailing:
        if key != _DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        info = error_details_pb2.ErrorInfo()
        localized = error_details_pb2.LocalizedMessage()
        found_info = False
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                detail.Unpack(info)
                found_info = True
            elif detail.Is(error_details_pb2.LocalizedMessage.DESCRIPTOR):
                detail.Unpack(localized)
        if not found_info:
            return None
        return RemoteError(
            info.reason,
            status.message,
            localized.message or status.message,
            status=exc.code(),
            metadata=dict(info.metadata),
        )
    return None
