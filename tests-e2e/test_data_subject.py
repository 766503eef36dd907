"""Black box: a citizen's right to access and erasure across the running stack (Nghị định 13/2023/NĐ-CP).

The citizen submits a dossier and books assisted help with the same phone; the notifications
flow; an operator exports everything held about them, erases it, and exports again. The
dossier stays as an administrative record (public status works) but the receipt's token no
longer opens the full view and nothing personal is left in any answer.
"""

from __future__ import annotations

import random
import time
import uuid

import httpx
import pytest

pytestmark = pytest.mark.e2e

REREGISTER_DEATH = "2.002244.000.00.00.H29"  # Đăng ký lại khai tử, UBND phường Bến Thành (demo seed)
SAI_GON = "26740"


def _login(client: httpx.Client, user: str) -> dict[str, str]:
    reply = client.post("/api/v1/auth/dev-token", json={"username": user, "password": "demo"})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def _wait(predicate, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def test_export_erase_and_export_again(client: httpx.Client) -> None:
    rng = random.Random()
    phone = "09" + "".join(rng.choice("0123456789") for _ in range(8))
    id_number = "0791" + "".join(rng.choice("0123456789") for _ in range(8))
    tag = uuid.uuid4().hex[:6]
    name, email, street = "Đặng Thị Thu Hà", f"ha.dang.{tag}@example.vn", f"{rng.randint(100, 999)} Võ Văn Tần"
    planted = [phone[1:], id_number, email, street]

    procedure = client.get(f"/api/v1/procedures/{REREGISTER_DEATH}").json()
    documents = [{"name": d["name"], "originals": d["originals"], "copies": d["copies"]}
                 for d in procedure["required_documents"] if d["required"]]
    created = client.post("/api/v1/dossiers", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "procedure_code": REREGISTER_DEATH, "documents": documents,
        "consent": {"purpose": "dossier_processing", "text_version": "2025-01"},
        "applicant": {"full_name": name, "id_number": id_number, "phone": phone, "email": email,
                      "address": {"street": street, "ward_name": "Phường Bến Thành", "province_name": "Thành phố Hồ Chí Minh"}}})
    assert created.status_code == 201, created.text
    code, token = created.json()["code"], created.json()["public_token"]
    assert client.get(f"/api/v1/dossiers/{code}", params={"token": token}).json()["applicant"]["full_name"] == name

    slots = client.get("/api/v1/availability", params={"model": "kiosk", "ward": SAI_GON, "help_type": "vneid_level2",
                                                        "page_size": 20}).json()["items"]
    booked = client.post("/api/v1/bookings", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "slot_id": slots[-1]["id"], "help_type": "vneid_level2", "channel": "web",
        "citizen": {"full_name": name, "phone": phone, "address": {"street": street, "ward_code": SAI_GON}},
        "consent": {"accepted": True, "text_version": "2025-01"}})
    assert booked.status_code == 201, booked.text
    booking = booked.json()

    officer = _login(client, "canbo.saigon")

    def told() -> list[dict]:
        items = client.get("/api/v1/notifications", params={"phone": phone}, headers=officer).json()["items"]
        return items if len(items) >= 2 and all(i["status"] in ("sent", "delivered") for i in items) else []

    assert _wait(told), client.get("/api/v1/notifications", params={"phone": phone}, headers=officer).text

    operator = _login(client, "vanhanh")
    ask = {"phone": phone, "reason": f"Đơn yêu cầu truy cập và xoá dữ liệu {tag}"}
    assert client.post("/api/v1/data-subject/exports", json=ask, headers=officer).status_code == 403
    exported = client.post("/api/v1/data-subject/exports", json=ask, headers=operator)
    assert exported.status_code == 200, exported.text
    bundle = exported.json()
    assert set(bundle["services"]) == {"dossier", "scheduler", "notification", "gateway"}
    assert [d["code"] for d in bundle["services"]["dossier"]["records"]["dossiers"]] == [code]
    assert [b["id"] for b in bundle["services"]["scheduler"]["records"]["bookings"]] == [booking["id"]]
    assert bundle["counts"]["notification"]["notifications"] >= 2 and bundle["counts"]["notification"]["deliveries"] >= 2
    assert all(p in exported.text for p in [name, *planted])
    by_id = client.post("/api/v1/data-subject/exports", json={"id_number": id_number, "reason": "Kiểm tra theo CCCD"},
                        headers=operator).json()
    assert by_id["counts"]["dossier"]["dossiers"] == 1 and by_id["counts"]["scheduler"]["bookings"] == 1  # via the phone found

    key = {"Idempotency-Key": str(uuid.uuid4())}
    erased = client.post("/api/v1/data-subject/erasures", json=ask, headers={**operator, **key})
    assert erased.status_code == 200, erased.text
    counts = erased.json()["counts"]
    assert counts["dossier"]["dossiers"] == 1 and counts["scheduler"]["bookings"] == 1
    assert counts["scheduler"]["bookings_cancelled"] == 1 and counts["notification"]["notifications"] >= 2
    again = client.post("/api/v1/data-subject/erasures", json=ask, headers={**operator, **key})
    assert again.status_code == 200 and again.json()["replayed"] is True and again.json()["counts"] == counts

    after = client.post("/api/v1/data-subject/exports", json=ask, headers=operator)
    assert after.status_code == 200
    assert not any(p in after.text for p in [name, *planted])
    assert all(n == 0 for section in after.json()["counts"].values() for n in section.values() if isinstance(n, int))

    # The dossier is kept as an administrative record: its public status still answers.
    public = client.get(f"/api/v1/dossiers/{code}")
    assert public.status_code == 200 and public.json()["code"] == code and public.json()["status"] == 1
    # The receipt's token no longer opens the full view, nor the receipt.
    denied = client.get(f"/api/v1/dossiers/{code}", params={"token": token})
    assert denied.status_code in (403, 404) and name not in denied.text and phone not in denied.text
    assert client.get(f"/api/v1/dossiers/{code}/receipt.pdf", params={"token": token}).status_code in (403, 404)
    # Officers' look-ups find nothing personal any more.
    assert client.get("/api/v1/notifications", params={"phone": phone}, headers=officer).json()["items"] == []
    seen = client.get(f"/api/v1/bookings/{booking['id']}", params={"token": booking["token"]})
    assert seen.status_code in (200, 404) and name not in seen.text and phone not in seen.text
    if seen.status_code == 200:
        assert seen.json()["status"] == "cancelled"
