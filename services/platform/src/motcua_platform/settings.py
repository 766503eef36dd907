"""Typed settings read once from `MOTCUA_*` environment variables.

Each service subclasses `ServiceSettings`, builds it once in its `app.py` through
`load_settings` and passes it down; nothing else reads the environment.
"""

from __future__ import annotations

import sys
from typing import Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
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
    kafka_fetch_max_wait_ms: int = Field(
        default=500, ge=1, le=10_000,
        description="How long a broker may hold a fetch that has no data yet. Apache Kafka answers as soon as a "
                    "record arrives, so this only bounds idle polling; the embedded tansu broker always holds the "
                    "fetch this long, so the dev stack sets 20 (event lag would otherwise average half of it)",
    )
    # Kafka security, applied to every producer, consumer and admin client (motcua_platform.kafka).
    # PLAINTEXT (the default) is what the embedded broker speaks.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = Field(default=None, validate_default=True)
    kafka_sasl_password: SecretStr | None = Field(default=None, validate_default=True)
    # The files are read at start (load_settings -> motcua_platform.kafka.configure_security).
    kafka_ssl_cafile: str | None = Field(default=None, description="PEM CA bundle of the brokers (SSL, SASL_SSL)")
    kafka_ssl_certfile: str | None = Field(default=None, description="client certificate (PEM) for mutual TLS")
    kafka_ssl_keyfile: str | None = Field(default=None, description="client private key (PEM) for mutual TLS")
    kafka_ssl_check_hostname: bool = True
    grpc_host: str = "0.0.0.0"
    grpc_port: int = Field(default=50050, ge=1, le=65535)
    metrics_port: int = Field(default=0, ge=0, le=65535, description="0 disables the metrics listener")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    otel_exporter_otlp_endpoint: str | None = None
    event_loop: Literal["uvloop", "asyncio"] = Field(
        default="uvloop", description="event loop of the gRPC services: uvloop (faster), or asyncio's own")
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=300)
    outbox_poll_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    outbox_linger_ms: int = Field(
        default=0, ge=0, le=1000,
        description="How long the outbox relay waits after a commit woke it, so events committed meanwhile go in "
                    "the same batch (fewer queries and produce requests per event, at the price of this much lag). "
                    "0 for services whose events others wait for (the dossier registry, the scheduler)")

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

    @field_validator("kafka_sasl_username", "kafka_sasl_password")
    @classmethod
    def _sasl_credentials(cls, value: object, info: ValidationInfo) -> object:
        protocol = info.data.get("kafka_security_protocol", "PLAINTEXT")
        empty = value is None or (value.get_secret_value() if isinstance(value, SecretStr) else value) == ""
        if protocol.startswith("SASL_") and empty:
            raise PydanticCustomError("required_for_sasl", "is required when MOTCUA_KAFKA_SECURITY_PROTOCOL is {protocol}",
                                      {"protocol": protocol})
        return value

    @model_validator(mode="after")
    def _client_certificate_pair(self) -> ServiceSettings:
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError("MOTCUA_KAFKA_SSL_CERTFILE and MOTCUA_KAFKA_SSL_KEYFILE go together")
        return self


S = TypeVar("S", bound=BaseSettings)


def env_name(loc: tuple[int | str, ...]) -> str:
    """Return the environment variable that a pydantic error location refers to."""
    return ENV_PREFIX + "__".join(str(part) for part in loc).upper()


def load_settings(cls: type[S], **overrides: object) -> S:
    """Build settings or exit with one line per bad variable (exit code 2).

    Also applies the Kafka security settings to every Kafka client of the process.
    """
    try:
        settings = cls(**overrides)
    except ValidationError as exc:
        for error in exc.errors():
            if not error["loc"]:  # a rule across settings: the message names them
                print(f"configuration error: {error['msg'].removeprefix('Value error, ')}", file=sys.stderr)
                continue
            name = env_name(error["loc"])
            reason = "is required but not set" if error["type"] == "missing" else error["msg"]
            print(f"configuration error: {name} {reason}", file=sys.stderr)
        raise SystemExit(2) from None
    if isinstance(settings, ServiceSettings):
        from motcua_platform.kafka import KafkaConfigError, configure_security

        try:
            configure_security(settings)
        except KafkaConfigError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
    return settings
