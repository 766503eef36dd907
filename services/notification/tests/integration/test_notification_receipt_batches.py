"""Provider receipts that arrive together are applied together, with each receipt's own answer.

A burst of receipts (a provider answers a burst of messages with a burst of receipts) is applied in
one transaction: "delivered" ones by one statement. Each caller still gets its own answer (matched or
not), a delivery moves and emits its `delivered` event once however many receipts repeat it, a
failure receipt still starts the fallback, and a receipt that makes the batch fail fails alone.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest

from motcua.notification.v1 import notification_service_pb2 as pb
from motcua.notification.v1 import notification_service_pb2_grpc as pb_grpc
from motcua_notification.grpc_api import MAX_RECEIPTS
from motcua_notification.testing import DOSSIER_RECEIVED, ContactDirectory, RunningNotification, dossier_received
from motcua_notification.worker import DELIVERIES, RECEIPT_FALLBACKS
from motcua_platform.grpc_client import decode_rpc_error, open_channel, rpc_error_from_status

pytestmark = pytest.mark.integration


async def _sent_zns(service: RunningNotification, contacts: ContactDirectory, publisher: Any,
                    poll: Callable[..., Awaitable[Any]], count: int) -> list[Any]:
    """`count` dossiers received, each with its ZNS message accepted by the provider (status sent)."""
    codes = [f"000.00.04.H15-261207-{i:04d}" for i in range(1, count + 1)]
    for i, code in enumerate(codes):
        ref = contacts.add(f"ct_{uuid.uuid4().hex}", phone=f"+8491700{i:04d}")
        await publisher.publish(service.settings.dossier_topic, DOSSIER_RECEIVED, dossier_received(code, ref), key=code)

    async def sent() -> list[Any] | None:
        rows = await service.pool.fetch(
            """SELECT d.id, d.notification_id, d.provider, d.provider_message_id, d.tracking_id, n.dossier_code
               FROM deliveries d JOIN notifications n ON n.id = d.notification_id
               WHERE n.dossier_code = ANY($1::text[]) AND d.channel = 'zns' AND d.status = 'sent'
               ORDER BY n.dossier_code""", codes)
        return rows if len(rows) == count else None

    rows = await poll(sent)
    assert rows, await service.pool.fetch("SELECT channel, status FROM deliveries")
    return rows


async def _delivered_events(service: RunningNotification) -> list[str]:
    return [r["partition_key"] for r in await service.pool.fetch(
        "SELECT partition_key FROM outbox WHERE type = 'motcua.notification.v1.delivered' ORDER BY id")]


async def test_a_burst_of_receipts_is_applied_together_each_with_its_own_answer(
    service: RunningNotification, contacts: ContactDirectory, publisher: Any, poll: Callable[..., Awaitable[Any]],
) -> None:
    a, b, c = await _sent_zns(service, contacts, publisher, poll, 3)
    worker = service.parts.worker
    at = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    batches_before = worker._receipts.batches

    def receipt(provider_message_id: str = "", tracking_id: str = "", status: str = "delivered",
                error_code: str = "") -> Awaitable[tuple[bool, str]]:
        return worker.apply_receipt(provider="zalo_zns", provider_message_id=provider_message_id,
                                    tracking_id=tracking_id, status=status, error_code=error_code, occurred_at=at)

    answers = await asyncio.gather(
        receipt(a["provider_message_id"]),
        receipt(a["provider_message_id"]),  # the provider repeats itself
        receipt(tracking_id=b["tracking_id"]),  # matched by our tracking id only
        receipt(c["provider_message_id"], status="failed", error_code="-118"),  # no Zalo: permanent, falls back
        receipt("zns-unknown-message"),
        receipt(tracking_id="unknown-tracking"),
    )

    assert answers == [(True, str(a["notification_id"])), (True, str(a["notification_id"])),
                       (True, str(b["notification_id"])), (True, str(c["notification_id"])), (False, ""), (False, "")]
    assert worker._receipts.batches - batches_before < len(answers), "the receipts were applied in batches"
    rows = {r["id"]: r for r in await service.pool.fetch(
        "SELECT id, status, delivered_at, provider_message_id, last_error_code FROM deliveries WHERE id = ANY($1::uuid[])",
        [a["id"], b["id"], c["id"]])}
    assert (rows[a["id"]]["status"], rows[a["id"]]["delivered_at"]) == ("delivered", at)
    assert (rows[b["id"]]["status"], rows[b["id"]]["provider_message_id"]) == ("delivered", b["provider_message_id"])
    assert (rows[c["id"]]["status"], rows[c["id"]]["last_error_code"]) == ("permanent-failure", "-118")
    statuses = dict(await service.pool.fetch("SELECT id, status FROM notifications WHERE id = ANY($1::uuid[])",
                                             [a["notification_id"], b["notification_id"]]))
    assert set(statuses.values()) == {"delivered"}
    # One `delivered` event per delivery, however many receipts said so.
    assert sorted(await _delivered_events(service)) == sorted([str(a["notification_id"]), str(b["notification_id"])])

    async def fell_back() -> bool:  # the failed ZNS falls back to SMS for that dossier
        return await service.pool.fetchval(
            "SELECT count(*) FROM deliveries WHERE notification_id = $1 AND channel = 'sms'", c["notification_id"]) == 1

    assert await poll(fell_back)

    # Again, later: matched, nothing moves, no second event.
    assert await receipt(a["provider_message_id"]) == (True, str(a["notification_id"]))
    assert len(await _delivered_events(service)) == 2


async def test_a_receipt_that_fails_its_batch_fails_alone(
    service: RunningNotification, contacts: ContactDirectory, publisher: Any, poll: Callable[..., Awaitable[Any]],
) -> None:
    a, b = await _sent_zns(service, contacts, publisher, poll, 2)
    worker = service.parts.worker
    at = datetime.now(UTC)
    fallbacks = RECEIPT_FALLBACKS._value.get()

    def receipt(provider_message_id: str, status: str = "delivered") -> Awaitable[tuple[bool, str]]:
        return worker.apply_receipt(provider="zalo_zns", provider_message_id=provider_message_id, tracking_id="",
                                    status=status, error_code="", occurred_at=at)

    delivered = DELIVERIES.labels("zns", "zalo_zns", "delivered")
    counted = delivered._value.get()
    # The first two receipts (unknown) start a call each; the next three wait and go together. PostgreSQL text
    # cannot hold NUL: the failure receipt's statement fails after the delivered ones were applied, and the
    # batch's transaction with it.
    answers = await asyncio.gather(receipt("zns-unknown-1"), receipt("zns-unknown-2"), receipt(a["provider_message_id"]),
                                   receipt("bad\x00id", "failed"), receipt(b["provider_message_id"]),
                                   return_exceptions=True)

    assert answers[:2] == [(False, ""), (False, "")]
    assert answers[2] == (True, str(a["notification_id"])) and answers[4] == (True, str(b["notification_id"]))
    assert isinstance(answers[3], Exception)
    assert RECEIPT_FALLBACKS._value.get() > fallbacks, "the batch failed and was applied receipt by receipt"
    assert delivered._value.get() - counted == 2, "the failed attempt counted nothing"
    statuses = await service.pool.fetch("SELECT status FROM deliveries WHERE id = ANY($1::uuid[])", [a["id"], b["id"]])
    assert [r["status"] for r in statuses] == ["delivered", "delivered"]
    assert sorted(await _delivered_events(service)) == sorted([str(a["notification_id"]), str(b["notification_id"])])


async def test_record_provider_receipts_answers_each_item_as_its_own_call_would(
    service: RunningNotification, contacts: ContactDirectory, publisher: Any, poll: Callable[..., Awaitable[Any]],
) -> None:
    (a,) = await _sent_zns(service, contacts, publisher, poll, 1)
    channel = open_channel(service.address)
    try:
        stub = pb_grpc.NotificationServiceStub(channel)

        def item(provider_message_id: str, request_id: str) -> pb.RecordProviderReceiptsItem:
            return pb.RecordProviderReceiptsItem(
                request=pb.RecordProviderReceiptRequest(provider="zalo_zns", provider_message_id=provider_message_id,
                                                        status=pb.DELIVERY_STATUS_DELIVERED),
                context={"x-request-id": request_id})

        reply = await stub.RecordProviderReceipts(pb.RecordProviderReceiptsRequest(items=[
            item(a["provider_message_id"], "r-1"), item("", "r-2"), item("zns-unknown", "r-3")]), timeout=10)
        first, refused, unknown = reply.outcomes
        assert (first.response.matched, first.response.notification_id) == (True, str(a["notification_id"]))
        error = decode_rpc_error(rpc_error_from_status(refused.error_status))
        assert error is not None and (error.code, error.message_vi) == ("RECEIPT_INVALID", "Biên nhận không hợp lệ.")
        assert unknown.HasField("response") and not unknown.response.matched
        assert await service.pool.fetchval("SELECT status FROM deliveries WHERE id = $1", a["id"]) == "delivered"

        with pytest.raises(grpc.aio.AioRpcError) as too_many:
            await stub.RecordProviderReceipts(pb.RecordProviderReceiptsRequest(
                items=[item(f"m-{i}", f"r-{i}") for i in range(MAX_RECEIPTS + 1)]), timeout=10)
        assert too_many.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        await channel.close()
