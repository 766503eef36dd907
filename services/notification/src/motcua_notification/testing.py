"""Run the notification service in-process (or as a child process) for tests and benchmarks.

- `ContactDirectory`: a real gRPC server implementing `DossierService.ResolveContact` and
  `SchedulerService.ResolveContact` over the real protocol (a test double of the neighbours);
- `running_notification(...)`: migrations, pool, gRPC server, consumer, delivery and webhook
  workers and the outbox relay of one schema, like the service process;
- `python -m motcua_notification.testing serve`: the same in a child process (settings from the
  environment, schema from `MOTCUA_TEST_SCHEMA`), which a test may SIGKILL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import grpc
from pydantic import BaseModel

from motcua.common.v1 import common_pb2
from motcua.dossier.v1 import dossier_service_pb2 as dossier_pb2
from motcua.dossier.v1 import dossier_service_pb2_grpc as dossier_grpc
from motcua.notification.v1 import notification_service_pb2_grpc as pb_grpc
from motcua.scheduler.v1 import scheduler_service_pb2_grpc as scheduler_grpc
from motcua_notification.app import MIGRATIONS, NAME, Components, build_components
from motcua_notification.fakes.server import DEV_ACCESS_TOKEN, DEV_REFRESH_TOKEN, FakeProviders
from motcua_notification.grpc_api import SERVICE_NAME
from motcua_notification.outbound_events import TOPIC, WEBHOOK_DLT
from motcua_notification.settings import Settings
from motcua_platform.db import create_pool
from motcua_platform.embedded.process import free_port
from motcua_platform.grpc_server import GrpcServer
from motcua_platform.kafka import TopicSpec, contract_topics
from motcua_platform.migrations import Track, apply_migrations, platform_track
from motcua_platform.outbox import OutboxRelay


@dataclass
class ContactDirectory:
    """contact_ref -> ContactDetails, served over gRPC as both neighbours' ResolveContact."""

    contacts: dict[str, common_pb2.ContactDetails] = field(default_factory=dict)
    #: References looked up (one per ResolveContact, one per reference of a ResolveContacts call).
    calls: int = 0
    #: ResolveContacts calls.
    batch_calls: int = 0
    unavailable: bool = False
    #: False: the dossier double answers ResolveContacts UNIMPLEMENTED, as a registry older than it does.
    batch_rpc: bool = True
    server: GrpcServer | None = None

    def add(self, ref: str, *, phone: str = "", email: str = "", zalo_user_id: str = "", full_name: str = "Trần Văn An") -> str:
        self.contacts[ref] = common_pb2.ContactDetails(contact_ref=ref, phone=phone, email=email, zalo_user_id=zalo_user_id,
                                                       full_name=full_name)
        return ref

    async def _resolve(self, request: Any, context: grpc.aio.ServicerContext) -> common_pb2.ContactDetails:
        self.calls += 1
        if self.unavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "directory down (test)")
        found = self.contacts.get(request.contact_ref)
        if found is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "contact erased or unknown")
        return found

    async def _resolve_many(self, request: Any, context: grpc.aio.ServicerContext) -> dossier_pb2.ResolveContactsResponse:
        if not self.batch_rpc:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "Method not implemented!")
        self.calls += len(request.contact_refs)
        self.batch_calls += 1
        if self.unavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "directory down (test)")
        return dossier_pb2.ResolveContactsResponse(results=[
            dossier_pb2.ResolvedContact(contact_ref=ref, found=ref in self.contacts, contact=self.contacts.get(ref))
            for ref in request.contact_refs])

    async def start(self) -> str:
        directory = self

        class Dossier(dossier_grpc.DossierServiceServicer):
            async def ResolveContact(self, request: Any, context: grpc.aio.ServicerContext) -> common_pb2.ContactDetails:
                return await directory._resolve(request, context)

            async def ResolveContacts(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
                return await directory._resolve_many(request, context)

        class Scheduler(scheduler_grpc.SchedulerServiceServicer):
            async def ResolveContact(self, request: Any, context: grpc.aio.ServicerContext) -> common_pb2.ContactDetails:
                return await directory._resolve(request, context)

        self.server = GrpcServer(host="127.0.0.1", port=free_port())
        dossier_grpc.add_DossierServiceServicer_to_server(Dossier(), self.server.server)
        scheduler_grpc.add_SchedulerServiceServicer_to_server(Scheduler(), self.server.server)
        await self.server.start()
        await self.server.set_serving(True)
        return self.server.address

    @property
    def address(self) -> str:
        assert self.server is not None
        return self.server.address

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop(0)


def settings_for_test(*, postgres_url: str, kafka_bootstrap: str, idempotence: bool, fakes: FakeProviders | None,
                  contacts_address: str, suffix: str, **overrides: Any) -> Settings:
    """Settings of a service under test: fakes as providers, unique topics and group, short timings."""
    values: dict[str, Any] = {
        "database_url": postgres_url, "kafka_bootstrap": kafka_bootstrap, "kafka_idempotence": idempotence,
        "dossier_target": contacts_address, "scheduler_target": contacts_address,
        "consumer_group": f"test-notification-{suffix}", "dossier_topic": f"test.dossier.{suffix}",
        "scheduler_topic": f"test.scheduler.{suffix}", "dead_letter_topic": f"test.notification.dlt.{suffix}",
        "quiet_hours_start": None, "quiet_hours_end": None, "worker_poll_interval_seconds": 0.2,
        "retry_base_seconds": 0.1, "retry_max_seconds": 0.5, "retry_total_seconds": 20.0, "reconcile_interval_seconds": 0.5,
        "circuit_failure_threshold": 3, "circuit_open_seconds": 2.0, "provider_timeout_seconds": 3.0,
        "webhook_allow_insecure_localhost": True, "webhook_retry_base_seconds": 0.1, "webhook_retry_max_seconds": 0.5,
        "provider_callback_token": "test-callback-token", "outbox_poll_interval_seconds": 0.2,
        "kafka_fetch_max_wait_ms": 20,  # the embedded broker holds a fetch for the full wait
    }
    if fakes is not None:
        values |= {
            "zalo": {"oa_base_url": fakes.http_url, "oauth_base_url": fakes.http_url, "zns_base_url": fakes.http_url,
                     "app_id": fakes.settings.zalo.app_id, "app_secret": "test-app-secret", "access_token": DEV_ACCESS_TOKEN,
                     "refresh_token": DEV_REFRESH_TOKEN},
            "esms": {"base_url": fakes.http_url, "api_key": "test-key", "secret_key": "test-secret"},
            "speedsms": {"base_url": fakes.http_url, "access_token": "test-token"},
            "smtp": {"host": fakes.settings.fakes_host, "port": fakes.smtp_port},
        }
    values |= overrides
    return Settings(**values)


def env_of(settings: Settings) -> dict[str, str]:
    """The settings as `MOTCUA_*` variables (for a child process); None is written "null"."""

    def text(value: Any) -> str:
        if value is None:
            return "null"
        if hasattr(value, "get_secret_value"):
            return str(value.get_secret_value())
        return str(value).lower() if isinstance(value, bool) else str(value)

    env: dict[str, str] = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, BaseModel):
            for sub in type(value).model_fields:
                env[f"MOTCUA_{name.upper()}__{sub.upper()}"] = text(getattr(value, sub))
        else:
            env[f"MOTCUA_{name.upper()}"] = text(value)
    return env


