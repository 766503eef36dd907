"""Start and stop a stack like `make run`, on free ports with its own data folder (for black-box tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from motcua_platform.embedded.process import free_port

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    ports: dict[str, int]
    ready_seconds: float

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _free_block(size: int) -> int:
    """Return the first port of `size` consecutive free ports."""
    import socket

    for _ in range(50):
        base = free_port()
        if base + size >= 65535:
            continue
        socks = []
        try:
            for port in range(base, base + size):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no block of free ports")


#: What the stack says when a port picked as free was taken by another process before it bound it.
_PORT_RACE = ("ports already in use", "cannot listen on", "already in use")


def start_stack(tmp_path: Path, extra_env: dict[str, str] | None = None, timeout: float = 240) -> RunningStack:
    """Start a stack; when a port chosen as free is taken meanwhile (parallel test runs), try once more."""
    try:
        return _start_stack(tmp_path, extra_env, timeout)
    except _PortRace:
        try:
            return _start_stack(tmp_path, extra_env, timeout)
        except _PortRace as again:
            pytest.fail(f"the stack could not bind its ports, twice:\n{again}")


class _PortRace(Exception):
    pass


def stack_ports() -> dict[str, int]:
    """Free ports for every listener of a `make run` stack (its defaults, 50051-50054 and others, lie in the
    kernel's ephemeral range, where another test's stack may hold them)."""
    return {
        "http": free_port(),
        "pg": free_port(),
        "broker": free_port(),
        "grpc_base": _free_block(4),
        "metrics_base": _free_block(4),
        "fakes_http": free_port(),
        "fakes_smtp": free_port(),
        "bounce_smtp": free_port(),
    }


def stack_port_env(ports: dict[str, int]) -> dict[str, str]:
    """The `make run` settings that put its listeners on `ports` (from `stack_ports`)."""
    return {
        "MOTCUA_DEV_PG_PORT": str(ports["pg"]),
        "MOTCUA_DEV_BROKER_PORT": str(ports["broker"]),
        "MOTCUA_HTTP_PORT": str(ports["http"]),
        "MOTCUA_DEV_GRPC_BASE_PORT": str(ports["grpc_base"]),
        "MOTCUA_DEV_METRICS_BASE_PORT": str(ports["metrics_base"]),
        # The provider fakes on free ports too, so stacks of parallel runs never meet at 8090/2525.
        "MOTCUA_DEV_FAKES_HTTP_PORT": str(ports["fakes_http"]),
        "MOTCUA_DEV_FAKES_SMTP_PORT": str(ports["fakes_smtp"]),
        "MOTCUA_DEV_BOUNCE_SMTP_PORT": str(ports["bounce_smtp"]),
    }


def _start_stack(tmp_path: Path, extra_env: dict[str, str] | None, timeout: float) -> RunningStack:
    ports = stack_ports()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env.update(
        {
            "MOTCUA_DEV_DATA_DIR": str(tmp_path / "data"),
            **stack_port_env(ports),
            "MOTCUA_LOG_FORMAT": "json",
            # The flows expect their messages now, whatever the hour the suite runs: quiet hours (21:00-07:00
            # Vietnam time by default) would hold every non-urgent Zalo/SMS message until the morning.
            "MOTCUA_QUIET_HOURS_START": "null",
            "MOTCUA_QUIET_HOURS_END": "null",
        }
    )
    env.update(extra_env or {})
    log_path = tmp_path / "stack.log"
    log = open(log_path, "wb")  # noqa: SIM115 - the process owns it
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "motcua_devstack", "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack = RunningStack(proc, f"http://127.0.0.1:{ports['http']}", log_path, ports, 0.0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            if any(marker in stack.log() for marker in _PORT_RACE):
                raise _PortRace(stack.log()[-2000:])
            pytest.fail(f"the stack exited early with {proc.returncode}:\n{stack.log()[-4000:]}")
        if "Một Cửa is ready" in stack.log():
            stack.ready_seconds = time.monotonic() - started
            return stack
        time.sleep(0.25)
    stop_stack(stack)
    pytest.fail(f"the stack did not become ready in {timeout}s:\n{stack.log()[-4000:]}")


def stop_stack(stack: RunningStack, sig: int = signal.SIGINT, timeout: float = 45) -> int:
    if stack.process.poll() is None:
        stack.process.send_signal(sig)
        try:
            stack.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(stack.process.pid, signal.SIGKILL)
            stack.process.wait()
            pytest.fail(f"the stack did not stop within {timeout}s:\n{stack.log()[-3000:]}")
    return stack.process.returncode
