"""Prometheus metrics: a listener per service process (the gateway serves /metrics itself)."""

from __future__ import annotations

from prometheus_client import start_http_server


def start_metrics_server(port: int, host: str = "0.0.0.0") -> None:
    """Serve /metrics on `port`; 0 disables it. Raises OSError when the port is taken."""
    if port:
        start_http_server(port, addr=host)
