"""Settings of the catalogue service (`MOTCUA_*` environment variables)."""

from __future__ import annotations

from pydantic import Field

from motcua_platform.settings import ServiceSettings


class Settings(ServiceSettings):
    grpc_port: int = 50051
    metrics_port: int = 9151
    catalogue_seed_demo: bool = Field(
        default=True,
        description="Load the shipped demo catalogue at start when the catalogue is empty; set false in production",
    )
    catalogue_cache_entries: int = Field(default=1_000, ge=0, le=1_000_000, description="Read cache size; 0 disables it")
    catalogue_fuzzy_threshold: float = Field(
        default=0.55, gt=0, lt=1, description="pg_trgm word similarity a typo must reach in the last-resort search stage"
    )
