"""Process helpers for the embedded servers: no orphans, clear port errors."""

from __future__ import annotations

import ctypes
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


class EmbeddedError(RuntimeError):
    """An embedded server could not be started; the message says why, in one line."""


def port_is_free(host: str, port: int) -> bool:
    """Return True when nothing listens on host:port (and we may bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


#: Where `free_port` looks: above the well-known and registered ports most programs use, below the ephemeral range.
_LISTEN_PORTS_FROM = 20000


def ephemeral_port_range() -> tuple[int, int]:
    """The kernel's range for the local ports of outgoing connections (Linux `ip_local_port_range`)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def free_port(host: str = "127.0.0.1") -> int:
    """Return a port that is free right now and lies outside the kernel's ephemeral range.

    A port the kernel hands out (`bind(0)`) is an ephemeral one: once the service on it stops, any outgoing
    connection of any program may take it as its local port and keep it, so a restarted service cannot listen
    there again ("Address already in use"). Ports below the ephemeral range are never taken that way.
    """
    low, high = ephemeral_port_range()
    ranges = [(lo, hi) for lo, hi in ((_LISTEN_PORTS_FROM, low - 1), (high + 1, 65535)) if hi - lo >= 100]
    rng = random.SystemRandom()
    for _ in range(500):
        lo, hi = rng.choice(ranges) if ranges else (0, -1)
        if hi < lo:
            break
        port = rng.randint(lo, hi)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # no room outside the range: the kernel's choice
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def child_preexec(
    user: tuple[int, int] | None,
    *,
    die_with_parent: bool = True,
    die_signal: int = signal.SIGTERM,
) -> Callable[[], None]:
    """Return a preexec_fn: drop to `user`, then ask the kernel to signal us when the parent dies.

    PDEATHSIG is set after setuid because a credential change clears it. Ctrl-C
    in a terminal reaches the whole foreground process group; the child gets
    its own session so that the parent decides the shutdown order.
    """
    libc = ctypes.CDLL("libc.so.6", use_errno=True) if die_with_parent else None
    parent = os.getpid()

    def preexec() -> None:
        os.setsid()
        if user is not None:
            uid, gid = user
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, int(die_signal), 0, 0, 0)
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)

    return preexec


def wait_for_tcp(host: str, port: int, timeout: float) -> bool:
    """Return True once host:port accepts a TCP connection, False after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
    """Send `sig` to a running child and wait for it; SIGKILL it after `timeout` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
