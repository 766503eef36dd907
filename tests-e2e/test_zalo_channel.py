"""Black box: a citizen on the Zalo Official Account, against the running stack.

Signed webhooks go in at POST /webhooks/zalo; the OA's replies are read where the notification
service "sent" them (the provider fakes' GET /messages); the booking is seen by an officer in the
verification queue through the REST API.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from e2e_stack import RunningStack, start_stack, stop_stack
from motcua_platform.embedded.process import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of our own whose provider fakes listen on free ports (the shared one uses 8090/2525,
    which collide when several stacks run on one machine)."""
    running = start_stack(tmp_path_factory.mktemp("zalo-stack"), extra_env={
        "MOTCUA_DEV_FAKES_HTTP_PORT": str(free_port()), "MOTCUA_DEV_FAKES_SMTP_PORT": str(free_port())})
    try:
        yield running
    finally:
        stop_stack(running)

APP_ID, OA_KEY = "motcua-dev-app", "motcua-dev-oa-secret"  # what `make run` gives the gateway and the fakes
BIRTH = "1.001193.000.00.00.H29"  # Đăng ký khai sinh, UBND phường Sài Gòn


def fakes_url(stack: RunningStack) -> str:
    found = re.search(r"sent messages \(fakes\) (http://\S+?)/?\s", stack.log())
    assert found, "make run prints where the sent messages can be seen"
    return found.group(1)