@dataclass
class RunningNotification:
    settings: Settings
    pool: asyncpg.Pool
    parts: Components
    relay: OutboxRelay
    server: GrpcServer | None
    schema: str

    @property
    def address(self) -> str:
        assert self.server is not None
        return self.server.address


async def migrate(postgres_url: str, schema: str) -> None:
    await apply_migrations(postgres_url, schema=schema, tracks=[platform_track(), Track(NAME, MIGRATIONS)])


@asynccontextmanager
async def running_notification(settings: Settings, schema: str, *, grpc_server: bool = True, consumer: bool = True,
                               worker: bool = True) -> AsyncIterator[RunningNotification]:
    """Run the service's parts on `schema` until the block exits (stopped like the real process)."""
    await migrate(settings.database_url, schema)
    pool = await create_pool(settings.database_url, schema=schema, max_size=settings.database_pool_size)
    parts = await build_components(settings, pool=pool, schema=schema)
    specs = [s for s in contract_topics() if s.name in (TOPIC, WEBHOOK_DLT)]
    relay = OutboxRelay(dsn=settings.database_url, pool=pool, schema=schema, bootstrap=settings.kafka_bootstrap,
                        idempotence=settings.kafka_idempotence, topics=specs, poll_interval=settings.outbox_poll_interval_seconds,
                        linger=settings.outbox_linger_ms / 1000)
    server = None
    if grpc_server:
        server = GrpcServer(host="127.0.0.1", port=free_port(), service_names=[SERVICE_NAME])
        pb_grpc.add_NotificationServiceServicer_to_server(parts.servicer, server.server)
        await server.start()
        await server.set_serving(True)
    loops: list[tuple[asyncio.Task[None], Any]] = [(asyncio.create_task(relay.run()), relay.stop)]
    if parts.bounces is not None:
        await parts.bounces.start()
        loops.append((asyncio.create_task(parts.bounces.run()), parts.bounces.stop))
    if consumer:
        loops.append((asyncio.create_task(parts.consumer.run()), parts.consumer.stop))
    if worker:
        loops.append((asyncio.create_task(parts.worker.run()), parts.worker.stop))
        loops.append((asyncio.create_task(parts.webhooks.run()), parts.webhooks.stop))
    try:
        yield RunningNotification(settings, pool, parts, relay, server, schema)
    finally:
        if server is not None:
            await server.stop(0)
        for task, stop in reversed(loops):
            try:
                await asyncio.wait_for(stop(), 15)
            except Exception:
                task.cancel()
        for task, _ in loops:
            task.cancel()
        await asyncio.gather(*(t for t, _ in loops), return_exceptions=True)
        await parts.close()
        await pool.close()


