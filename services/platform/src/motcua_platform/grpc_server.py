"""gRPC server bootstrap: health, reflection, error mapping, tracing, graceful stop.

Domain errors (`MotcuaError`) become a gRPC status carrying `google.rpc.ErrorInfo`
(reason = the error code, domain, metadata) and `google.rpc.LocalizedMessage`
(locale vi-VN, the citizen-facing text). A lost or refused database connection
becomes UNAVAILABLE (reason DATABASE_UNAVAILABLE, retry_after): the caller may retry.
Any other exception becomes INTERNAL with a fixed message; its traceback goes to the log only.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import grpc
import structlog
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status
from prometheus_client import Counter, Histogram

from motcua_platform.errors import ERROR_DOMAIN, MotcuaError, transient_unavailable
from motcua_platform.logging import get_logger
from motcua_platform.tracing import extract_context, tracer

log = get_logger(__name__)

GRPC_REQUESTS = Counter("motcua_grpc_requests_total", "gRPC requests handled", ["method", "code"])
GRPC_LATENCY = Histogram(
    "motcua_grpc_request_seconds",
    "gRPC request latency",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

INTERNAL_MESSAGE = "internal error"
INTERNAL_MESSAGE_VI = "Hệ thống đang gặp sự cố, vui lòng thử lại sau."


def status_proto(error: MotcuaError) -> status_pb2.Status:
    """The rich google.rpc.Status of a domain error: ErrorInfo (reason, metadata) and the Vietnamese message."""
    info = error_details_pb2.ErrorInfo(reason=error.code, domain=ERROR_DOMAIN, metadata=error.metadata)
    localized = error_details_pb2.LocalizedMessage(locale="vi-VN", message=error.message_vi)
    details = []
    for detail in (info, localized):
        packed = any_pb2.Any()
        packed.Pack(detail)
        details.append(packed)
    return status_pb2.Status(code=error.status.value[0], message=error.message, details=details)


def status_for(error: MotcuaError) -> grpc.Status:
    """Build the rich gRPC status of a domain error."""
    return rpc_status.to_status(status_proto(error))


def internal_status_proto() -> status_pb2.Status:
    localized = error_details_pb2.LocalizedMessage(locale="vi-VN", message=INTERNAL_MESSAGE_VI)
    packed = any_pb2.Any()
    packed.Pack(localized)
    return status_pb2.Status(code=code_pb2.INTERNAL, message=INTERNAL_MESSAGE, details=[packed])


def internal_status() -> grpc.Status:
    return rpc_status.to_status(internal_status_proto())


def failure_status(exc: Exception) -> status_pb2.Status:
    """The status a unary RPC answers for `exc`, logged as the interceptor logs it (call it in the `except`).

    For the RPCs that answer many items in one call: each item's failure is its own status, the
    same a single call would have ended with.
    """
    if isinstance(exc, MotcuaError):
        log.info("rpc_rejected", reason=exc.code, detail=exc.message)
        return status_proto(exc)
    unavailable = transient_unavailable(exc)
    if unavailable is not None:  # a lost database connection: the caller may retry
        log.warning("rpc_unavailable", reason=unavailable.code, error=type(exc).__name__)
        return status_proto(unavailable)
    log.exception("rpc_failed")
    return internal_status_proto()


R = TypeVar("R")


async def item_outcome(carried: Mapping[str, str], span: str, call: Callable[[], Awaitable[R]]) -> tuple[R | None, bytes]:
    """One item of an RPC that answers many items in one call, run as its own call would be.

    Under the request id and trace context the item travelled with (`carried`: x-request-id, traceparent,
    tracestate), in a span named `span`. Returns (its response, b"") or (None, the serialized status its
    own call would have ended with, logged as such).
    """
    carried = dict(carried)  # a protobuf map field, typically
    with structlog.contextvars.bound_contextvars(request_id=carried.get("x-request-id") or None), \
            tracer().start_as_current_span(span, context=extract_context(carried)):
        try:
            return await call(), b""
        except Exception as exc:
            return None, failure_status(exc).SerializeToString()


Handler = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


class ServerInterceptor(grpc.aio.ServerInterceptor):
    """Bind request context, trace, measure and map errors for every unary RPC."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = details.method
        metadata = dict(details.invocation_metadata or ())
        inner: Handler = handler.unary_unary

        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            started = time.perf_counter()
            code = "OK"
            request_id = metadata.get("x-request-id", "")
            with structlog.contextvars.bound_contextvars(rpc=method, request_id=request_id or None):
                with tracer().start_as_current_span(method, context=extract_context(metadata)):
                    try:
                        return await inner(request, context)
                    except MotcuaError as exc:
                        code = exc.status.name
                        log.info("rpc_rejected", reason=exc.code, detail=exc.message)
                        await context.abort_with_status(status_for(exc))
                    except grpc.aio.AbortError:
                        code = context.code().name if context.code() else "ABORTED"
                        raise
                    except NotImplementedError:  # a servicer method this version does not implement
                        code = "UNIMPLEMENTED"
                        await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{method} is not implemented here")
                    except Exception as exc:
                        unavailable = transient_unavailable(exc)
                        if unavailable is not None:  # a lost database connection: the caller may retry
                            code = unavailable.status.name
                            log.warning("rpc_unavailable", reason=unavailable.code, error=type(exc).__name__)
                            await context.abort_with_status(status_for(unavailable))
                        else:
                            code = "INTERNAL"
                            log.exception("rpc_failed")
                            await context.abort_with_status(internal_status())
                    finally:
                        GRPC_REQUESTS.labels(method, code).inc()
                        GRPC_LATENCY.labels(method).observe(time.perf_counter() - started)

        return grpc.unary_unary_rpc_method_handler(
            wrapped,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class GrpcServer:
    """An aio gRPC server with the standard health and reflection services."""

    def __init__(self, *, host: str, port: int, service_names: Iterable[str] = ()) -> None:
        self.address = f"{host}:{port}"
        self.server = grpc.aio.server(
            interceptors=[ServerInterceptor()],
            options=[
                ("grpc.so_reuseport", 0),
                ("grpc.max_receive_message_length", 16 * 1024 * 1024),
                ("grpc.max_send_message_length", 16 * 1024 * 1024),
            ],
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.service_names = list(service_names)
        reflection.enable_server_reflection(
            [*self.service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
            self.server,
        )

    async def start(self) -> None:
        """Bind and start; raise OSError with a clear message when the port is taken."""
        try:
            bound = self.server.add_insecure_port(self.address)
        except RuntimeError as exc:
            raise OSError(f"cannot listen on {self.address}: {exc}") from exc
        if bound == 0:
            raise OSError(f"cannot listen on {self.address}: address already in use")
        await self.server.start()
        await self.set_serving(False)

    async def set_serving(self, serving: bool) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ["", *self.service_names]:
            await self.health.set(name, status)

    async def stop(self, grace: float) -> None:
        """Report NOT_SERVING, let in-flight RPCs finish within `grace`, then stop."""
        await self.set_serving(False)
        await self.server.stop(grace)
