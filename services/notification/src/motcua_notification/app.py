"""Wiring of the notification service: settings, migrations, gRPC servicers, background loops."""

from __future__ import annotations

from pathlib import Path

from motcua_notification.settings import Settings
from motcua_platform.runtime import Runtime, ServiceApp
from motcua_platform.settings import load_settings

NAME = "notification"
MIGRATIONS = Path(__file__).parent / "migrations"
TOPIC = "motcua.notification.events.v1"


async def wire(runtime: Runtime) -> None:
    """Register this service's gRPC servicers and consumers on the runtime."""
    # The domain RPCs of motcua.notification.v1.NotificationService are registered here by the notification issue.


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
