"""A crash leaves in `sending` only what was really in flight: claims never run ahead of the provider slots.

Regression test for resilience scenario 4 (tests-e2e/resilience/test_notification_killed_mid_send.py): the
worker used to claim (commit `sending`) up to `worker_concurrency` rows while only `worker_provider_concurrency`
calls per provider can run; when the process died, the rows still waiting for a provider slot looked like
calls in flight, and for ZNS (no idempotency key) the reconciler gave them up as `technical-failure` - the
citizen never got a message that was never sent.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from motcua_notification.fakes.server import FakeProviders, Hook
from motcua_notification.testing import DOSSIER_RECEIVED, ContactDirectory, dossier_received, env_of, migrate, spawn_child
from motcua_platform.db import create_pool

pytestmark = pytest.mark.integration

SLOTS = 4


async def test_zns_crash_abandons_only_the_calls_in_flight(
    topics: Any, make_settings: Callable[..., Any], db_schema: str, contacts: ContactDirectory, fakes: FakeProviders,
    publisher: Any, poll: Callable[..., Awaitable[Any]],
) -> None:
    settings = make_settings(sending_stale_seconds=1.0, worker_provider_concurrency=SLOTS, worker_concurrency=64)
    await migrate(settings.database_url, db_schema)
    env = {**os.environ, **env_of(settings), "MOTCUA_TEST_SCHEMA": db_schema, "MOTCUA_LOG_LEVEL": "WARNING"}
    pool = await create_pool(settings.database_url, schema=db_schema, max_size=2)
    phones = [f"+8492300{i:04d}" for i in range(16)]
    refs = [contacts.add(f"ct_{uuid.uuid4().hex}", phone=p) for p in phones]
    prefix = "000.00.04.H15-260301-"

    async def rows() -> list[Any]:
        return await pool.fetch("""SELECT n.dossier_code, d.channel, d.recipient, d.status, d.last_error_code FROM notifications n
                                   JOIN deliveries d ON d.notification_id = n.id WHERE n.dossier_code LIKE $1 || '%'""", prefix)

    def start_child() -> subprocess.Popen[bytes]:
        return spawn_child(env)

    for i, ref in enumerate(refs):  # published before the service starts: planned in one batch
        code = f"{prefix}{i:04d}"
        await publisher.publish(settings.dossier_topic, DOSSIER_RECEIVED, dossier_received(code, ref), key=code)
    child = await asyncio.to_thread(start_child)
    try:
        fakes.state.hooks["zalo_zns"] = Hook(action="sigkill", pid=child.pid, remaining=1, after=5)
        assert await asyncio.to_thread(child.wait, 30) == -9
        # Rows `sending` whose message the provider does not have: calls in flight, or claimed ahead of a free slot
        # (the bug). Rows whose call was answered but not recorded yet are `sending` too; they are not counted.
        at_provider = {m.recipient[-9:] for m in fakes.state.by_channel("zns")}
        unsent = [r for r in await rows() if r["status"] == "sending" and r["recipient"][-9:] not in at_provider]
        assert len(at_provider) >= 6 and len(unsent) <= SLOTS, unsent  # before the fix: 7 to 10

        child = await asyncio.to_thread(start_child)

        async def settled() -> list[Any]:
            found = await rows()
            zns = [r for r in found if r["channel"] == "zns"]
            stuck = [r for r in zns if r["last_error_code"] == "stuck_sending"]
            done = len(zns) == 16 and len(found) == 16 + len(stuck) \
                and all(r["status"] in ("sent", "delivered", "technical-failure") for r in found)
            return found if done else []

        final = await poll(settled, timeout=40)
        assert final, await rows()
        for phone in phones:
            assert len(fakes.state.by_channel("zns", phone[1:])) <= 1, phone
            assert len(fakes.state.by_channel("sms", "0" + phone[3:])) <= 1, phone
        # Every receipt went out once on ZNS, but for at most the calls in flight when the process died.
        assert len(fakes.state.by_channel("zns")) >= 16 - SLOTS
        zns_phones = {m.recipient[-9:] for m in fakes.state.by_channel("zns")}
        gaps = [r for r in final if r["channel"] == "zns" and r["recipient"][-9:] not in zns_phones]
        assert all(r["last_error_code"] == "stuck_sending" for r in gaps), gaps
        # A ZNS row whose outcome the crash made unknown is never sent again on ZNS: its receipt goes by SMS
        # (fallback_after_unknown_outcome), so no citizen is left without one.
        stuck = {r["recipient"][-9:] for r in final if r["last_error_code"] == "stuck_sending"}
        sms = {r["recipient"][-9:]: r["status"] for r in final if r["channel"] == "sms"}
        assert set(sms) == stuck and set(sms.values()) == {"sent"}, (stuck, sms)
        assert {m.recipient[-9:] for m in fakes.state.by_channel("sms")} == stuck
    finally:
        child.terminate()
        await asyncio.to_thread(child.wait, 20)
        await pool.close()
