"""`python -m motcua_gateway [serve|migrate]`."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys

import uvicorn

from motcua_gateway.app import NAME, create_app, tracks
from motcua_gateway.settings import Settings
from motcua_platform.logging import configure_logging, get_logger
from motcua_platform.migrations import MigrationError, apply_migrations
from motcua_platform.settings import load_settings
from motcua_platform.tracing import configure_tracing

log = get_logger(__name__)


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motcua_gateway")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    settings = load_settings(Settings)
    configure_logging(service=NAME, level=settings.log_level, fmt=settings.log_format)
    configure_tracing(service=NAME, otlp_endpoint=settings.otel_exporter_otlp_endpoint)
    try:
        asyncio.run(apply_migrations(settings.database_url, schema=NAME, tracks=tracks()))
    except MigrationError as exc:
        print(f"{NAME}: migrations refused: {exc}", file=sys.stderr)
        return 1
    except (TimeoutError, OSError) as exc:
        print(f"{NAME}: cannot connect to the database (MOTCUA_DATABASE_URL): {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # asyncpg errors (refused auth, missing database)
        print(f"{NAME}: cannot prepare the database (MOTCUA_DATABASE_URL): {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 1
    if args.command == "migrate":
        return 0
    try:
        sock = _bind(settings.http_host, settings.http_port)
    except OSError as exc:
        print(f"{NAME}: cannot listen on {settings.http_host}:{settings.http_port} (MOTCUA_HTTP_PORT): {exc.strerror}",
              file=sys.stderr)
        return 1
    config = uvicorn.Config(
        create_app(settings),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        limit_concurrency=4096,
        server_header=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
