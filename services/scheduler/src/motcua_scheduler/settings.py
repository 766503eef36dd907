"""Settings of the scheduler service (`MOTCUA_*` environment variables)."""

from __future__ import annotations

from motcua_platform.settings import ServiceSettings


class Settings(ServiceSettings):
    grpc_port: int = 50053
    metrics_port: int = 9153
