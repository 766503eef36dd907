"""Notifications over REST: officers' look-ups, provider receipts through the callback endpoints, agency webhooks.

Real pieces: the gateway app (served by uvicorn so the provider fakes can call it back), the
notification service in-process, Postgres, the broker, the provider fakes and their SMTP server.
The dossier service is a small gRPC double answering ResolveContact.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from motcua_gateway.app import create_app
from motcua_gateway.settings import Settings as GatewaySettings
from motcua_notification.fakes.server import FakeProviders, FakesSettings
from motcua_notification.testing import (
    DOSSIER_RECEIVED,
    ContactDirectory,
    RunningNotification,
    dossier_received,
    running_notification,
    settings_for_test,
)
from motcua_platform.cloudevents import CloudEvent, data_from_message, to_kafka
from motcua_platform.embedded.process import free_port
from motcua_platform.kafka import TopicSpec, ensure_topics, make_producer

pytestmark = pytest.mark.integration

TOKEN = "test-callback-token"


async def serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "server did not start"
        await asyncio.sleep(0.02)
    return server, task


@dataclass
class World:
    http: httpx.AsyncClient
    notification: RunningNotification
    fakes: FakeProviders
    contacts: ContactDirectory
    producer: Any
    tokens: dict[str, str]

    async def publish(self, message: Any, key: str) -> CloudEvent:
        event = CloudEvent(id=str(uuid.uuid4()), source="/motcua/dossier", type=DOSSIER_RECEIVED,
                           time=__import__("datetime").datetime.now(__import__("datetime").UTC), subject=key,
                           data=data_from_message(message))
        k, value, headers = to_kafka(event, key=key)
        await self.producer.send_and_wait(self.notification.settings.dossier_topic, value=value, key=k, headers=headers)
        return event

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}


@pytest.fixture
async def world(postgres_url: str, kafka_bootstrap: str, kafka_idempotence: bool, db_schema: str) -> AsyncIterator[World]:
    gateway_port = free_port()
    fakes = FakeProviders(FakesSettings(fakes_http_port=free_port(), fakes_smtp_port=free_port(), fakes_receipts=True,
                                        fakes_receipt_delay_seconds=0.2, fakes_gateway_url=f"http://127.0.0.1:{gateway_port}",
                                        provider_callback_token=TOKEN))
    await fakes.start()
    contacts = ContactDirectory()
    await contacts.start()
    settings = settings_for_test(postgres_url=postgres_url, kafka_bootstrap=kafka_bootstrap, idempotence=kafka_idempotence,
                                 fakes=fakes, contacts_address=contacts.address, suffix=uuid.uuid4().hex[:8],
                                 provider_callback_base_url=f"http://127.0.0.1:{gateway_port}")
    await ensure_topics(kafka_bootstrap, [TopicSpec(settings.dossier_topic, 3), TopicSpec(settings.scheduler_topic, 3)])
    producer = make_producer(kafka_bootstrap, idempotence=kafka_idempotence)
    await producer.start()
    async with running_notification(settings, db_schema) as notification:
        gw_settings = GatewaySettings(
            database_url=postgres_url, kafka_bootstrap=kafka_bootstrap, notification_target=notification.address,
            auth_dev_issuer=True, provider_callback_token=TOKEN,
            zalo={"app_id": fakes.settings.zalo.app_id, "oa_secret_key": fakes.settings.zalo.oa_secret_key})
        app = create_app(gw_settings)
        server, task = await serve(app, gateway_port)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}", timeout=10) as http:
                tokens = {}
                for user in ("canbo.saigon", "coquan.bhxh", "tnv.an"):
                    reply = await http.post("/api/v1/auth/dev-token", json={"username": user, "password": "demo"})
                    tokens[user] = reply.json()["access_token"]
                tokens["other-agency"] = app.state.verifier.issue(subject="coquan.congan", name="Công an phường",
                                                                  roles=["agency"], agency="CA.H29", procedures=["*"])
                yield World(http, notification, fakes, contacts, producer, tokens)
        finally:
            server.should_exit = True
            await task
    await producer.stop()
    await contacts.stop()
    await fakes.stop()


async def poll(predicate: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


async def test_notification_officer_sees_delivery_status_updated_by_provider_receipts(world: World) -> None:
    zalo_ref = world.contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84918000001")
    sms_ref = world.contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84918000002", email="cuong@example.vn")
    world.fakes.state.recipient_codes[("zalo_zns", "84918000002")] = "-118"  # no Zalo: SMS by eSMS
    await world.publish(dossier_received("R-1", zalo_ref), "R-1")
    await world.publish(dossier_received("R-2", sms_ref), "R-2")
    officer = world.auth("canbo.saigon")

    async def delivered(code: str, routes: int) -> Any:
        reply = await world.http.get("/api/v1/notifications", params={"dossier_code": code}, headers=officer)
        items = reply.json()["items"]
        done = items and items[0]["status"] == "delivered" and len(items[0]["deliveries"]) == routes and all(
            d["status"] in ("delivered", "permanent-failure", "sent") for d in items[0]["deliveries"])
        return items[0] if done and any(d["status"] == "delivered" and d["route"] != "email" for d in items[0]["deliveries"]) \
            else None

    first = await poll(lambda: delivered("R-1", 1))
    assert first, (await world.http.get("/api/v1/notifications", params={"dossier_code": "R-1"}, headers=officer)).json()
    assert [(d["route"], d["status"], d["provider"]) for d in first["deliveries"]] == [("zns", "delivered", "zalo_zns")]
    assert first["phone"] == "+8491****001"  # masked
    second = await poll(lambda: delivered("R-2", 3))
    assert second, (await world.http.get("/api/v1/notifications", params={"dossier_code": "R-2"}, headers=officer)).json()
    routes = {d["route"]: d["status"] for d in second["deliveries"]}
    assert routes == {"zns": "permanent-failure", "sms": "delivered", "email": "sent"}
    by_phone = await world.http.get("/api/v1/notifications", params={"phone": "0918000002"}, headers=officer)
    assert [i["dossier_code"] for i in by_phone.json()["items"]] == ["R-2"]
    one = await world.http.get(f"/api/v1/notifications/{second['id']}", headers=officer)
    assert one.status_code == 200
    # Channels are sent in parallel: attempts of different channels come in any order.
    assert [a["status"] for a in one.json()["attempts"] if a["provider"] == "zalo_zns"] == ["permanent-failure"], one.json()

    # Not an officer: refused. No filter: refused.
    assert (await world.http.get("/api/v1/notifications", params={"phone": "0918000002"},
                                 headers=world.auth("tnv.an"))).status_code == 403
    assert (await world.http.get("/api/v1/notifications", headers=officer)).status_code == 422


async def test_officer_looks_up_and_lifts_an_email_suppression_with_an_audit(world: World) -> None:
    # A hard bounce recorded by the bounce receiver (its own tests cover how): the address gets no more e-mail.
    await world.notification.pool.execute(
        "INSERT INTO email_suppressions (address, reason, status_code, diagnostic) VALUES ($1, 'hard_bounce', '5.1.1', $2)",
        "ba.tu@example.vn", "550 5.1.1 mailbox unavailable")
    officer = world.auth("canbo.saigon")
    found = await world.http.post("/api/v1/email-suppressions/lookup", json={"email": "Ba.Tu@example.vn"}, headers=officer)
    assert found.status_code == 200, found.text
    assert {k: found.json()[k] for k in ("email", "reason", "status_code")} == {
        "email": "ba.tu@example.vn", "reason": "hard_bounce", "status_code": "5.1.1"}
    assert found.json()["since"]

    volunteer = await world.http.post("/api/v1/email-suppressions/lift", headers=world.auth("tnv.an"),
                                      json={"email": "ba.tu@example.vn", "reason": "Hộp thư đã khôi phục"})
    assert volunteer.status_code == 403
    no_reason = await world.http.post("/api/v1/email-suppressions/lift", json={"email": "ba.tu@example.vn"}, headers=officer)
    assert no_reason.status_code == 422
    bad = await world.http.post("/api/v1/email-suppressions/lift", headers=officer,
                                json={"email": "khong-phai-email", "reason": "Hộp thư đã khôi phục"})
    assert bad.status_code == 422 and bad.json()["detail"] == "Địa chỉ e-mail không hợp lệ."

    lifted = await world.http.post("/api/v1/email-suppressions/lift", headers=officer,
                                   json={"email": "ba.tu@example.vn", "reason": "Công dân xác nhận đã khôi phục hộp thư"})
    assert lifted.status_code == 200 and lifted.json()["reason"] == "hard_bounce"
    audit = await world.notification.pool.fetchrow("SELECT lifted_by, lift_reason FROM email_suppression_lifts")
    assert (audit["lifted_by"], audit["lift_reason"]) == ("canbo.saigon", "Công dân xác nhận đã khôi phục hộp thư")
    for path in ("/api/v1/email-suppressions/lookup", "/api/v1/email-suppressions/lift"):
        gone = await world.http.post(path, json={"email": "ba.tu@example.vn", "reason": "lần hai"}, headers=officer)
        assert gone.status_code == 404 and gone.headers["content-type"].startswith("application/problem+json")
        assert gone.json()["detail"] == "Địa chỉ e-mail này không bị chặn gửi."


async def test_provider_callback_endpoints_refuse_wrong_token_and_bad_zalo_signature(world: World) -> None:
    wrong = await world.http.get("/api/v1/provider-callbacks/esms/not-the-token", params={"SMSID": "x", "SendStatus": "5"})
    assert wrong.status_code == 401 and wrong.headers["content-type"].startswith("application/problem+json")
    unknown = await world.http.get(f"/api/v1/provider-callbacks/esms/{TOKEN}",
                                   params={"SMSID": "nope", "SendStatus": "5", "SendSuccess": "1"})
    assert unknown.status_code == 200 and unknown.json() == {"matched": False, "notification_id": ""}
    body = json.dumps({"event_name": "user_received_message", "timestamp": "1", "message": {"msg_id": "m"}}).encode()
    forged = await world.http.post("/api/v1/provider-callbacks/zalo", content=body,
                                   headers={"X-ZEvent-Signature": "mac=" + "0" * 64})
    assert forged.status_code == 401
    speed = await world.http.post("/api/v1/provider-callbacks/speedsms/bad", json={"type": "report", "tranId": 1, "status": 0})
    assert speed.status_code == 401


def verify_motcua_signature(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """A subscriber's verifier, written from services/notification/README.md only (hmac + hashlib)."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    timestamp = fields.get("t", [""])[0]
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in fields.get("v1", []))


