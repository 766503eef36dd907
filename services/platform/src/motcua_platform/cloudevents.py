"""CloudEvents 1.0 over Kafka in binary content mode, data as proto3 JSON.

Binary mode puts every attribute in a `ce_<name>` header (UTF-8, no percent
encoding: that is the HTTP binding's rule, not Kafka's), `datacontenttype` in
`content-type`, and the data alone in the record value. The W3C trace headers
(`traceparent`, `tracestate`) travel twice: as CloudEvents distributed-tracing
extensions and as plain headers, so that tracing works for consumers that know
nothing of CloudEvents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

SPECVERSION = "1.0"
JSON_CONTENT_TYPE = "application/json"
CE_PREFIX = "ce_"
CONTENT_TYPE_HEADER = "content-type"
#: Extensions that are also written as plain headers (W3C trace context).
PLAIN_HEADER_EXTENSIONS = ("traceparent", "tracestate")

# Attributes that have their own field and so cannot be extensions.
_RESERVED = frozenset({"specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data"})
_ATTRIBUTE_NAME = re.compile(r"^[a-z0-9]+$")
_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$")

M = TypeVar("M", bound=Message)


class InvalidEvent(ValueError):
    """A Kafka record or a data payload is not a valid Một Cửa CloudEvent; retrying will not help."""


@dataclass(frozen=True)
class CloudEvent:
    """One CloudEvents 1.0 event whose data is JSON bytes.

    `time` is always timezone-aware (converted to UTC); `extensions` holds the
    other attributes by their CloudEvents name (`traceparent`, `partitionkey`,
    `dataschema`, ...), all strings. Construction validates, raising InvalidEvent.
    """

    id: str
    source: str
    type: str
    time: datetime
    subject: str | None
    data: bytes
    datacontenttype: str = JSON_CONTENT_TYPE
    extensions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("id", "source", "type"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise InvalidEvent(f"CloudEvent attribute {name!r} must be a non-empty string")
        if not isinstance(self.time, datetime) or self.time.tzinfo is None or self.time.utcoffset() is None:
            raise InvalidEvent("CloudEvent attribute 'time' must be a timezone-aware datetime")
        if self.time.utcoffset() != timedelta(0) or self.time.tzinfo is not UTC:
            object.__setattr__(self, "time", self.time.astimezone(UTC))
        if self.subject is not None and (not isinstance(self.subject, str) or not self.subject):
            raise InvalidEvent("CloudEvent attribute 'subject' must be a non-empty string or None")
        if not isinstance(self.datacontenttype, str) or not self.datacontenttype:
            raise InvalidEvent("CloudEvent attribute 'datacontenttype' must be a non-empty string")
        if not isinstance(self.data, bytes | bytearray):
            raise InvalidEvent("CloudEvent data must be bytes")
        if isinstance(self.data, bytearray):
            object.__setattr__(self, "data", bytes(self.data))
        for name, value in self.extensions.items():
            if not _ATTRIBUTE_NAME.match(name) or name in _RESERVED:
                raise InvalidEvent(f"invalid CloudEvent extension name {name!r} (lower-case a-z0-9, not reserved)")
            if not isinstance(value, str):
                raise InvalidEvent(f"CloudEvent extension {name!r} must be a string")


def format_time(value: datetime) -> str:
    """Return `value` as RFC 3339 in UTC with microseconds and a `Z` suffix."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str) -> datetime:
    """Parse an RFC 3339 timestamp (offset required) into an aware UTC datetime; raise InvalidEvent."""
    match = _RFC3339.match(value.strip())
    if not match:
        raise InvalidEvent(f"ce_time {value!r} is not an RFC 3339 timestamp with an offset")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = UTC
    if not zulu:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    try:
        parsed = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
    except ValueError as exc:
        raise InvalidEvent(f"ce_time {value!r} is not a valid date-time: {exc}") from None
    return parsed.astimezone(UTC)


