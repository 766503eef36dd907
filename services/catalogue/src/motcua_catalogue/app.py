"""Wiring of the catalogue service: settings, migrations, gRPC servicers, background loops."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from motcua.catalogue.v1 import catalogue_service_pb2_grpc as pb_grpc
from motcua_catalogue import seed
from motcua_catalogue.cache import ChangeListener, ReadCache
from motcua_catalogue.events import TOPIC
from motcua_catalogue.grpc_api import SERVICE_NAME, CatalogueServicer
from motcua_catalogue.service import CatalogueService
from motcua_catalogue.settings import Settings
from motcua_platform.runtime import Runtime, ServiceApp
from motcua_platform.settings import load_settings

NAME = "catalogue"
MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = ["MIGRATIONS", "NAME", "TOPIC", "build", "wire"]


async def wire(runtime: Runtime) -> None:
    """Register this service's gRPC servicer, its cache listener, and load the demo seed into an empty catalogue."""
    settings = cast(Settings, runtime.settings)
    cache = ReadCache(settings.catalogue_cache_entries)
    listener = ChangeListener(dsn=settings.database_url, schema=runtime.schema, cache=cache)
    runtime.add_background(listener.run, listener.stop)
    service = CatalogueService(pool=runtime.pool, schema=runtime.schema, cache=cache,
                               fuzzy_threshold=settings.catalogue_fuzzy_threshold)
    if settings.catalogue_seed_demo:
        await seed.load_if_empty(service)
    pb_grpc.add_CatalogueServiceServicer_to_server(CatalogueServicer(service), runtime.grpc.server)


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
