"""Notifications through the running stack's public surface: officers' look-up, agency subscriptions,
provider callbacks, and the local provider fakes' page where a person sees what was "sent"."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from e2e_stack import RunningStack

pytestmark = pytest.mark.e2e


def token(client: httpx.Client, user: str) -> dict[str, str]:
    reply = client.post("/api/v1/auth/dev-token", json={"username": user, "password": "demo"})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def test_notification_surface_of_a_running_stack(stack: RunningStack, client: httpx.Client) -> None:
    found = re.search(r"sent messages \(fakes\) (http://\S+/)", stack.log())
    assert found, "make run prints where the sent messages can be seen"
    page = httpx.get(found.group(1), timeout=5)
    assert page.status_code == 200 and "Zalo ZNS" in page.text and "SMS" in page.text
    assert httpx.get(found.group(1) + "messages", params={"channel": "sms"}, timeout=5).json()["count"] >= 0

    officer = token(client, "canbo.saigon")
    listed = client.get("/api/v1/notifications", params={"phone": "0912999999"}, headers=officer)
    assert listed.status_code == 200 and listed.json()["items"] == []
    templates = client.get("/api/v1/notification-templates", params={"code": "dossier_received"}, headers=officer)
    assert {t["channel"] for t in templates.json()} == {"zalo_cs", "zns", "sms", "email"}
    preview = client.post("/api/v1/notification-templates/dossier_received/preview", headers=officer,
                          json={"channel": "sms", "params": {"dossier_code": "000.00.04.H15-201125-0080"}})
    assert preview.json()["sms_segments"] == 1 and "full_name" not in preview.json()["body"]

    agency = token(client, "coquan.bhxh")
    created = client.post("/api/v1/subscriptions", headers=agency, json={
        "url": "http://127.0.0.1:9/hook", "event_types": ["motcua.dossier.v1.received"], "secret": uuid.uuid4().hex * 2})
    assert created.status_code == 201, created.text
    sub = created.json()["id"]
    assert [s["id"] for s in client.get("/api/v1/subscriptions", headers=agency).json()["items"]] == [sub]
    assert client.delete(f"/api/v1/subscriptions/{sub}", headers=agency).status_code == 204

    assert client.get("/api/v1/provider-callbacks/esms/wrong", params={"SMSID": "x"}).status_code == 401
