"""Settings of the notification service (`MOTCUA_*` environment variables).

Provider settings are nested (`MOTCUA_ZALO__OA_BASE_URL`, `MOTCUA_ESMS__API_KEY`, ...).
Every base URL is a setting: `make run` points them at the local fakes
(`python -m motcua_notification fakes`), production at the providers.
"""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from motcua_platform.settings import ServiceSettings


class ZaloSettings(BaseModel):
    """Zalo Official Account (customer-service messages) and ZNS (template messages by phone)."""

    oa_base_url: str = "https://openapi.zalo.me"
    oauth_base_url: str = "https://oauth.zaloapp.com"
    zns_base_url: str = "https://business.openapi.zalo.me"
    app_id: str = ""
    #: The app's secret key, sent as the `secret_key` header of the refresh-token call.
    app_secret: SecretStr = SecretStr("")
    #: Bootstrap tokens; once refreshed, the current pair lives in the database (refresh tokens are single use).
    access_token: SecretStr = SecretStr("")
    refresh_token: SecretStr = SecretStr("")
    #: Reply window after the citizen's last message to the OA, in which customer-service messages are allowed.
    cs_window_hours: float = Field(default=48.0, gt=0, le=24 * 30)
    #: Customer-service messages allowed per reply window.
    cs_quota_per_window: int = Field(default=8, ge=0, le=1000)
    cs_cost_vnd: int = Field(default=0, ge=0)
    zns_cost_vnd: int = Field(default=300, ge=0)


class EsmsSettings(BaseModel):
    """eSMS.vn brandname SMS (customer-care type 2): the primary SMS provider."""

    base_url: str = "https://rest.esms.vn"
    api_key: SecretStr = SecretStr("")
    secret_key: SecretStr = SecretStr("")
    brandname: str = "MOTCUA"
    cost_vnd: int = Field(default=750, ge=0)


class SpeedSmsSettings(BaseModel):
    """SpeedSMS.vn brandname SMS: the secondary SMS provider, used when eSMS keeps failing."""

    base_url: str = "https://api.speedsms.vn"
    access_token: SecretStr = SecretStr("")
    sender: str = "MOTCUA"
    cost_vnd: int = Field(default=700, ge=0)


class SmtpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    username: str = ""
    password: SecretStr = SecretStr("")
    use_tls: bool = False
    start_tls: bool | None = None
    sender: str = "Một Cửa <no-reply@motcua.gov.vn>"
    #: Domain of the return path (VERP `bounce+<tracking id>@<domain>`) whose mail reaches the bounce receiver;
    #: empty: the envelope sender is the From address and bounces are not matched to deliveries.
    return_path_domain: str = ""


