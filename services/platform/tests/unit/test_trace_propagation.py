"""The trace id and request id of a caller reach the gRPC handler it calls."""

from __future__ import annotations

import grpc
import structlog

from motcua_platform.embedded.process import free_port
from motcua_platform.grpc_client import open_channel
from motcua_platform.grpc_server import GrpcServer
from motcua_platform.tracing import configure_tracing, current_trace_id, extract_context, inject_headers, tracer


async def _whoami(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    request_id = structlog.contextvars.get_contextvars().get("request_id") or ""
    return f"{current_trace_id()}|{request_id}".encode()


async def test_trace_and_request_id_cross_grpc() -> None:
    configure_tracing(service="unit", otlp_endpoint=None)
    identity = lambda b: b  # noqa: E731
    server = GrpcServer(host="127.0.0.1", port=free_port())
    server.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "test.Trace", {"WhoAmI": grpc.unary_unary_rpc_method_handler(
            _whoami, request_deserializer=identity, response_serializer=identity)}),))
    await server.start()
    try:
        with tracer().start_as_current_span("caller"), structlog.contextvars.bound_contextvars(request_id="req-42"):
            caller_trace = current_trace_id()
            async with open_channel(server.address) as channel:
                reply = await channel.unary_unary("/test.Trace/WhoAmI")(b"", timeout=5)
        trace_id, request_id = reply.decode().split("|")
        assert caller_trace is not None
        assert trace_id == caller_trace
        assert request_id == "req-42"
    finally:
        await server.stop(0)


def test_kafka_style_headers_round_trip_the_trace() -> None:
    configure_tracing(service="unit", otlp_endpoint=None)
    with tracer().start_as_current_span("producer"):
        expected = current_trace_id()
        headers = [(k, v.encode()) for k, v in inject_headers().items()]
    assert any(k == "traceparent" for k, _ in headers)
    with tracer().start_as_current_span("consumer", context=extract_context(headers)):
        assert current_trace_id() == expected


def test_without_an_exporter_spans_are_not_recorded_but_their_ids_travel() -> None:
    configure_tracing(service="unit", otlp_endpoint=None)
    with tracer().start_as_current_span("request") as span:
        assert not span.is_recording()  # nothing would read it
        trace_id = current_trace_id()
        headers = inject_headers()
    assert trace_id is not None and headers["traceparent"].split("-")[1] == trace_id
    with tracer().start_as_current_span("downstream", context=extract_context(headers)) as child:
        assert current_trace_id() == trace_id and child.get_span_context().span_id != span.get_span_context().span_id
