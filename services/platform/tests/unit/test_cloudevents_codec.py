"""CloudEvents Kafka binary-mode codec: round trips, interop with the reference SDK, rejections."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cloudevents.core.bindings import kafka as sdk_kafka
from cloudevents.core.v1.event import CloudEvent as SdkEvent
from google.protobuf import api_pb2, struct_pb2, timestamp_pb2

from motcua_platform.cloudevents import (
    CloudEvent,
    InvalidEvent,
    data_from_message,
    format_time,
    from_kafka,
    message_from_data,
    parse_time,
    to_kafka,
)

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def sample_event(**changes: object) -> CloudEvent:
    data = struct_pb2.Struct()
    data.update({"dossierCode": "000.00.04.H15-201125-0080", "tên": "Hồ sơ khai sinh", "copies": 2})
    fields: dict[str, object] = {
        "id": "6f1c1c9e-3f7e-4a8e-9a57-0d3c2b7f1a10",
        "source": "/motcua/dossier",
        "type": "motcua.dossier.v1.received",
        "time": datetime(2020, 11, 25, 8, 30, 15, 123456, tzinfo=UTC),
        "subject": "000.00.04.H15-201125-0080",
        "data": data_from_message(data),
        "extensions": {"traceparent": TRACEPARENT, "partitionkey": "000.00.04.H15-201125-0080"},
    }
    fields.update(changes)
    return CloudEvent(**fields)  # type: ignore[arg-type]


def test_round_trip_keeps_every_attribute() -> None:
    event = sample_event()
    key, value, headers = to_kafka(event, key="000.00.04.H15-201125-0080")
    assert from_kafka(headers, value, key) == event


def test_headers_are_binary_mode_with_plain_traceparent() -> None:
    key, value, headers = to_kafka(sample_event(), key="k-1")
    names = [name for name, _ in headers]
    as_dict = dict(headers)
    assert key == b"k-1"
    assert as_dict["ce_specversion"] == b"1.0"
    assert as_dict["ce_id"] == b"6f1c1c9e-3f7e-4a8e-9a57-0d3c2b7f1a10"
    assert as_dict["ce_time"] == b"2020-11-25T08:30:15.123456Z"
    assert as_dict["content-type"] == b"application/json"
    assert as_dict["ce_traceparent"] == TRACEPARENT.encode()
    assert as_dict["traceparent"] == TRACEPARENT.encode()
    assert len(names) == len(set(names))
    assert json.loads(value)["tên"] == "Hồ sơ khai sinh"


def test_without_subject_no_header_and_none_back() -> None:
    event = sample_event(subject=None, extensions={})
    _key, value, headers = to_kafka(event, key="k")
    assert "ce_subject" not in dict(headers)
    decoded = from_kafka(headers, value, None)
    assert decoded.subject is None
    assert decoded == event


def test_key_becomes_partitionkey_like_the_sdk() -> None:
    event = sample_event(extensions={})
    key, value, headers = to_kafka(event, key="dossier-7")
    assert from_kafka(headers, value, key).extensions == {"partitionkey": "dossier-7"}


def test_sdk_reads_what_we_write() -> None:
    event = sample_event()
    key, value, headers = to_kafka(event, key="000.00.04.H15-201125-0080")
    message = sdk_kafka.KafkaMessage(headers=dict(headers), key=key, value=value)
    sdk_event = sdk_kafka.from_binary_event(message)
    attributes = sdk_event.get_attributes()
    assert attributes["specversion"] == "1.0"
    assert attributes["id"] == event.id
    assert attributes["source"] == event.source
    assert attributes["type"] == event.type
    assert attributes["subject"] == event.subject
    assert attributes["time"] == event.time
    assert attributes["datacontenttype"] == "application/json"
    assert attributes["traceparent"] == TRACEPARENT
    assert attributes["partitionkey"] == "000.00.04.H15-201125-0080"
    assert sdk_event.get_data() == json.loads(event.data)


def test_we_read_what_the_sdk_writes() -> None:
    sdk_event = SdkEvent(
        attributes={
            "id": "evt-42",
            "source": "/agency/tu-phap",
            "type": "vn.gov.tuphap.birth.registered",
            "subject": "KS-2020-0001",
            "time": datetime(2024, 2, 10, 1, 2, 3, 450000, tzinfo=UTC),
            "datacontenttype": "application/json",
            "traceparent": TRACEPARENT,
            "partitionkey": "KS-2020-0001",
        },
        data={"childName": "Nguyễn Văn An", "under6": True},
    )
    message = sdk_kafka.to_binary_event(sdk_event)
    event = from_kafka(list(message.headers.items()), message.value, message.key)  # type: ignore[arg-type]
    assert event.id == "evt-42"
    assert event.source == "/agency/tu-phap"
    assert event.type == "vn.gov.tuphap.birth.registered"
    assert event.subject == "KS-2020-0001"
    assert event.time == datetime(2024, 2, 10, 1, 2, 3, 450000, tzinfo=UTC)
    assert event.datacontenttype == "application/json"
    assert event.extensions == {"traceparent": TRACEPARENT, "partitionkey": "KS-2020-0001"}
    assert json.loads(event.data) == {"childName": "Nguyễn Văn An", "under6": True}


def test_headers_as_mapping_and_upper_case_names_are_accepted() -> None:
    _key, value, headers = to_kafka(sample_event(), key="k")
    upper = {name.upper(): raw for name, raw in headers}
    assert from_kafka(upper, value, None).id == sample_event().id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.pop("ce_id"), "ce_id"),
        (lambda h: h.update(ce_id=b""), "ce_id"),
        (lambda h: h.pop("ce_source"), "ce_source"),
        (lambda h: h.pop("ce_type"), "ce_type"),
        (lambda h: h.pop("ce_time"), "ce_time"),
        (lambda h: h.pop("ce_specversion"), "ce_specversion"),
        (lambda h: h.update(ce_specversion=b"0.3"), "specversion"),
        (lambda h: h.update(ce_time=b"yesterday"), "RFC 3339"),
        (lambda h: h.update(ce_time=b"2020-11-25T08:30:15"), "RFC 3339"),  # no offset
        (lambda h: h.update(ce_time=b"2020-02-30T08:30:15Z"), "valid date"),
        (lambda h: h.update(ce_type=b"\xff\xfe"), "UTF-8"),
        (lambda h: h.update({"ce_Bad-Name": b"x"}), "extension"),
    ],
)
def test_invalid_headers_raise_invalid_event(change, message: str) -> None:  # type: ignore[no-untyped-def]
    _key, value, header_list = to_kafka(sample_event(), key="k")
    headers = dict(header_list)
    change(headers)
    with pytest.raises(InvalidEvent, match=message):
        from_kafka(list(headers.items()), value, b"k")


def test_not_a_cloudevent_at_all() -> None:
    with pytest.raises(InvalidEvent):
        from_kafka([("content-type", b"application/json")], b'{"hello": 1}', None)
    with pytest.raises(InvalidEvent):
        from_kafka(None, None, None)
    assert issubclass(InvalidEvent, ValueError)


def test_event_construction_validates() -> None:
    with pytest.raises(InvalidEvent, match="timezone-aware"):
        sample_event(time=datetime(2020, 1, 1))
    with pytest.raises(InvalidEvent, match="'id'"):
        sample_event(id="")
    with pytest.raises(InvalidEvent, match="extension"):
        sample_event(extensions={"data": "x"})


def test_time_is_normalised_to_utc() -> None:
    hanoi = timezone(timedelta(hours=7))
    event = sample_event(time=datetime(2020, 11, 25, 15, 30, tzinfo=hanoi))
    assert event.time == datetime(2020, 11, 25, 8, 30, tzinfo=UTC)
    assert event.time.tzinfo is UTC
    assert format_time(event.time) == "2020-11-25T08:30:00.000000Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-11-25T08:30:15Z", datetime(2020, 11, 25, 8, 30, 15, tzinfo=UTC)),
        ("2020-11-25t08:30:15.5z", datetime(2020, 11, 25, 8, 30, 15, 500000, tzinfo=UTC)),
        ("2020-11-25T15:30:15.123456789+07:00", datetime(2020, 11, 25, 8, 30, 15, 123456, tzinfo=UTC)),
        ("2020-11-25T08:30:15-00:30", datetime(2020, 11, 25, 9, 0, 15, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts_rfc3339(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected


def test_proto3_json_data_round_trip_and_forward_compatibility() -> None:
    stamp = timestamp_pb2.Timestamp(seconds=1606293015, nanos=0)
    data = data_from_message(stamp)
    assert data == b'"2020-11-25T08:30:15Z"'
    assert message_from_data(data, timestamp_pb2.Timestamp) == stamp

    value = struct_pb2.Value()
    value.string_value = "Phường Bến Nghé"
    assert data_from_message(value) == '"Phường Bến Nghé"'.encode()


def test_proto3_json_uses_camel_case_and_ignores_unknown_fields() -> None:
    method = api_pb2.Method(name="SubmitDossier", request_type_url="type.googleapis.com/x.SubmitDossierRequest")
    data = data_from_message(method)
    assert json.loads(data) == {"name": "SubmitDossier", "requestTypeUrl": "type.googleapis.com/x.SubmitDossierRequest"}
    assert b" " not in data
    # A newer producer's extra field is ignored by an older consumer.
    newer = b'{"name": "SubmitDossier", "fieldAddedInV1_1": {"x": 1}}'
    assert message_from_data(newer, api_pb2.Method) == api_pb2.Method(name="SubmitDossier")


def test_malformed_data_is_invalid_event() -> None:
    with pytest.raises(InvalidEvent):
        message_from_data(b"{not json", struct_pb2.Struct)
    with pytest.raises(InvalidEvent):
        message_from_data(b"", struct_pb2.Struct)
    with pytest.raises(InvalidEvent):
        message_from_data(b'"not-a-timestamp"', timestamp_pb2.Timestamp)
