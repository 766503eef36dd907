"""`make run` starts everything, reports ready, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from e2e_stack import ROOT, start_stack, stop_stack

pytestmark = pytest.mark.e2e


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,sid="], capture_output=True, text=True).stdout
    rows = [tuple(int(x) for x in line.split()) for line in out.splitlines() if line.strip()]
    children: dict[int, list[int]] = {}
    for p, pp, _ in rows:
        children.setdefault(pp, []).append(p)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_stack_starts_ready_and_stops_without_orphans(tmp_path: Path) -> None:
    stack = start_stack(tmp_path)
    try:
        with httpx.Client(base_url=stack.base_url, timeout=5) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 200, ready.text
            body = ready.json()
            assert body["status"] == "ready"
            assert set(body["checks"]) == {"postgres", "broker", "catalogue", "dossier", "scheduler", "notification"}
            assert client.get("/livez").status_code == 200
            metrics = client.get("/metrics")
            assert "motcua_http_requests_total" in metrics.text
            for i in range(4):
                service_metrics = httpx.get(f"http://127.0.0.1:{stack.ports['metrics_base'] + i}/metrics", timeout=5)
                assert "motcua_outbox" in service_metrics.text
        children = _descendants(stack.process.pid)
        assert len(children) >= 7, "postgres, broker and five services should run as children"
        log = stack.log()
        for prefix in ("postgres |", "catalogue |", "dossier |", "scheduler |", "notification |", "gateway |"):
            assert prefix in log, f"no output prefixed {prefix!r}"
    finally:
        code = stop_stack(stack, signal.SIGINT)
    assert code == 0, stack.log()[-3000:]
    time.sleep(0.5)
    alive = []
    for pid in children:
        try:
            Path(f"/proc/{pid}").stat()
            alive.append(pid)
        except FileNotFoundError:
            pass
    assert not alive, f"processes left behind: {alive}"
    for port in [stack.ports["http"], stack.ports["pg"], stack.ports["broker"],
                 *range(stack.ports["grpc_base"], stack.ports["grpc_base"] + 4)]:
        assert not _listening(port), f"port {port} still listening"


def test_readyz_names_what_is_down_and_data_persists(tmp_path: Path) -> None:
    stack = start_stack(tmp_path)
    try:
        with httpx.Client(base_url=stack.base_url, timeout=5) as client:
            assert client.get("/readyz").status_code == 200
            # Stop one service hard; readiness must turn 503 and name it (until the stack restarts it).
            pids = _descendants(stack.process.pid)
            out = subprocess.run(["ps", "-o", "pid=,args=", "-p", ",".join(map(str, pids))],
                                 capture_output=True, text=True).stdout
            scheduler = next(int(line.split()[0]) for line in out.splitlines() if "motcua_scheduler" in line)
            import os

            os.kill(scheduler, signal.SIGKILL)
            deadline = time.monotonic() + 10
            seen_down = None
            while time.monotonic() < deadline:
                reply = client.get("/readyz")
                if reply.status_code == 503:
                    seen_down = reply.json()
                    break
                time.sleep(0.1)
            assert seen_down is not None, "readyz never reported the killed scheduler"
            assert "scheduler" in seen_down["down"]
            # The stack restarts the crashed service and readiness recovers.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and client.get("/readyz").status_code != 200:
                time.sleep(0.5)
            assert client.get("/readyz").status_code == 200
    finally:
        assert stop_stack(stack) == 0
    assert (tmp_path / "data" / "postgres" / "PG_VERSION").exists(), "Postgres data must persist in the data folder"
    # A second start on the same data folder reuses it.
    again = start_stack(tmp_path)
    try:
        assert httpx.get(f"{again.base_url}/readyz", timeout=5).status_code == 200
    finally:
        assert stop_stack(again, signal.SIGTERM) == 0


def test_port_in_use_fails_fast_with_a_clear_message(tmp_path: Path) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        import os
        import sys

        env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
        env.update({"MOTCUA_HTTP_PORT": str(port), "MOTCUA_DEV_DATA_DIR": str(tmp_path / "d")})
        result = subprocess.run([sys.executable, "-m", "motcua_devstack", "run"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
    finally:
        blocker.close()
    assert result.returncode == 1
    assert f"127.0.0.1:{port}" in result.stdout and "already in use" in result.stdout
    assert not (tmp_path / "d" / "postgres").exists(), "nothing may be half-started"
