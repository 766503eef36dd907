"""Wiring of the notification service: settings, migrations, gRPC servicer, consumer, worker loops."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from motcua.notification.v1 import notification_service_pb2_grpc as pb_grpc
from motcua_notification import repository
from motcua_notification.bounces import BounceReceiver
from motcua_notification.consumers import EventHandler
from motcua_notification.contacts import ContactResolver
from motcua_notification.crypto import SecretBox, development_key, parse_key
from motcua_notification.domain.default_templates import default_templates
from motcua_notification.domain.retry import CircuitBreaker
from motcua_notification.domain.templates import validate
from motcua_notification.grpc_api import SERVICE_NAME, NotificationServicer
from motcua_notification.outbound_events import TOPIC, WEBHOOK_DLT
from motcua_notification.providers.base import Provider
from motcua_notification.providers.esms import EsmsClient
from motcua_notification.providers.http import HttpClient
from motcua_notification.providers.smtp import SmtpClient
from motcua_notification.providers.speedsms import SpeedSmsClient
from motcua_notification.providers.zalo import ZaloCsClient, ZaloTokens, ZnsClient
from motcua_notification.service import NotificationService
from motcua_notification.settings import Settings
from motcua_notification.webhooks import WebhookWorker
from motcua_notification.worker import DeliveryWorker, TemplateCache
from motcua_platform.consumer import Consumer
from motcua_platform.db import create_pool
from motcua_platform.logging import get_logger
from motcua_platform.runtime import Runtime, ServiceApp
from motcua_platform.settings import load_settings

NAME = "notification"
MIGRATIONS = Path(__file__).parent / "migrations"

log = get_logger(__name__)


def build_providers(settings: Settings, pool: asyncpg.Pool, http: HttpClient) -> dict[str, Provider]:
    """One client per provider, keyed by the provider name recorded on each delivery."""
    z = settings.zalo

    async def load() -> tuple[str, str] | None:
        async with pool.acquire() as conn:
            return await repository.load_tokens(conn, provider="zalo_oa")

    async def save(access: str, refresh: str, expires_in: int) -> None:
        async with pool.acquire() as conn:
            await repository.save_tokens(conn, provider="zalo_oa", access_token=access, refresh_token=refresh,
                                         expires_in=expires_in)

    tokens = ZaloTokens(oauth_base_url=z.oauth_base_url, app_id=z.app_id, app_secret=z.app_secret.get_secret_value(),
                        bootstrap_access=z.access_token.get_secret_value(), bootstrap_refresh=z.refresh_token.get_secret_value(),
                        load=load, save=save, client=http)
    token = settings.provider_callback_token.get_secret_value()
    callback = f"{settings.provider_callback_base_url.rstrip('/')}/api/v1/provider-callbacks/esms/{token}"
    providers: list[Provider] = [
        ZaloCsClient(base_url=z.oa_base_url, tokens=tokens, client=http),
        ZnsClient(base_url=z.zns_base_url, tokens=tokens, client=http),
        EsmsClient(base_url=settings.esms.base_url, api_key=settings.esms.api_key.get_secret_value(),
                   secret_key=settings.esms.secret_key.get_secret_value(), brandname=settings.esms.brandname,
                   callback_url=callback, client=http),
        SpeedSmsClient(base_url=settings.speedsms.base_url, access_token=settings.speedsms.access_token.get_secret_value(),
                       sender=settings.speedsms.sender, client=http),
        SmtpClient(host=settings.smtp.host, port=settings.smtp.port, sender=settings.smtp.sender,
                   username=settings.smtp.username, password=settings.smtp.password.get_secret_value(),
                   use_tls=settings.smtp.use_tls, start_tls=settings.smtp.start_tls, timeout=settings.provider_timeout_seconds,
                   return_path_domain=settings.smtp.return_path_domain),
    ]
    return {p.name: p for p in providers}


@dataclass
class Components:
    """Everything the service runs, built once per process (or per test)."""

    service: NotificationService
    worker: DeliveryWorker
    webhooks: WebhookWorker
    consumer: Consumer
    servicer: NotificationServicer
    resolver: ContactResolver
    http: HttpClient
    consumer_pool: asyncpg.Pool
    #: Inbound SMTP for bounces and complaints (None when `bounce_smtp_port` is 0).
    bounces: BounceReceiver | None = None

    async def close(self) -> None:
        await self.resolver.close()
        await self.http.close()
        await self.consumer_pool.close()


async def seed_templates(pool: asyncpg.Pool, settings: Settings) -> int:
    """Store version 1 of every default template that has no version yet; return how many were stored."""
    stored = 0
    async with pool.acquire() as conn:
        for template in default_templates():
            valid = validate(template, sms_unicode=settings.sms_unicode, sms_max_segments=max(settings.sms_max_segments, 1))
            if await repository.insert_template(conn, template=valid, first_only=True):
                stored += 1
    return stored


async def build_components(settings: Settings, *, pool: asyncpg.Pool, schema: str) -> Components:
    key = parse_key(settings.webhook_secret_key.get_secret_value())
    if key is None:
        log.warning("webhook_secret_key_missing", detail="using the development key; set MOTCUA_WEBHOOK_SECRET_KEY")
        key = development_key()
    box = SecretBox(key)
    seeded = await seed_templates(pool, settings)
    if seeded:
        log.info("templates_seeded", count=seeded)
    http = HttpClient(timeout=settings.provider_timeout_seconds, max_connections=settings.worker_concurrency * 2)
    resolver = ContactResolver(dossier_target=settings.dossier_target, scheduler_target=settings.scheduler_target,
                               timeout=settings.resolve_contact_timeout_seconds,
                               early_limit=settings.resolve_contact_concurrency,
                               batch_in_flight=settings.resolve_contact_batch_in_flight)
    webhooks = WebhookWorker(pool=pool, settings=settings, box=box)
    worker = DeliveryWorker(
        pool=pool, dsn=settings.database_url, schema=schema, settings=settings, resolver=resolver,
        providers=build_providers(settings, pool, http),
        breaker=CircuitBreaker(threshold=settings.circuit_failure_threshold, open_seconds=settings.circuit_open_seconds),
        templates=TemplateCache(pool), on_webhook_work=webhooks.wake,
    )
    service = NotificationService(pool=pool, settings=settings, worker=worker, box=box)
    # The consumer has its own few connections: a busy delivery worker must not starve it (lag).
    consumer_pool = await create_pool(settings.database_url, schema=schema, max_size=settings.consumer_pool_size,
                                      application_name="motcua-notification-consumer")
    events_handler = EventHandler(lookup_url=settings.public_lookup_url, prefetch=resolver.prefetch)
    consumer = Consumer(
        name=settings.consumer_group, pool=consumer_pool, bootstrap=settings.kafka_bootstrap,
        topics=[settings.dossier_topic, settings.scheduler_topic],
        handler=events_handler, chunk_handler=events_handler.chunk,
        idempotence=settings.kafka_idempotence,
        dead_letter_topic=settings.dead_letter_topic, client_id=f"{settings.kafka_client_id}-notification",
    )
    bounces = None
    if settings.bounce_smtp_port:
        if not settings.smtp.return_path_domain:
            log.warning("bounce_receiver_without_return_path", detail="set MOTCUA_SMTP__RETURN_PATH_DOMAIN or bounces "
                        "cannot name their delivery (only the returned headers can)")
        bounces = BounceReceiver(worker=worker, host=settings.bounce_smtp_host, port=settings.bounce_smtp_port,
                                 domain=settings.smtp.return_path_domain or "localhost")
    return Components(service=service, worker=worker, webhooks=webhooks, consumer=consumer,
                      servicer=NotificationServicer(service), resolver=resolver, http=http,
                      consumer_pool=consumer_pool, bounces=bounces)


async def wire(runtime: Runtime) -> None:
    """Register the gRPC servicer, the consumer, the delivery and webhook workers on the runtime."""
    settings = runtime.settings
    assert isinstance(settings, Settings)
    parts = await build_components(settings, pool=runtime.pool, schema=runtime.schema)
    pb_grpc.add_NotificationServiceServicer_to_server(parts.servicer, runtime.grpc.server)
    runtime.add_background(parts.consumer.run, parts.consumer.stop)
    if parts.bounces is not None:
        await parts.bounces.start()  # a port already taken fails the start, in one line
        runtime.add_background(parts.bounces.run, parts.bounces.stop)
    runtime.health_checks.append(lambda: parts.consumer.healthy)
    if settings.worker_enabled:
        runtime.add_background(parts.worker.run, parts.worker.stop)
        runtime.add_background(parts.webhooks.run, parts.webhooks.stop)
    closed = asyncio.Event()

    async def close() -> None:
        await parts.close()
        closed.set()

    runtime.add_background(closed.wait, close)


def build(settings: Settings | None = None) -> ServiceApp:
    settings = settings or load_settings(Settings)
    return ServiceApp(
        name=NAME,
        settings=settings,
        migrations_dir=MIGRATIONS,
        grpc_service_names=[SERVICE_NAME],
        wire=wire,
        publishes_topics=[TOPIC, WEBHOOK_DLT],
    )
