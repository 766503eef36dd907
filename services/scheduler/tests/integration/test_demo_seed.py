"""The demo ward of `make run`: what it contains, relative to today, and that loading it twice changes nothing."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from motcua_scheduler import seed
from motcua_scheduler.domain.calendar import VIETNAM
from motcua_scheduler.testing import Clock, RunningScheduler

pytestmark = pytest.mark.integration


async def counts(db: asyncpg.Connection) -> dict[str, int]:
    return {t: await db.fetchval(f"SELECT count(*) FROM {t}")
            for t in ("service_point", "resource", "route_stop", "slot", "booking", "resource_commitment")}


async def test_demo_ward_is_complete_and_idempotent(scheduler: RunningScheduler, clock: Clock,
                                                    db: asyncpg.Connection) -> None:
    await seed.load_demo(scheduler.service)
    first = await counts(db)
    await seed.load_demo(scheduler.service)
    assert await counts(db) == first

    kinds = dict(await db.fetch("SELECT kind, count(*) FROM resource GROUP BY kind"))
    assert kinds == {"staff": 3, "volunteer": 6, "vehicle": 1}
    models = dict(await db.fetch("SELECT model, count(*) FROM service_point GROUP BY model"))
    assert models["kiosk"] == 2 and models["mobile_bus"] == 4 and models["home_visit"] == 1
    # Kiosks: evenings 17:30-20:30 on weekdays and weekend hours, in Vietnam time.
    starts = [r["starts_at"].astimezone(VIETNAM) for r in await db.fetch(
        "SELECT starts_at FROM slot WHERE point_id = 'kiosk-saigon-kp3' ORDER BY starts_at")]
    weekday_times = {(s.hour, s.minute) for s in starts if s.isoweekday() <= 5}
    assert min(weekday_times) == (17, 30) and max(weekday_times) == (20, 0)
    assert any(s.isoweekday() >= 6 and s.hour == 8 for s in starts)
    # The bus: outskirts every Wednesday, the export processing zone on Tuesdays and Fridays, for the next weeks.
    stops = await db.fetch("SELECT route_id, starts_at FROM route_stop")
    days = {(r["route_id"], r["starts_at"].astimezone(VIETNAM).isoweekday()) for r in stops}
    assert days == {("tuyen-ngoai-thanh", 3), ("tuyen-kcx-tan-thuan", 2), ("tuyen-kcx-tan-thuan", 5)}
    assert max(r["starts_at"] for r in stops) - clock.now > timedelta(days=28)
    assert await db.fetchval("SELECT count(*) FROM slot WHERE resource_id IS NOT NULL") > 0  # volunteers' weekends
    assert await db.fetchval("SELECT count(*) FROM booking WHERE status = 'requested'") == 2
    assert await db.fetchval("SELECT count(*) FROM slot WHERE booked > capacity") == 0
