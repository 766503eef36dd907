"""deploy/k8s: every overlay and every base+components combination builds, validates
against the Kubernetes schemas (strict, oldest supported and newest release) and the
vendored CRD schemas, and keeps the pods hardened, probed and consistent."""

from __future__ import annotations

import re

import pytest
from deploy_checks import (
    COMPONENTS,
    GRPC_SERVICES,
    K8S,
    K8S_VERSIONS,
    OVERLAYS,
    SERVICES,
    Render,
    combo_label,
    component_sets,
    container_env,
    containers,
    image_is_pinned,
    main_container,
    pod_spec,
    schema_errors,
    settings_catalogue,
)

ALL_RENDERS = [f"overlays/{o}" for o in OVERLAYS] + [combo_label(c) for c in component_sets()]


def test_every_component_and_overlay_builds(renders: dict[str, Render]) -> None:
    assert sorted(renders) == sorted(ALL_RENDERS)
    for label, render in renders.items():
        assert render.deployments().keys() == set(SERVICES), f"{label}: a service is missing"


def test_every_manifest_matches_its_schema(renders: dict[str, Render]) -> None:
    seen: set[str] = set()
    problems: list[str] = []
    for label, render in renders.items():
        for doc in render.docs:
            key = repr(sorted(doc.items()))
            if key in seen:  # the same object comes out of many combinations: validate it once
                continue
            seen.add(key)
            for version in K8S_VERSIONS:
                problems += [f"{label}: {e}" for e in schema_errors(doc, version)]
    assert not problems, "\n".join(problems[:40])


def test_overlays_use_the_components_they_should() -> None:
    import yaml

    prod = yaml.safe_load((K8S / "overlays" / "prod" / "kustomization.yaml").read_text())
    assert sorted(prod["components"]) == sorted(f"../../components/{c}" for c in COMPONENTS)
    for overlay in OVERLAYS:
        kustomization = yaml.safe_load((K8S / "overlays" / overlay / "kustomization.yaml").read_text())
        assert kustomization.get("namespace"), f"{overlay}: set a namespace"


def test_no_secret_is_committed(renders: dict[str, Render]) -> None:
    for label, render in renders.items():
        assert not render.of_kind("Secret"), f"{label}: Secrets are created on the cluster, never committed"
    for path in K8S.rglob("kustomization.yaml"):
        assert "secretGenerator" not in path.read_text(), f"{path}: no secretGenerator (secrets stay off git)"


@pytest.mark.parametrize("label", ALL_RENDERS)
def test_pods_are_hardened(renders: dict[str, Render], label: str) -> None:
    problems: list[str] = []
    for name, deployment in renders[label].deployments().items():
        spec = pod_spec(deployment)
        pod_sc = spec.get("securityContext", {})
        if not (pod_sc.get("runAsNonRoot") and pod_sc.get("runAsUser") == 10001):
            problems.append(f"{name}: pod must runAsNonRoot as uid 10001 (the image's user)")
        if pod_sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{name}: seccompProfile RuntimeDefault")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: automountServiceAccountToken false (the services never call the API)")
        if spec.get("enableServiceLinks") is not False:
            problems.append(f"{name}: enableServiceLinks false (service env vars could clash with MOTCUA_*)")
        if spec.get("serviceAccountName") != name:
            problems.append(f"{name}: its own ServiceAccount")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for c in containers(deployment):
            sc = c.get("securityContext", {})
            where = f"{name}/{c['name']}"
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: readOnlyRootFilesystem")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation false")
            if sc.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{where}: drop ALL capabilities")
            if sc.get("privileged"):
                problems.append(f"{where}: privileged")
            resources = c.get("resources", {})
            if not {"cpu", "memory"} <= set(resources.get("requests", {})) or "memory" not in resources.get("limits", {}):
                problems.append(f"{where}: cpu+memory requests and a memory limit")
            if c.get("terminationMessagePolicy") != "FallbackToLogsOnError":
                problems.append(f"{where}: terminationMessagePolicy FallbackToLogsOnError (shows a config error line)")
            if not image_is_pinned(c["image"]):
                problems.append(f"{where}: image {c['image']} needs an explicit version tag")
            tmp = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
            if not tmp or "emptyDir" not in volumes.get(tmp[0]["name"], {}):
                problems.append(f"{where}: /tmp must be an emptyDir (the only writable path)")
    assert not problems, f"{label}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("label", ALL_RENDERS)
def test_migrations_run_before_the_service(renders: dict[str, Render], label: str) -> None:
    for name, deployment in renders[label].deployments().items():
        spec = pod_spec(deployment)
        inits = spec.get("initContainers", [])
        main = main_container(deployment)
        assert [c["name"] for c in inits] == ["migrate"], f"{name}: an initContainer `migrate`"
        assert inits[0]["image"] == main["image"], f"{name}: migrate with the service's own image"
        assert inits[0].get("args") == ["migrate"] and not inits[0].get("command"), f"{name}: `migrate` one-shot"
        assert main.get("args") == ["serve"] and not main.get("command"), f"{name}: `serve`"
        render = renders[label]
        assert container_env(render, inits[0])[0] == container_env(render, main)[0], (
            f"{name}: migrate must see the same settings as the service"
        )