async def test_subscription_webhook_is_signed_verifiable_and_agencies_manage_only_their_own(world: World) -> None:
    secret = "s3cr3t-" + uuid.uuid4().hex + "-agency-bhxh"
    received: list[dict[str, Any]] = []
    fail_first = {"left": 1}

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        if not verify_motcua_signature(secret, body, request.headers.get("X-Motcua-Signature", "")):
            return Response(status_code=401)
        if fail_first["left"]:
            fail_first["left"] -= 1
            return Response(status_code=503)  # the agency's server hiccups once: retried
        received.append({"event": json.loads(body), "headers": dict(request.headers)})
        return Response(status_code=204)

    receiver_port = free_port()
    server, task = await serve(Starlette(routes=[Route("/hook", endpoint, methods=["POST"])]), receiver_port)
    try:
        agency = world.auth("coquan.bhxh")
        refused = await world.http.post("/api/v1/subscriptions", headers=agency, json={
            "url": "http://bhxh.example.vn/hook", "event_types": [DOSSIER_RECEIVED], "secret": secret})
        assert refused.status_code == 422 and refused.json()["code"] == "SUBSCRIPTION_URL_INVALID"
        created = await world.http.post("/api/v1/subscriptions", headers=agency, json={
            "url": f"http://127.0.0.1:{receiver_port}/hook", "event_types": [DOSSIER_RECEIVED],
            "procedure_codes": ["1.001193.000.00.00.H15"], "secret": secret})
        assert created.status_code == 201, created.text
        sub = created.json()
        assert sub["has_secret"] and "secret" not in sub and sub["agency_id"] == "BHXH.H29"

        ref = world.contacts.add(f"ct_{uuid.uuid4().hex}", phone="+84918000009")
        event = await world.publish(dossier_received("W-1", ref), "W-1")
        await world.publish(dossier_received("W-2", ref, procedure_code="2.000633.000.00.00.H15"), "W-2")  # not wanted
        assert await poll(lambda: asyncio.sleep(0, result=bool(received)))
        got = received[0]
        assert got["event"]["id"] == event.id and got["event"]["type"] == DOSSIER_RECEIVED
        assert got["event"]["data"]["dossierCode"] == "W-1" and "contactRef" in got["event"]["data"]
        assert got["headers"]["content-type"].startswith("application/cloudevents+json")
        assert got["headers"]["x-motcua-attempt"] == "2"

        log = await world.http.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=agency)
        assert [(d["event_id"], d["status"], d["attempts"]) for d in log.json()["items"]] == [(event.id, "delivered", 2)]

        # Another agency neither sees nor deletes it.
        other = world.auth("other-agency")
        assert (await world.http.get("/api/v1/subscriptions", headers=other)).json()["items"] == []
        assert (await world.http.delete(f"/api/v1/subscriptions/{sub['id']}", headers=other)).status_code == 404
        assert (await world.http.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=other)).status_code == 404
        assert [s["id"] for s in (await world.http.get("/api/v1/subscriptions", headers=agency)).json()["items"]] == [sub["id"]]
        assert (await world.http.delete(f"/api/v1/subscriptions/{sub['id']}", headers=agency)).status_code == 204
        assert (await world.http.get("/api/v1/subscriptions", headers=agency)).json()["items"] == []
    finally:
        server.should_exit = True
        await task
