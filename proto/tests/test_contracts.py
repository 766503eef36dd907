"""Contract tests: topic registry, golden event samples and proto conventions."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

PROTO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = PROTO_ROOT / "motcua"
EVENTS_DIR = PACKAGE_ROOT / "events" / "v1"
SAMPLES_DIR = EVENTS_DIR / "samples"
REGISTRY = json.loads((EVENTS_DIR / "topics.json").read_text(encoding="utf-8"))
PROTO_FILES = sorted(PACKAGE_ROOT.rglob("*.proto"))
EVENTS = [event for topic in REGISTRY["topics"] for event in topic["events"]]
EVENT_TYPES = [event["type"] for event in EVENTS]

# Fields that would put a citizen's personal data on a topic.
PERSONAL_FIELDS = {"phone", "email", "zalo_user_id", "full_name", "id_number", "address", "applicant", "citizen", "recipient"}


def _module_name(proto: Path) -> str:
    return ".".join(proto.relative_to(PROTO_ROOT).with_suffix("").parts) + "_pb2"


for _proto in PROTO_FILES:  # register every descriptor in the default pool
    importlib.import_module(_module_name(_proto))


def _message_class(full_name: str) -> type[Message]:
    descriptor = descriptor_pool.Default().FindMessageTypeByName(full_name)
    return message_factory.GetMessageClass(descriptor)


def _sample_path(event_type: str) -> Path:
    return SAMPLES_DIR / f"{event_type}.json"


def _parse_sample(event: dict) -> tuple[dict, Message]:
    text = _sample_path(event["type"]).read_text(encoding="utf-8")
    message = json_format.Parse(text, _message_class(event["message"])(), ignore_unknown_fields=False)
    return json.loads(text), message


def _leading_comment_missing(lines: list[str], index: int) -> bool:
    for previous in reversed(lines[:index]):
        stripped = previous.strip()
        if stripped:
            return not (stripped.startswith("//") or stripped.endswith("*/"))
    return True


@pytest.mark.parametrize("event", EVENTS, ids=EVENT_TYPES)
def test_event_type_has_sample_and_existing_message(event: dict) -> None:
    assert _sample_path(event["type"]).is_file(), f"missing golden sample for {event['type']}"
    assert _message_class(event["message"]).DESCRIPTOR.full_name == event["message"]


@pytest.mark.parametrize("event", EVENTS, ids=EVENT_TYPES)
def test_sample_parses_strictly_and_is_canonical(event: dict) -> None:
    raw, message = _parse_sample(event)
    # Golden files are kept in the canonical proto3 JSON form the producers emit.
    assert json_format.MessageToDict(message) == raw


@pytest.mark.parametrize("event", EVENTS, ids=EVENT_TYPES)
def test_json_and_binary_round_trips_are_stable(event: dict) -> None:
    _, message = _parse_sample(event)
    cls = type(message)
    once = json_format.MessageToJson(message)
    again = json_format.Parse(once, cls(), ignore_unknown_fields=False)
    assert again == message
    assert json_format.MessageToJson(again) == once
    assert cls.FromString(message.SerializeToString(deterministic=True)) == message


@pytest.mark.parametrize("event", EVENTS, ids=EVENT_TYPES)
def test_key_field_is_set_in_sample(event: dict) -> None:
    _, message = _parse_sample(event)
    assert event["key_field"] in message.DESCRIPTOR.fields_by_name
    assert getattr(message, event["key_field"]), f"{event['type']} sample has an empty Kafka key"


def test_every_sample_file_is_bound_to_a_type() -> None:
    orphans = {p.name for p in SAMPLES_DIR.glob("*.json")} - {f"{t}.json" for t in EVENT_TYPES}
    assert not orphans


def test_topic_registry_is_consistent() -> None:
    assert len(EVENT_TYPES) == len(set(EVENT_TYPES))
    names = {topic["name"] for topic in REGISTRY["topics"]}
    assert names == {f"motcua.{svc}.events.v1" for svc in ("catalogue", "dossier", "scheduler", "notification")}
    for topic in REGISTRY["topics"]:
        assert topic["name"] == f"motcua.{topic['producer']}.events.v1"
        assert topic["partitions"] >= 1
        assert topic["retention_ms"] >= 604_800_000
        for event in topic["events"]:
            assert re.fullmatch(rf"motcua\.{topic['producer']}\.v1\.[a-z_]+", event["type"]), event["type"]
            assert event["message"].startswith("motcua.events.v1.")
    dead_letters = {topic["name"] for topic in REGISTRY["dead_letter_topics"]}
    assert dead_letters == {"motcua.notification.dlt", "motcua.agency-subscriber.dlt"}


def _event_package_messages() -> list[Descriptor]:
    found = []
    for proto in sorted(EVENTS_DIR.glob("*.proto")):
        module = importlib.import_module(_module_name(proto))
        found.extend(module.DESCRIPTOR.message_types_by_name.values())
    return found


def test_every_event_message_is_bound_and_every_bound_message_is_an_event() -> None:
    bound = {event["message"] for event in EVENTS}
    events = {d.full_name for d in _event_package_messages() if "occurred_at" in d.fields_by_name}
    assert bound == events


def _personal_fields(descriptor: Descriptor, seen: set[str]) -> list[str]:
    if descriptor.full_name in seen:
        return []
    seen.add(descriptor.full_name)
    hits = [f"{descriptor.full_name}.{f.name}" for f in descriptor.fields if f.name in PERSONAL_FIELDS]
    for field in descriptor.fields:
        if field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name.startswith("motcua."):
            hits += _personal_fields(field.message_type, seen)
    return hits


def test_events_carry_no_personal_data() -> None:
    seen: set[str] = set()
    hits = [hit for d in _event_package_messages() for hit in _personal_fields(d, seen)]
    assert not hits, f"events must carry contact_ref, not personal data: {hits}"


@pytest.mark.parametrize("proto", PROTO_FILES, ids=lambda p: str(p.relative_to(PROTO_ROOT)))
def test_package_matches_directory(proto: Path) -> None:
    rel = proto.relative_to(PROTO_ROOT).parent
    assert len(rel.parts) == 3 and rel.parts[0] == "motcua" and re.fullmatch(r"v\d+", rel.parts[2])
    packages = re.findall(r"^package\s+([\w.]+)\s*;", proto.read_text(encoding="utf-8"), re.MULTILINE)
    assert packages == [".".join(rel.parts)]
    assert 'syntax = "proto3";' in proto.read_text(encoding="utf-8")


@pytest.mark.parametrize("proto", PROTO_FILES, ids=lambda p: str(p.relative_to(PROTO_ROOT)))
def test_every_declaration_has_a_leading_comment(proto: Path) -> None:
    lines = proto.read_text(encoding="utf-8").splitlines()
    declaration = re.compile(r"^\s*(rpc|service|message|enum)\s+\w+")
    missing = [
        f"{proto.name}:{i + 1}: {line.strip()}"
        for i, line in enumerate(lines)
        if declaration.match(line) and _leading_comment_missing(lines, i)
    ]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("proto", PROTO_FILES, ids=lambda p: str(p.relative_to(PROTO_ROOT)))
def test_services_have_generated_stubs(proto: Path) -> None:
    module = importlib.import_module(_module_name(proto))
    if not module.DESCRIPTOR.services_by_name:
        return
    grpc_module = importlib.import_module(_module_name(proto) + "_grpc")
    for name, service in module.DESCRIPTOR.services_by_name.items():
        assert service.methods, f"{name} has no rpc"
        for attr in (f"{name}Stub", f"{name}Servicer", f"add_{name}Servicer_to_server"):
            assert hasattr(grpc_module, attr), attr


def test_dossier_status_matches_national_codes() -> None:
    from motcua.dossier.v1 import dossier_service_pb2 as pb

    expected = [
        "NEW", "RECEIVED", "NOT_ACCEPTED", "PROCESSING", "SUPPLEMENT_REQUESTED",
        "FINANCIAL_OBLIGATION", "WITHDRAWAL_REQUESTED", "SUSPENDED", "PROCESSED", "RESULT_RETURNED",
    ]  # fmt: skip
    assert [pb.DossierStatus.Name(code) for code in range(1, 11)] == [f"DOSSIER_STATUS_{n}" for n in expected]
    assert len(pb.DossierStatus.keys()) == 11  # the ten national codes plus UNSPECIFIED
