"""`free_port`: free now, and outside the ephemeral range, so that a restarted service gets its port back."""

from __future__ import annotations

import socket

from motcua_platform.embedded.process import ephemeral_port_range, free_port


def test_the_ephemeral_range_is_read_from_the_kernel() -> None:
    low, high = ephemeral_port_range()
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        assert (low, high) == tuple(int(x) for x in f.read().split())


def test_free_ports_lie_outside_the_ephemeral_range_and_can_be_listened_on() -> None:
    low, high = ephemeral_port_range()
    ports = {free_port() for _ in range(50)}
    assert all(not low <= p <= high for p in ports), sorted(ports)
    assert len(ports) > 40  # spread out, not one port again and again
    for port in list(ports)[:5]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))
            sock.listen()


def test_a_port_in_use_is_not_handed_out() -> None:
    listeners = []
    try:
        taken = set()
        for _ in range(20):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            port = free_port()
            sock.bind(("127.0.0.1", port))
            sock.listen()
            listeners.append(sock)
            taken.add(port)
        assert all(free_port() not in taken for _ in range(200))
    finally:
        for sock in listeners:
            sock.close()
