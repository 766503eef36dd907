"""Bad configuration fails fast: one clear line, non-zero exit, nothing left running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from e2e_stack import ROOT, stack_port_env, stack_ports
from motcua_platform.embedded.process import free_port

pytestmark = pytest.mark.e2e


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env.update(extra)
    return env


@pytest.mark.parametrize("service", ["catalogue", "dossier", "scheduler", "notification", "gateway"])
def test_missing_setting_names_the_variable(service: str) -> None:
    result = subprocess.run([sys.executable, "-m", f"motcua_{service}"], env=_env(MOTCUA_KAFKA_BOOTSTRAP="127.0.0.1:9"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == "configuration error: MOTCUA_DATABASE_URL is required but not set"


def test_service_with_a_refusing_database_exits_with_one_line() -> None:
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/motcua"
    result = subprocess.run([sys.executable, "-m", "motcua_dossier"],
                            env=_env(MOTCUA_DATABASE_URL=url, MOTCUA_KAFKA_BOOTSTRAP="127.0.0.1:9"),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "cannot connect to the database (MOTCUA_DATABASE_URL)" in result.stderr
    assert "Traceback" not in result.stderr


def test_stack_with_a_broker_that_is_not_up(tmp_path: Path, postgres_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "motcua_devstack", "run"], cwd=ROOT,
        env=_env(MOTCUA_DATABASE_URL=postgres_url, MOTCUA_KAFKA_BOOTSTRAP=f"127.0.0.1:{free_port()}",
                 MOTCUA_DEV_DATA_DIR=str(tmp_path), **stack_port_env(stack_ports())),
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "the broker is not reachable (MOTCUA_KAFKA_BOOTSTRAP=" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_stack_with_a_refusing_database(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "motcua_devstack", "run"], cwd=ROOT,
        env=_env(MOTCUA_DATABASE_URL=f"postgresql://nobody@127.0.0.1:{free_port()}/x",
                 MOTCUA_DEV_DATA_DIR=str(tmp_path), **stack_port_env(stack_ports())),
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "the database refused the connection (MOTCUA_DATABASE_URL)" in result.stdout
    assert "starting the embedded Kafka-wire broker" not in result.stdout, "nothing may be started after the failure"
