"""The published contracts in contracts/: valid, complete, faithful to the proto and current.

contracts/asyncapi.yaml is validated against the official AsyncAPI 3.0.0 JSON Schema
(vendored in contracts/schemas, no network); its payload schemas must accept every golden
sample strictly (no property the schema does not know) and name every field of the proto
message. Drift: `make contracts` regenerates, `make contracts-check` (part of `make test`)
and the last test here fail when a committed file differs from what the code generates.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from typing import Any

import jsonschema
import pytest
from deploy_checks import CONTRACTS, REPO, asyncapi_document, asyncapi_validator, topic_registry
from google.protobuf import descriptor_pool
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SAMPLES = REPO / "proto" / "motcua" / "events" / "v1" / "samples"


def _gen_contracts():
    spec = importlib.util.spec_from_file_location("gen_contracts", REPO / "tools" / "gen_contracts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def registered_events() -> list[tuple[str, dict[str, Any]]]:
    return [(t["name"], e) for t in topic_registry().values() if t["kind"] == "events" for e in t["events"]]


def test_asyncapi_is_valid_against_the_official_schema() -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in asyncapi_validator().iter_errors(
        asyncapi_document())]
    assert not errors, "\n".join(errors)


def test_the_schema_check_catches_a_broken_document() -> None:
    broken = copy.deepcopy(asyncapi_document())
    operation = next(iter(broken["operations"].values()))
    operation["action"] = "publish"  # AsyncAPI 2 wording, not valid in 3.0
    assert list(asyncapi_validator().iter_errors(broken))
    del broken["operations"]
    broken["info"].pop("version")
    assert list(asyncapi_validator().iter_errors(broken))


@pytest.mark.parametrize(("topic", "event"), registered_events(), ids=lambda v: v["type"] if isinstance(v, dict) else v)
def test_every_event_type_is_a_message_with_cloudevents_headers(topic: str, event: dict[str, Any]) -> None:
    doc = asyncapi_document()
    message = doc["components"]["messages"][event["type"]]
    headers = message["headers"]
    assert headers["properties"]["ce_type"]["const"] == event["type"]
    assert headers["properties"]["ce_source"]["const"] == topic_registry()[topic]["source"]
    assert {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"} <= set(headers["required"])
    assert message["bindings"]["kafka"]["key"]["type"] == "string"
    channel_refs = [m["$ref"] for m in doc["channels"][topic]["messages"].values()]
    assert f"#/components/messages/{event['type']}" in channel_refs
    sent = [op for op in doc["operations"].values() if op["action"] == "send" and op["channel"]["$ref"] == f"#/channels/{topic}"]
    assert sent, f"no send operation on {topic}"


def _strict(schema: Any) -> Any:
    """The same schema, refusing properties it does not declare (to catch a payload the schema misdescribes)."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if out.get("type") == "object" and "properties" in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@pytest.fixture(scope="module")
def payload_validator_for():
    """type -> a validator of that message's payload, `$ref`s resolved inside the (strict) document."""
    doc = _strict(asyncapi_document())
    registry = Registry().with_resource("urn:motcua:asyncapi", Resource.from_contents(doc, default_specification=DRAFT7))

    def make(type_: str) -> jsonschema.Draft7Validator:
        ref = doc["components"]["messages"][type_]["payload"]["$ref"]
        return jsonschema.Draft7Validator({"$ref": f"urn:motcua:asyncapi{ref}"}, registry=registry,
                                          format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)

    return make


@pytest.mark.parametrize(("topic", "event"), registered_events(), ids=lambda v: v["type"] if isinstance(v, dict) else v)
def test_golden_sample_is_the_example_and_fits_the_payload_schema(topic: str, event: dict[str, Any],
                                                                   payload_validator_for) -> None:
    sample = json.loads((SAMPLES / f"{event['type']}.json").read_text(encoding="utf-8"))
    message = asyncapi_document()["components"]["messages"][event["type"]]
    example = message["examples"][0]
    assert example["payload"] == sample
    assert example["headers"]["ce_type"] == event["type"]
    validator = payload_validator_for(event["type"])
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(sample)]
    assert not errors, "\n".join(errors)


def test_payload_schema_rejects_a_wrong_sample(payload_validator_for) -> None:
    validator = payload_validator_for("motcua.dossier.v1.received")
    sample = json.loads((SAMPLES / "motcua.dossier.v1.received.json").read_text(encoding="utf-8"))
    assert not list(validator.iter_errors(sample))
    for bad in ({**sample, "status": "NOT_A_STATUS"}, {**sample, "statusCode": "1"}, {**sample, "dossier_kode": "x"},
                {**sample, "occurredAt": "yesterday"}):
        assert list(validator.iter_errors(bad)), bad


@pytest.mark.parametrize(("topic", "event"), registered_events(), ids=lambda v: v["type"] if isinstance(v, dict) else v)
def test_payload_schema_names_every_field_of_the_proto_message(topic: str, event: dict[str, Any]) -> None:
    import motcua.events.v1  # noqa: F401  (registers the descriptors)

    for module in ("catalogue_events_pb2", "dossier_events_pb2", "scheduler_events_pb2", "notification_events_pb2"):
        __import__(f"motcua.events.v1.{module}")
    descriptor = descriptor_pool.Default().FindMessageTypeByName(event["message"])
    schema = asyncapi_document()["components"]["schemas"][event["message"]]
    assert set(schema["properties"]) == {f.json_name for f in descriptor.fields}


def test_committed_contracts_are_current() -> None:
    gen = _gen_contracts()
    stale = [str(path.relative_to(REPO)) for path, text in gen.outputs().items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    assert not stale, f"{', '.join(stale)} out of date: run `make contracts` and commit the result"


def test_openapi_is_published_with_the_public_routes() -> None:
    doc = json.loads((CONTRACTS / "openapi.json").read_text(encoding="utf-8"))
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/dossiers" in doc["paths"]
    assert "/api/v1/auth/dev-token" not in doc["paths"], "the development issuer is not part of the contract"
