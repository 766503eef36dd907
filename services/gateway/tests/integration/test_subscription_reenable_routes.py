"""`/api/v1/subscriptions`: appointment-event subscriptions and re-enabling a disabled subscription, through the real
app (lifespan, auth, problems) and the real notification service (gRPC, Postgres)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from motcua_gateway.app import create_app
from motcua_gateway.settings import Settings as GatewaySettings
from motcua_notification.testing import RunningNotification, running_notification, settings_for_test

pytestmark = pytest.mark.integration

SECRET = "reenable-route-secret-" + "y" * 20
BOOKING_CONFIRMED = "motcua.scheduler.v1.booking_confirmed"


@pytest.fixture
async def notification(postgres_url: str, kafka_bootstrap: str, kafka_idempotence: bool,
                       db_schema: str) -> AsyncIterator[RunningNotification]:
    settings = settings_for_test(postgres_url=postgres_url, kafka_bootstrap=kafka_bootstrap, idempotence=kafka_idempotence,
                                 fakes=None, contacts_address="127.0.0.1:9", suffix=uuid.uuid4().hex[:8])
    async with running_notification(settings, db_schema, consumer=False, worker=False) as running:
        yield running


@pytest.fixture
async def client(postgres_url: str, notification: RunningNotification) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(GatewaySettings(database_url=postgres_url, kafka_bootstrap="127.0.0.1:9",
                                     notification_target=notification.address, auth_dev_issuer=True))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            http.app = app  # type: ignore[attr-defined]
            yield http


def bearer(client: httpx.AsyncClient, agency: str, *, roles: tuple[str, ...] = ("agency",),
           procedures: tuple[str, ...] = ("1.001193.000.00.00.H15",)) -> dict[str, str]:
    token = client.app.state.verifier.issue(subject=f"user-{agency}", name="Cơ quan", roles=list(roles),  # type: ignore[attr-defined]
                                            agency=agency, procedures=list(procedures))
    return {"Authorization": f"Bearer {token}"}


def problem(reply: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    body = reply.json()
    assert body["code"] == code
    return body


async def test_agency_with_procedure_scope_subscribes_to_appointment_events_and_reenables_only_its_own(
    client: httpx.AsyncClient, notification: RunningNotification,
) -> None:
    ward = bearer(client, "UBND.P1")
    # A procedure-scoped agency may not take every dossier event...
    problem(await client.post("/api/v1/subscriptions", headers=ward, json={
        "url": "https://ubnd-p1.example.gov.vn/hook", "secret": SECRET}), 403, "PROCEDURE_NOT_ALLOWED")
    # ...but appointment events name no procedure.
    created = await client.post("/api/v1/subscriptions", headers=ward, json={
        "url": "https://ubnd-p1.example.gov.vn/hook", "event_types": [BOOKING_CONFIRMED], "secret": SECRET})
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["event_types"] == [BOOKING_CONFIRMED] and sub["active"]
    problem(await client.post("/api/v1/subscriptions", headers=ward, json={
        "url": "https://ubnd-p1.example.gov.vn/hook", "event_types": ["motcua.scheduler.v1.unknown"], "secret": SECRET}),
        422, "EVENT_TYPE_INVALID")

    # The webhook loop disabled it after a failure streak (what the notification service's own tests drive for real).
    await notification.pool.execute(
        """UPDATE subscriptions SET active = false, consecutive_failures = 100, failing_since = now() - interval '2 days',
                  disabled_at = now(), disabled_reason = 'disabled after 100 failed deliveries in a row' WHERE id = $1""",
        uuid.UUID(sub["id"]))
    listed = (await client.get("/api/v1/subscriptions", headers=ward)).json()["items"]
    assert [(s["active"], s["consecutive_failures"]) for s in listed] == [(False, 100)]

    other = bearer(client, "CA.H29", procedures=("*",))
    problem(await client.post(f"/api/v1/subscriptions/{sub['id']}/reenable", headers=other), 404, "SUBSCRIPTION_NOT_FOUND")
    problem(await client.post(f"/api/v1/subscriptions/{uuid.uuid4()}/reenable", headers=ward), 404, "SUBSCRIPTION_NOT_FOUND")
    operator = bearer(client, "", roles=("operator",))
    assert (await client.post(f"/api/v1/subscriptions/{sub['id']}/reenable", headers=operator)).status_code == 403
    assert (await client.post(f"/api/v1/subscriptions/{sub['id']}/reenable")).status_code == 401

    enabled = await client.post(f"/api/v1/subscriptions/{sub['id']}/reenable", headers=ward)
    assert enabled.status_code == 200, enabled.text
    body = enabled.json()
    assert body["active"] and body["consecutive_failures"] == 0 and body["disabled_reason"] == ""
    row = await notification.pool.fetchrow("SELECT failing_since, disabled_at FROM subscriptions WHERE id = $1",
                                           uuid.UUID(sub["id"]))
    assert row["failing_since"] is None and row["disabled_at"] is None
    again = await client.post(f"/api/v1/subscriptions/{sub['id']}/reenable", headers=ward)
    assert again.status_code == 200 and again.json()["active"]
