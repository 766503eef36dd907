#!/usr/bin/env python3
"""Generate the published contracts in contracts/ from the code that defines them.

    python tools/gen_contracts.py           # write contracts/openapi.json and contracts/asyncapi.yaml
    python tools/gen_contracts.py --check   # exit 1 if a committed file differs from what the code gives

- `contracts/openapi.json`: the gateway's OpenAPI document, `create_app(settings).openapi()` with
  fixed settings (no environment variable can change it; the development issuer is left out).
- `contracts/asyncapi.yaml`: AsyncAPI 3.0 of every topic in `proto/motcua/events/v1/topics.json`:
  one channel per topic, one message per CloudEvents type with its `ce_*` headers, the Kafka key,
  the payload's JSON Schema derived from the proto descriptors (proto3 JSON mapping, comments of the
  .proto files as descriptions) and the golden sample beside topics.json as the example.

Both are deterministic: the same code gives byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
OPENAPI_FILE = CONTRACTS / "openapi.json"
ASYNCAPI_FILE = CONTRACTS / "asyncapi.yaml"
PROTO_DIR = ROOT / "proto"
EVENTS_DIR = PROTO_DIR / "motcua" / "events" / "v1"
TOPICS_JSON = EVENTS_DIR / "topics.json"
SAMPLES = EVENTS_DIR / "samples"
FIX_HINT = "run `make contracts` (python tools/gen_contracts.py) and commit the result"
KAFKA_BINDING_VERSION = "0.5.0"
ASYNCAPI_VERSION = "1.0.0"  # the event contracts' version (motcua.events.v1)
_EXAMPLE_NAMESPACE = uuid.UUID("6f9b3c1e-8a52-4d0b-9a57-6d6f74637561")

# --------------------------------------------------------------------------- OpenAPI


def openapi_document() -> dict[str, Any]:
    """The gateway's OpenAPI document with settings no environment can change."""
    for key in [k for k in os.environ if k.upper().startswith("MOTCUA_")]:
        del os.environ[key]
    from motcua_gateway.app import create_app
    from motcua_gateway.settings import Settings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="postgresql://motcua@localhost:5432/motcua",
        kafka_bootstrap="localhost:9092",
        auth_dev_issuer=False,
    )
    return create_app(settings).openapi()


def render_openapi() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- proto descriptors

_SCALARS: dict[int, dict[str, Any]] = {
    descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE: {"type": "number"},
    descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT: {"type": "number"},
    descriptor_pb2.FieldDescriptorProto.TYPE_INT32: {"type": "integer", "format": "int32"},
    descriptor_pb2.FieldDescriptorProto.TYPE_SINT32: {"type": "integer", "format": "int32"},
    descriptor_pb2.FieldDescriptorProto.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    descriptor_pb2.FieldDescriptorProto.TYPE_UINT32: {"type": "integer", "minimum": 0},
    descriptor_pb2.FieldDescriptorProto.TYPE_FIXED32: {"type": "integer", "minimum": 0},
    # proto3 JSON writes 64-bit integers as decimal strings
    descriptor_pb2.FieldDescriptorProto.TYPE_INT64: {"type": "string", "pattern": "^-?[0-9]+$", "format": "int64"},
    descriptor_pb2.FieldDescriptorProto.TYPE_SINT64: {"type": "string", "pattern": "^-?[0-9]+$", "format": "int64"},
    descriptor_pb2.FieldDescriptorProto.TYPE_SFIXED64: {"type": "string", "pattern": "^-?[0-9]+$", "format": "int64"},
    descriptor_pb2.FieldDescriptorProto.TYPE_UINT64: {"type": "string", "pattern": "^[0-9]+$", "format": "uint64"},
    descriptor_pb2.FieldDescriptorProto.TYPE_FIXED64: {"type": "string", "pattern": "^[0-9]+$", "format": "uint64"},
    descriptor_pb2.FieldDescriptorProto.TYPE_BOOL: {"type": "boolean"},
    descriptor_pb2.FieldDescriptorProto.TYPE_STRING: {"type": "string"},
    descriptor_pb2.FieldDescriptorProto.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
}

