"""Wiring of the dossier service: settings, migrations, gRPC servicers, background loops."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_dossier.catalogue import CatalogueClient
from motcua_dossier.events import TOPIC
from motcua_dossier.grpc_api import SERVICE_NAME, DossierServicer
from motcua_dossier.service import CalendarProvider, DossierService
from motcua_dossier.settings import Settings
from motcua_platform.runtime import Runtime, ServiceApp
from motcua_platform.settings import load_settings

NAME = "dossier"
MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = ["MIGRATIONS", "NAME", "TOPIC", "build", "wire"]


async def wire(runtime: Runtime) -> None:
    """Register DossierService on the runtime's gRPC server (the runtime already relays the outbox of TOPIC)."""
    settings = cast(Settings, runtime.settings)
    catalogue = CatalogueClient(settings.catalogue_target, ttl=settings.procedure_cache_seconds)
    runtime.stoppers.append(catalogue.close)
    service = DossierService(
        pool=runtime.pool,
        catalogue=catalogue,
        calendar=CalendarProvider(runtime.pool, refresh_seconds=settings.calendar_refresh_seconds),
        public_base_url=settings.public_base_url,
        submit_batch_in_flight=settings.submit_batch_in_flight,
    )
    runtime.stoppers.append(service.close)
    pb_grpc.add_DossierServiceServicer_to_server(DossierServicer(service), runtime.grpc.server)


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
