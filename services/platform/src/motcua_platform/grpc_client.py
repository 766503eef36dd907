"""gRPC client side: channels that carry request id and trace context, and rich error decoding."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import structlog
from google.rpc import error_details_pb2, status_pb2

from motcua_platform.errors import MotcuaError
from motcua_platform.tracing import inject_headers

_DETAILS_KEY = "grpc-status-details-bin"


class _ContextInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Add `x-request-id` and W3C trace headers to every outgoing call."""

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        metadata = list(details.metadata or [])
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id:
            metadata.append(("x-request-id", str(request_id)))
        metadata.extend(inject_headers().items())
        details = grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )
        return await continuation(details, request)


def open_channel(target: str) -> grpc.aio.Channel:
    """Open an insecure channel (mesh/network policy provide transport security) with context propagation."""
    return grpc.aio.insecure_channel(
        target,
        interceptors=[_ContextInterceptor()],
        options=[
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.max_receive_message_length", 16 * 1024 * 1024),
            ("grpc.enable_retries", 1),
        ],
    )


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
