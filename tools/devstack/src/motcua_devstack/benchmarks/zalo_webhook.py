"""Zalo OA webhook: signed webhooks accepted per second (time to 200), and `#code` look-ups end to end.

Runs against a full stack (the five services and the provider fakes, like `make run`):

- `zalo webhook accepted`: signed `user_send_text` events posted as fast as `concurrency` clients
  can; each is verified, stored in the gateway's inbox and answered 200 (the work is done after
  the answer). Reports webhooks/s and the time to 200 (p50/p95/p99).
- `zalo #code look-up end to end`: one citizen per request sends `#<dossier code>`; the time runs
  from the webhook post to the reply showing up at the fake Zalo API (inbox worker -> dossier
  service -> notification service -> Zalo provider -> fake). Reports look-ups answered per second.

Sizes: MOTCUA_BENCH_ZALO_EVENTS (default 1000), MOTCUA_BENCH_ZALO_LOOKUPS (default 200).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
import uuid

import httpx

from motcua_devstack.bench import BenchContext, BenchResult, closed_loop, summarize
from motcua_platform.embedded.process import free_port

NAME = "zalo_webhook"
ORDER = 60
EVENTS = int(os.environ.get("MOTCUA_BENCH_ZALO_EVENTS", "1000"))
LOOKUPS = int(os.environ.get("MOTCUA_BENCH_ZALO_LOOKUPS", "200"))
CONCURRENCY = 16
LOOKUP_CONCURRENCY = 8
APP_ID, OA_KEY = "motcua-dev-app", "motcua-dev-oa-secret"  # the keys the stack gives the gateway
BIRTH = "1.001193.000.00.00.H29"


def signed(user: str, text: str) -> tuple[bytes, dict[str, str]]:
    stamp = str(int(time.time() * 1000))
    body = json.dumps({"app_id": APP_ID, "event_name": "user_send_text", "sender": {"id": user},
                       "recipient": {"id": "4097311281936189049"}, "message": {"msg_id": uuid.uuid4().hex, "text": text},
                       "timestamp": stamp}, ensure_ascii=False, separators=(",", ":")).encode()
    mac = "mac=" + hashlib.sha256(APP_ID.encode() + body + stamp.encode() + OA_KEY.encode()).hexdigest()
    return body, {"Content-Type": "application/json", "X-ZEvent-Signature": mac}


async def _dossier_code(http: httpx.AsyncClient) -> str:
    procedure = (await http.get(f"/api/v1/procedures/{BIRTH}")).json()
    created = await http.post("/api/v1/dossiers", headers={"Idempotency-Key": str(uuid.uuid4())}, json={
        "procedure_code": BIRTH,
        "documents": [{"name": d["name"], "originals": d["originals"], "copies": d["copies"]}
                      for d in procedure["required_documents"] if d["required"]],
        "applicant": {"full_name": "Người Đo Hiệu Năng", "id_number": "079190009999", "phone": "0909000999",
                      "address": {"street": "1 Đồng Khởi", "ward_name": "Phường Sài Gòn",
                                  "province_name": "Thành phố Hồ Chí Minh"}},
        "consent": {"purpose": "dossier_processing", "text_version": "2025-01"},
        "subject": {"birth_date": "2015-03-02"}})  # over six: no linked dossiers
    created.raise_for_status()
    return str(created.json()["code"])


async def _drain(fakes: httpx.AsyncClient, expected: int, timeout: float = 120) -> int:
    """Wait until the fake Zalo API has seen `expected` customer-service messages (or time ran out)."""
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        count = (await fakes.get("/_admin/stats")).json()["messages"].get("zalo_cs", 0)
        if count >= expected:
            break
        await asyncio.sleep(0.25)
    return count


async def run(ctx: BenchContext) -> list[BenchResult]:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll of the fakes otherwise
    infra = ctx.infrastructure()  # main thread: see BenchContext.start_services
    if not infra.procs:  # the fakes on free ports: 8090/2525 may be taken by a `make run` on this machine
        infra.config.fakes_http_port, infra.config.fakes_smtp_port = free_port(), free_port()
    stack = await ctx.start_services()
    fakes_url = f"http://{stack.config.host}:{stack.config.fakes_http_port}"
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=ctx.base_url, timeout=30, limits=limits) as http, \
            httpx.AsyncClient(base_url=fakes_url, timeout=30, limits=limits) as fakes:
        code = await _dossier_code(http)
        await fakes.post("/_admin/reset")

        async def accept(i: int) -> None:
            body, headers = signed(f"bench-a-{i}", f"#{code}")
            answer = await http.post("/webhooks/zalo", content=body, headers=headers)
            if answer.status_code != 200:
                raise RuntimeError(answer.text)

        latencies, errors, seconds = await closed_loop(accept, concurrency=CONCURRENCY, total=EVENTS)
        drain_started = time.perf_counter()
        replied = await _drain(fakes, len(latencies))
        accepted = summarize("zalo webhook accepted (time to 200)", latencies, errors, seconds,
                             concurrency=CONCURRENCY, replies_after_s=round(time.perf_counter() - drain_started, 1),
                             replies=f"{replied}/{len(latencies)}")

        async def lookup(i: int) -> None:
            user = f"bench-l-{i}-{uuid.uuid4().hex[:6]}"
            body, headers = signed(user, f"#{code}")
            answer = await http.post("/webhooks/zalo", content=body, headers=headers)
            if answer.status_code != 200:
                raise RuntimeError(answer.text)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                found = (await fakes.get("/messages", params={"channel": "zalo_cs", "recipient": user})).json()
                if found["count"]:
                    if code not in found["items"][0]["text"]:
                        raise RuntimeError("unexpected reply")
                    return
                await asyncio.sleep(0.02)
            raise TimeoutError(user)

        latencies, errors, seconds = await closed_loop(lookup, concurrency=LOOKUP_CONCURRENCY, total=LOOKUPS)
        end_to_end = summarize("zalo #code look-up end to end", latencies, errors, seconds,
                               concurrency=LOOKUP_CONCURRENCY)
    return [accepted, end_to_end]
