"""The vendored CRD schemas (deploy/k8s/schemas) are valid and strict where it matters.

They are hand-written subsets of the Strimzi and CloudNativePG CRDs (no network here
to fetch the real ones); each case below is a mistake the real operator would reject
or silently ignore, and which must fail `make test` instead.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
import yaml
from deploy_checks import K8S, K8S_VERSIONS, crd_schemas, schema_errors

COMPONENTS = K8S / "components"


def load(path: str, kind: str) -> dict[str, Any]:
    docs = [d for d in yaml.safe_load_all((COMPONENTS / path).read_text()) if d]
    return copy.deepcopy(next(d for d in docs if d["kind"] == kind))


def test_every_vendored_schema_is_valid_json_schema() -> None:
    schemas = crd_schemas()
    assert {kind for _, kind in schemas} == {
        "Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster", "Pooler", "ScheduledBackup", "ObjectStore",
    }
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def _patch_files() -> set[str]:
    """Files the components use as patches: partial documents, validated once applied (test_kustomize)."""
    out = set()
    for kustomization in COMPONENTS.glob("*/kustomization.yaml"):
        for patch in yaml.safe_load(kustomization.read_text()).get("patches", []):
            if "path" in patch:
                out.add(str((kustomization.parent / patch["path"]).resolve()))
    return out


def test_committed_custom_resources_pass() -> None:
    patches = _patch_files()
    for path in COMPONENTS.glob("*/*.yaml"):
        if path.name == "kustomization.yaml" or str(path.resolve()) in patches:
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                assert not schema_errors(doc, K8S_VERSIONS[0]), path


def set_path(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    node = doc
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = keys[-1]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return doc


DELETE = object()

BROKEN = [
    ("strimzi-kafka/users.yaml", "KafkaUser", "spec.authorization.acls.0.operation", "Write",
     "v1 removed the singular `operation`"),
    ("strimzi-kafka/users.yaml", "KafkaUser", "spec.authorization.acls.0.operations", ["Writ"], "unknown operation"),
    ("strimzi-kafka/users.yaml", "KafkaUser", "metadata.labels", {}, "no strimzi.io/cluster label: ignored by the operator"),
    ("strimzi-kafka/topics.yaml", "KafkaTopic", "spec.partitions", "6", "partitions as a string"),
    ("strimzi-kafka/topics.yaml", "KafkaTopic", "spec.partition", 6, "misspelt field"),
    ("strimzi-kafka/kafka.yaml", "Kafka", "spec.kafka.replicas", 3, "v1 moved replicas to KafkaNodePool"),
    ("strimzi-kafka/kafka.yaml", "Kafka", "spec.kafka.listeners.0.name", "plain-listener", "listener name too long"),
    ("strimzi-kafka/kafka.yaml", "Kafka", "spec.kafka.config.listeners", "PLAINTEXT://:9092", "operator-owned config"),
    ("strimzi-kafka/nodepool.yaml", "KafkaNodePool", "spec.roles", ["broker", "zookeeper"], "no ZooKeeper role"),
    ("strimzi-kafka/nodepool.yaml", "KafkaNodePool", "spec.storage.volumes", DELETE, "jbod without volumes"),
    ("cloudnative-pg/cluster.yaml", "Cluster", "spec.postgresql.parameters.max_connections", 300,
     "parameters are strings"),
    ("cloudnative-pg/cluster.yaml", "Cluster", "spec.storage", DELETE, "no storage"),
    ("cloudnative-pg/cluster.yaml", "Cluster", "spec.instance", 3, "misspelt field"),
    ("cloudnative-pg/pooler.yaml", "Pooler", "spec.pgbouncer.poolMode", "statement", "unsupported pool mode"),
    ("cloudnative-pg/scheduledbackup.yaml", "ScheduledBackup", "spec.schedule", "0 19 * * *",
     "five-field cron: CNPG wants seconds first"),
    ("cloudnative-pg/scheduledbackup.yaml", "ScheduledBackup", "spec.pluginConfiguration", DELETE,
     "plugin method without its plugin"),
    ("cloudnative-pg/objectstore.yaml", "ObjectStore", "spec.retentionPolicy", "30 days", "bad retention"),
    ("cloudnative-pg/objectstore.yaml", "ObjectStore", "spec.configuration.wal.compression", "zip", "bad compression"),
]


@pytest.mark.parametrize(("path", "kind", "where", "value", "why"), BROKEN, ids=[b[4] for b in BROKEN])
def test_schema_rejects(path: str, kind: str, where: str, value: Any, why: str) -> None:
    doc = load(path, kind)
    assert not schema_errors(doc, K8S_VERSIONS[0]), "the committed resource must pass first"
    assert schema_errors(set_path(doc, where, value), K8S_VERSIONS[0]), why
