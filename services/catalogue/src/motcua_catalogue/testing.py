"""Run the catalogue in-process for tests (its own and the gateway's): real Postgres, real gRPC server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from motcua.catalogue.v1 import catalogue_service_pb2_grpc as pb_grpc
from motcua_catalogue.app import MIGRATIONS, NAME
from motcua_catalogue.cache import ReadCache
from motcua_catalogue.domain import model as m
from motcua_catalogue.grpc_api import SERVICE_NAME, CatalogueServicer
from motcua_catalogue.service import CatalogueService
from motcua_platform.db import create_pool
from motcua_platform.embedded.process import free_port
from motcua_platform.grpc_server import GrpcServer
from motcua_platform.migrations import Track, apply_migrations, platform_track

TEST_ACTOR = m.Actor("officer-test", "officer")


@dataclass
class RunningCatalogue:
    service: CatalogueService
    pool: asyncpg.Pool
    server: GrpcServer
    schema: str

    @property
    def address(self) -> str:
        return self.server.address


async def migrate(postgres_url: str, schema: str) -> None:
    await apply_migrations(postgres_url, schema=schema, tracks=[platform_track(), Track(NAME, MIGRATIONS)])


@asynccontextmanager
async def running_catalogue(postgres_url: str, schema: str, *, load: Path | None = None,
                            cache_entries: int = 1000) -> AsyncIterator[RunningCatalogue]:
    """Migrate `schema`, optionally import and publish `load`, serve CatalogueService on a free port."""
    await migrate(postgres_url, schema)
    pool = await create_pool(postgres_url, schema=schema, max_size=5)
    service = CatalogueService(pool=pool, schema=schema, cache=ReadCache(cache_entries))
    if load is not None:
        content = await asyncio.to_thread(load.read_bytes)
        report = await service.import_document(content=content, fmt="csv" if load.suffix == ".csv" else "json",
                                               publish=True, actor=TEST_ACTOR)
        assert not report.errors, [str(e) for e in report.errors[:10]]
    server = GrpcServer(host="127.0.0.1", port=free_port(), service_names=[SERVICE_NAME])
    pb_grpc.add_CatalogueServiceServicer_to_server(CatalogueServicer(service), server.server)
    await server.start()
    await server.set_serving(True)
    try:
        yield RunningCatalogue(service, pool, server, schema)
    finally:
        await server.stop(0)
        await pool.close()
