"""`python -m motcua_devstack run|migrate|bench` — the commands behind `make run`, `make migrate`, `make bench`."""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from motcua_devstack.stack import SERVICES, Stack, StackConfig, say
from motcua_platform.embedded.process import EmbeddedError
from motcua_platform.logging import configure_logging


def _root() -> Path:
    here = Path.cwd()
    for candidate in [here, *here.parents]:
        if (candidate / "Makefile").exists() and (candidate / "services").is_dir():
            return candidate
    return here


def run(config: StackConfig) -> int:
    stack = Stack(config)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if not stop.is_set():
            say("stack", f"received {signal.Signals(signum).name}; stopping everything")
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    try:
        stack.check_ports()
        stack.start_infrastructure()
        if stop.is_set():
            return 130
        stack.start_services()
        waited = stack.wait_ready()
        c = config
        say("stack", f"database  {stack.database_url}")
        say("stack", f"broker    {stack.bootstrap} (idempotent producer: {'on' if stack.idempotence else 'off'})")
        say("stack", f"API       http://{c.host}:{c.http_port}/docs   (OpenAPI: /openapi.json)")
        say("stack", f"health    http://{c.host}:{c.http_port}/readyz  http://{c.host}:{c.http_port}/livez")
        for svc, port in c.grpc_ports.items():
            say("stack", f"gRPC      {svc:<13} {c.host}:{port}")
        say("stack", f"Một Cửa is ready after {time.monotonic() - started:.1f}s "
                     f"(services ready {waited:.1f}s after launch). Ctrl-C stops everything.")
        stack.supervise(stop)
        return 0
    except EmbeddedError as exc:
        say("stack", f"error: {exc}")
        return 1
    except Exception as exc:
        say("stack", f"error: {type(exc).__name__}: {exc}")
        return 1
    finally:
        stack.stop()
        say("stack", "stopped")


def migrate(config: StackConfig) -> int:
    stack = Stack(config)
    try:
        if not config.database_url:
            stack.config.kafka_bootstrap = stack.config.kafka_bootstrap or "127.0.0.1:9"  # migrations need no broker
            stack.bootstrap = stack.config.kafka_bootstrap
            from motcua_platform.embedded.postgres import EmbeddedPostgres

            stack.postgres = EmbeddedPostgres(config.data_dir / "postgres", port=config.pg_port, host=config.host)
            stack.database_url = stack.postgres.start()
        stack.bootstrap = stack.bootstrap or config.kafka_bootstrap or "127.0.0.1:9"
        for service in SERVICES:
            result = subprocess.run([sys.executable, "-m", f"motcua_{service}", "migrate"], env=stack.service_env(service))
            if result.returncode != 0:
                say("stack", f"{service}: migrations failed")
                return result.returncode
            say("stack", f"{service}: migrations up to date")
        return 0
    except EmbeddedError as exc:
        say("stack", f"error: {exc}")
        return 1
    finally:
        if stack.postgres is not None:
            stack.postgres.stop()


def bench(config: StackConfig, argv: list[str]) -> int:
    from motcua_devstack.bench import main as bench_main

    return bench_main(config, argv)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motcua_devstack")
    parser.add_argument("command", choices=["run", "migrate", "bench"])
    args, rest = parser.parse_known_args(argv)
    config = StackConfig.from_env(_root())
    configure_logging(service="stack", level="INFO", fmt="console")
    # The stack reports an unreachable broker in one line of its own; aiokafka would repeat it per retry.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    if args.command == "run":
        return run(config)
    if args.command == "migrate":
        return migrate(config)
    return bench(config, rest)


if __name__ == "__main__":
    sys.exit(main())
