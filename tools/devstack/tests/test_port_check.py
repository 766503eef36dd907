"""`make run`'s port check: a listener fails at once, a port held for a moment by a connection is waited for."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from motcua_devstack import stack as stack_module
from motcua_devstack.stack import Stack, StackConfig
from motcua_platform.embedded.process import EmbeddedError, free_port


def _stack(tmp_path: Path, http_port: int) -> Stack:
    return Stack(StackConfig(root=tmp_path, database_url="postgresql://x@127.0.0.1:1/x", kafka_bootstrap="127.0.0.1:1",
                             kafka_idempotence=False, data_dir=tmp_path, pg_port=free_port(), broker_port=free_port(),
                             http_port=http_port, grpc_base_port=free_port(), metrics_base_port=free_port(),
                             fakes_http_port=free_port(), fakes_smtp_port=free_port(), bounce_smtp_port=free_port()))


def test_a_listener_on_a_port_fails_at_once(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        started = time.monotonic()
        with pytest.raises(EmbeddedError, match="already in use") as caught:
            _stack(tmp_path, listener.getsockname()[1]).check_ports()
        assert time.monotonic() - started < 2
        assert f"held by a listener (pid {os.getpid()}: " in str(caught.value)  # says who, not just "another make run?"


def test_a_port_held_by_a_connection_is_waited_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default ports lie in the ephemeral range: an outgoing connection may hold one as its local port."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        client = socket.socket()
        client.bind(("127.0.0.1", 0))
        held = client.getsockname()[1]
        client.connect(server.getsockname())
        accepted, _ = server.accept()

        def hang_up() -> None:  # the peer closes first, then the client: nothing is left on the port
            accepted.close()
            client.close()

        threading.Timer(1.0, hang_up).start()
        started = time.monotonic()
        _stack(tmp_path, held).check_ports()  # returns once the connection is gone
        assert 0.9 < time.monotonic() - started < 10

        monkeypatch.setattr(stack_module, "PORT_WAIT_SECONDS", 0.5)
        client = socket.socket()
        client.bind(("127.0.0.1", 0))
        client.connect(server.getsockname())
        try:
            with pytest.raises(EmbeddedError, match="already in use") as caught:  # still held after the wait
                _stack(tmp_path, client.getsockname()[1]).check_ports()
            assert f"held by an established connection (pid {os.getpid()}: " in str(caught.value)
            assert "MOTCUA_DEV_GRPC_BASE_PORT" in str(caught.value)
        finally:
            client.close()
