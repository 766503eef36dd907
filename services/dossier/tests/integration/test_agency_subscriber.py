"""The reference agency subscriber receives, through the real relay and broker, what another agency would."""

from __future__ import annotations

import asyncio
import contextlib
import io

import pytest

from motcua_dossier import agency_subscriber
from motcua_dossier.events import TOPIC
from motcua_dossier.testing import BIRTH, RunningDossier, submit_request
from motcua_platform.kafka import TopicSpec
from motcua_platform.outbox import OutboxRelay

pytestmark = pytest.mark.integration


async def test_the_police_sees_its_linked_dossier_without_personal_data(
    dossier: RunningDossier, stub, postgres_url: str, kafka_bootstrap: str, kafka_idempotence: bool  # type: ignore[no-untyped-def]
) -> None:
    relay = OutboxRelay(dsn=postgres_url, pool=dossier.pool, schema=dossier.schema, bootstrap=kafka_bootstrap,
                        idempotence=kafka_idempotence, topics=[TopicSpec(TOPIC, 6)], poll_interval=0.2)
    relay_task = asyncio.create_task(relay.run())
    reply = await stub.SubmitDossier(submit_request("agency-0001", procedure_code=BIRTH, birth=(2026, 1, 2)))
    residence_code = reply.dossier.linked_codes[0]
    seen: list[dict] = []
    stop = asyncio.Event()

    def on_line(item: dict) -> None:
        seen.append(item)
        if any(s["data"]["dossierCode"] == residence_code and s["type"].endswith("linked_created") for s in seen):
            stop.set()

    out = io.StringIO()
    subscriber = asyncio.create_task(agency_subscriber.run(
        bootstrap=kafka_bootstrap, group=f"police-{dossier.schema}", agencies={"000.20.41.H29"}, types=set(), out=out,
        stop=stop, on_line=on_line))
    try:
        await asyncio.wait_for(stop.wait(), 60)
    finally:
        stop.set()
        await asyncio.wait_for(subscriber, 20)
        await relay.stop()
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay_task
    mine = [s for s in seen if s["data"]["dossierCode"] == residence_code]
    assert [s["type"] for s in mine] == ["motcua.dossier.v1.received", "motcua.dossier.v1.linked_created"]
    assert all(s["key"] == residence_code and s["source"] == "/motcua/dossier" for s in mine)
    assert mine[1]["data"]["parentCode"] == reply.dossier.code
    assert all(s["data"]["agencyCode"] == "000.20.41.H29" for s in seen)  # the filter kept the police's events only
    assert "Trần" not in out.getvalue() and "0912" not in out.getvalue()