def to_kafka(event: CloudEvent, *, key: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Encode `event` as a binary-mode Kafka record: (key, value, headers).

    The key is the caller's (one aggregate's events share it so they stay in
    order); it is not copied into `partitionkey` unless the event carries it.
    """
    headers: list[tuple[str, bytes]] = [
        ("ce_specversion", SPECVERSION.encode()),
        ("ce_id", event.id.encode()),
        ("ce_source", event.source.encode()),
        ("ce_type", event.type.encode()),
        ("ce_time", format_time(event.time).encode()),
    ]
    if event.subject is not None:
        headers.append(("ce_subject", event.subject.encode()))
    headers.append((CONTENT_TYPE_HEADER, event.datacontenttype.encode()))
    for name, value in event.extensions.items():
        headers.append((CE_PREFIX + name, value.encode()))
    for name in PLAIN_HEADER_EXTENSIONS:
        if name in event.extensions:
            headers.append((name, event.extensions[name].encode()))
    return key.encode(), bytes(event.data), headers


def _header_items(headers: Mapping[str, bytes | str] | Iterable[tuple[str, bytes | str]] | None) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else (headers or ())
    decoded: dict[str, str] = {}
    for name, raw in items:
        try:
            value = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else str(raw)
        except UnicodeDecodeError:
            raise InvalidEvent(f"header {name!r} is not UTF-8") from None
        decoded[name.lower()] = value
    return decoded


def from_kafka(
    headers: Mapping[str, bytes | str] | Iterable[tuple[str, bytes | str]] | None,
    value: bytes | None,
    key: bytes | None,
) -> CloudEvent:
    """Decode a binary-mode Kafka record; raise InvalidEvent when it is not a valid CloudEvent.

    Required here: `ce_specversion` 1.0, `ce_id`, `ce_source`, `ce_type` and
    `ce_time` (optional in the spec, always set by Một Cửa producers). A record
    key becomes the `partitionkey` extension unless a `ce_partitionkey` header
    says otherwise (as the reference SDK does). A missing `content-type` means
    `application/json`; a missing value means empty data.
    """
    found = _header_items(headers)
    specversion = found.get("ce_specversion")
    if specversion is None:
        raise InvalidEvent("not a binary-mode CloudEvent: header ce_specversion is missing")
    if specversion != SPECVERSION:
        raise InvalidEvent(f"unsupported CloudEvents specversion {specversion!r} (want {SPECVERSION})")
    missing = [h for h in ("ce_id", "ce_source", "ce_type", "ce_time") if not found.get(h)]
    if missing:
        raise InvalidEvent(f"CloudEvent header(s) missing or empty: {', '.join(missing)}")
    extensions: dict[str, str] = {}
    for name, header_value in found.items():
        if not name.startswith(CE_PREFIX):
            continue
        attribute = name[len(CE_PREFIX) :]
        if attribute not in _RESERVED:
            extensions[attribute] = header_value
    if key is not None and "partitionkey" not in extensions:
        extensions["partitionkey"] = key.decode("utf-8", errors="replace")
    return CloudEvent(
        id=found["ce_id"],
        source=found["ce_source"],
        type=found["ce_type"],
        time=parse_time(found["ce_time"]),
        subject=found.get("ce_subject") or None,
        data=bytes(value) if value is not None else b"",
        datacontenttype=found.get(CONTENT_TYPE_HEADER) or JSON_CONTENT_TYPE,
        extensions=extensions,
    )


def data_from_message(msg: Message) -> bytes:
    """Return the proto3 JSON of `msg` (lowerCamelCase names, compact, UTF-8)."""
    as_dict = json_format.MessageToDict(msg, preserving_proto_field_name=False)
    return json.dumps(as_dict, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def message_from_data(data: bytes, message_type: type[M]) -> M:
    """Parse proto3 JSON `data` into a new `message_type`; unknown fields are ignored.

    Ignoring unknown fields keeps consumers forward compatible with newer
    producers. Raises InvalidEvent on empty or malformed data, which consumers
    treat as permanent (dead-letter, no retry).
    """
    message = message_type()
    if not data:
        raise InvalidEvent(f"event has no data; expected proto3 JSON of {message.DESCRIPTOR.full_name}")
    try:
        json_format.Parse(data.decode("utf-8"), message, ignore_unknown_fields=True)
    except (json_format.ParseError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"data is not valid proto3 JSON of {message.DESCRIPTOR.full_name}: {exc}") from None
    return message
