"""Black box: two-way SMS against the running stack.

Inbound SMS come in as eSMS delivers short-code MOs (GET /webhooks/sms, signed `sign` = MD5(cpid + smsid
+ content + receiverTime + private key)); replies are read where the notification service sent them
by SMS (the provider fakes' GET /messages).
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from e2e_stack import RunningStack, start_stack, stop_stack
from motcua_platform.embedded.process import free_port

pytestmark = pytest.mark.e2e

CPID, MO_KEY = "motcua-dev-cp", "motcua-dev-mo-key"  # what `make run` gives the gateway
BIRTH = "1.001193.000.00.00.H29"
SAI_GON = "26740"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("sms-stack"), extra_env={
        "MOTCUA_DEV_FAKES_HTTP_PORT": str(free_port()), "MOTCUA_DEV_FAKES_SMTP_PORT": str(free_port())})
    try:
        yield running
    finally:
        stop_stack(running)


class Phone:
    def __init__(self, client: httpx.Client, stack: RunningStack, local: str) -> None:
        found = re.search(r"sent messages \(fakes\) (http://\S+?)/?\s", stack.log())
        assert found
        self.client, self.fakes, self.local = client, found.group(1), local
        self.seen = len(self.replies())

    def send(self, content: str, *, key: str = MO_KEY) -> httpx.Response:
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + 7 * 3600))
        smsid = uuid.uuid4().hex
        sign = hashlib.md5((CPID + smsid + content + stamp + key).encode()).hexdigest()
        return self.client.get("/webhooks/sms", params={
            "sender": "84" + self.local[1:], "content": content, "serviceNumber": "8079",
            "keyword": content.split()[0] if content.split() else "", "sign": sign, "cpid": CPID, "smsid": smsid,
            "receiverTime": stamp})

    def replies(self) -> list[str]:
        items = httpx.get(f"{self.fakes}/messages", params={"channel": "sms", "recipient": self.local}, timeout=5)
        return [m["text"] for m in reversed(items.json()["items"])]

    def ask(self, content: str, fragment: str = "", timeout: float = 25) -> str:
        answer = self.send(content)
        assert answer.status_code == 200 and "<ClientResponse>" in answer.text, answer.text
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.replies()
            for index in range(self.seen, len(texts)):
                if fragment in texts[index]:
                    self.seen = index + 1
                    return texts[index]
            time.sleep(0.1)
        raise AssertionError(f"no SMS with {fragment!r} to {self.local}; got {self.replies()[self.seen:]}")


def new_phone() -> str:
    return "09" + str(uuid.uuid4().int)[:8]


def test_status_lookup_help_and_forged_mo(stack: RunningStack, client: httpx.Client) -> None:
    applicant = Phone(client, stack, new_phone())
    procedure = client.get(f"/api/v1/procedures/{BIRTH}").json()
    created = client.post("/api/v1/dossiers", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "procedure_code": BIRTH,
        "documents": [{"name": d["name"], "originals": d["originals"], "copies": d["copies"]}
                      for d in procedure["required_documents"] if d["required"]],
        "applicant": {"full_name": "Đỗ Văn Sơn", "id_number": "079190002222", "phone": applicant.local,
                      "address": {"street": "8 Lý Tự Trọng", "ward_name": "Phường Sài Gòn",
                                  "province_name": "Thành phố Hồ Chí Minh"}},
        "consent": {"purpose": "dossier_processing", "text_version": "2025-01"},
        "subject": {"birth_date": "2015-03-02"}})  # a late registration, over six: no linked dossiers
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    mine = applicant.ask(f"TC {code.lower()}", code)
    assert "Moi dang ky" in mine and len(mine) <= 160, mine  # GSM-7, one segment
    stranger = Phone(client, stack, new_phone())
    theirs = stranger.ask(f"#{code}", code)
    assert "Son" not in theirs and f"/tra-cuu/{code}" in theirs and len(theirs) <= 160
    assert "TC <ma ho so>" in stranger.ask("xin chao", "TC")
    forged = stranger.send("TC 000.00.41.H29-250101-0001", key="wrong-key")
    assert forged.status_code == 401 and forged.headers["content-type"].startswith("application/problem+json")


def test_cancel_a_booking_by_sms_after_confirmation_only_from_its_phone(stack: RunningStack, client: httpx.Client) -> None:
    owner = Phone(client, stack, new_phone())
    slots = client.get("/api/v1/availability", params={"model": "kiosk", "ward": SAI_GON, "page_size": 5}).json()["items"]
    made = client.post("/api/v1/bookings", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "slot_id": slots[0]["id"], "help_type": "vneid_level2", "channel": "web",
        "citizen": {"full_name": "Vũ Thị Lan", "phone": owner.local}, "consent": {"accepted": True, "text_version": "2025-01"}})
    assert made.status_code == 201, made.text
    booking_id, token = made.json()["id"], made.json()["token"]

    intruder = Phone(client, stack, new_phone())
    assert "Khong tim thay" in intruder.ask(f"HUY {booking_id}", "Khong tim thay")
    assert "Khong co yeu cau huy" in owner.ask("CO", "Khong co yeu cau huy")  # nothing pending yet
    confirm = owner.ask(f"HUY {booking_id}", "CO")
    assert "Tra loi CO de xac nhan" in confirm and booking_id[:8].upper() in confirm
    assert client.get(f"/api/v1/bookings/{booking_id}", params={"token": token}).json()["status"] == "confirmed"
    done = owner.ask("co", "Da huy")
    assert booking_id[:8].upper() in done
    assert client.get(f"/api/v1/bookings/{booking_id}", params={"token": token}).json()["status"] == "cancelled"