_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time",
                                  "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$"},
    "google.protobuf.Duration": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?s$"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.StringValue": {"type": "string"},
    "google.protobuf.BoolValue": {"type": "boolean"},
    "google.protobuf.Int32Value": {"type": "integer"},
    "google.protobuf.UInt32Value": {"type": "integer", "minimum": 0},
    "google.protobuf.Int64Value": {"type": "string", "pattern": "^-?[0-9]+$"},
    "google.protobuf.UInt64Value": {"type": "string", "pattern": "^[0-9]+$"},
    "google.protobuf.DoubleValue": {"type": "number"},
    "google.protobuf.FloatValue": {"type": "number"},
    "google.protobuf.BytesValue": {"type": "string", "contentEncoding": "base64"},
}


def _descriptor_set() -> descriptor_pb2.FileDescriptorSet:
    """Compile the event protos with their comments (protoc from the pinned grpcio-tools)."""
    import grpc_tools

    include = resources.files(grpc_tools).joinpath("_proto")
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in EVENTS_DIR.glob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "events.pb"
        cmd = [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}", f"-I{include}", "--include_imports",
               "--include_source_info", f"--descriptor_set_out={out}", *protos]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"protoc failed:\n{result.stderr}")
        fds = descriptor_pb2.FileDescriptorSet()
        fds.ParseFromString(out.read_bytes())
        return fds


def _clean_comment(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines()]
    return " ".join(line for line in lines if line).strip()


class ProtoIndex:
    """Messages and enums of a descriptor set by full name, with their leading comments."""

    def __init__(self, fds: descriptor_pb2.FileDescriptorSet) -> None:
        self.messages: dict[str, descriptor_pb2.DescriptorProto] = {}
        self.enums: dict[str, descriptor_pb2.EnumDescriptorProto] = {}
        self.comments: dict[tuple[str, ...], str] = {}  # (full name[, field name]) -> comment
        for file in fds.file:
            locations = {tuple(loc.path): loc.leading_comments for loc in file.source_code_info.location}
            for i, msg in enumerate(file.message_type):
                self._add_message(file.package, msg, (4, i), locations)
            for i, enum in enumerate(file.enum_type):
                self._add_enum(file.package, enum, (5, i), locations)

    def _add_message(self, scope: str, msg: descriptor_pb2.DescriptorProto, path: tuple[int, ...],
                     locations: dict[tuple[int, ...], str]) -> None:
        name = f"{scope}.{msg.name}"
        self.messages[name] = msg
        self.comments[(name,)] = _clean_comment(locations.get(path, ""))
        for i, fld in enumerate(msg.field):
            self.comments[(name, fld.name)] = _clean_comment(locations.get((*path, 2, i), ""))
        for i, nested in enumerate(msg.nested_type):
            self._add_message(name, nested, (*path, 3, i), locations)
        for i, enum in enumerate(msg.enum_type):
            self._add_enum(name, enum, (*path, 4, i), locations)

    def _add_enum(self, scope: str, enum: descriptor_pb2.EnumDescriptorProto, path: tuple[int, ...],
                  locations: dict[tuple[int, ...], str]) -> None:
        name = f"{scope}.{enum.name}"
        self.enums[name] = enum
        self.comments[(name,)] = _clean_comment(locations.get(path, ""))