class Settings(ServiceSettings):
    # "null" in a variable means None (e.g. MOTCUA_QUIET_HOURS_START=null: no default quiet hours).
    model_config = SettingsConfigDict(**{**ServiceSettings.model_config, "env_parse_none_str": "null"})

    grpc_port: int = 50054
    metrics_port: int = 9154
    #: Nobody waits on notification.v1 events within milliseconds: the relay batches what 25 ms of sending commits.
    outbox_linger_ms: int = Field(default=25, ge=0, le=1000)

    dossier_target: str = "127.0.0.1:50052"
    scheduler_target: str = "127.0.0.1:50053"
    resolve_contact_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    #: ResolveContact calls in flight at once (more only queues them at the neighbour and risks its deadline).
    resolve_contact_concurrency: int = Field(default=16, ge=1, le=1000)
    #: Dossier contacts looked up together go in one ResolveContacts call, at most this many calls at once;
    #: 0: one ResolveContact call per contact.
    resolve_contact_batch_in_flight: int = Field(default=2, ge=0, le=64)

    #: Public page where citizens look a dossier up (put in message texts).
    public_lookup_url: str = "https://motcua.gov.vn/tra-cuu"

    consumer_group: str = "motcua-notification"
    #: Connections of the Kafka consumer (its own pool, apart from the worker's).
    consumer_pool_size: int = Field(default=4, ge=1, le=50)
    #: Not used since the worker batches its writes (it holds one connection per loop: plan, claim, record);
    #: kept so that existing configuration stays valid.
    worker_db_concurrency: int = Field(default=8, ge=1, le=200)
    dossier_topic: str = "motcua.dossier.events.v1"
    scheduler_topic: str = "motcua.scheduler.events.v1"
    dead_letter_topic: str = "motcua.notification.dlt"

    # -- delivery worker -------------------------------------------------------------------------
    worker_enabled: bool = True
    worker_concurrency: int = Field(default=64, ge=1, le=1000, description="provider calls in flight")
    #: Provider calls in flight per provider (eSMS, ZNS, SMTP...), within `worker_concurrency`; also the keep-alive
    #: connections a provider needs.
    worker_provider_concurrency: int = Field(default=16, ge=1, le=1000)
    #: Provider answers that may wait for the result writer at once; beyond it no new call starts (back-pressure).
    #: A process killed before recording them leaves at most this many rows (+ the calls in flight) whose outcome
    #: is unknown, so a slow result writer cannot turn one crash into hundreds of unknown outcomes.
    worker_unrecorded_max: int = Field(default=32, ge=1, le=10_000)
    #: Batches planned at once: while one waits for its ResolveContact answers, the notifications committed meanwhile
    #: are claimed and planned by another instead of waiting for it (lag under load).
    worker_plan_concurrency: int = Field(default=2, ge=1, le=16)
    #: Notifications planned, deliveries claimed and outcomes recorded per transaction (at most).
    worker_batch_size: int = Field(default=200, ge=1, le=5000)
    worker_poll_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    provider_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    #: A delivery that keeps failing with retryable errors for longer than this becomes technical-failure.
    retry_total_seconds: float = Field(default=3600.0, gt=0)
    #: A delivery left in `sending` longer than this was abandoned by a crashed worker and is reconciled.
    sending_stale_seconds: float = Field(default=120.0, gt=0)
    fallback_after_unknown_outcome: bool = Field(
        default=True,
        description="When a call's outcome is unknown (the worker died during it, or it timed out after the request "
                    "left) and the provider has no idempotency key, the row becomes technical-failure and is never "
                    "sent again on that channel; with this on, the citizen's next route (ZNS -> SMS) is tried, so a "
                    "receipt is never silently lost, at the price of a possible second message on another channel")
    reconcile_interval_seconds: float = Field(default=10.0, gt=0)
    #: A planning step (contact resolution) that keeps failing this long makes the notification fail.
    plan_retry_total_seconds: float = Field(default=3600.0, gt=0)
    plan_lease_seconds: float = Field(default=30.0, gt=0)
    #: A notification whose planning itself fails (not a neighbour's outage) this many times is failed (`plan_error`).
    plan_max_attempts: int = Field(default=8, ge=1)

    # -- SMS -------------------------------------------------------------------------------------
    #: False: SMS without diacritics in GSM-7 (160 characters a segment). True: Vietnamese with
    #: diacritics in UCS-2 (70 characters a segment, 67 when concatenated), at twice the cost or more.
    sms_unicode: bool = False
    sms_max_segments: int = Field(default=1, ge=1, le=5)
    sms_primary: str = "esms"
    sms_secondary: str = "speedsms"
    circuit_failure_threshold: int = Field(default=5, ge=1)
    circuit_open_seconds: float = Field(default=30.0, gt=0)

    # -- policy ----------------------------------------------------------------------------------
    #: Quiet hours (Asia/Ho_Chi_Minh) for non-urgent messages when the citizen set none.
    quiet_hours_start: time | None = time(21, 0)
    quiet_hours_end: time | None = time(7, 0)
    email_cost_vnd: int = Field(default=0, ge=0)

    # -- providers -------------------------------------------------------------------------------
    zalo: ZaloSettings = ZaloSettings()
    esms: EsmsSettings = EsmsSettings()
    speedsms: SpeedSmsSettings = SpeedSmsSettings()
    smtp: SmtpSettings = SmtpSettings()
    #: Public base URL of the gateway, where providers post delivery receipts.
    provider_callback_base_url: str = "http://127.0.0.1:8080"
    #: Shared secret in the receipt URLs given to SMS providers (they do not sign their callbacks).
    provider_callback_token: SecretStr = SecretStr("")

    # -- e-mail bounces and complaints -------------------------------------------------------------
    #: Inbound SMTP listener for bounces (DSN) and feedback-loop complaints (0: off). See bounces.py.
    bounce_smtp_port: int = Field(default=0, ge=0, le=65535)
    bounce_smtp_host: str = "127.0.0.1"

    # -- webhooks --------------------------------------------------------------------------------
    #: 32-byte key (hex or urlsafe base64) encrypting subscription secrets at rest (AES-256-GCM).
    webhook_secret_key: SecretStr = SecretStr("")
    #: Development only: allow http://localhost / 127.0.0.1 subscription URLs.
    webhook_allow_insecure_localhost: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_concurrency: int = Field(default=16, ge=1, le=500)
    webhook_retry_base_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    #: A delivery still failing after this long is given up (parked on the dead-letter topic).
    webhook_retry_total_seconds: float = Field(default=24 * 3600.0, gt=0)
    #: A subscription is disabled after this many failed deliveries in a row...
    webhook_disable_after_failures: int = Field(default=100, ge=1)
    #: ...that span at least this long (a burst of failures in one minute does not disable it).
    webhook_disable_after_seconds: float = Field(default=24 * 3600.0, ge=0)

    @field_validator("sms_primary", "sms_secondary")
    @classmethod
    def _sms_provider(cls, value: str) -> str:
        if value not in ("esms", "speedsms", ""):
            raise ValueError("must be esms or speedsms")
        return value
