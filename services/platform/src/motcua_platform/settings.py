"""Typed settings read once from `MOTCUA_*` environment variables.

Each service subclasses `ServiceSettings`, builds it once in its `app.py` through
`load_settings` and passes it down; nothing else reads the environment.
"""

from __future__ import annotations

import sys
from typing import Literal, TypeVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "MOTCUA_"


class ServiceSettings(BaseSettings):
    """Settings every service process needs."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="ignore",
        frozen=True,
    )

    database_url: str = Field(description="PostgreSQL URL, e.g. postgresql://motcua@127.0.0.1:5432/motcua")
    database_pool_size: int = Field(default=10, ge=1, le=200)
    kafka_bootstrap: str = Field(description="Kafka bootstrap servers, comma separated host:port")
    kafka_idempotence: bool = Field(
        default=True,
        description="Idempotent producer; must be false for the embedded tansu broker",
    )
    kafka_client_id: str = "motcua"
    grpc_host: str = "0.0.0.0"
    grpc_port: int = Field(default=50050, ge=1, le=65535)
    metrics_port: int = Field(default=0, ge=0, le=65535, description="0 disables the metrics listener")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    otel_exporter_otlp_endpoint: str | None = None
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=300)
    outbox_poll_interval_seconds: float = Field(default=1.0, gt=0, le=60)

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("kafka_bootstrap")
    @classmethod
    def _bootstrap(cls, value: str) -> str:
        for part in value.split(","):
            host, sep, port = part.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError("must be host:port[,host:port...]")
        return value


S = TypeVar("S", bound=BaseSettings)


def env_name(loc: tuple[int | str, ...]) -> str:
    """Return the environment variable that a pydantic error location refers to."""
    return ENV_PREFIX + "__".join(str(part) for part in loc).upper()


def load_settings(cls: type[S], **overrides: object) -> S:
    """Build settings or exit with one line per bad variable (exit code 2)."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        for error in exc.errors():
            name = env_name(error["loc"])
            reason = "is required but not set" if error["type"] == "missing" else error["msg"]
            print(f"configuration error: {name} {reason}", file=sys.stderr)
        raise SystemExit(2) from None