class ZaloUser:
    def __init__(self, client: httpx.Client, fakes: str, user: str) -> None:
        self.client, self.fakes, self.user = client, fakes, user
        self.seen = 0

    def post(self, event: dict[str, Any], *, key: str = OA_KEY) -> httpx.Response:
        stamp = str(int(time.time() * 1000))
        body = json.dumps({"app_id": APP_ID, "oa_id": "4097311281936189049", "timestamp": stamp, **event},
                          ensure_ascii=False, separators=(",", ":")).encode()
        signature = "mac=" + hashlib.sha256(APP_ID.encode() + body + stamp.encode() + key.encode()).hexdigest()
        return self.client.post("/webhooks/zalo", content=body,
                                headers={"Content-Type": "application/json", "X-ZEvent-Signature": signature})

    def say(self, text: str) -> str:
        reply = self.post({"event_name": "user_send_text", "sender": {"id": self.user},
                           "message": {"msg_id": uuid.uuid4().hex, "text": text}})
        assert reply.status_code == 200, reply.text
        return self.next_reply()

    def expect(self, text: str, fragment: str, timeout: float = 25) -> str:
        """Say `text`; return the first new message containing `fragment` (event-driven notices may interleave)."""
        reply = self.post({"event_name": "user_send_text", "sender": {"id": self.user},
                           "message": {"msg_id": uuid.uuid4().hex, "text": text}})
        assert reply.status_code == 200, reply.text
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.messages()
            for index in range(self.seen, len(texts)):
                if fragment in texts[index]:
                    self.seen = index + 1
                    return texts[index]
            time.sleep(0.1)
        raise AssertionError(f"no reply with {fragment!r} for {self.user}; got {self.messages()[self.seen:]}")

    def expect_next(self, fragment: str, timeout: float = 25) -> str:
        """The first new message containing `fragment` (event-driven notices may come in between)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.messages()
            for index in range(self.seen, len(texts)):
                if fragment in texts[index]:
                    self.seen = index + 1
                    return texts[index]
            time.sleep(0.1)
        raise AssertionError(f"no message with {fragment!r} for {self.user}; got {self.messages()[self.seen:]}")

    def messages(self) -> list[str]:
        items = httpx.get(f"{self.fakes}/messages", params={"channel": "zalo_cs", "recipient": self.user}, timeout=5)
        return [m["text"] for m in reversed(items.json()["items"])]

    def next_reply(self, timeout: float = 25) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.messages()
            if len(texts) > self.seen:
                self.seen += 1
                return texts[self.seen - 1]
            time.sleep(0.1)
        raise AssertionError(f"no reply for {self.user} after {timeout}s; got {self.messages()}")


def officer(client: httpx.Client) -> dict[str, str]:
    token = client.post("/api/v1/auth/dev-token", json={"username": "canbo.saigon", "password": "demo"})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_registration_conversation_books_a_home_visit_awaiting_verification(stack: RunningStack,
                                                                            client: httpx.Client) -> None:
    citizen = ZaloUser(client, fakes_url(stack), f"zl-{uuid.uuid4().hex[:12]}")
    phone = "09" + str(uuid.uuid4().int)[:8]
    assert citizen.post({"event_name": "follow", "follower": {"id": citizen.user}}).status_code == 200
    assert "ĐK hỗ trợ tại nhà" in citizen.next_reply()

    card = citizen.say("ĐK hỗ trợ tại nhà")
    assert card.startswith("[request_user_info]") and "đồng ý" in card
    assert "Chia sẻ thông tin" in citizen.say("rượu")  # not shared yet: asked again, nothing else
    shared = citizen.post({"event_name": "user_submit_info", "sender": {"id": citizen.user}, "info": {
        "name": "Nguyễn Văn Bình", "phone": phone, "address": "12 Nguyễn Huệ", "ward": "Phường Sài Gòn",
        "district": "", "city": "Thành phố Hồ Chí Minh"}})
    assert shared.status_code == 200, shared.text
    asked = citizen.next_reply()
    assert "Nguyễn Văn Bình" in asked and "từ khoá" in asked

    procedures = citizen.say("rượu")
    assert "1. " in procedures and "rượu" in procedures.lower(), procedures
    assert "từ 1 đến" in citizen.say("9")  # out of range: a clear prompt
    slots = citizen.say("1")
    assert "thời gian" in slots and re.search(r"1\. \d\d:\d\d ngày \d\d/\d\d/\d{4}", slots), slots
    first_slot = re.search(r"1\. (\d\d:\d\d ngày \d\d/\d\d/\d{4})", slots).group(1)
    done = citizen.say("1")
    assert done.startswith("Chúc mừng anh/chị đã đăng ký thành công hỗ trợ nộp hồ sơ thủ tục hành chính"), done
    assert f"vào thời gian {first_slot}" in done and "/lich-hen/" in done

    queue = client.get("/api/v1/verification-queue", headers=officer(client))
    assert queue.status_code == 200, queue.text
    mine = [b for b in queue.json()["items"] if b["citizen"]["phone"].endswith(phone[1:])]
    assert len(mine) == 1 and mine[0]["status"] == "requested" and mine[0]["channel"] == "zalo", mine
    assert mine[0]["citizen"]["full_name"] == "Nguyễn Văn Bình"

    # After the booking the conversation is over; "huỷ" mid-way aborts a new one.
    assert citizen.expect("ĐK hỗ trợ tại nhà", "[request_user_info]")
    assert citizen.expect("Hủy", "Đã huỷ việc đăng ký")


def test_dossier_lookups_coarse_for_strangers_full_for_the_linked_applicant(stack: RunningStack,
                                                                            client: httpx.Client) -> None:
    fakes = fakes_url(stack)
    phone = "09" + str(uuid.uuid4().int)[:8]
    procedure = client.get(f"/api/v1/procedures/{BIRTH}").json()
    documents = [{"name": d["name"], "originals": d["originals"], "copies": d["copies"]}
                 for d in procedure["required_documents"] if d["required"]]
    created = client.post("/api/v1/dossiers", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "procedure_code": BIRTH, "documents": documents,
        "applicant": {"full_name": "Phạm Thị Thu", "id_number": "079190001111", "phone": phone,
                      "address": {"street": "3 Hai Bà Trưng", "ward_name": "Phường Sài Gòn",
                                  "province_name": "Thành phố Hồ Chí Minh"}},
        "consent": {"purpose": "dossier_processing", "text_version": "2025-01"},
        "subject": {"birth_date": "2015-03-02"}})  # a late registration, over six: no linked dossiers
    assert created.status_code == 201, created.text
    code, token = created.json()["code"], created.json()["public_token"]
    typed = "#" + code.lower().replace(".", " ")  # spaces, lower case, no dots

    stranger = ZaloUser(client, fakes, f"zl-{uuid.uuid4().hex[:12]}")
    coarse = stranger.say(typed)
    assert code in coarse and "Mới đăng ký" in coarse and "Phạm Thị Thu" not in coarse and phone not in coarse
    with_token = stranger.say(f"#{code} {token}")
    assert "Người nộp: Phạm Thị Thu" in with_token

    applicant = ZaloUser(client, fakes, f"zl-{uuid.uuid4().hex[:12]}")
    applicant.post({"event_name": "user_submit_info", "sender": {"id": applicant.user},
                    "info": {"name": "Phạm Thị Thu", "phone": phone, "address": "3 Hai Bà Trưng", "ward": "Phường Sài Gòn",
                             "district": "", "city": "Thành phố Hồ Chí Minh"}})
    assert "xem được đầy đủ" in applicant.next_reply()
    full = applicant.say(typed)
    assert "Người nộp: Phạm Thị Thu" in full and "Quá trình xử lý" in full

    # Someone whose shared phone is another one gets the public view only.
    other = ZaloUser(client, fakes, f"zl-{uuid.uuid4().hex[:12]}")
    other.post({"event_name": "user_submit_info", "sender": {"id": other.user},
                "info": {"name": "Kẻ Lạ", "phone": "0911000111", "ward": "Phường Sài Gòn"}})
    other.next_reply()
    assert "Phạm Thị Thu" not in other.say(typed)

    # Keyword search: a numbered list with a portal link each.
    found = stranger.say("khai sinh")
    assert "1. " in found and "/thu-tuc/" in found

    # Photos: refused (with guidance) until the dossier waits for a supplement, then kept for the officer.
    photo = {"event_name": "user_send_image", "sender": {"id": applicant.user}, "message": {
        "msg_id": uuid.uuid4().hex, "text": f"#{code}",
        "attachments": [{"type": "image", "payload": {"url": "https://photo.example.vn/giay-chung-sinh.jpg"}}]}}
    assert applicant.post(photo).status_code == 200
    assert "chỉ được nhận" in applicant.next_reply()
    staff = officer(client)
    for to_status, version, reason in ((2, 1, ""), (5, 2, "Thiếu bản sao giấy chứng sinh")):
        moved = client.post(f"/api/v1/dossiers/{code}/transitions", headers=staff,
                            json={"to_status": to_status, "expected_version": version, "reason": reason})
        assert moved.status_code == 200, moved.text
    photo["message"]["msg_id"] = uuid.uuid4().hex
    assert applicant.post(photo).status_code == 200
    assert applicant.expect_next(f"ảnh giấy tờ bổ sung cho hồ sơ {code}")
    kept = client.get("/api/v1/channel-attachments", params={"dossier_code": code}, headers=staff)
    assert [a["url"] for a in kept.json()["items"]] == ["https://photo.example.vn/giay-chung-sinh.jpg"]
    assert client.get("/api/v1/channel-attachments", params={"dossier_code": code}).status_code == 401


def test_forged_and_replayed_webhooks(stack: RunningStack, client: httpx.Client) -> None:
    citizen = ZaloUser(client, fakes_url(stack), f"zl-{uuid.uuid4().hex[:12]}")
    event = {"event_name": "user_send_text", "sender": {"id": citizen.user},
             "message": {"msg_id": uuid.uuid4().hex, "text": "khai sinh"}}
    forged = citizen.post(event, key="not-the-oa-secret")
    assert forged.status_code == 401 and forged.headers["content-type"].startswith("application/problem+json")
    missing = client.post("/webhooks/zalo", json={"app_id": APP_ID, **event, "timestamp": str(int(time.time() * 1000))})
    assert missing.status_code == 401
    first = citizen.post(event)
    again = citizen.post(event)  # Zalo redelivers the same msg_id
    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    citizen.next_reply()
    time.sleep(2)
    assert len(citizen.messages()) == 1  # processed and answered once
