"""Settings of the gateway (`MOTCUA_*` environment variables)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from motcua_platform.settings import ServiceSettings


class Settings(ServiceSettings):
    http_host: str = "0.0.0.0"
    http_port: int = Field(default=8080, ge=1, le=65535)
    catalogue_target: str = "127.0.0.1:50051"
    dossier_target: str = "127.0.0.1:50052"
    scheduler_target: str = "127.0.0.1:50053"
    notification_target: str = "127.0.0.1:50054"
    auth_issuer: str = "motcua-dev"
    auth_audience: str = "motcua-gateway"
    auth_hs256_secret: SecretStr | None = Field(default=None, description="shared secret for HS256 tokens")
    auth_public_key_pem: str | None = Field(default=None, description="PEM public key of the issuer (RS256/ES256)")
    auth_dev_issuer: bool = Field(default=False, description="serve POST /api/v1/auth/dev-token (development only)")
    readiness_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    readiness_cache_seconds: float = Field(default=1.0, ge=0, le=30)

    def grpc_targets(self) -> dict[str, str]:
        return {
            "catalogue": self.catalogue_target,
            "dossier": self.dossier_target,
            "scheduler": self.scheduler_target,
            "notification": self.notification_target,
        }
