"""Operators' data-subject export and erasure over REST, across real services, with a service down half-way.

Real pieces: the data-subject router on a FastAPI app, the dossier, scheduler and notification
services in-process on their own schemas, Postgres (and the broker for the notification service).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import grpc
import httpx
import pytest
from fastapi import FastAPI

from motcua.common.v1 import common_pb2
from motcua.notification.v1 import notification_service_pb2 as npb
from motcua.notification.v1.notification_service_pb2_grpc import NotificationServiceStub
from motcua.scheduler.v1 import scheduler_service_pb2 as spb
from motcua.scheduler.v1.scheduler_service_pb2_grpc import SchedulerServiceStub
from motcua_dossier.testing import running_dossier, submit_request
from motcua_gateway import problems
from motcua_gateway.app import tracks
from motcua_gateway.auth import TokenVerifier
from motcua_gateway.routes import data_subject as routes
from motcua_gateway.settings import Settings
from motcua_notification.testing import running_notification, settings_for_test
from motcua_platform.db import create_pool
from motcua_platform.embedded.process import free_port
from motcua_platform.migrations import apply_migrations
from motcua_platform.subject_data import find_traces
from motcua_scheduler.testing import running_scheduler

pytestmark = pytest.mark.integration

NAME, ZALO, EMAIL = "Trần Thị Ngọc Ánh", "zu-9001", "anh.tran@example.vn"
PLANTED = [NAME, "079190001234", "912345678", EMAIL, "12 Nguyễn Huệ", ZALO, "Lý Thường Kiệt 5"]


@dataclass
class World:
    http: httpx.AsyncClient
    app: FastAPI
    schemas: dict[str, str]
    notification_address: str
    postgres_url: str

    def headers(self, roles: list[str] | None = None, key: str | None = None) -> dict[str, str]:
        token = self.app.state.verifier.issue(subject="vanhanh", name="Vận hành", roles=roles or ["operator"])
        return {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}

    async def traces(self) -> dict[str, list[tuple[str, str, str]]]:
        conn = await asyncpg.connect(self.postgres_url)
        try:
            return {name: await find_traces(conn, schema, PLANTED) for name, schema in self.schemas.items()}
        finally:
            await conn.close()


@pytest.fixture
async def world(postgres_url: str, kafka_bootstrap: str, kafka_idempotence: bool, db_schema: str) -> AsyncIterator[World]:
    schemas = {"gateway": db_schema, **{s: f"{db_schema}_{s[:3]}" for s in ("dossier", "scheduler", "notification")}}
    admin = await asyncpg.connect(postgres_url)
    for s in list(schemas.values())[1:]:
        await admin.execute(f"CREATE SCHEMA {s}")
    await apply_migrations(postgres_url, schema=db_schema, tracks=tracks())
    pool = await create_pool(postgres_url, schema=db_schema, max_size=4)
    try:
        async with running_dossier(postgres_url, schemas["dossier"]) as dossier, \
                running_scheduler(postgres_url, schemas["scheduler"]) as scheduler:
            settings = settings_for_test(postgres_url=postgres_url, kafka_bootstrap=kafka_bootstrap, idempotence=kafka_idempotence,
                                         fakes=None, contacts_address=dossier.address, suffix=uuid.uuid4().hex[:8])
            async with running_notification(settings, schemas["notification"], consumer=False, worker=False) as notification:
                settings_gw = Settings(database_url=postgres_url, kafka_bootstrap=kafka_bootstrap, auth_dev_issuer=True)
                app = FastAPI()
                problems.install(app)
                app.include_router(routes.router)
                app.state.pool = pool
                app.state.verifier = TokenVerifier(settings_gw)
                channels = {"dossier": grpc.aio.insecure_channel(dossier.address),
                            "scheduler": grpc.aio.insecure_channel(scheduler.address),
                            "notification": grpc.aio.insecure_channel(f"127.0.0.1:{free_port()}")}  # down for now
                app.state.channels = channels
                await _plant(dossier, scheduler, notification, pool)
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
                    yield World(http, app, schemas, notification.address, postgres_url)
                for channel in app.state.channels.values():
                    await channel.close()
    finally:
        await pool.close()
        for s in list(schemas.values())[1:]:
            await admin.execute(f"DROP SCHEMA IF EXISTS {s} CASCADE")
        await admin.close()


async def _plant(dossier: Any, scheduler: Any, notification: Any, pool: asyncpg.Pool) -> None:
    from motcua.dossier.v1.dossier_service_pb2_grpc import DossierServiceStub

    async with grpc.aio.insecure_channel(dossier.address) as ch:
        request = submit_request("gw-dsr-0001")
        request.applicant.zalo_user_id = ZALO
        await DossierServiceStub(ch).SubmitDossier(request)
    await scheduler.point("kiosk-a")
    slot = await scheduler.slot("kiosk-a", datetime.now(UTC) + timedelta(days=3), capacity=2)
    async with grpc.aio.insecure_channel(scheduler.address) as ch:
        await SchedulerServiceStub(ch).CreateBooking(spb.CreateBookingRequest(
            idempotency_key="gw-dsr-booking-1", slot_id=slot, help_type=spb.HELP_TYPE_VNEID_LEVEL2,
            consent=common_pb2.Consent(purpose="assisted_help_booking", text_version="2025-01"),
            channel=common_pb2.CHANNEL_ZALO,
            citizen=spb.Citizen(full_name=NAME, phone="0912345678", address=common_pb2.Address(street="Lý Thường Kiệt 5"))))
    async with grpc.aio.insecure_channel(notification.address) as ch:
        stub = NotificationServiceStub(ch)
        prefs = npb.Preferences(phone="+84912345678")
        prefs.consent.purpose = "notifications"
        await stub.SetPreferences(npb.SetPreferencesRequest(preferences=prefs))
        await stub.RecordZaloInteraction(npb.RecordZaloInteractionRequest(zalo_user_id=ZALO,
                                                                          interaction=npb.ZALO_INTERACTION_FOLLOW))
    # What the Zalo OA told the gateway: the citizen shared name and phone, and is mid-conversation.
    await pool.execute("INSERT INTO channel_identities (channel, sender, full_name, phone, street) "
                       "VALUES ('zalo', $1, $2, '+84912345678', '12 Nguyễn Huệ')", ZALO, NAME)
    await pool.execute("INSERT INTO channel_conversations (channel, sender, state) VALUES ('zalo', $1, $2::jsonb)",
                       ZALO, json.dumps({"step": "confirm", "full_name": NAME}))
    await pool.execute("INSERT INTO channel_inbox (channel, dedupe_key, event_name, sender, payload, status) "
                       "VALUES ('sms', 'mo-1', 'sms_mo', '+84912345678', $1::jsonb, 'done')",
                       json.dumps({"text": "HS 000.00.41.H29", "from": "0912345678"}))


async def test_export_erase_with_a_service_down_then_resume_and_audit(world: World) -> None:
    body = {"phone": "0912 345 678", "reason": "Đơn yêu cầu số 12/2026"}
    assert (await world.http.post("/api/v1/data-subject/exports", json=body)).status_code == 401
    officer = await world.http.post("/api/v1/data-subject/exports", json=body, headers=world.headers(["officer"]))
    assert officer.status_code == 403

    down = await world.http.post("/api/v1/data-subject/exports", json=body, headers=world.headers())
    assert down.status_code == 503 and down.json()["services_pending"] == ["notification"], down.text
    assert down.headers["content-type"].startswith("application/problem+json")

    key = str(uuid.uuid4())
    partial = await world.http.post("/api/v1/data-subject/erasures", json=body, headers=world.headers(key=key))
    assert partial.status_code == 503, partial.text
    assert partial.json()["services_pending"] == ["notification", "gateway"]
    assert partial.json()["services_done"] == ["dossier", "scheduler"] and "notification" in partial.json()["detail"]
    traces = await world.traces()
    assert traces["dossier"] == [] and traces["scheduler"] == []
    assert traces["notification"] and traces["gateway"]

    await world.app.state.channels["notification"].close()
    world.app.state.channels["notification"] = grpc.aio.insecure_channel(world.notification_address)
    exported = await world.http.post("/api/v1/data-subject/exports", json={"id_number": "079190001234", "reason": "Kiểm tra"},
                                     headers=world.headers())
    assert exported.status_code == 200, exported.text
    left = exported.json()
    # The dossier (found by ID number) is anonymised; the ID number no longer leads to the phone, so only what
    # the Zalo id still links shows up.
    assert left["counts"]["dossier"]["dossiers"] == 0

    done = await world.http.post("/api/v1/data-subject/erasures", json=body, headers=world.headers(key=key))
    assert done.status_code == 200, done.text
    out = done.json()
    assert (out["replayed"], out["complete"]) == (False, True)
    assert out["counts"]["dossier"]["dossiers"] == 1 and out["counts"]["scheduler"]["bookings"] == 1
    assert out["counts"]["notification"] == {"preferences": 1, "zalo_followers": 1}
    assert out["counts"]["gateway"] == {"channel_identities": 1, "channel_conversations": 1, "channel_inbox": 1}
    assert await world.traces() == {"gateway": [], "dossier": [], "scheduler": [], "notification": []}

    again = await world.http.post("/api/v1/data-subject/erasures", json=body, headers=world.headers(key=key))
    assert again.status_code == 200 and again.json()["replayed"] is True and again.json()["counts"] == out["counts"]
    other = await world.http.post("/api/v1/data-subject/erasures", json={**body, "reason": "Một yêu cầu khác"},
                                  headers=world.headers(key=key))
    assert other.status_code == 422 and other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    missing = await world.http.post("/api/v1/data-subject/erasures", json=body, headers=world.headers())
    assert missing.status_code == 422
    bad = await world.http.post("/api/v1/data-subject/exports", json={"phone": "12", "reason": "abc"}, headers=world.headers())
    assert bad.status_code == 422 and bad.json()["code"] == "PHONE_INVALID"

    final = await world.http.post("/api/v1/data-subject/exports", json=body, headers=world.headers())
    assert final.status_code == 200
    assert not any(p in final.text for p in PLANTED)
    assert final.json()["counts"]["dossier"]["dossiers"] == 0

    # Each service erased once: the first run's request id replayed nothing.
    conn = await asyncpg.connect(world.postgres_url)
    try:
        for service in ("dossier", "scheduler", "notification"):
            assert await conn.fetchval(f"SELECT count(*) FROM {world.schemas[service]}.subject_erasures") == 1
        audit = await conn.fetch(f"SELECT kind, actor, outcome, services_pending, subject_hashes::text AS h, counts::text AS c "
                                 f"FROM {world.schemas['gateway']}.data_subject_audit ORDER BY id")
        assert [(a["kind"], a["outcome"]) for a in audit] == [
            ("export", "partial"), ("erase", "partial"), ("export", "complete"), ("erase", "complete"),
            ("erase", "replayed"), ("export", "complete")]
        assert audit[1]["services_pending"] == ["notification", "gateway"] and audit[0]["actor"] == "vanhanh"
        assert not any(p in a["h"] + a["c"] for a in audit for p in PLANTED)
        with pytest.raises(asyncpg.RaiseError):
            await conn.execute(f"DELETE FROM {world.schemas['gateway']}.data_subject_audit")
    finally:
        await conn.close()
