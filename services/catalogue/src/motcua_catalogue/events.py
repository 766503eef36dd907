"""Catalogue events (motcua.catalogue.v1.*) as outbox rows, keyed by procedure code."""

from __future__ import annotations

from datetime import datetime

from google.protobuf import timestamp_pb2

from motcua.events.v1 import catalogue_events_pb2 as ev
from motcua_catalogue.domain import model as m
from motcua_catalogue.grpc_api import LEVEL_TO_PB, ONLINE_TO_PB, actor_to_pb
from motcua_platform.cloudevents import data_from_message
from motcua_platform.outbox import OutboxEvent

TOPIC = "motcua.catalogue.events.v1"
SOURCE = "/motcua/catalogue"
PUBLISHED = "motcua.catalogue.v1.published"
UPDATED = "motcua.catalogue.v1.updated"
WITHDRAWN = "motcua.catalogue.v1.withdrawn"


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value)
    return ts


def _event(kind: str, code: str, message: object, at: datetime) -> OutboxEvent:
    return OutboxEvent(topic=TOPIC, key=code, type=kind, source=SOURCE, subject=code,
                       data=data_from_message(message), time=at)  # type: ignore[arg-type]


def published(v: m.ProcedureVersion, previous: tuple[int, m.ProcedureContent] | None, actor: m.Actor,
              at: datetime) -> OutboxEvent:
    """`published` when nothing was in force before (first version, or back after a withdrawal), else `updated`."""
    c = v.content
    common = dict(
        procedure_code=c.code, version=v.version, name=c.name, field_code=c.field.code, agency_code=c.agency.code,
        level=LEVEL_TO_PB[c.level], online_level=ONLINE_TO_PB[c.online_level], occurred_at=_ts(at),
        actor=actor_to_pb(actor),
    )
    if previous is None:
        return _event(PUBLISHED, c.code, ev.ProcedurePublished(**common), at)
    previous_version, previous_content = previous
    message = ev.ProcedureUpdated(**common, previous_version=previous_version,
                                  changed_fields=c.changed_fields(previous_content))
    return _event(UPDATED, c.code, message, at)


def withdrawn(v: m.ProcedureVersion, actor: m.Actor, at: datetime) -> OutboxEvent:
    c = v.content
    message = ev.ProcedureWithdrawn(
        procedure_code=c.code, version=v.version, name=c.name, agency_code=c.agency.code, occurred_at=_ts(at),
        actor=actor_to_pb(actor), reason=v.withdrawal_reason, replaced_by_code=v.replaced_by_code,
    )
    return _event(WITHDRAWN, c.code, message, at)
