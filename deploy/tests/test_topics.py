"""Topics and Kafka permissions agree with the registry proto/motcua/events/v1/topics.json:
compose's kafka-init, Strimzi KafkaTopics (every build that has them), KafkaUser ACLs and the
published AsyncAPI document; and every topic a service names in its code is in all of them."""

from __future__ import annotations

import pytest
from deploy_checks import GRPC_SERVICES, Render, asyncapi_document, compose_config, topic_registry, topics_used_by_services

SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000


def compose_topics() -> dict[str, tuple[int, int]]:
    init = compose_config()["services"]["kafka-init"]
    topics = {}
    for spec in init["environment"]["TOPICS"].split():
        name, partitions, retention = spec.split(":")
        assert name not in topics, f"kafka-init declares {name} twice"
        topics[name] = (int(partitions), int(retention))
    return topics


def registry_topics() -> dict[str, tuple[int, int | None]]:
    return {name: (t["partitions"], t.get("retention_ms")) for name, t in topic_registry().items()}


def test_registry_keeps_dossier_events_a_week() -> None:
    assert topic_registry()["motcua.dossier.events.v1"]["retention_ms"] >= SEVEN_DAYS_MS


def test_compose_creates_every_registered_topic() -> None:
    assert compose_topics() == registry_topics()
    init = compose_config()["services"]["kafka-init"]
    assert init["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert init.get("restart") == "no"
    assert compose_topics()["motcua.dossier.events.v1"][1] >= SEVEN_DAYS_MS


def strimzi_renders(renders: dict[str, Render]) -> dict[str, Render]:
    found = {label: r for label, r in renders.items() if r.of_kind("KafkaTopic")}
    assert "overlays/prod" in found and "overlays/dev" in found
    return found


def test_strimzi_declares_every_registered_topic(renders: dict[str, Render]) -> None:
    for label, render in strimzi_renders(renders).items():
        kafka = render.get("Kafka", "motcua")
        assert kafka is not None, f"{label}: KafkaTopics without the Kafka cluster"
        declared = {}
        for topic in render.of_kind("KafkaTopic"):
            spec = topic["spec"]
            name = spec.get("topicName", topic["metadata"]["name"])
            assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "motcua"
            declared[name] = (spec["partitions"], int(spec["config"]["retention.ms"]))
            replicas, min_isr = spec["replicas"], int(spec["config"]["min.insync.replicas"])
            assert replicas == 1 or min_isr < replicas, f"{label} {name}: min.insync.replicas must leave one replica spare"
            assert replicas == 1 or min_isr >= 2, f"{label} {name}: acks=all needs min.insync.replicas >= 2"
            assert replicas <= node_count(render), f"{label} {name}: more replicas than brokers"
        assert declared == registry_topics(), f"{label}: KafkaTopics differ from topics.json"
        config = kafka["spec"]["kafka"]["config"]
        assert str(config["auto.create.topics.enable"]).lower() == "false", f"{label}: topics come from KafkaTopics"


def node_count(render: Render) -> int:
    return sum(p["spec"]["replicas"] for p in render.of_kind("KafkaNodePool") if "broker" in p["spec"]["roles"])


# ------------------------------------------------------------------ ACLs


def acl_map(user: dict) -> dict[tuple[str, str, str], set[str]]:
    """(resource type, name, patternType) -> operations, for the allow rules."""
    out: dict[tuple[str, str, str], set[str]] = {}
    for acl in user["spec"].get("authorization", {}).get("acls", []):
        assert acl.get("type", "allow") == "allow", "deny rules make reviews hard: grant less instead"
        resource = acl["resource"]
        key = (resource["type"], resource.get("name", ""), resource.get("patternType", "literal"))
        out.setdefault(key, set()).update(acl["operations"])
    return out


def topics_with(acls: dict[tuple[str, str, str], set[str]], operation: str) -> set[str]:
    """Registered topics on which `operation` is granted (prefix rules expanded)."""
    granted = set()
    for (rtype, name, pattern), ops in acls.items():
        if rtype != "topic" or operation not in ops:
            continue
        granted |= {t for t in topic_registry() if (t == name if pattern == "literal" else t.startswith(name))}
    return granted


@pytest.fixture
def users(renders: dict[str, Render]) -> dict[str, dict]:
    return {u["metadata"]["name"]: u for u in renders["overlays/prod"].of_kind("KafkaUser")}


def test_no_acl_is_a_wildcard(renders: dict[str, Render]) -> None:
    for render in strimzi_renders(renders).values():
        for user in render.of_kind("KafkaUser"):
            for (rtype, name, _), ops in acl_map(user).items():
                assert "All" not in ops, f"{user['metadata']['name']}: `All` on {rtype} {name}"
                assert name not in ("*", ""), f"{user['metadata']['name']}: wildcard {rtype}"
                assert rtype != "cluster", f"{user['metadata']['name']}: cluster-wide rights"


@pytest.mark.parametrize("service", GRPC_SERVICES)
def test_each_service_writes_only_its_own_topics(users: dict[str, dict], service: str) -> None:
    acls = acl_map(users[f"motcua-{service}"])
    own = {n for n, t in topic_registry().items() if t.get("producer") == service}
    if service == "notification":  # it also parks poison messages and failed webhook deliveries
        own |= {n for n, t in topic_registry().items() if t["kind"] == "dead-letter"}
    assert topics_with(acls, "Write") == own


def test_notification_reads_dossier_and_scheduler_events(users: dict[str, dict]) -> None:
    acls = acl_map(users["motcua-notification"])
    assert topics_with(acls, "Read") == {"motcua.dossier.events.v1", "motcua.scheduler.events.v1"}
    groups = [name for (rtype, name, pattern), ops in acls.items() if rtype == "group" and "Read" in ops]
    assert groups == ["motcua-notification"], "consumer groups named after the service"
    for service in ("catalogue", "dossier", "scheduler"):
        assert not topics_with(acl_map(users[f"motcua-{service}"]), "Read"), f"{service} consumes nothing"


def test_gateway_only_describes(users: dict[str, dict]) -> None:
    ops = set().union(*acl_map(users["motcua-gateway"]).values())
    assert ops == {"Describe"}


def test_agencies_read_only_what_they_may(users: dict[str, dict]) -> None:
    agencies = {n: u for n, u in users.items() if u["metadata"]["labels"].get("motcua.gov.vn/role") == "agency"}
    assert agencies, "an example agency user"
    for name, user in agencies.items():
        acls = acl_map(user)
        assert topics_with(acls, "Read") == {"motcua.dossier.events.v1"}
        assert not topics_with(acls, "Write")
        for (rtype, resource, pattern), ops in acls.items():
            if rtype == "group":
                assert pattern == "prefix" and resource == f"{name}.", f"{name}: its own group prefix only"
            else:
                assert (rtype, pattern) == ("topic", "literal") and ops <= {"Read", "Describe"}, f"{name}: {rtype}"
        assert user["spec"]["authentication"]["type"] in ("scram-sha-512", "tls")


def test_every_user_has_credentials_on_an_authenticated_listener(renders: dict[str, Render]) -> None:
    for label, render in strimzi_renders(renders).items():
        listeners = render.get("Kafka", "motcua")["spec"]["kafka"]["listeners"]
        auth_types = {lst.get("authentication", {}).get("type") for lst in listeners} - {None}
        for user in render.of_kind("KafkaUser"):
            assert user["spec"]["authentication"]["type"] in auth_types, f"{label}: no listener for {user['metadata']['name']}"
        for lst in listeners:
            if "authentication" not in lst:
                peers = lst.get("networkPolicyPeers")
                assert peers, f"{label}: unauthenticated listener {lst['name']} must be limited to the services' pods"


# ------------------------------------------------------------------ topics the services use


def asyncapi_topics() -> dict[str, int]:
    channels = asyncapi_document()["channels"].values()
    return {c["address"]: c["bindings"]["kafka"]["partitions"] for c in channels}


def test_asyncapi_declares_every_registered_topic() -> None:
    assert asyncapi_topics() == {name: t["partitions"] for name, t in topic_registry().items()}


def test_every_topic_a_service_uses_is_declared_everywhere(renders: dict[str, Render]) -> None:
    used = topics_used_by_services()
    # the finder must see the topics we know are used, or this test proves nothing
    assert {"motcua.dossier.events.v1", "motcua.notification.dlt", "motcua.agency-subscriber.dlt"} <= set(used)
    strimzi = {t["spec"].get("topicName", t["metadata"]["name"]) for t in renders["overlays/prod"].of_kind("KafkaTopic")}
    places = {
        "topics.json": set(topic_registry()),
        "docker-compose.yml kafka-init": set(compose_topics()),
        "Strimzi KafkaTopics (overlays/prod)": strimzi,
        "contracts/asyncapi.yaml": set(asyncapi_topics()),
    }
    problems = [
        f"{topic} (used by {', '.join(sorted(where))}) is missing from {place}"
        for topic, where in sorted(used.items())
        for place, declared in places.items()
        if topic not in declared
    ]
    assert not problems, "\n".join(problems)


def test_services_authenticate_as_their_own_kafka_user(renders: dict[str, Render]) -> None:
    """With Strimzi, each service connects over TLS + SCRAM as the KafkaUser whose ACLs are checked above."""
    from deploy_checks import container_env, containers

    for label, render in strimzi_renders(renders).items():
        users = {u["metadata"]["name"] for u in render.of_kind("KafkaUser")}
        listeners = {lst["port"]: lst for lst in render.get("Kafka", "motcua")["spec"]["kafka"]["listeners"]}
        for name, deployment in render.deployments().items():
            volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"].get("volumes", [])}
            for container in containers(deployment):
                env, problems = container_env(render, container)
                where = f"{label} {name}/{container['name']}"
                assert not problems, problems
                assert env["MOTCUA_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL", where
                assert env["MOTCUA_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512", where
                assert env["MOTCUA_KAFKA_SASL_USERNAME"] == f"motcua-{name}" in users, where
                password = next(v for v in container["env"] if v["name"] == "MOTCUA_KAFKA_SASL_PASSWORD")
                assert password["valueFrom"]["secretKeyRef"] == {"name": f"motcua-{name}", "key": "password"}, where
                port = int(env["MOTCUA_KAFKA_BOOTSTRAP"].rsplit(":", 1)[1])
                assert listeners[port]["tls"] and listeners[port]["authentication"]["type"] == "scram-sha-512", where
                ca_dir = env["MOTCUA_KAFKA_SSL_CAFILE"].rsplit("/", 1)[0]
                mount = next(m for m in container["volumeMounts"] if m["mountPath"] == ca_dir)
                assert volumes[mount["name"]]["secret"]["secretName"] == "motcua-cluster-ca-cert", where
