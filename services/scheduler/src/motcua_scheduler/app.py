"""Wiring of the scheduler service: settings, migrations, gRPC servicer, background loops, demo seed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import cast

import asyncpg

from motcua.scheduler.v1 import scheduler_service_pb2_grpc as pb_grpc
from motcua_platform.runtime import Runtime, ServiceApp
from motcua_platform.settings import load_settings
from motcua_scheduler import repository as repo
from motcua_scheduler import seed
from motcua_scheduler.domain.model import ReminderKind
from motcua_scheduler.events import TOPIC
from motcua_scheduler.grpc_api import SERVICE_NAME, SchedulerServicer
from motcua_scheduler.loops import Ticker
from motcua_scheduler.procedures import ProcedureChecker
from motcua_scheduler.service import Policy, SchedulerService
from motcua_scheduler.settings import Settings
from motcua_scheduler.tokens import TokenSigner

NAME = "scheduler"
MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = ["MIGRATIONS", "NAME", "TOPIC", "build", "build_service", "policy_from", "wire"]


def policy_from(settings: Settings) -> Policy:
    return Policy(
        hold=timedelta(minutes=settings.scheduler_hold_minutes),
        lead=timedelta(minutes=settings.scheduler_booking_lead_minutes),
        horizon_days=settings.scheduler_booking_horizon_days,
        release=timedelta(hours=settings.scheduler_priority_release_hours),
        reminder_offsets=(
            (ReminderKind.DAY_BEFORE, timedelta(hours=settings.scheduler_reminder_day_before_hours)),
            (ReminderKind.HOURS_BEFORE, timedelta(hours=settings.scheduler_reminder_hours_before_hours)),
        ),
    )


async def build_service(settings: Settings, pool: asyncpg.Pool) -> SchedulerService:
    """The service with its token key (configured, or generated once and kept in the schema) and catalogue check."""
    if settings.scheduler_token_secret is not None:
        secret = settings.scheduler_token_secret.get_secret_value()
    else:
        async with pool.acquire() as conn:
            secret = await repo.token_secret(conn)
    procedures = ProcedureChecker(settings.catalogue_target) if settings.catalogue_target else None
    return SchedulerService(pool=pool, tokens=TokenSigner(secret), policy=policy_from(settings), procedures=procedures)


async def wire(runtime: Runtime) -> None:
    """Register the servicer, the sweeper (holds, reminders) and the planner; load the demo seed if asked."""
    settings = cast(Settings, runtime.settings)
    service = await build_service(settings, runtime.pool)
    if settings.scheduler_seed_demo:
        await seed.load_demo(service)

    async def sweep() -> None:
        await service.expire_holds()
        await service.send_reminders()
        await service.prune_idempotency_keys()

    sweeper = Ticker("sweeper", sweep, settings.scheduler_sweep_interval_seconds)
    planner = Ticker("planner", service.plan, settings.scheduler_planner_interval_seconds)
    runtime.add_background(sweeper.run, sweeper.stop)
    runtime.add_background(planner.run, planner.stop)
    if service.procedures is not None:
        runtime.stoppers.append(service.procedures.close)
    pb_grpc.add_SchedulerServiceServicer_to_server(SchedulerServicer(service), runtime.grpc.server)


def build(settings: Settings | None = None) -> ServiceApp:
    settings = settings or load_settings(Settings)
    return ServiceApp(
        name=NAME,
        settings=settings,
        migrations_dir=MIGRATIONS,
        grpc_service_names=[SERVICE_NAME],
        wire=wire,
        publishes_topics=[TOPIC],
    )
