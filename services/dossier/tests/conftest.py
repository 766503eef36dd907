"""Fixtures of the dossier tests: the service in-process on a fresh schema, a gRPC stub to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_dossier.testing import RunningDossier, running_dossier


@pytest.fixture
async def dossier(postgres_url: str, db_schema: str) -> AsyncIterator[RunningDossier]:
    async with running_dossier(postgres_url, db_schema, pool_size=20) as running:
        yield running


@pytest.fixture
async def stub(dossier: RunningDossier) -> AsyncIterator[pb_grpc.DossierServiceStub]:
    async with grpc.aio.insecure_channel(dossier.address) as channel:
        yield pb_grpc.DossierServiceStub(channel)


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Set the service clock: `frozen_now(datetime)`; returns the setter."""
    from datetime import datetime

    from motcua_dossier import service

    def set_now(moment: datetime) -> None:
        monkeypatch.setattr(service, "_now", lambda: moment)

    return set_now


@pytest.fixture
def outbox(dossier: RunningDossier):  # type: ignore[no-untyped-def]
    """Read the outbox rows: `await outbox()` → [(type, key, data dict)] in id order."""
    import json

    async def read() -> list[tuple[str, str, dict]]:
        rows = await dossier.pool.fetch("SELECT type, partition_key, data FROM outbox ORDER BY id")
        return [(r["type"], r["partition_key"], json.loads(bytes(r["data"]))) for r in rows]

    return read
