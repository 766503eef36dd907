"""Agency webhooks: appointment (scheduler) events by type filter, and re-enabling a subscription after a failure streak."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
import uvicorn
from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from motcua.notification.v1 import notification_service_pb2 as pb
from motcua.notification.v1.notification_service_pb2_grpc import NotificationServiceStub
from motcua_notification.service import Page
from motcua_notification.testing import (
    BOOKING_CANCELLED,
    DOSSIER_RECEIVED,
    ContactDirectory,
    RunningNotification,
    booking_cancelled,
    dossier_received,
    running_notification,
)
from motcua_platform.embedded.process import free_port
from motcua_platform.errors import InvalidArgument
from motcua_platform.grpc_client import decode_rpc_error

pytestmark = pytest.mark.integration

SECRET = "appointment-webhook-secret-" + "x" * 16
STOP_CANCELLED = "motcua.scheduler.v1.stop_cancelled"


@dataclass
class Receiver:
    """An agency's HTTPS endpoint stand-in: verifies the documented signature, records what arrives."""

    url: str = ""
    status: int = 204
    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: int = 0

    async def endpoint(self, request: Request) -> Response:
        self.calls += 1
        body = await request.body()
        fields = dict(part.split("=", 1) for part in request.headers.get("X-Motcua-Signature", "").split(","))
        expected = hmac.new(SECRET.encode(), fields.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields.get("v1", "")):
            return Response(status_code=401)
        if self.status >= 300:
            return Response(status_code=self.status)
        self.received.setdefault(request.path_params["name"], []).append(json.loads(body))
        return Response(status_code=self.status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/hook/{name}", found.endpoint, methods=["POST"])]),
                                           host="127.0.0.1", port=port, log_level="warning", access_log=False))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    found.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield found
    finally:
        server.should_exit = True
        await task


async def test_agencies_subscribe_to_appointment_events_by_type_and_dossier_filters_stay_as_they_were(
    service: RunningNotification, contacts: ContactDirectory, receiver: Receiver, publisher: Any,
    poll: Callable[..., Awaitable[Any]],
) -> None:
    svc = service.parts.service
    bookings = await svc.create_subscription(agency_id="UBND.P1", url=f"{receiver.url}/bookings",
                                             event_types=[BOOKING_CANCELLED, STOP_CANCELLED],
                                             procedure_codes=["1.001193.000.00.00.H15"], secret=SECRET)
    dossiers = await svc.create_subscription(agency_id="BHXH.H29", url=f"{receiver.url}/dossiers", event_types=[],
                                             procedure_codes=[], secret=SECRET)
    with pytest.raises(InvalidArgument) as refused:
        await svc.create_subscription(agency_id="BHXH.H29", url=f"{receiver.url}/x", event_types=["motcua.scheduler.v1.nope"],
                                      procedure_codes=[], secret=SECRET)
    assert refused.value.code == "EVENT_TYPE_INVALID"

    ref = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84919000001")
    booking = await publisher.publish(service.settings.scheduler_topic, BOOKING_CANCELLED, booking_cancelled("bk-w-1", ref),
                                      key="bk-w-1", source="/motcua/scheduler")
    # An appointment event the service sends no message for is still relayed to the agencies that want it.
    stop = await publisher.publish(service.settings.scheduler_topic, STOP_CANCELLED, booking_cancelled("bk-w-2", ref),
                                   key="stop-1", source="/motcua/scheduler")
    dossier = await publisher.publish(service.settings.dossier_topic, DOSSIER_RECEIVED, dossier_received("W-9", ref), key="W-9")

    async def arrived() -> bool:
        return len(receiver.received.get("bookings", [])) == 2 and len(receiver.received.get("dossiers", [])) == 1

    assert await poll(arrived), receiver.received
    await asyncio.sleep(0.5)  # nothing more comes
    got = receiver.received
    assert sorted(e["id"] for e in got["bookings"]) == sorted([booking.id, stop.id])
    cancelled = next(e for e in got["bookings"] if e["id"] == booking.id)
    assert cancelled["type"] == BOOKING_CANCELLED and cancelled["source"] == "/motcua/scheduler"
    assert cancelled["data"]["bookingId"] == "bk-w-1" and cancelled["data"]["contactRef"] == ref
    # An empty type filter still means "every dossier event", not appointment events.
    assert [e["id"] for e in got["dossiers"]] == [dossier.id]

    sub, log, total = await svc.subscription_deliveries(subscription_id=str(bookings["id"]), status="",
                                                        page=Page(1, 20))
    assert total == 2 and {r["event_type"] for r in log} == {BOOKING_CANCELLED, STOP_CANCELLED}
    assert all(r["status"] == "delivered" for r in log)
    assert sub["event_types"] == sorted([BOOKING_CANCELLED, STOP_CANCELLED]) and dossiers["event_types"] == []


