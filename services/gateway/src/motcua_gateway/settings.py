"""Settings of the gateway (`MOTCUA_*` environment variables)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from motcua_platform.settings import ServiceSettings


class ZaloWebhookSettings(BaseModel):
    """Zalo OA webhook (`MOTCUA_ZALO__*`): verifies X-ZEvent-Signature; see docs/channels.md."""

    app_id: str = ""
    oa_secret_key: SecretStr | None = None
    #: The key being rotated out: signatures made with it are accepted until it is removed.
    oa_secret_key_previous: SecretStr | None = None
    #: Kept for parity with the notification service (which sends the replies through Zalo's API).
    access_token: SecretStr | None = None
    api_base: str = "https://openapi.zalo.me"
    #: Events whose body `timestamp` (milliseconds) is further than this from now are refused (replays).
    replay_window_seconds: float = Field(default=300.0, gt=0)


class SmsMoSettings(BaseModel):
    """Inbound SMS from eSMS's short-code service (`MOTCUA_SMS_MO__*`): `sign` = MD5(cpid+smsid+content+receiverTime+key)."""

    cpid: str = ""
    private_key: SecretStr | None = None
    private_key_previous: SecretStr | None = None
    #: MOs whose receiverTime (yyyyMMddhhmmss, Vietnam time) is older than this are refused (replays).
    replay_window_seconds: float = Field(default=3600.0, gt=0)


class ChannelSettings(BaseModel):
    """The Zalo/SMS inbox worker and conversations (`MOTCUA_CHANNELS__*`)."""

    worker_enabled: bool = True
    worker_concurrency: int = Field(default=8, ge=1, le=200)
    poll_interval_seconds: float = Field(default=0.5, gt=0)
    lease_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=8, ge=1)
    retry_base_seconds: float = Field(default=1.0, gt=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    #: A registration conversation left idle this long starts over.
    conversation_timeout_seconds: float = Field(default=1800.0, gt=0)
    #: Look-ups (#code, keyword search, SMS TC) per Zalo user / phone number.
    lookup_rate_per_second: float = Field(default=0.2, gt=0)
    lookup_burst: int = Field(default=10, ge=1)


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
    auth_jwks_url: str | None = Field(default=None, description="JWKS of the issuer (OIDC jwks_uri), fetched and cached")
    auth_jwks_file: str | None = Field(default=None, description="local JWKS file (tests, air-gapped installs)")
    auth_jwks_cache_seconds: float = Field(default=300.0, ge=0, le=86400)
    auth_jwks_refetch_cooldown_seconds: float = Field(
        default=30.0, ge=0, le=3600, description="least time between refetches caused by unknown key ids")
    auth_leeway_seconds: float = Field(default=5.0, ge=0, le=300, description="clock skew allowed on exp/iat/nbf")
    auth_citizen_id_claim: str = Field(
        default="id_number", min_length=1, max_length=64,
        description="claim of a citizen's token (role citizen) that holds the ID number the identity provider verified")
    # Gateway-wide hardening (motcua_gateway.hardening)
    http_max_body_bytes: int = Field(default=1_048_576, ge=1024, description="larger request bodies get 413")
    http_cors_origins: list[str] = Field(default_factory=list, description="browser origins allowed (CORS); none by default")
    http_hsts: bool = Field(default=False, description="send Strict-Transport-Security (set when served over https)")
    #: Secret in the delivery-receipt URLs given to the SMS providers (they do not sign callbacks).
    provider_callback_token: SecretStr | None = None
    zalo: ZaloWebhookSettings = ZaloWebhookSettings()
    sms_mo: SmsMoSettings = SmsMoSettings()
    channels: ChannelSettings = ChannelSettings()
    public_cache_seconds: float = Field(
        default=5.0, ge=0, le=300,
        description="How long the gateway may repeat an anonymous catalogue answer (search, procedure, fields, "
                    "agencies) from memory; 0 turns the cache off (public_cache.py)")
    lookup_batch_in_flight: int = Field(
        default=2, ge=0, le=64,
        description="Public dossier look-ups are sent to the dossier service in batched calls (GetPublicStatuses): "
                    "a look-up starts a call while fewer than this many are under way, else it joins the next one "
                    "(batching.py); 0 sends one GetPublicStatus call per look-up")
    submit_call_batch_in_flight: int = Field(
        default=2, ge=0, le=64,
        description="Dossier submissions are sent to the dossier service in batched calls (SubmitDossiers): a "
                    "submission starts a call while fewer than this many are under way, else it joins the next one "
                    "(batching.py); 0 sends one SubmitDossier call per submission")
    receipt_call_batch_in_flight: int = Field(
        default=2, ge=0, le=64,
        description="Providers' delivery receipts (/api/v1/provider-callbacks) are sent to the notification service in "
                    "batched calls (RecordProviderReceipts): a receipt starts a call while fewer than this many are under "
                    "way, else it joins the next one (batching.py); 0 sends one RecordProviderReceipt call per receipt")
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
    #: Key of the officer console's CSRF tokens; set it (same value) when several replicas serve /console.
    console_csrf_secret: SecretStr | None = Field(default=None, description="HMAC key of the console's CSRF tokens")

    def grpc_targets(self) -> dict[str, str]:
        return {
            "catalogue": self.catalogue_target,
            "dossier": self.dossier_target,
            "scheduler": self.scheduler_target,
            "notification": self.notification_target,
        }
