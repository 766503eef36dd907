"""docker-compose.yml, checked statically with `docker-compose config` (no engine needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from deploy_checks import (
    ENV_EXAMPLE,
    GRPC_SERVICES,
    REPO,
    SERVICES,
    compose_config,
    image_is_pinned,
    read_env_file,
    render_compose,
)


def test_compose_file_is_valid() -> None:
    for args in (["config", "-q"], ["--profile", "dev", "config", "-q"]):
        result = render_compose(*args)
        assert result.returncode == 0, f"docker-compose {' '.join(args)}:\n{result.stderr}"


def test_missing_database_password_is_refused_by_name(tmp_path: Path) -> None:
    values = {k: v for k, v in read_env_file(ENV_EXAMPLE).items() if k != "POSTGRES_PASSWORD"}
    env_file = tmp_path / "env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    result = render_compose("config", "-q", env_file=env_file)
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr


def test_every_image_is_pinned() -> None:
    for name, service in compose_config()["services"].items():
        assert image_is_pinned(service["image"]), f"{name}: image {service['image']} needs an explicit version tag"


def dockerfile_has_healthcheck(service: dict) -> bool:
    build = service.get("build")
    if not build:
        return False
    path = Path(build["context"]) / build.get("dockerfile", "Dockerfile")
    return any(line.strip().startswith("HEALTHCHECK") for line in path.read_text(encoding="utf-8").splitlines())


def test_start_order_waits_for_health_topics_and_migrations() -> None:
    services = compose_config()["services"]
    for name in SERVICES:
        svc, migrate = services[name], services[f"{name}-migrate"]
        assert migrate["command"] == ["migrate"], f"{name}-migrate must run `migrate`"
        assert migrate.get("restart") == "no", f"{name}-migrate is a one-shot"
        assert migrate["image"] == svc["image"], f"{name}-migrate must use the service's image"
        assert migrate["environment"] == svc["environment"], f"{name}-migrate must see the service's settings"
        assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        assert svc["command"] == ["serve"]
        wanted = {
            "postgres": "service_healthy",
            "kafka": "service_healthy",
            "kafka-init": "service_completed_successfully",
            f"{name}-migrate": "service_completed_successfully",
        }
        if name == "gateway":
            wanted.update({grpc: "service_healthy" for grpc in GRPC_SERVICES})
        got = {dep: cond["condition"] for dep, cond in svc["depends_on"].items()}
        assert got == wanted, f"{name}: depends_on {got}"
    for name, svc in services.items():
        for dep, cond in svc.get("depends_on", {}).items():
            if cond["condition"] == "service_healthy":
                target = services[dep]
                assert "healthcheck" in target or dockerfile_has_healthcheck(target), (
                    f"{name} waits for {dep} to be healthy, but {dep} has no health check"
                )


def test_service_containers_are_hardened() -> None:
    services = compose_config()["services"]
    for name in [*SERVICES, *(f"{s}-migrate" for s in SERVICES)]:
        svc = services[name]
        assert svc.get("read_only") is True, f"{name}: read_only root filesystem"
        assert any(str(t).startswith("/tmp") for t in svc.get("tmpfs", [])), f"{name}: /tmp tmpfs"
        assert svc.get("cap_drop") == ["ALL"], f"{name}: cap_drop ALL"
        assert "no-new-privileges:true" in svc.get("security_opt", []), f"{name}: no-new-privileges"
        assert not svc.get("privileged"), f"{name}: privileged"
        assert "user" not in svc or svc["user"].split(":")[0] not in ("0", "root"), f"{name}: runs as root"


def test_only_the_gateway_and_dev_tools_publish_ports() -> None:
    """And the notification service its bounce listener (SMTP), for the host's mail server to relay to."""
    for name, svc in compose_config()["services"].items():
        if not svc.get("ports"):
            continue
        if name == "notification":
            assert [container_port(p) for p in svc["ports"]] == ["2526"], svc["ports"]
            assert all(str(p).startswith("127.0.0.1:") for p in svc["ports"]), "host-local unless BOUNCE_SMTP_BIND"
            continue
        assert name == "gateway" or svc.get("profiles") == ["dev"], f"{name} publishes {svc['ports']}"


