"""Black box: a citizen submits, follows and prints a dossier; an officer accepts it; liên thông creates a journey."""

from __future__ import annotations

import io
import time
import uuid
from datetime import date

import httpx
import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.e2e

REREGISTER_DEATH = "2.002244.000.00.00.H29"  # Đăng ký lại khai tử, UBND phường Bến Thành (demo seed)
BIRTH = "1.001193.000.00.00.H29"  # Đăng ký khai sinh, UBND phường Sài Gòn
APPLICANT = {"full_name": "Lê Thị Hồng Nhung", "id_number": "079190004321", "phone": "0987654321",
             "email": "nhung.le@example.vn",
             "address": {"street": "45 Lê Lợi", "ward_name": "Phường Bến Thành", "province_name": "Thành phố Hồ Chí Minh"}}


def required_documents(client: httpx.Client, code: str) -> list[dict]:
    procedure = client.get(f"/api/v1/procedures/{code}")
    assert procedure.status_code == 200, procedure.text
    return [{"name": d["name"], "originals": d["originals"], "copies": d["copies"]}
            for d in procedure.json()["required_documents"] if d["required"]]


def officer(client: httpx.Client) -> dict[str, str]:
    token = client.post("/api/v1/auth/dev-token", json={"username": "vanhanh", "password": "demo"})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_submit_follow_print_and_accept(client: httpx.Client) -> None:
    body = {"procedure_code": REREGISTER_DEATH, "applicant": APPLICANT,
            "documents": required_documents(client, REREGISTER_DEATH),
            "consent": {"purpose": "dossier_processing", "text_version": "2025-01"}}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    created = client.post("/api/v1/dossiers", json=body, headers=key)
    assert created.status_code == 201, created.text
    code, token = created.json()["code"], created.json()["public_token"]
    assert code.startswith("000.00.42.H29-") and created.json()["status"] == 1
    assert client.post("/api/v1/dossiers", json=body, headers=key).json()["code"] == code

    public = client.get(f"/api/v1/dossiers/{code}")
    assert public.status_code == 200 and public.json()["status_label"] == "Mới đăng ký"
    assert "Nhung" not in public.text and "0987654321" not in public.text

    full = client.get(f"/api/v1/dossiers/{code}", params={"token": token})
    assert full.status_code == 200 and full.json()["applicant"]["full_name"] == "Lê Thị Hồng Nhung"

    pdf = client.get(f"/api/v1/dossiers/{code}/receipt.pdf", params={"token": token})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Lê Thị Hồng Nhung" in " ".join(text.split()) and code in text

    accepted = client.post(f"/api/v1/dossiers/{code}/transitions", json={"to_status": 2, "expected_version": 1},
                           headers=officer(client))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == 2 and accepted.json()["due_label"].startswith(("Sáng ngày", "Chiều ngày"))
    after = client.get(f"/api/v1/dossiers/{code}").json()
    assert [h["status"] for h in after["history"]] == [1, 2] and after["due_at"]

    # The receipt went out (ZNS to the applicant's phone, the first of the default chain) and the provider's
    # delivery receipt came back: provider fake -> gateway callback route -> notification service.
    deadline, routes = time.monotonic() + 30, []
    while time.monotonic() < deadline:
        listed = client.get("/api/v1/notifications", params={"dossier_code": code}, headers=officer(client))
        assert listed.status_code == 200, listed.text
        received = [n for n in listed.json()["items"] if n["template_code"] == "dossier_received"]
        routes = [(d["route"], d["status"]) for n in received for d in n["deliveries"]]
        if ("zns", "delivered") in routes:
            break
        time.sleep(0.2)
    assert ("zns", "delivered") in routes, routes


def test_the_applicant_signed_in_follows_her_own_dossier(client: httpx.Client) -> None:
    # congdan.anh is the demo citizen the development issuer signs in as VNeID would: ID number 079190001234.
    mine = {**APPLICANT, "full_name": "Trần Thị Ngọc Ánh", "id_number": "079190001234"}
    body = {"procedure_code": REREGISTER_DEATH, "applicant": mine,
            "documents": required_documents(client, REREGISTER_DEATH), "consent": {"purpose": "dossier_processing"}}
    created = client.post("/api/v1/dossiers", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    sign_in = client.post("/api/v1/auth/dev-token", json={"username": "congdan.anh", "password": "demo"})
    assert sign_in.status_code == 200, sign_in.text
    citizen = {"Authorization": f"Bearer {sign_in.json()['access_token']}"}

    full = client.get(f"/api/v1/dossiers/{code}", headers=citizen)
    assert full.status_code == 200 and full.json()["view"] == "applicant"
    assert full.json()["applicant"]["full_name"] == "Trần Thị Ngọc Ánh"
    # Someone else's dossier (the module's other applicant): the public view only, as without signing in.
    other = client.post("/api/v1/dossiers", json={**body, "applicant": APPLICANT},
                        headers={"Idempotency-Key": str(uuid.uuid4())}).json()["code"]
    seen = client.get(f"/api/v1/dossiers/{other}", headers=citizen)
    assert seen.status_code == 200 and "view" not in seen.json() and "Nhung" not in seen.text


def test_birth_registration_at_the_counter_starts_a_journey(client: httpx.Client) -> None:
    body = {"procedure_code": BIRTH, "applicant": APPLICANT, "documents": required_documents(client, BIRTH),
            "consent": {"purpose": "dossier_processing"}, "subject": {"birth_date": date.today().isoformat()}}
    created = client.post("/api/v1/dossiers", json=body,
                          headers={"Idempotency-Key": str(uuid.uuid4()), **officer(client)})
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["status"] == 2 and len(out["linked_codes"]) == 2
    journey = client.get(f"/api/v1/dossiers/{out['code']}/journey", params={"token": out["public_token"]}).json()
    assert [s["procedure_name"] for s in journey["steps"]][1] == "Đăng ký thường trú"


def test_due_date_calculator_and_bad_codes(client: httpx.Client) -> None:
    due = client.get("/api/v1/calendar/due-date", params={"received_at": "2020-12-02T14:05", "working_days": 5})
    assert due.status_code == 200 and due.json()["label_vi"] == "Chiều ngày 09/12/2020"
    assert client.get("/api/v1/dossiers/000.00.42.H29-201345-0001").status_code == 422
    assert client.get("/api/v1/dossiers/000.00.42.H29-201125-9999").status_code == 404
