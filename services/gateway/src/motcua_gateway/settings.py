"""Settings of the gateway (`MOTCUA_*` environment variables)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from motcua_platform.settings import ServiceSettings


class ZaloWebhookSettings(BaseModel):
    """Zalo OA webhook (`MOTCUA_ZALO__APP_ID`, `MOTCUA_ZALO__OA_SECRET_KEY`): verifies X-ZEvent-Signature."""

    app_id: str = ""
    oa_secret_key: SecretStr | None = None


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
    #: Secret in the delivery-receipt URLs given to the SMS providers (they do not sign callbacks).
    provider_callback_token: SecretStr | None = None
    zalo: ZaloWebhookSettings = ZaloWebhookSettings()
    readiness_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    readiness_cache_seconds: float = Field(default=1.0, ge=0, le=30)
    public_base_url: str = Field(default="http://127.0.0.1:8080",
                                 description="Public base URL of the site, for links such as receipt_url")
    dossier_lookup_rate_per_second: float = Field(default=5.0, gt=0, description="Public dossier look-ups per client IP")
    dossier_lookup_burst: int = Field(default=30, ge=1)
    dossier_submit_rate_per_second: float = Field(default=1.0, gt=0, description="Anonymous submissions per client IP")
    dossier_submit_burst: int = Field(default=10, ge=1)
    scheduling_write_rate_per_second: float = Field(
        default=1.0, gt=0, description="Anonymous booking writes (holds, bookings, moves, cancels) per client IP")
    scheduling_write_burst: int = Field(default=20, ge=1)
    rate_limit_trust_forwarded_for: bool = Field(default=False,
                                                 description="Key rate limits on X-Forwarded-For (behind a trusted proxy)")

    def grpc_targets(self) -> dict[str, str]:
        return {
            "catalogue": self.catalogue_target,
            "dossier": self.dossier_target,
            "scheduler": self.scheduler_target,
            "notification": self.notification_target,
        }
