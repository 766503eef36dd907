"""Start the whole system on one machine: embedded Postgres and broker, topics, five services.

Every child runs in its own session with a parent-death signal, so that the
stack decides the shutdown order on Ctrl-C/SIGTERM and nothing outlives it even
when it is killed hard.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from motcua_platform.embedded.broker import EmbeddedBroker
from motcua_platform.embedded.postgres import EmbeddedPostgres
from motcua_platform.embedded.process import EmbeddedError, child_preexec, port_is_free, stop_process
from motcua_platform.kafka import contract_topics, ensure_topics

SERVICES = ("catalogue", "dossier", "scheduler", "notification", "gateway")
GRPC_SERVICES = ("catalogue", "dossier", "scheduler", "notification")
#: Local fakes of the message providers (Zalo OA, ZNS, SMS gateways, SMTP), started before the services.
FAKES = "notification-fakes"
_COLORS = {"postgres": 34, "broker": 35, "catalogue": 36, "dossier": 32, "scheduler": 33, "notification": 95, "gateway": 96,
           FAKES: 91, "stack": 1}
_print_lock = threading.Lock()


def say(source: str, line: str) -> None:
    """Print one line prefixed with its source, colored on a terminal."""
    prefix = f"{source:>12} |"
    if sys.stdout.isatty():
        prefix = f"\x1b[{_COLORS.get(source, 0)}m{prefix}\x1b[0m"
    with _print_lock:
        sys.stdout.write(f"{prefix} {line.rstrip()}\n")
        sys.stdout.flush()


def _pump(source: str, stream: IO[bytes]) -> None:
    for raw in iter(stream.readline, b""):
        say(source, raw.decode("utf-8", errors="replace"))
    stream.close()


#: How long `make run` waits for a default port held by a connection (not a listener) to be released.
PORT_WAIT_SECONDS = 15.0


def _listening(host: str, port: int) -> bool:
    """Whether something accepts connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


#: /proc/net/tcp state codes of the sockets that can hold a local port.
_TCP_STATES = {"01": "an established connection", "0A": "a listener", "06": "a closing connection",
               "08": "a closing connection", "02": "a connection being opened"}


