#!/usr/bin/env python3
"""Play a Zalo user against `make run`: sign and post an OA webhook event, print the OA's replies.

    .venv/bin/python tools/zalo_send.py "#000.00.41.H29-250101-0001"
    .venv/bin/python tools/zalo_send.py "ĐK hỗ trợ tại nhà"
    .venv/bin/python tools/zalo_send.py --info "Trần Văn An|0912345678|12 Lê Lợi|Phường Sài Gòn|Quận 1|TP Hồ Chí Minh"
    .venv/bin/python tools/zalo_send.py "rượu"          # then "1", then "1" ...
    .venv/bin/python tools/zalo_send.py --follow
    .venv/bin/python tools/zalo_send.py --image https://example.vn/giay-to.jpg

The event is signed like Zalo signs it (X-ZEvent-Signature: mac=sha256(app_id + body + timestamp +
OA secret key)) with the development keys `make run` gives the gateway; the replies are read
from the provider fakes (GET /messages), where the notification service "sent" them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import uuid

import httpx


def sign(app_id: str, body: bytes, stamp: str, key: str) -> str:
    return "mac=" + hashlib.sha256(app_id.encode() + body + stamp.encode() + key.encode()).hexdigest()


def build(args: argparse.Namespace, stamp: str) -> dict[str, object]:
    base: dict[str, object] = {"app_id": args.app_id, "oa_id": "4097311281936189049", "timestamp": stamp,
                               "user_id_by_app": "app-" + args.user}
    sender, oa = {"id": args.user}, {"id": "4097311281936189049"}
    if args.follow:
        return {**base, "event_name": "follow", "follower": {"id": args.user}, "source": "oa_profile"}
    if args.info:
        parts = (args.info.split("|") + [""] * 6)[:6]
        name, phone, address, ward, district, city = parts
        return {**base, "event_name": "user_submit_info", "sender": sender, "recipient": oa,
                "info": {"name": name, "phone": phone, "address": address, "ward": ward, "district": district, "city": city}}
    msg_id = uuid.uuid4().hex
    if args.image:
        return {**base, "event_name": "user_send_image", "sender": sender, "recipient": oa,
                "message": {"msg_id": msg_id, "text": args.text or "",
                            "attachments": [{"type": "image", "payload": {"url": args.image, "thumbnail": args.image}}]}}
    return {**base, "event_name": "user_send_text", "sender": sender, "recipient": oa,
            "message": {"msg_id": msg_id, "text": args.text}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("text", nargs="?", default="", help="what the citizen types")
    parser.add_argument("--user", default="dev-zalo-user-1", help="Zalo user id of the citizen")
    parser.add_argument("--follow", action="store_true", help="send a follow event")
    parser.add_argument("--info", help="user_submit_info: 'name|phone|address|ward|district|city'")
    parser.add_argument("--image", help="user_send_image with this image URL (text = caption)")
    parser.add_argument("--gateway", default="http://127.0.0.1:8080")
    parser.add_argument("--fakes", default="http://127.0.0.1:8090")
    parser.add_argument("--app-id", default="motcua-dev-app")
    parser.add_argument("--key", default="motcua-dev-oa-secret", help="OA secret key")
    parser.add_argument("--wait", type=float, default=10.0, help="seconds to wait for replies")
    args = parser.parse_args()
    if not (args.text or args.follow or args.info or args.image):
        parser.error("give a text, --follow, --info or --image")
    with httpx.Client(timeout=10) as http:
        before = {m["id"] for m in http.get(f"{args.fakes}/messages", params={"channel": "zalo_cs",
                                                                              "recipient": args.user}).json()["items"]}
        stamp = str(int(time.time() * 1000))
        body = json.dumps(build(args, stamp), ensure_ascii=False, separators=(",", ":")).encode()
        answer = http.post(f"{args.gateway}/webhooks/zalo", content=body, headers={
            "Content-Type": "application/json", "X-ZEvent-Signature": sign(args.app_id, body, stamp, args.key)})
        print(f"webhook -> {answer.status_code} {answer.text}")
        if answer.status_code != 200:
            return 1
        deadline, seen = time.monotonic() + args.wait, 0
        while time.monotonic() < deadline:
            items = http.get(f"{args.fakes}/messages", params={"channel": "zalo_cs", "recipient": args.user}).json()["items"]
            new = [m for m in reversed(items) if m["id"] not in before]
            for message in new[seen:]:
                print(f"\n--- OA -> {args.user}:\n{message['text']}")
            seen = len(new)
            if seen and time.monotonic() > deadline - args.wait + 2:
                break
            time.sleep(0.2)
        if not seen:
            print("(no reply yet: see the gateway and notification logs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
