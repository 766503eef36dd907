"""The NetworkPolicies allow exactly the calls of DESIGN.md, evaluated like a CNI would.

Pods are modelled from the rendered Deployments (their labels) plus stand-ins for the
operators' pods (CloudNativePG instances and pooler, Strimzi brokers), the ingress
controller, Prometheus, an unrelated pod of the same namespace and the outside world.
A connection is allowed when the source's egress and the destination's ingress both
allow it (a pod selected by no policy of that direction is open in that direction).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import pytest
from deploy_checks import GRPC_SERVICES, SERVICES, Render, main_container


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: tuple[tuple[str, str], ...]
    ip: str = "10.42.0.10"  # pods live on the cluster network; "internet" has a public address

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return False
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def peer_matches(peer: dict[str, Any], pod: Pod, policy_ns: str) -> bool:
    ns_labels = {"kubernetes.io/metadata.name": pod.namespace}
    if "ipBlock" in peer:
        address = ipaddress.ip_address(pod.ip)
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(cidr) for cidr in block.get("except", []))
    if "namespaceSelector" in peer:
        if not selector_matches(peer["namespaceSelector"], ns_labels):
            return False
        return "podSelector" not in peer or selector_matches(peer["podSelector"], pod.label_map)
    return pod.namespace == policy_ns and selector_matches(peer.get("podSelector", {}), pod.label_map)


def port_matches(rule: dict[str, Any], port: int) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    return any(p.get("protocol", "TCP") == "TCP" and p.get("port") in (None, port) for p in ports)


def allowed(policies: list[dict[str, Any]], src: Pod, dst: Pod, port: int) -> bool:
    def direction(pod: Pod, kind: str, key: str, peer_key: str, other: Pod) -> bool:
        selecting = [
            p for p in policies
            if p["metadata"].get("namespace", pod.namespace) == pod.namespace
            and kind in p["spec"].get("policyTypes", ["Ingress"])
            and selector_matches(p["spec"]["podSelector"], pod.label_map)
        ]
        if not selecting:
            return True
        return any(
            port_matches(rule, port) and (not rule.get(peer_key) or any(
                peer_matches(peer, other, p["metadata"].get("namespace", pod.namespace)) for peer in rule[peer_key]
            ))
            for p in selecting
            for rule in p["spec"].get(key, [])
        )

    return direction(src, "Egress", "egress", "to", dst) and direction(dst, "Ingress", "ingress", "from", src)


def pods_of(render: Render, namespace: str) -> dict[str, Pod]:
    pods = {}
    for name, deployment in render.deployments().items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        pods[name] = Pod(name, namespace, tuple(sorted(labels.items())))
    stand_ins = {
        "postgres": {"cnpg.io/cluster": "motcua-postgres", "cnpg.io/instanceRole": "primary"},
        "pooler": {"cnpg.io/poolerName": "motcua-postgres-pooler-rw"},
        "kafka": {"strimzi.io/cluster": "motcua", "strimzi.io/kind": "Kafka", "strimzi.io/name": "motcua-kafka"},
        "intruder": {"app.kubernetes.io/name": "intruder"},
    }
    for name, labels in stand_ins.items():
        pods[name] = Pod(name, namespace, tuple(sorted(labels.items())))
    pods["ingress"] = Pod("ingress", "ingress-nginx", (("app.kubernetes.io/name", "ingress-nginx"),))
    pods["prometheus"] = Pod("prometheus", "monitoring", (("app.kubernetes.io/name", "prometheus"),))
    pods["internet"] = Pod("internet", "elsewhere", (), ip="203.0.113.10")
    pods["dns"] = Pod("dns", "kube-system", (("k8s-app", "kube-dns"),))
    return pods


def port_of(render: Render, service: str) -> int:
    ports = {p["name"]: p["containerPort"] for p in main_container(render.deployments()[service])["ports"]}
    return ports.get("grpc") or ports["http"]


@pytest.mark.parametrize("label", ["overlays/prod", "overlays/dev", "base+network-policies"])
def test_only_the_designed_calls_are_allowed(renders: dict[str, Render], label: str) -> None:
    render = renders[label]
    policies = render.of_kind("NetworkPolicy")
    assert policies, f"{label}: no NetworkPolicy"
    namespace = render.deployments()["gateway"]["metadata"].get("namespace", "motcua-check")
    pods = pods_of(render, namespace)
    ports = {s: port_of(render, s) for s in SERVICES}
    ports.update(postgres=5432, pooler=5432, kafka=9093, dns=53, internet=443, intruder=8080)

    expected = {("gateway", s) for s in GRPC_SERVICES}  # DESIGN.md: the gateway calls the four by gRPC
    # and the services' own calls: procedures from the catalogue, contacts for notifications
    expected |= {("dossier", "catalogue"), ("scheduler", "catalogue"), ("notification", "dossier"),
                 ("notification", "scheduler")}
    expected |= {(s, d) for s in SERVICES for d in ("postgres", "pooler", "kafka", "dns")}
    expected |= {("ingress", "gateway"), ("notification", "internet")}  # providers and agency webhooks (443)

    sources = [*SERVICES, "ingress", "prometheus", "intruder", "internet"]
    targets = [*SERVICES, "postgres", "pooler", "kafka", "dns", "internet", "intruder"]
    got = {
        (s, d)
        for s in sources
        for d in targets
        if s != d and allowed(policies, pods[s], pods[d], ports[d])
        # only the five services are confined; other pods' traffic is not ours to judge
        and (s in SERVICES or d in SERVICES)
    }
    assert got == expected, (
        f"{label}: unexpected {sorted(got - expected)}; missing {sorted(expected - got)}"
    )


def test_metrics_ports_are_scrapable_by_prometheus_only(renders: dict[str, Render]) -> None:
    render = renders["overlays/prod"]
    policies = render.of_kind("NetworkPolicy")
    pods = pods_of(render, "motcua")
    for service in GRPC_SERVICES:
        metrics = {p["name"]: p["containerPort"] for p in main_container(render.deployments()[service])["ports"]}
        assert allowed(policies, pods["prometheus"], pods[service], metrics["metrics"])
        assert not allowed(policies, pods["gateway"], pods[service], metrics["metrics"])
        assert not allowed(policies, pods["ingress"], pods[service], metrics["metrics"])


def test_gateway_metrics_port_is_for_prometheus_only(renders: dict[str, Render]) -> None:
    """The gateway's metrics have their own port: Prometheus may scrape it, the ingress may not reach it."""
    render = renders["overlays/prod"]
    policies = render.of_kind("NetworkPolicy")
    pods = pods_of(render, "motcua")
    gateway = main_container(render.deployments()["gateway"])
    ports = {p["name"]: p["containerPort"] for p in gateway["ports"]}
    config = render.get("ConfigMap", next(r["configMapRef"]["name"] for r in gateway["envFrom"]
                                          if r["configMapRef"]["name"].startswith("gateway-config")))
    assert int(config["data"]["MOTCUA_METRICS_PORT"]) == ports["metrics"]
    annotations = render.deployments()["gateway"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(ports["metrics"])
    assert allowed(policies, pods["prometheus"], pods["gateway"], ports["metrics"])
    assert not allowed(policies, pods["prometheus"], pods["gateway"], ports["http"])
    for other in ("ingress", "intruder", "internet", "notification"):
        assert not allowed(policies, pods[other], pods["gateway"], ports["metrics"]), other


def test_only_notification_reaches_public_addresses(renders: dict[str, Render]) -> None:
    render = renders["overlays/prod"]
    policies = render.of_kind("NetworkPolicy")
    pods = pods_of(render, "motcua")
    for port in (443, 587):
        assert allowed(policies, pods["notification"], pods["internet"], port)
    assert not allowed(policies, pods["notification"], pods["internet"], 80), "plain http to providers"
    # the egress to "anywhere" does not open the cluster network (e.g. another namespace's pods)
    inside = Pod("elsewhere-db", "other-team", (("app", "db"),), ip="10.42.7.7")
    assert not allowed(policies, pods["notification"], inside, 443)
    for service in ("gateway", "catalogue", "dossier", "scheduler"):
        assert not allowed(policies, pods[service], pods["internet"], 443), service
