"""Process helpers for the embedded servers: no orphans, clear port errors."""

from __future__ import annotations

import ctypes
import os
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


def free_port(host: str = "127.0.0.1") -> int:
    """Return a port the kernel considers free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
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
