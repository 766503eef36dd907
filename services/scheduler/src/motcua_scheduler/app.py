"""Wiring of the scheduler service: settings, migrations, gRPC servicers, background loops."""

from __future__ import annotations

from pathlib import Path

from motcua_platform.runtime import Runtime, ServiceApp
from motcua_platform.settings import load_settings
from motcua_scheduler.settings import Settings

NAME = "scheduler"
MIGRATIONS = Path(__file__).parent / "migrations"
TOPIC = "motcua.scheduler.events.v1"


async def wire(runtime: Runtime) -> None:
    """Register this service's gRPC servicers and consumers on the runtime."""
    # The domain RPCs of motcua.scheduler.v1.SchedulerService are registered here by the scheduler issue.


def build(settings: Settings | None = None) -> ServiceApp:
    settings = settings or load_settings(Settings)
    return ServiceApp(
        name=NAME,
        settings=settings,
        migrations_dir=MIGRATIONS,
        grpc_service_names=[],
        wire=wire,
        publishes_topics=[TOPIC],
    )
