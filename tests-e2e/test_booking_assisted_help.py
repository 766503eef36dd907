"""Assisted-help bookings on the running stack, through the public HTTP API only (the demo ward of `make run`)."""

from __future__ import annotations

import uuid

import httpx
import pytest

pytestmark = pytest.mark.e2e

SAI_GON = "26740"


def key() -> str:
    return f"e2e-{uuid.uuid4()}"


def booking(slot_id: str, phone: str, **extra: object) -> dict:
    body: dict = {"slot_id": slot_id, "help_type": "vneid_level2", "channel": "web",
                  "citizen": {"full_name": "Phạm Văn Kiểm", "phone": phone},
                  "consent": {"accepted": True, "text_version": "2025-01"}}
    body.update(extra)
    return body


def officer_headers(client: httpx.Client) -> dict[str, str]:
    login = client.post("/api/v1/auth/dev-token", json={"username": "canbo.saigon", "password": "demo"})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def test_citizen_finds_books_moves_and_cancels_a_kiosk_visit(client: httpx.Client) -> None:
    found = client.get("/api/v1/availability", params={"model": "kiosk", "ward": SAI_GON, "help_type": "vneid_level2",
                                                        "page_size": 10})
    assert found.status_code == 200, found.text
    slots = found.json()["items"]
    assert len(slots) >= 2 and all(s["remaining"] > 0 for s in slots)
    first, second = slots[0], slots[-1]

    headers = {"Idempotency-Key": key()}
    made = client.post("/api/v1/bookings", json=booking(first["id"], "0966000111"), headers=headers)
    assert made.status_code == 201, made.text
    booked = made.json()
    assert booked["status"] == "confirmed" and booked["token"]
    replay = client.post("/api/v1/bookings", json=booking(first["id"], "0966000111"), headers=headers)
    assert (replay.status_code, replay.json()["id"]) == (200, booked["id"])
    assert client.post("/api/v1/bookings", json=booking(first["id"], "0966000111")).status_code == 400

    token = {"token": booked["token"]}
    seen = client.get(f"/api/v1/bookings/{booked['id']}", params=token)
    assert seen.status_code == 200 and seen.json()["slot"]["id"] == first["id"]
    assert client.get(f"/api/v1/bookings/{booked['id']}", params={"token": "wrong"}).status_code == 404

    moved = client.post(f"/api/v1/bookings/{booked['id']}/reschedule", params=token,
                        json={"slot_id": second["id"], "reason": "Đổi giờ"}, headers={"Idempotency-Key": key()})
    assert moved.status_code == 200, moved.text
    assert moved.json()["slot"]["id"] == second["id"]

    cancelled = client.delete(f"/api/v1/bookings/{booked['id']}", params={**token, "reason": "Không cần nữa"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    history = client.get(f"/api/v1/bookings/{booked['id']}", params=token).json()["history"]
    assert [h["action"] for h in history] == ["confirmed", "rescheduled", "cancelled"]


def test_officer_verifies_a_home_visit_with_a_dev_token(client: httpx.Client) -> None:
    slots = client.get("/api/v1/availability", params={"model": "home_visit", "ward": SAI_GON}).json()["items"]
    assert slots
    made = client.post("/api/v1/bookings", headers={"Idempotency-Key": key()}, json=booking(
        slots[-1]["id"], "0966000222", priority=True, note="Bà cụ 80 tuổi, đi lại khó khăn",
        citizen={"full_name": "Võ Thị Chín", "phone": "0966000222",
                 "address": {"street": "21 Nguyễn Huy Tự", "ward_code": SAI_GON}}))
    assert made.status_code == 201, made.text
    booked = made.json()
    assert booked["status"] == "requested"

    officer = officer_headers(client)
    assert client.get("/api/v1/verification-queue").status_code == 401
    queue = client.get("/api/v1/verification-queue", params={"ward": SAI_GON, "page_size": 100}, headers=officer)
    assert queue.status_code == 200
    assert booked["id"] in [b["id"] for b in queue.json()["items"]]

    verified = client.post(f"/api/v1/bookings/{booked['id']}/verification", headers=officer,
                           json={"outcome": "confirmed", "note": "Đã gọi lại, hẹn đúng giờ"})
    assert verified.status_code == 200, verified.text
    assert verified.json()["status"] == "confirmed"
    staff = client.get("/api/v1/resources", params={"kind": "staff"}, headers=officer).json()["items"]
    assigned = client.put(f"/api/v1/bookings/{booked['id']}/assignment", headers=officer,
                          json={"resource_id": staff[-1]["id"]})
    assert assigned.status_code in (200, 409), assigned.text  # 409 when that person is already busy then
    citizen_view = client.get(f"/api/v1/bookings/{booked['id']}", params={"token": booked["token"]}).json()
    assert citizen_view["status"] == "confirmed" and citizen_view["status_label"] == "Đã xác nhận"


def test_bad_requests_are_answered_in_vietnamese(client: httpx.Client) -> None:
    unknown = client.get("/api/v1/availability", params={"ward": "00000"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "UNKNOWN_AREA"
    slots = client.get("/api/v1/availability", params={"model": "kiosk", "help_type": "online_dossier"}).json()["items"]
    not_a_procedure = client.post("/api/v1/bookings", headers={"Idempotency-Key": key()}, json=booking(
        slots[0]["id"], "0966000333", help_type="online_dossier", procedure_code="1.999999.000.00.00.H29"))
    assert not_a_procedure.status_code == 422, not_a_procedure.text
    assert not_a_procedure.json()["code"] == "PROCEDURE_NOT_FOUND"
    assert "Không tìm thấy thủ tục" in not_a_procedure.json()["detail"]
    stops = client.get("/api/v1/route-stops").json()["items"]
    assert {s["route_id"] for s in stops} == {"tuyen-ngoai-thanh", "tuyen-kcx-tan-thuan"}
