"""Run the scheduler in-process for tests (its own and the gateway's): real Postgres, real gRPC server.

Also small builders of points and slots at chosen times, and a clock tests can move.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg

from motcua.scheduler.v1 import scheduler_service_pb2_grpc as pb_grpc
from motcua_platform.db import create_pool
from motcua_platform.embedded.process import free_port
from motcua_platform.grpc_server import GrpcServer
from motcua_platform.migrations import Track, apply_migrations, platform_track
from motcua_scheduler import repository as repo
from motcua_scheduler.app import MIGRATIONS, NAME
from motcua_scheduler.domain import model as m
from motcua_scheduler.grpc_api import SERVICE_NAME, SchedulerServicer
from motcua_scheduler.service import CitizenInput, Policy, SchedulerService, SlotRef
from motcua_scheduler.tokens import TokenSigner

WARD = m.Ward("26740", "Phường Sài Gòn", "79", "Thành phố Hồ Chí Minh")
OTHER_WARD = m.Ward("26734", "Phường Tân Định", "79", "Thành phố Hồ Chí Minh")
OFFICER = m.Actor("canbo.test", "officer", "Cán bộ kiểm thử")
CONSENT = m.Consent("assisted_help_booking", datetime(2026, 1, 1, tzinfo=UTC), "2025-01")
TEST_SECRET = "test-secret-of-at-least-16-bytes"


class Clock:
    """A clock tests move by hand; starts at the real time unless told otherwise."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class RunningScheduler:
    service: SchedulerService
    pool: asyncpg.Pool
    server: GrpcServer | None
    schema: str
    clock: Clock
    _points: set[str] = field(default_factory=set)

    @property
    def address(self) -> str:
        assert self.server is not None
        return self.server.address

    async def point(self, point_id: str, model: m.Model = m.Model.KIOSK, *, ward: m.Ward = WARD,
                    help_types: Sequence[m.HelpType] = (), served: Sequence[str] = (), route_id: str = "",
                    windows: Sequence[m.Window] = ()) -> str:
        """Create a point (once) in the test ward."""
        if point_id not in self._points:
            if route_id:
                await self.service.configure(routes=[(route_id, f"Tuyến {route_id}", None)])
            await self.service.configure_point(
                m.Point(point_id, model, f"Điểm {point_id}", ward, street="1 Lê Lợi", help_types=tuple(help_types),
                        served_wards=tuple(served), route_id=route_id), windows)
            self._points.add(point_id)
        return point_id

    async def slot(self, point_id: str, starts_at: datetime, *, minutes: int = 30, capacity: int = 1,
                   reserved: int = 0, help_types: Sequence[m.HelpType] = (), stop: bool = False) -> str:
        """Insert one slot (and its bus stop window when `stop`) directly; return its id."""
        slot_id = f"{point_id}-{uuid.uuid4().hex[:10]}"
        async with self.pool.acquire() as conn, conn.transaction():
            point = await repo.get_point(conn, point_id)
            assert point is not None, point_id
            stop_id = None
            if stop:
                stop_id = f"stop-{slot_id}"
                await repo.insert_route_stop(conn, stop_id=stop_id, route_id=point.route_id, point_id=point_id,
                                             starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes))
            await repo.insert_slots(conn, [repo.NewSlot(
                id=slot_id, point_id=point_id, model=str(point.model), starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes), capacity=capacity, priority_reserved=reserved,
                help_types=[str(h) for h in help_types] or [str(h) for h in point.help_types], stop_id=stop_id)])
        return slot_id

    async def book(self, slot_id: str, *, phone: str | None = None, priority: bool = False,
                   help_type: m.HelpType = m.HelpType.VNEID_LEVEL2, key: str | None = None,
                   street: str = "", ward: str = "") -> str:
        """Book a slot for a fresh citizen; return the booking id."""
        result = await self.service.create_booking(
            key=key or f"test-{uuid.uuid4().hex}", ref=SlotRef(slot_id=slot_id),
            citizen=CitizenInput("Nguyễn Văn Thử", phone or random_phone(), street, ward), help_type=help_type,
            priority=priority, consent=CONSENT)
        return result.booking.id


def random_phone() -> str:
    return "09" + str(uuid.uuid4().int)[:8]


async def migrate(postgres_url: str, schema: str) -> None:
    await apply_migrations(postgres_url, schema=schema, tracks=[platform_track(), Track(NAME, MIGRATIONS)])


@asynccontextmanager
async def running_scheduler(postgres_url: str, schema: str, *, clock: Clock | None = None, policy: Policy | None = None,
                            grpc: bool = True, pool_size: int = 10,
                            wards: Sequence[m.Ward] = (WARD, OTHER_WARD)) -> AsyncIterator[RunningScheduler]:
    """Migrate `schema`, build the service (test clock and policy), serve SchedulerService on a free port."""
    await migrate(postgres_url, schema)
    pool = await create_pool(postgres_url, schema=schema, min_size=1, max_size=pool_size)
    clock = clock or Clock()
    service = SchedulerService(pool=pool, tokens=TokenSigner(TEST_SECRET), policy=policy or Policy(), clock=clock)
    await service.configure(wards=wards)
    server = None
    if grpc:
        server = GrpcServer(host="127.0.0.1", port=free_port(), service_names=[SERVICE_NAME])
        pb_grpc.add_SchedulerServiceServicer_to_server(SchedulerServicer(service), server.server)
        await server.start()
        await server.set_serving(True)
    try:
        yield RunningScheduler(service, pool, server, schema, clock)
    finally:
        if server is not None:
            await server.stop(0)
        await pool.close()
