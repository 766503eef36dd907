"""Wiring of the dossier service: settings, migrations, gRPC servicers, background loops."""

from __future__ import annotations

from pathlib import Path

from motcua_dossier.settings import Settings
from motcua_platform.runtime import Runtime, ServiceApp
from motcua_platform.settings import load_settings

NAME = "dossier"
MIGRATIONS = Path(__file__).parent / "migrations"
TOPIC = "motcua.dossier.events.v1"


async def wire(runtime: Runtime) -> None:
    """Register this service's gRPC servicers and consumers on the runtime."""
    # The domain RPCs of motcua.dossier.v1.DossierService are registered here by the dossier issue.


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
