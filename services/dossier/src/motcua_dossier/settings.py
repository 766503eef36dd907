"""Settings of the dossier service (`MOTCUA_*` environment variables)."""

from __future__ import annotations

from motcua_platform.settings import ServiceSettings


class Settings(ServiceSettings):
    grpc_port: int = 50052
    metrics_port: int = 9152
