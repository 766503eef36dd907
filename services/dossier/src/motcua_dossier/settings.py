"""Settings of the dossier service (`MOTCUA_*` environment variables)."""

from __future__ import annotations

from pydantic import Field

from motcua_platform.settings import ServiceSettings


class Settings(ServiceSettings):
    grpc_port: int = 50052
    metrics_port: int = 9152
    catalogue_target: str = Field(default="127.0.0.1:50051", description="CatalogueService gRPC address")
    public_base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Public base URL of the web site; receipts' QR codes open <this>/tra-cuu/<code>?token=...",
    )
    procedure_cache_seconds: float = Field(
        default=30.0, ge=0, le=3600, description="How long procedure facts from the catalogue are reused"
    )
    calendar_refresh_seconds: float = Field(
        default=60.0, ge=0, le=3600, description="How often the calendar_overrides table is re-read"
    )
    submit_batch_in_flight: int = Field(
        default=2, ge=0, le=16,
        description="Group commit: submissions checked meanwhile are registered together in one transaction, with at "
                    "most this many such transactions under way; 0 registers each submission in its own transaction",
    )