def topic_specs_for(settings: Settings) -> list[TopicSpec]:
    return [TopicSpec(settings.dossier_topic, 6), TopicSpec(settings.scheduler_topic, 6)]


def spawn_child(env: dict[str, str], *, timeout: float = 60, log_path: str | None = None) -> subprocess.Popen[bytes]:
    """Start `python -m motcua_notification.testing serve` and return once it is ready (blocking).

    Its output is drained by a thread (a full pipe would block the child), into `log_path` when given."""
    child = subprocess.Popen([sys.executable, "-m", "motcua_notification.testing", "serve"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert child.stdout is not None
    lines: list[bytes] = []
    deadline = time.monotonic() + timeout
    for line in child.stdout:
        lines.append(line)
        if b"notification-child-ready" in line:
            threading.Thread(target=_drain, args=(child, log_path), daemon=True).start()
            return child
        if time.monotonic() > deadline:
            break
    child.kill()
    raise RuntimeError(f"the notification child did not start (exit {child.wait()}): {b''.join(lines[-20:]).decode()}")


def _drain(child: subprocess.Popen[bytes], log_path: str | None) -> None:
    assert child.stdout is not None
    if log_path is None:
        for _ in child.stdout:
            pass
        return
    with open(log_path, "ab") as out:
        for line in child.stdout:
            out.write(line)
            out.flush()


async def _serve_child(settings: Settings) -> None:
    schema = os.environ["MOTCUA_TEST_SCHEMA"]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_notification(settings, schema, grpc_server=False):
        print("notification-child-ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    import uvloop

    from motcua_platform.logging import configure_logging
    from motcua_platform.settings import load_settings

    if sys.argv[1:2] != ["serve"]:
        raise SystemExit("usage: python -m motcua_notification.testing serve")
    configure_logging(service="notification-child", level=os.environ.get("MOTCUA_LOG_LEVEL", "INFO"), fmt="json")
    child_settings = load_settings(Settings)
    # The event loop of the service process (MOTCUA_EVENT_LOOP, as `motcua_platform.runtime.main` picks it).
    with asyncio.Runner(loop_factory=uvloop.new_event_loop if child_settings.event_loop == "uvloop" else None) as runner:
        runner.run(_serve_child(child_settings))


# -- sample events ------------------------------------------------------------------------------------

def dossier_received(dossier_code: str, contact_ref: str, *, procedure_code: str = "1.001193.000.00.00.H15") -> Any:
    """A DossierReceived like the dossier service publishes it."""
    from google.protobuf.timestamp_pb2 import Timestamp

    from motcua.dossier.v1 import dossier_service_pb2 as dpb
    from motcua.events.v1 import dossier_events_pb2 as de

    now = Timestamp()
    now.GetCurrentTime()
    return de.DossierReceived(
        dossier_code=dossier_code, procedure_code=procedure_code, agency_code=dossier_code.split("-")[0],
        status=dpb.DOSSIER_STATUS_RECEIVED, status_code=2, status_label_vi="Được tiếp nhận", occurred_at=now,
        contact_ref=contact_ref, procedure_name="Thủ tục đăng ký khai sinh", procedure_version=1,
        channel=common_pb2.CHANNEL_COUNTER, received_at=now, due_label_vi="Chiều ngày 02/12/2026")


def booking_cancelled(booking_id: str, contact_ref: str) -> Any:
    """A BookingCancelled (urgent: not held back by quiet hours)."""
    from google.protobuf.timestamp_pb2 import Timestamp

    from motcua.events.v1 import scheduler_events_pb2 as se
    from motcua.scheduler.v1 import scheduler_service_pb2 as spb

    now = Timestamp()
    now.GetCurrentTime()
    return se.BookingCancelled(
        booking_id=booking_id, status=spb.BOOKING_STATUS_CANCELLED, model=spb.SERVICE_MODEL_KIOSK,
        help_type=spb.HELP_TYPE_VNEID_LEVEL2, occurred_at=now, contact_ref=contact_ref, reason="Điểm hỗ trợ tạm đóng cửa",
        slot=se.BookingSlotRef(slot_id="s1", point_id="p1", point_name="Nhà văn hoá khu phố 3", starts_at=now, ends_at=now))


DOSSIER_RECEIVED = "motcua.dossier.v1.received"
BOOKING_CANCELLED = "motcua.scheduler.v1.booking_cancelled"