class SchemaBuilder:
    """JSON Schemas of the proto3 JSON form of messages, collected under components.schemas."""

    def __init__(self, index: ProtoIndex) -> None:
        self.index = index
        self.schemas: dict[str, dict[str, Any]] = {}

    def ref(self, full_name: str) -> dict[str, Any]:
        if full_name not in self.schemas:
            self.schemas[full_name] = {}  # placeholder: recursion stops here
            self.schemas[full_name] = self._message(full_name)
        return {"$ref": f"#/components/schemas/{full_name}"}

    def _message(self, full_name: str) -> dict[str, Any]:
        msg = self.index.messages[full_name]
        properties: dict[str, Any] = {}
        for fld in msg.field:
            schema = self._field(fld)
            comment = self.index.comments.get((full_name, fld.name))
            if comment:
                schema = {"description": comment, **schema} if "$ref" not in schema else {"description": comment,
                                                                                           "allOf": [schema]}
            properties[fld.json_name] = schema
        out: dict[str, Any] = {"type": "object", "title": msg.name}
        if self.index.comments.get((full_name,)):
            out["description"] = self.index.comments[(full_name,)]
        out["x-proto-message"] = full_name
        out["properties"] = properties
        return out

    def _field(self, fld: descriptor_pb2.FieldDescriptorProto) -> dict[str, Any]:
        type_name = fld.type_name.lstrip(".")
        if fld.type == descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE:
            entry = self.index.messages.get(type_name)
            if entry is not None and entry.options.map_entry:
                value = next(f for f in entry.field if f.name == "value")
                return {"type": "object", "additionalProperties": self._single(value)}
        single = self._single(fld)
        if fld.label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED:
            return {"type": "array", "items": single}
        return single

    def _single(self, fld: descriptor_pb2.FieldDescriptorProto) -> dict[str, Any]:
        type_name = fld.type_name.lstrip(".")
        if fld.type == descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE:
            if type_name in _WELL_KNOWN:
                return dict(_WELL_KNOWN[type_name])
            return self.ref(type_name)
        if fld.type == descriptor_pb2.FieldDescriptorProto.TYPE_ENUM:
            enum = self.index.enums[type_name]
            schema: dict[str, Any] = {"type": "string", "enum": [v.name for v in enum.value]}
            if self.index.comments.get((type_name,)):
                schema["description"] = self.index.comments[(type_name,)]
            return schema
        return dict(_SCALARS[fld.type])


# --------------------------------------------------------------------------- AsyncAPI


def _ce_headers(type_: str, source: str, key_description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "CloudEvents 1.0 attributes in Kafka binary content mode (one `ce_<attribute>` header each, "
                       "UTF-8), plus the W3C trace context as plain headers.",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"],
        "properties": {
            "ce_specversion": {"type": "string", "const": "1.0"},
            "ce_id": {"type": "string", "minLength": 1,
                      "description": "Unique event id. Consumers dedupe on it: a redelivered or replayed event "
                                     "keeps its id."},
            "ce_source": {"type": "string", "const": source},
            "ce_type": {"type": "string", "const": type_},
            "ce_time": {"type": "string", "format": "date-time", "description": "When it happened (RFC 3339, UTC)."},
            "ce_subject": {"type": "string", "description": f"The aggregate the event is about: the {key_description}."},
            "content-type": {"type": "string", "const": "application/json",
                             "description": "CloudEvents `datacontenttype`: the value is proto3 JSON."},
            "traceparent": {"type": "string", "description": "W3C trace context (also the `ce_traceparent` extension)."},
            "tracestate": {"type": "string"},
        },
    }


def _example_headers(type_: str, source: str, key: str, sample: dict[str, Any]) -> dict[str, str]:
    occurred = sample.get("occurredAt", "2025-01-01T00:00:00Z")
    return {
        "ce_specversion": "1.0",
        "ce_id": str(uuid.uuid5(_EXAMPLE_NAMESPACE, type_)),
        "ce_source": source,
        "ce_type": type_,
        "ce_time": occurred,
        "ce_subject": key,
        "content-type": "application/json",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    }


def _short(type_: str) -> str:
    return type_.rsplit(".", 1)[-1]