def effective(env: dict[str, str | None], service: str, name: str) -> str:
    value = env.get(name)
    return str(settings_catalogue()[service].defaults[name]) if value is None else value


@pytest.mark.parametrize("label", ALL_RENDERS)
def test_probes_ports_and_services_agree(renders: dict[str, Render], label: str) -> None:
    render = renders[label]
    problems: list[str] = []
    for name, deployment in render.deployments().items():
        main = main_container(deployment)
        env, _ = container_env(render, main)
        ports = {p["name"]: p["containerPort"] for p in main.get("ports", [])}
        service = render.get("Service", name)
        if service is None:
            problems.append(f"{name}: no Service")
            continue
        svc_ports = {p["name"]: p for p in service["spec"]["ports"]}
        if service["spec"].get("selector") != {"app.kubernetes.io/name": name}:
            problems.append(f"{name}: Service selector must be app.kubernetes.io/name={name}")
        if name == "gateway":
            http = int(effective(env, name, "MOTCUA_HTTP_PORT"))
            if ports.get("http") != http:
                problems.append(f"gateway: containerPort http {ports.get('http')} != MOTCUA_HTTP_PORT {http}")
            for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/livez"), ("startupProbe", "/livez")):
                get = main.get(probe, {}).get("httpGet", {})
                if get.get("path") != path or get.get("port") not in ("http", http):
                    problems.append(f"gateway: {probe} must GET {path} on the http port")
            if svc_ports.get("http", {}).get("targetPort") not in ("http", http):
                problems.append("gateway: Service port http must target the http containerPort")
            for grpc_service in GRPC_SERVICES:
                target = effective(env, name, f"MOTCUA_{grpc_service.upper()}_TARGET")
                host, _, port = target.rpartition(":")
                other = render.get("Service", host)
                if other is None or not any(str(p["port"]) == port for p in other["spec"]["ports"]):
                    problems.append(f"gateway: MOTCUA_{grpc_service.upper()}_TARGET={target} is no Service port here")
            continue
        grpc = int(effective(env, name, "MOTCUA_GRPC_PORT"))
        metrics = int(effective(env, name, "MOTCUA_METRICS_PORT"))
        if ports.get("grpc") != grpc:
            problems.append(f"{name}: containerPort grpc {ports.get('grpc')} != MOTCUA_GRPC_PORT {grpc}")
        if metrics and ports.get("metrics") != metrics:
            problems.append(f"{name}: containerPort metrics {ports.get('metrics')} != MOTCUA_METRICS_PORT {metrics}")
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if main.get(probe, {}).get("grpc", {}).get("port") != grpc:
                problems.append(f"{name}: {probe} must be a gRPC health probe on port {grpc}")
        if svc_ports.get("grpc", {}).get("port") != grpc or svc_ports["grpc"].get("targetPort") not in ("grpc", grpc):
            problems.append(f"{name}: Service port grpc must be {grpc} targeting the grpc containerPort")
    assert not problems, f"{label}:\n  " + "\n  ".join(problems)


def test_database_url_comes_from_a_secret(renders: dict[str, Render]) -> None:
    for label, render in renders.items():
        for name, deployment in render.deployments().items():
            for c in containers(deployment):
                (var,) = [v for v in c.get("env", []) if v["name"] == "MOTCUA_DATABASE_URL"]
                assert var.get("valueFrom", {}).get("secretKeyRef") == {"name": "motcua-database", "key": "url"}, (
                    f"{label} {name}/{c['name']}: MOTCUA_DATABASE_URL from Secret motcua-database key url"
                )
        for config_map in render.of_kind("ConfigMap"):
            for key in config_map.get("data", {}):
                assert not re.search(r"PASSWORD|SECRET|TOKEN|DATABASE_URL|_KEY$", key), (
                    f"{label}: ConfigMap {config_map['metadata']['name']} holds {key}: put secrets in Secrets"
                )


def test_autoscaling_targets_exist(renders: dict[str, Render]) -> None:
    render = renders["overlays/prod"]
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in render.of_kind("HorizontalPodAutoscaler")}
    pdbs = {p["metadata"]["name"]: p for p in render.of_kind("PodDisruptionBudget")}
    assert set(hpas) == set(pdbs) == set(SERVICES)
    for name, hpa in hpas.items():
        assert hpa["spec"]["minReplicas"] >= 2, f"{name}: PDB minAvailable 1 needs at least 2 replicas"
        assert pdbs[name]["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": name}
    notification_inputs = 6  # partitions of the dossier and scheduler topics (topics.json)
    assert hpas["notification"]["spec"]["maxReplicas"] <= notification_inputs
