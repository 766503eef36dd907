"""One stack for the security checks, with a realistic mixed workload whose logs and events are scanned at the end."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from resilience.harness import STACK_LOGS, Citizen, citizens, dump_events, stack_env, submission

from e2e_stack import RunningStack, start_stack, stop_stack

SAI_GON = "26740"


@dataclass
class SecurityStack:
    stack: RunningStack
    tmp: Path
    fakes_url: str
    citizens: list[Citizen]
    dossiers: list[dict] = field(default_factory=list)  # code, public_token, citizen index
    bookings: list[dict] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.stack.ports['broker']}"

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.stack.ports['pg']}/motcua"


def token(client: httpx.Client, user: str) -> dict[str, str]:
    reply = client.post("/api/v1/auth/dev-token", json={"username": user, "password": "demo"})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def _workload(sec: SecurityStack) -> None:
    """What a morning at the ward looks like: online submissions (with e-mail), officers accepting some,
    kiosk and home-visit bookings, citizens following their dossiers; then wait for the receipts."""
    with httpx.Client(base_url=sec.stack.base_url, timeout=20) as client:
        operator = token(client, "vanhanh")  # staff are not rate-limited per address: one test client submits many
        officer = token(client, "canbo.saigon")
        for i, c in enumerate(sec.citizens[:30]):
            made = client.post("/api/v1/dossiers", json=submission(c, email=True),
                               headers={"Idempotency-Key": str(uuid.uuid4()), **operator})
            assert made.status_code == 201, made.text
            sec.dossiers.append({"code": made.json()["code"], "token": made.json()["public_token"], "citizen": i,
                                 "status": made.json()["status"]})
        for d in sec.dossiers[:10]:  # the next step: accepted (2), or being processed (4) when already accepted
            moved = client.post(f"/api/v1/dossiers/{d['code']}/transitions",
                                json={"to_status": 2 if d["status"] == 1 else 4, "expected_version": 1}, headers=operator)
            assert moved.status_code == 200, moved.text
        for d in sec.dossiers[:5]:
            assert client.get(f"/api/v1/dossiers/{d['code']}", params={"token": d["token"]}).status_code == 200
        kiosk = client.get("/api/v1/availability", params={"model": "kiosk", "ward": SAI_GON, "help_type": "vneid_level2",
                                                            "page_size": 20}).json()["items"]
        home = client.get("/api/v1/availability", params={"model": "home_visit", "ward": SAI_GON}).json()["items"]
        for i, c in enumerate(sec.citizens[30:42]):
            home_visit = i >= 10
            slot = (home if home_visit else kiosk)[i % 10]
            body = {"slot_id": slot["id"], "help_type": "vneid_level2", "channel": "web",
                    "citizen": {"full_name": c.full_name, "phone": c.phone,
                                "address": {"street": c.street, "ward_code": SAI_GON} if home_visit else {}},
                    "consent": {"accepted": True, "text_version": "2025-01"}}
            made = client.post("/api/v1/bookings", json=body, headers={"Idempotency-Key": str(uuid.uuid4()), **officer})
            assert made.status_code == 201, made.text
            sec.bookings.append(made.json())
        # Receipts: every dossier's citizen is told (ZNS/SMS and e-mail) before the logs are scanned.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            sent = httpx.get(f"{sec.fakes_url}/messages", params={"channel": "email", "limit": "1000"}, timeout=10).json()
            if sent["count"] >= len(sec.dossiers):
                break
            time.sleep(1)


@pytest.fixture(scope="package")
def security_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecurityStack]:
    tmp = tmp_path_factory.mktemp("security")
    env, ports = stack_env()
    # The public look-up limit stays at its default: enumeration is under test. Anonymous submissions too.
    for name in ("MOTCUA_DOSSIER_SUBMIT_RATE_PER_SECOND", "MOTCUA_DOSSIER_SUBMIT_BURST"):
        env.pop(name)
    stack = start_stack(tmp, env)
    STACK_LOGS.append(stack.log_path)
    sec = SecurityStack(stack, tmp, f"http://127.0.0.1:{ports['fakes_http']}", citizens(60))
    try:
        _workload(sec)
        yield sec
    finally:
        dump_events(sec.bootstrap, tmp / "events.jsonl")
        stop_stack(stack)