def port_holders(host: str, port: int) -> list[str]:
    """Who holds host:port, as far as /proc tells: "a listener (pid 123: python -m motcua_notification)".

    Linux only; sockets of other users' processes are named without their process. Empty when nothing is found
    (another OS, or the socket went away meanwhile)."""
    v4 = f"{int.from_bytes(socket.inet_aton(host), 'little'):08X}"
    addresses = {f"{v4}:{port:04X}", f"00000000:{port:04X}",  # /proc/net/tcp: the host, any address
                 f"0000000000000000FFFF0000{v4}:{port:04X}", f"{'0' * 32}:{port:04X}"}  # tcp6: v4-mapped, any
    found: dict[str, str] = {}  # socket inode -> what
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as table:
                next(table)
                for line in table:
                    fields = line.split()
                    if fields[1] in addresses and fields[3] in _TCP_STATES:
                        found[fields[9]] = _TCP_STATES[fields[3]]
        except (OSError, StopIteration):
            continue
    owners: dict[str, str] = {}
    if found:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:[") and target[8:-1] in found and target[8:-1] not in owners:
                        with open(f"/proc/{pid}/cmdline", "rb") as cmd:
                            command = cmd.read().replace(b"\0", b" ").decode(errors="replace").strip()[:80]
                        owners[target[8:-1]] = f"pid {pid}: {command}"
            except OSError:  # gone meanwhile, or another user's
                continue
    return [f"{what} ({owners[inode]})" if inode in owners else what for inode, what in found.items()]


@dataclass
class StackConfig:
    """Where things listen; read once from the environment."""

    root: Path
    database_url: str | None
    kafka_bootstrap: str | None
    kafka_idempotence: bool | None
    data_dir: Path
    pg_port: int
    broker_port: int
    http_port: int
    grpc_base_port: int = 50051
    metrics_base_port: int = 9151
    host: str = "127.0.0.1"
    log_format: str = "console"
    extra_env: dict[str, str] = field(default_factory=dict)
    fakes_http_port: int = 8090
    fakes_smtp_port: int = 2525
    fakes_ports_fixed: bool = False  # set from the environment: never moved to a free port
    #: The notification service's inbound SMTP for bounces (DSN) and complaints; the fakes bounce to it.
    bounce_smtp_port: int = 2526
    bounce_port_fixed: bool = False
    #: The embedded PostgreSQL loads pg_stat_statements (`make bench` reports what statements cost).
    pg_statement_stats: bool = False

    @property
    def grpc_ports(self) -> dict[str, int]:
        return {svc: self.grpc_base_port + i for i, svc in enumerate(GRPC_SERVICES)}

    @property
    def metrics_ports(self) -> dict[str, int]:
        return {svc: self.metrics_base_port + i for i, svc in enumerate(GRPC_SERVICES)}

    @classmethod
    def from_env(cls, root: Path) -> StackConfig:
        env = os.environ
        idem = env.get("MOTCUA_KAFKA_IDEMPOTENCE")
        return cls(
            root=root,
            database_url=env.get("MOTCUA_DATABASE_URL") or None,
            kafka_bootstrap=env.get("MOTCUA_KAFKA_BOOTSTRAP") or None,
            kafka_idempotence=None if idem is None else idem.lower() in ("1", "true", "yes"),
            data_dir=Path(env.get("MOTCUA_DEV_DATA_DIR", root / ".data")).resolve(),
            pg_port=int(env.get("MOTCUA_DEV_PG_PORT", "54329")),
            broker_port=int(env.get("MOTCUA_DEV_BROKER_PORT", "19092")),
            http_port=int(env.get("MOTCUA_HTTP_PORT", "8080")),
            grpc_base_port=int(env.get("MOTCUA_DEV_GRPC_BASE_PORT", "50051")),
            metrics_base_port=int(env.get("MOTCUA_DEV_METRICS_BASE_PORT", "9151")),
            log_format=env.get("MOTCUA_LOG_FORMAT", "console"),
            fakes_http_port=int(env.get("MOTCUA_DEV_FAKES_HTTP_PORT", "8090")),
            fakes_smtp_port=int(env.get("MOTCUA_DEV_FAKES_SMTP_PORT", "2525")),
            fakes_ports_fixed="MOTCUA_DEV_FAKES_HTTP_PORT" in env or "MOTCUA_DEV_FAKES_SMTP_PORT" in env,
            bounce_smtp_port=int(env.get("MOTCUA_DEV_BOUNCE_SMTP_PORT", "2526")),
            bounce_port_fixed="MOTCUA_DEV_BOUNCE_SMTP_PORT" in env,
        )


class Stack:
    """The running system: embedded servers plus one process per service."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.postgres: EmbeddedPostgres | None = None
        self.broker: EmbeddedBroker | None = None
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.database_url = config.database_url or ""
        self.bootstrap = config.kafka_bootstrap or ""
        self.idempotence = bool(config.kafka_idempotence) if config.kafka_idempotence is not None else bool(
            config.kafka_bootstrap
        )
        self._stopping = False
        #: Extra replicas started by `start_service(..., name=...)`: name -> (service, extra environment).
        self._replicas: dict[str, tuple[str, dict[str, str]]] = {}
        # Secret of the delivery-receipt URLs shared by the notification service, the fakes and the gateway.
        self.callback_token = secrets.token_urlsafe(16)

    @property
    def fetch_max_wait_ms(self) -> int:
        """How long the services' consumers let the broker hold an empty fetch (MOTCUA_KAFKA_FETCH_MAX_WAIT_MS)."""
        return int(os.environ.get("MOTCUA_KAFKA_FETCH_MAX_WAIT_MS", "500" if self.config.kafka_bootstrap else "20"))

    # -- start -----------------------------------------------------------------------------------
    def check_ports(self) -> None:
        c = self.config
        wanted = {"gateway HTTP (MOTCUA_HTTP_PORT)": c.http_port}
        wanted |= {f"{svc} gRPC": port for svc, port in c.grpc_ports.items()}
        wanted |= {f"{svc} metrics": port for svc, port in c.metrics_ports.items()}
        if not c.database_url:
            wanted["embedded PostgreSQL (MOTCUA_DEV_PG_PORT)"] = c.pg_port
        if not c.kafka_bootstrap:
            wanted["embedded broker (MOTCUA_DEV_BROKER_PORT)"] = c.broker_port
        if c.fakes_ports_fixed:
            wanted |= {"provider fakes HTTP": c.fakes_http_port, "provider fakes SMTP": c.fakes_smtp_port}
        else:  # local dev endpoints: move to free ports when the usual ones are taken
            from motcua_platform.embedded.process import free_port

            c.fakes_http_port = c.fakes_http_port if port_is_free(c.host, c.fakes_http_port) else free_port()
            c.fakes_smtp_port = c.fakes_smtp_port if port_is_free(c.host, c.fakes_smtp_port) else free_port()
        if c.bounce_port_fixed:
            wanted["notification bounce SMTP (MOTCUA_DEV_BOUNCE_SMTP_PORT)"] = c.bounce_smtp_port
        elif not port_is_free(c.host, c.bounce_smtp_port):
            from motcua_platform.embedded.process import free_port

            c.bounce_smtp_port = free_port()
        # 50051-50054 lie in the kernel's range of ephemeral ports: an outgoing connection of
        # any program may hold one for a moment. A port that nothing listens on is waited for (briefly);
        # a listener (another `make run`) fails at once.
        deadline = time.monotonic() + PORT_WAIT_SECONDS
        while True:
            taken = {what: port for what, port in wanted.items() if not port_is_free(c.host, port)}
            if not taken:
                return
            if any(_listening(c.host, port) for port in taken.values()) or time.monotonic() >= deadline:
                busy = []
                for what, port in taken.items():
                    holders = port_holders(c.host, port)
                    busy.append(f"{what} {c.host}:{port}" + (f" held by {', '.join(holders)}" if holders else ""))
                raise EmbeddedError(
                    "ports already in use (another `make run`?): " + "; ".join(busy) + ". A connection holding a port "
                    "is another program's outgoing connection (the default ports lie in the kernel's range for "
                    "those): wait for it to end, or move the stack with MOTCUA_HTTP_PORT, MOTCUA_DEV_GRPC_BASE_PORT "
                    "and MOTCUA_DEV_METRICS_BASE_PORT")
            time.sleep(0.25)

    def start_infrastructure(self) -> None:
        c = self.config
        c.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.database_url:
            say("stack", f"starting the embedded PostgreSQL (data in {c.data_dir / 'postgres'})")
            self.postgres = EmbeddedPostgres(c.data_dir / "postgres", port=c.pg_port, host=c.host,
                                             statement_stats=c.pg_statement_stats)
            self.database_url = self._start_piped("postgres", self.postgres)
        else:
            asyncio.run(self._check_database())
        if not self.bootstrap:
            say("stack", "starting the embedded Kafka-wire broker (tansu, memory only)")
            self.broker = EmbeddedBroker(port=c.broker_port, host=c.host)
            self.bootstrap = self._start_piped("broker", self.broker)
        try:
            created = asyncio.run(ensure_topics(self.bootstrap, contract_topics(),
                                                timeout=30.0 if self.broker else 15.0))
        except ConnectionError as exc:
            raise EmbeddedError(f"the broker is not reachable (MOTCUA_KAFKA_BOOTSTRAP={self.bootstrap}): {exc}") from exc
        say("stack", f"topics ready ({len(created)} created)")

    async def _check_database(self) -> None:
        import asyncpg

        try:
            conn = await asyncpg.connect(self.database_url, timeout=10)
        except Exception as exc:
            raise EmbeddedError(
                f"the database refused the connection (MOTCUA_DATABASE_URL): {type(exc).__name__}: {exc}"
            ) from exc
        await conn.close()

    def _start_piped(self, source: str, server: EmbeddedPostgres | EmbeddedBroker) -> str:
        """Start an embedded server in THIS thread (its parent-death signal is tied to the
        spawning thread), its output going through a pipe to a prefixing pump thread."""
        read_fd, write_fd = os.pipe()
        threading.Thread(target=_pump, args=(source, os.fdopen(read_fd, "rb")), daemon=True).start()
        server.log = write_fd
        try:
            return server.start()
        finally:
            os.close(write_fd)

    def service_env(self, service: str) -> dict[str, str]:
        c = self.config
        env = dict(os.environ)
        env.update(
            {
                "MOTCUA_DATABASE_URL": self.database_url,
                "MOTCUA_KAFKA_BOOTSTRAP": self.bootstrap,
                "MOTCUA_KAFKA_IDEMPOTENCE": "true" if self.idempotence else "false",
                # The embedded broker holds every fetch for the full wait (Apache Kafka answers on arrival).
                "MOTCUA_KAFKA_FETCH_MAX_WAIT_MS": str(self.fetch_max_wait_ms),
                "MOTCUA_GRPC_HOST": c.host,
                "MOTCUA_LOG_FORMAT": c.log_format,
                "PYTHONUNBUFFERED": "1",
            }
        )
        # Links printed for people (receipt QR codes, receipt_url) point at this stack's gateway.
        env.setdefault("MOTCUA_PUBLIC_BASE_URL", f"http://{c.host}:{c.http_port}")
        if service in GRPC_SERVICES:
            env["MOTCUA_GRPC_PORT"] = str(c.grpc_ports[service])
            env["MOTCUA_METRICS_PORT"] = str(c.metrics_ports[service])
        else:
            env["MOTCUA_HTTP_HOST"] = c.host
            env["MOTCUA_HTTP_PORT"] = str(c.http_port)
            env.setdefault("MOTCUA_AUTH_DEV_ISSUER", "true")
            for svc, port in c.grpc_ports.items():
                env[f"MOTCUA_{svc.upper()}_TARGET"] = f"{c.host}:{port}"
        # Who calls whom by gRPC (DESIGN.md): every caller gets the targets of its callees.
        callees = {"dossier": ("catalogue",), "scheduler": ("catalogue",), "notification": ("dossier", "scheduler")}
        for callee in callees.get(service, ()):
            env[f"MOTCUA_{callee.upper()}_TARGET"] = f"{c.host}:{c.grpc_ports[callee]}"
        if service == "scheduler":
            # The demo ward (kiosks, bus route, volunteers, staff) and procedure checks against the catalogue.
            env.setdefault("MOTCUA_SCHEDULER_SEED_DEMO", "true")
        env.update(self._notification_env(service))
        env.update(c.extra_env)
        return env

    def _notification_env(self, service: str) -> dict[str, str]:
        """Point the notification service's providers at the local fakes, and receipts at the gateway."""
        c = self.config
        fakes, gateway = f"http://{c.host}:{c.fakes_http_port}", f"http://{c.host}:{c.http_port}"
        shared = {"MOTCUA_PROVIDER_CALLBACK_TOKEN": self.callback_token, "MOTCUA_ZALO__APP_ID": "motcua-dev-app",
                  "MOTCUA_ZALO__OA_SECRET_KEY": "motcua-dev-oa-secret"}
        if service == FAKES:
            return shared | {"MOTCUA_FAKES_HOST": c.host, "MOTCUA_FAKES_HTTP_PORT": str(c.fakes_http_port),
                             "MOTCUA_FAKES_SMTP_PORT": str(c.fakes_smtp_port), "MOTCUA_FAKES_GATEWAY_URL": gateway,
                             "MOTCUA_FAKES_BOUNCE_SMTP": f"{c.host}:{c.bounce_smtp_port}"}
        if service == "gateway":
            # Zalo OA webhook and eSMS MO (docs/channels.md): the dev keys tools/zalo_send.py signs with.
            return shared | {"MOTCUA_ZALO__API_BASE": fakes, "MOTCUA_ZALO__ACCESS_TOKEN": "dev-zalo-access-token",
                             "MOTCUA_SMS_MO__CPID": "motcua-dev-cp", "MOTCUA_SMS_MO__PRIVATE_KEY": "motcua-dev-mo-key"}
        if service != "notification":
            return {}
        return shared | {
            "MOTCUA_ZALO__OA_BASE_URL": fakes, "MOTCUA_ZALO__OAUTH_BASE_URL": fakes, "MOTCUA_ZALO__ZNS_BASE_URL": fakes,
            "MOTCUA_ZALO__APP_SECRET": "dev-app-secret", "MOTCUA_ZALO__ACCESS_TOKEN": "dev-zalo-access-token",
            "MOTCUA_ZALO__REFRESH_TOKEN": "dev-zalo-refresh-token", "MOTCUA_ESMS__BASE_URL": fakes,
            "MOTCUA_ESMS__API_KEY": "dev-key", "MOTCUA_ESMS__SECRET_KEY": "dev-secret", "MOTCUA_SPEEDSMS__BASE_URL": fakes,
            "MOTCUA_SPEEDSMS__ACCESS_TOKEN": "dev-token", "MOTCUA_SMTP__HOST": c.host,
            "MOTCUA_SMTP__PORT": str(c.fakes_smtp_port), "MOTCUA_PROVIDER_CALLBACK_BASE_URL": gateway,
            "MOTCUA_WEBHOOK_ALLOW_INSECURE_LOCALHOST": "true", "MOTCUA_PUBLIC_LOOKUP_URL": f"{gateway}/tra-cuu",
            # Bounces: VERP return path bounce+<tracking id>@bounces.motcua.local, received on our own SMTP port.
            "MOTCUA_BOUNCE_SMTP_HOST": c.host, "MOTCUA_BOUNCE_SMTP_PORT": str(c.bounce_smtp_port),
            "MOTCUA_SMTP__RETURN_PATH_DOMAIN": "bounces.motcua.local",
        }

    def start_service(self, service: str, *, name: str | None = None, env: dict[str, str] | None = None) -> None:
        """Start one service's process; `name` and `env` start another replica of it beside the first
        (the benchmarks run a second gateway on its own port, as Kubernetes runs at least two)."""
        if name is not None and name != service:
            self._replicas[name] = (service, dict(env or {}))
        name = name or service
        service, env = self._replicas.get(name, (service, dict(env or {})))  # supervise() restarts a replica by name
        module = ["motcua_notification", "fakes"] if service == FAKES else [f"motcua_{service}"]
        proc = subprocess.Popen(
            [sys.executable, "-m", *module],
            env={**self.service_env(service), **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=child_preexec(None, die_with_parent=True),
            cwd=self.config.root,
        )
        assert proc.stdout is not None
        threading.Thread(target=_pump, args=(name, proc.stdout), daemon=True).start()
        self.procs[name] = proc

    def stop_service(self, name: str, timeout: float = 30.0) -> None:
        """Stop one process (SIGTERM, then SIGKILL after `timeout`) and forget it, a replica included."""
        proc = self.procs.pop(name, None)
        self._replicas.pop(name, None)
        if proc is not None:
            stop_process(proc, signal.SIGTERM, timeout)

    def start_services(self) -> None:
        self.start_service(FAKES)
        say("stack", f"sent messages (fakes) http://{self.config.host}:{self.config.fakes_http_port}/  "
                     f"SMTP {self.config.host}:{self.config.fakes_smtp_port}")
        for service in SERVICES:
            self.start_service(service)

    def wait_ready(self, timeout: float = 180.0, *, port: int | None = None) -> float:
        """Poll the gateway's /readyz (on `port`: a replica's); return seconds waited. Raise when a service died
        or time ran out."""
        url = f"http://{self.config.host}:{port or self.config.http_port}/readyz"
        started = time.monotonic()
        last = ""
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() - started < timeout:
                for name, proc in self.procs.items():
                    if proc.poll() is not None:
                        raise EmbeddedError(f"{name} exited during start (code {proc.returncode}); see its lines above")
                try:
                    reply = client.get(url)
                    if reply.status_code == 200:
                        return time.monotonic() - started
                    last = str(reply.json().get("down"))
                except (httpx.HTTPError, ValueError):
                    last = "gateway not listening yet"
                time.sleep(0.25)
        raise EmbeddedError(f"the stack was not ready within {timeout:.0f}s (still down: {last})")

    # -- run ---------------------------------------------------------------------------------------
    def supervise(self, stop: threading.Event) -> None:
        """Restart a crashed service or broker until asked to stop."""
        restarts: dict[str, list[float]] = {}
        while not stop.wait(0.5):
            if self.broker is not None and not self.broker.is_running() and not self._stopping:
                say("stack", "the embedded broker stopped; restarting it (the outbox relays republish what it forgot)")
                try:
                    self.bootstrap = self._start_piped("broker", self.broker)
                    asyncio.run(ensure_topics(self.bootstrap, contract_topics()))
                except Exception as exc:
                    say("stack", f"broker restart failed: {exc}")
            for name, proc in list(self.procs.items()):
                if proc.poll() is None or self._stopping:
                    continue
                recent = [t for t in restarts.get(name, []) if time.monotonic() - t < 60]
                if len(recent) >= 5:
                    say("stack", f"{name} keeps crashing (5 times in a minute); not restarting it")
                    self.procs.pop(name)
                    continue
                say("stack", f"{name} exited with code {proc.returncode}; restarting it")
                restarts[name] = [*recent, time.monotonic()]
                self.start_service(name)

    # -- stop --------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop services (gateway first), then the broker, then Postgres. Never leaves a child behind."""
        self._stopping = True
        replicas = list(self._replicas)
        order = ["gateway", *replicas, *[s for s in SERVICES if s != "gateway"], FAKES]
        for name in order:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name in order:
            proc = self.procs.get(name)
            if proc is None:
                continue
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say("stack", f"{name} did not stop in time; killing it")
                proc.kill()
                proc.wait()
        self.procs.clear()
        self._replicas.clear()
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()