def test_data_lives_in_named_volumes() -> None:
    config = compose_config()
    mounts = {
        name: [str(v if isinstance(v, str) else v.get("source")) for v in svc.get("volumes", [])]
        for name, svc in config["services"].items()
    }
    assert any("postgres-data" in m for m in mounts["postgres"])
    assert any("kafka-data" in m for m in mounts["kafka"])
    assert {"postgres-data", "kafka-data"} <= set(config.get("volumes", {}))


def test_kafka_runs_kraft_without_topic_auto_creation() -> None:
    env = compose_config()["services"]["kafka"]["environment"]
    assert "KAFKA_ZOOKEEPER_CONNECT" not in env
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert str(env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]).lower() == "false", "topics come from kafka-init only"


def container_port(entry: str | dict) -> str:
    """The container side of a published port: "127.0.0.1:8080:8080/tcp" (v1) or {target: 8080} (v2)."""
    if isinstance(entry, dict):
        return str(entry["target"])
    return entry.split("/")[0].rsplit(":", 1)[-1]


@pytest.mark.parametrize("service", SERVICES)
def test_gateway_targets_and_ports_agree(service: str) -> None:
    """The gateway's MOTCUA_<SVC>_TARGET is the compose service and the port it listens on."""
    services = compose_config()["services"]
    if service == "gateway":
        http_port = str(services["gateway"]["environment"]["MOTCUA_HTTP_PORT"])
        assert [container_port(p) for p in services["gateway"]["ports"]] == [http_port]
        return
    target = services["gateway"]["environment"][f"MOTCUA_{service.upper()}_TARGET"]
    host, _, port = target.rpartition(":")
    assert host == service
    assert port == str(services[service]["environment"]["MOTCUA_GRPC_PORT"])


def test_dev_profile_holds_only_dev_tools() -> None:
    for name, svc in compose_config()["services"].items():
        if "profiles" in svc:
            assert svc["profiles"] == ["dev"], f"{name}: unknown profile {svc['profiles']}"
            assert name not in SERVICES


def test_compose_reads_its_settings_from_env_example() -> None:
    """Every ${VAR} the compose file interpolates is documented in .env.example (or has a safe default)."""
    import re

    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    uncommented = "\n".join(line.split(" #")[0] for line in text.splitlines() if not line.lstrip().startswith("#"))
    referenced = set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", uncommented))
    documented = set(read_env_file(ENV_EXAMPLE))
    assert referenced <= documented, f"add to .env.example: {sorted(referenced - documented)}"


def test_kafka_cluster_id_is_a_kafka_uuid() -> None:
    """kafka-storage format refuses anything but 16 bytes in URL-safe base64 (22 characters)."""
    import base64

    cluster_id = str(compose_config()["services"]["kafka"]["environment"]["CLUSTER_ID"])
    assert len(cluster_id) == 22 and "=" not in cluster_id
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


@pytest.mark.parametrize("name", ["MOTCUA_PUBLIC_BASE_URL", "MOTCUA_SCHEDULER_TOKEN_SECRET", "MOTCUA_WEBHOOK_SECRET_KEY"])
def test_missing_required_site_setting_is_refused_by_name(tmp_path: Path, name: str) -> None:
    values = {k: v for k, v in read_env_file(ENV_EXAMPLE).items() if k != name}
    env_file = tmp_path / "env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    result = render_compose("config", "-q", env_file=env_file)
    assert result.returncode != 0
    assert name in result.stderr


def test_dev_profile_points_notification_at_the_provider_fakes() -> None:
    services = compose_config()["services"]
    fakes = services["provider-fakes"]
    assert fakes["profiles"] == ["dev"] and fakes["command"] == ["fakes"]
    assert fakes["image"] == services["notification"]["image"], "the fakes ship in the notification image"
    env = services["notification"]["environment"]
    for key in ("MOTCUA_ZALO__OA_BASE_URL", "MOTCUA_ESMS__BASE_URL", "MOTCUA_SPEEDSMS__BASE_URL"):
        assert env[key] == "http://provider-fakes:8090", key
    assert (env["MOTCUA_SMTP__HOST"], str(env["MOTCUA_SMTP__PORT"])) == ("provider-fakes", "2525")
    assert services["gateway"]["environment"]["MOTCUA_ZALO__API_BASE"] == "http://provider-fakes:8090"
    assert fakes["environment"]["MOTCUA_FAKES_GATEWAY_URL"] == "http://gateway:8080"
