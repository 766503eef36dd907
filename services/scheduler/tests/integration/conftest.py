"""Fixtures of the scheduler's integration tests: a migrated schema, the service with a movable clock, a gRPC stub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import grpc
import pytest

from motcua.scheduler.v1 import scheduler_service_pb2_grpc as pb_grpc
from motcua_scheduler.testing import Clock, RunningScheduler, running_scheduler

pytestmark = pytest.mark.integration

#: A fixed "now" (a Monday, 09:00 in Vietnam) so that tests do not depend on the day they run.
NOW = datetime(2030, 3, 4, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def scheduler(postgres_url: str, db_schema: str, clock: Clock) -> AsyncIterator[RunningScheduler]:
    async with running_scheduler(postgres_url, db_schema, clock=clock) as running:
        yield running


@pytest.fixture
async def stub(scheduler: RunningScheduler) -> AsyncIterator[pb_grpc.SchedulerServiceStub]:
    async with grpc.aio.insecure_channel(scheduler.address) as channel:
        yield pb_grpc.SchedulerServiceStub(channel)


@pytest.fixture
async def db(postgres_url: str, db_schema: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection into the test schema, for looking behind the service's back."""
    conn = await asyncpg.connect(postgres_url, server_settings={"search_path": f"{db_schema}, public"})
    try:
        yield conn
    finally:
        await conn.close()


def later(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)
