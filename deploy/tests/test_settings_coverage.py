"""Settings in compose, Kubernetes and .env.example match the services' Settings classes.

The classes are introspected (`Settings.model_fields`), so a setting added by a later
issue is checked here at once: a required one must be provided in compose and in
every Kubernetes build, and a name nobody reads (a typo, a removed setting) fails.
"""

from __future__ import annotations

import difflib
import re

import pytest
from deploy_checks import (
    ENV_EXAMPLE,
    REPO,
    SERVICES,
    Render,
    all_setting_names,
    compose_config,
    container_env,
    containers,
    read_env_file,
    settings_catalogue,
    settings_errors,
)

MOTCUA = re.compile(r"^MOTCUA_")


def unknown_names(names: set[str]) -> list[str]:
    known = all_setting_names()
    out = []
    for name in sorted(n for n in names if MOTCUA.match(n) and n not in known):
        close = difflib.get_close_matches(name, known, n=1)
        out.append(f"{name}" + (f" (did you mean {close[0]}?)" if close else ""))
    return out


def test_settings_are_introspected() -> None:
    catalogue = settings_catalogue()
    for service in SERVICES:
        required = {r.env for r in catalogue[service].required}
        assert {"MOTCUA_DATABASE_URL", "MOTCUA_KAFKA_BOOTSTRAP"} <= required, service


def test_env_example_names_only_real_settings() -> None:
    assert not unknown_names(set(read_env_file(ENV_EXAMPLE))), "unknown settings in .env.example"


def test_compose_names_only_real_settings() -> None:
    names = {k for svc in compose_config()["services"].values() for k in (svc.get("environment") or {})}
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    names |= set(re.findall(r"\$\{(MOTCUA_[A-Z0-9_]+)", text))
    assert not unknown_names(names), f"unknown settings in docker-compose.yml: {unknown_names(names)}"


def test_kubernetes_names_only_real_settings(renders: dict[str, Render]) -> None:
    problems = []
    for label, render in renders.items():
        names = {k for cm in render.of_kind("ConfigMap") for k in cm.get("data", {})}
        for deployment in render.of_kind("Deployment"):
            names |= {v["name"] for c in containers(deployment) for v in c.get("env", [])}
        problems += [f"{label}: {n}" for n in unknown_names(names)]
    assert not problems, "unknown settings in deploy/k8s:\n" + "\n".join(problems)


@pytest.mark.parametrize("service", SERVICES)
def test_compose_provides_valid_settings(service: str) -> None:
    info = settings_catalogue()[service]
    for name in (service, f"{service}-migrate"):
        env = {k: str(v) for k, v in (compose_config()["services"][name].get("environment") or {}).items()}
        missing = info.missing(set(env))
        assert not missing, f"compose {name}: required settings not provided: {missing}"
        errors = settings_errors(service, env)
        assert not errors, f"compose {name}: invalid settings:\n" + "\n".join(errors)


@pytest.mark.parametrize("service", SERVICES)
def test_kubernetes_provides_valid_settings(renders: dict[str, Render], service: str) -> None:
    info = settings_catalogue()[service]
    problems = []
    for label, render in renders.items():
        deployment = render.deployments()[service]
        for c in containers(deployment):
            env, resolve_problems = container_env(render, c)
            where = f"{label} {service}/{c['name']}"
            problems += [f"{where}: {p}" for p in resolve_problems]
            missing = info.missing(set(env))
            if missing:
                problems.append(f"{where}: required settings not provided: {missing}")
                continue
            from_secrets = {k for k, v in env.items() if v is None}
            sample = {k: ("x" if v is None else v) for k, v in env.items()}
            problems += [f"{where}: {e}" for e in settings_errors(service, sample, ignore=from_secrets)]
    assert not problems, "\n".join(problems)


def test_missing_setting_is_reported_in_one_line() -> None:
    """The contract the deployment relies on: exit 2 and `configuration error: MOTCUA_X ...`."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MOTCUA_")}
    env["MOTCUA_KAFKA_BOOTSTRAP"] = "kafka:9092"
    result = subprocess.run(
        [sys.executable, "-m", "motcua_dossier", "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "configuration error: MOTCUA_DATABASE_URL is required but not set"


def test_introspection_follows_nested_and_required_settings() -> None:
    """How a later setting such as MOTCUA_ZALO__OA_SECRET_KEY is understood."""
    from deploy_checks import ServiceSettingsInfo, _walk
    from pydantic import BaseModel
    from pydantic_settings import BaseSettings, SettingsConfigDict

    class Zalo(BaseModel):
        oa_secret_key: str
        oa_id: str = "demo"

    class Sample(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="MOTCUA_", env_nested_delimiter="__")
        database_url: str
        zalo: Zalo
        sms: Zalo | None = None

    info = ServiceSettingsInfo("sample", Sample, set(), [], {})
    info.required = _walk(Sample, "MOTCUA_", "__", info)
    assert {"MOTCUA_ZALO__OA_SECRET_KEY", "MOTCUA_ZALO__OA_ID", "MOTCUA_SMS__OA_SECRET_KEY"} <= info.names
    assert info.missing({"MOTCUA_DATABASE_URL"}) == ["MOTCUA_ZALO"]
    assert info.missing({"MOTCUA_DATABASE_URL", "MOTCUA_ZALO__OA_SECRET_KEY"}) == []
    assert info.missing({"MOTCUA_DATABASE_URL", "MOTCUA_ZALO"}) == []  # the whole model as JSON
