"""Fixtures of the catalogue's integration tests: a migrated schema, the service, a real gRPC server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import grpc
import pytest

from motcua.catalogue.v1 import catalogue_service_pb2_grpc as pb_grpc
from motcua_catalogue.service import CatalogueService
from motcua_catalogue.testing import RunningCatalogue, running_catalogue

SMALL_CATALOGUE = Path(__file__).parent.parent / "fixtures" / "small_catalogue.json"


@pytest.fixture
async def empty_catalogue(postgres_url: str, db_schema: str) -> AsyncIterator[RunningCatalogue]:
    async with running_catalogue(postgres_url, db_schema) as running:
        yield running


@pytest.fixture
async def catalogue(postgres_url: str, db_schema: str) -> AsyncIterator[RunningCatalogue]:
    """The small test catalogue (18 procedures), imported and published."""
    async with running_catalogue(postgres_url, db_schema, load=SMALL_CATALOGUE) as running:
        yield running


@pytest.fixture
def service(catalogue: RunningCatalogue) -> CatalogueService:
    return catalogue.service


@pytest.fixture
async def stub(catalogue: RunningCatalogue) -> AsyncIterator[pb_grpc.CatalogueServiceStub]:
    async with grpc.aio.insecure_channel(catalogue.address) as channel:
        yield pb_grpc.CatalogueServiceStub(channel)


@pytest.fixture
async def db(postgres_url: str, db_schema: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection into the test schema, for looking behind the service's back."""
    conn = await asyncpg.connect(postgres_url, server_settings={"search_path": f"{db_schema}, public"})
    try:
        yield conn
    finally:
        await conn.close()