def _disabled_gauge() -> float:
    return REGISTRY.get_sample_value("motcua_webhook_subscriptions_disabled") or 0.0


async def test_disabled_subscription_is_reenabled_by_its_agency_only_streak_reset_and_pending_deliveries_resume(
    topics: Any, make_settings: Callable[..., Any], db_schema: str, contacts: ContactDirectory, receiver: Receiver,
    publisher: Any, poll: Callable[..., Awaitable[Any]],
) -> None:
    settings = make_settings(webhook_disable_after_failures=3, webhook_disable_after_seconds=0)
    async with running_notification(settings, db_schema) as running:
        svc = running.parts.service
        created = await svc.create_subscription(agency_id="BHXH.H29", url=f"{receiver.url}/bhxh",
                                                event_types=[DOSSIER_RECEIVED], procedure_codes=[], secret=SECRET)
        sid = str(created["id"])
        receiver.status = 503  # the agency's server is down
        ref = contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84919000002")
        event = await publisher.publish(settings.dossier_topic, DOSSIER_RECEIVED, dossier_received("RE-1", ref), key="RE-1")

        async def disabled() -> Any:
            row = await running.pool.fetchrow("SELECT * FROM subscriptions WHERE id = $1", created["id"])
            return row if not row["active"] else None

        row = await poll(disabled, timeout=20)
        assert row is not None and row["consecutive_failures"] == 3
        assert row["disabled_reason"] == "disabled after 3 failed deliveries in a row"
        assert _disabled_gauge() == 1
        calls = receiver.calls
        await asyncio.sleep(0.8)
        assert receiver.calls == calls  # a disabled subscription gets nothing
        pending = await running.pool.fetchval("SELECT status FROM webhook_deliveries WHERE subscription_id = $1", created["id"])
        assert pending == "pending"

        receiver.status = 204  # the agency fixed its server
        async with grpc.aio.insecure_channel(running.address) as channel:
            stub = NotificationServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as other:
                await stub.ReenableSubscription(pb.ReenableSubscriptionRequest(subscription_id=sid, agency_id="CA.H29"))
            assert other.value.code() == grpc.StatusCode.NOT_FOUND
            assert (decode_rpc_error(other.value) or pytest.fail("no details")).code == "SUBSCRIPTION_NOT_FOUND"
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await stub.ReenableSubscription(pb.ReenableSubscriptionRequest(subscription_id="not-a-uuid", agency_id="BHXH.H29"))
            assert bad.value.code() == grpc.StatusCode.NOT_FOUND
            assert not (await running.pool.fetchval("SELECT active FROM subscriptions WHERE id = $1", created["id"]))

            enabled = await stub.ReenableSubscription(pb.ReenableSubscriptionRequest(subscription_id=sid, agency_id="BHXH.H29"))
            assert enabled.active and enabled.consecutive_failures == 0 and enabled.disabled_reason == ""
            assert _disabled_gauge() == 0  # the alert clears
            again = await stub.ReenableSubscription(pb.ReenableSubscriptionRequest(subscription_id=sid, agency_id="BHXH.H29"))
            assert again.active and again.id == sid  # idempotent

        async def delivered() -> Any:
            row = await running.pool.fetchrow(
                "SELECT w.status, w.attempts, s.failing_since FROM webhook_deliveries w"
                " JOIN subscriptions s ON s.id = w.subscription_id WHERE s.id = $1", created["id"])
            return row if row["status"] == "delivered" else None

        row = await poll(delivered)
        assert row is not None and row["attempts"] == 4 and row["failing_since"] is None
        assert [e["id"] for e in receiver.received["bhxh"]] == [event.id]