def asyncapi_document() -> dict[str, Any]:
    registry = json.loads(TOPICS_JSON.read_text(encoding="utf-8"))
    index = ProtoIndex(_descriptor_set())
    builder = SchemaBuilder(index)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}

    for topic in registry["topics"]:
        name = topic["name"]
        key_description = topic.get("key", "aggregate id")
        channel_messages: dict[str, Any] = {}
        for event in topic["events"]:
            type_ = event["type"]
            message_name = event["message"]
            sample_path = SAMPLES / f"{type_}.json"
            sample = json.loads(sample_path.read_text(encoding="utf-8")) if sample_path.exists() else None
            key_field = event.get("key_field")
            key_json = None
            if key_field:
                msg = index.messages[message_name]
                key_json = next((f.json_name for f in msg.field if f.name == key_field), None)
            key_example = str(sample.get(key_json, "")) if sample and key_json else ""
            message: dict[str, Any] = {
                "name": message_name.rsplit(".", 1)[-1],
                "title": type_,
                "summary": index.comments.get((message_name,)) or message_name,
                "contentType": "application/json",
                "headers": _ce_headers(type_, topic["source"], key_description),
                "payload": builder.ref(message_name),
                "correlationId": {"description": "The CloudEvents id", "location": "$message.header#/ce_id"},
                "bindings": {
                    "kafka": {
                        "key": {"type": "string",
                                "description": f"The {key_description} (field `{key_json or key_field}` of the payload): "
                                               "one aggregate's events share a partition and stay in order."},
                        "bindingVersion": KAFKA_BINDING_VERSION,
                    }
                },
                "x-cloudevents-type": type_,
                "x-proto-message": message_name,
            }
            if sample is not None:
                message["examples"] = [{
                    "name": _short(type_),
                    "summary": f"Golden sample proto/motcua/events/v1/samples/{sample_path.name}",
                    "headers": _example_headers(type_, topic["source"], key_example, sample),
                    "payload": sample,
                }]
            messages[type_] = message
            channel_messages[_short(type_)] = {"$ref": f"#/components/messages/{type_}"}
        channels[name] = {
            "address": name,
            "title": name,
            "description": f"Events of the {topic['producer']} service, keyed by {key_description}. "
                           f"Partitions: {topic['partitions']}; retention: {topic['retention_ms'] // 86_400_000} days.",
            "messages": channel_messages,
            "bindings": {
                "kafka": {
                    "topic": name,
                    "partitions": topic["partitions"],
                    "topicConfiguration": {"retention.ms": topic["retention_ms"], "cleanup.policy": ["delete"]},
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            },
            "x-producer": topic["producer"],
        }
        operations[f"publish.{name}"] = {
            "action": "send",
            "title": f"{topic['producer']} publishes",
            "summary": f"The {topic['producer']} service's outbox relay publishes (acks=all) every state change "
                       "committed with its event in one PostgreSQL transaction.",
            "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/{m}"} for m in channel_messages],
        }

    dead_letter_message = {
        "name": "DeadLetteredRecord",
        "title": "Dead-lettered record",
        "summary": "A record a consumer could not process, published unchanged (key, value, original headers) "
                   "plus `dlt_*` headers.",
        "headers": {
            "type": "object",
            "required": ["dlt_original_topic", "dlt_original_partition", "dlt_original_offset", "dlt_error",
                         "dlt_consumer", "dlt_failed_at"],
            "properties": {
                "dlt_original_topic": {"type": "string"},
                "dlt_original_partition": {"type": "string", "pattern": "^[0-9]+$"},
                "dlt_original_offset": {"type": "string", "pattern": "^[0-9]+$"},
                "dlt_error": {"type": "string", "description": "What went wrong (truncated)."},
                "dlt_consumer": {"type": "string"},
                "dlt_failed_at": {"type": "string", "format": "date-time"},
            },
        },
        "payload": {"description": "The original record value, unchanged (usually a CloudEvents binary-mode data)."},
        "bindings": {"kafka": {"key": {"type": "string", "description": "The original key."},
                               "bindingVersion": KAFKA_BINDING_VERSION}},
    }
    messages["dead-letter"] = dead_letter_message
    for dlt in registry.get("dead_letter_topics", []):
        dlt = {"name": dlt} if isinstance(dlt, str) else dlt
        name = dlt["name"]
        channels[name] = {
            "address": name,
            "title": name,
            "description": dlt.get("description", "Dead letters."),
            "messages": {"deadLetter": {"$ref": "#/components/messages/dead-letter"}},
            "bindings": {"kafka": {"topic": name, "partitions": dlt.get("partitions", 1),
                                   "topicConfiguration": {"retention.ms": dlt.get("retention_ms", 2592000000)},
                                   "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        operations[f"deadLetter.{name}"] = {
            "action": "send",
            "title": f"{dlt.get('consumer', 'a consumer')} parks poison messages",
            "channel": {"$ref": f"#/channels/{name}"},
            "messages": [{"$ref": f"#/channels/{name}/messages/deadLetter"}],
        }
    for topic in ("motcua.dossier.events.v1", "motcua.scheduler.events.v1"):
        if topic in channels:
            operations[f"notification.receive.{topic}"] = {
                "action": "receive",
                "title": "notification consumes",
                "summary": "Consumer group `motcua-notification` turns events into citizen notifications and "
                           "agency webhook deliveries (dedupe on ce_id, commit after the work is durable).",
                "channel": {"$ref": f"#/channels/{topic}"},
                "messages": [{"$ref": f"#/channels/{topic}/messages/{m}"} for m in channels[topic]["messages"]],
                "bindings": {"kafka": {"groupId": {"type": "string", "const": "motcua-notification"},
                                       "bindingVersion": KAFKA_BINDING_VERSION}},
            }

    return {
        "asyncapi": "3.0.0",
        "id": "urn:vn:motcua:events",
        "info": {
            "title": "Một Cửa events",
            "version": ASYNCAPI_VERSION,
            "description": (
                "Facts published by Một Cửa on Kafka. Every record is a CloudEvents 1.0 event in Kafka binary "
                "content mode: the attributes are `ce_*` headers, the value is the proto3 JSON form of a message of "
                "`proto/motcua/events/v1` (fields that hold their default value are omitted; unknown fields must be "
                "ignored). The record key keeps one aggregate's events in order. Generated by tools/gen_contracts.py "
                "from proto/motcua/events/v1 (topics.json, *.proto, samples/); do not edit by hand. "
                "Integration guide: docs/agency-integration.md."
            ),
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "production": {
                "host": "motcua-kafka-bootstrap:9093",
                "protocol": "kafka-secure",
                "description": "The Strimzi cluster of deploy/k8s (TLS listener; SCRAM-SHA-512 or mutual TLS users "
                               "with per-agency ACLs). Use the address your operator gives you.",
                "security": [{"$ref": "#/components/securitySchemes/scramSha512"},
                             {"$ref": "#/components/securitySchemes/mutualTls"}],
            },
            "development": {
                "host": "127.0.0.1:19092",
                "protocol": "kafka",
                "description": "The embedded broker of `make run` (memory only, no authentication).",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": dict(sorted(builder.schemas.items())),
            "messages": messages,
            "securitySchemes": {
                "scramSha512": {"type": "scramSha512", "description": "KafkaUser with authentication scram-sha-512."},
                "mutualTls": {"type": "X509", "description": "KafkaUser with authentication tls (client certificate)."},
            },
        },
    }


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)
_Dumper.ignore_aliases = lambda self, data: True  # type: ignore[method-assign]


def render_asyncapi() -> str:
    header = "# Generated by tools/gen_contracts.py from proto/motcua/events/v1 — do not edit; run `make contracts`.\n"
    return header + yaml.dump(asyncapi_document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


# --------------------------------------------------------------------------- main


def outputs() -> dict[Path, str]:
    return {OPENAPI_FILE: render_openapi(), ASYNCAPI_FILE: render_asyncapi()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a committed contract file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path.relative_to(ROOT))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        for path in stale:
            print(f"{path} is stale: it differs from what the code generates", file=sys.stderr)
        print(f"published contracts are out of date: {FIX_HINT}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
