"""Dossier events (motcua.dossier.v1.*) as outbox rows: proto message → CloudEvents data, keyed by dossier code.

Events carry no personal data: the applicant is reached through `contact_ref`
(DossierService.ResolveContact), officers by id and role only (no names).
"""

from __future__ import annotations

from datetime import datetime

from google.protobuf import timestamp_pb2

from motcua.common.v1 import common_pb2
from motcua.events.v1 import dossier_events_pb2 as epb
from motcua_dossier.domain import lifecycle
from motcua_dossier.domain.calendar import label_vi
from motcua_dossier.domain.lifecycle import Status
from motcua_dossier.domain.model import Actor
from motcua_dossier.repository import Locked, NewDossier
from motcua_platform.cloudevents import data_from_message
from motcua_platform.outbox import OutboxEvent

TOPIC = "motcua.dossier.events.v1"
SOURCE = "/motcua/dossier"
TYPE_PREFIX = "motcua.dossier.v1."

ROLE_TO_PB = {
    "officer": common_pb2.ACTOR_ROLE_OFFICER, "volunteer": common_pb2.ACTOR_ROLE_VOLUNTEER,
    "citizen": common_pb2.ACTOR_ROLE_CITIZEN, "system": common_pb2.ACTOR_ROLE_SYSTEM, "agency": common_pb2.ACTOR_ROLE_AGENCY,
}


def ts(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value)
    return out


def actor_pb(actor: Actor) -> common_pb2.Actor:
    # Officers' names stay out of events: the id identifies them to those entitled to know.
    return common_pb2.Actor(id=actor.id, role=ROLE_TO_PB.get(actor.role, common_pb2.ACTOR_ROLE_UNSPECIFIED))


def _event(kind: str, code: str, message: object, at: datetime) -> OutboxEvent:
    return OutboxEvent(topic=TOPIC, key=code, type=TYPE_PREFIX + kind, source=SOURCE, subject=code,
                       data=data_from_message(message), time=at)  # type: ignore[arg-type]


def received(
    code: str, d: NewDossier, *, at: datetime, channel: int, result_delivery: int, assisted: bool, parent_code: str,
) -> OutboxEvent:
    message = epb.DossierReceived(
        dossier_code=code, procedure_code=d.procedure_code, agency_code=d.agency_code, status=int(d.status),
        status_code=int(d.status), status_label_vi=lifecycle.label(d.status), occurred_at=ts(at), contact_ref=d.contact_ref,
        procedure_name=d.procedure_name, procedure_version=d.procedure_version, channel=channel, received_at=ts(at),
        due_at=ts(d.due_at), due_label_vi=label_vi(d.due_at) if d.due_at else "", result_delivery=result_delivery,
        assisted=assisted, parent_code=parent_code,
    )
    return _event("received", code, message, at)


def linked_created(code: str, d: NewDossier, *, at: datetime, parent_code: str, parent_procedure_code: str) -> OutboxEvent:
    message = epb.DossierLinkedCreated(
        dossier_code=code, procedure_code=d.procedure_code, agency_code=d.agency_code, status=int(d.status),
        status_code=int(d.status), status_label_vi=lifecycle.label(d.status), occurred_at=ts(at), contact_ref=d.contact_ref,
        procedure_name=d.procedure_name, parent_code=parent_code, parent_procedure_code=parent_procedure_code,
        root_code=parent_code,
    )
    return _event("linked_created", code, message, at)


def transitioned(
    kind: str, locked: Locked, *, to: Status, at: datetime, actor: Actor, reason: str, due_at: datetime | None,
) -> OutboxEvent:
    """The one event of a transition: the specific message for `kind`, DossierStatusChanged otherwise."""
    common = dict(
        dossier_code=locked.code, procedure_code=locked.procedure_code, agency_code=locked.agency_code, status=int(to),
        status_code=int(to), status_label_vi=lifecycle.label(to), occurred_at=ts(at), contact_ref=locked.contact_ref,
        previous_status=int(locked.status), procedure_name=locked.procedure_name, actor=actor_pb(actor),
    )
    due = dict(due_at=ts(due_at), due_label_vi=label_vi(due_at) if due_at else "")
    message: object
    if kind == lifecycle.ACCEPTED:
        message = epb.DossierAccepted(**common, **due)
    elif kind == lifecycle.REJECTED:
        message = epb.DossierRejected(**common, reason=reason)
    elif kind == lifecycle.SUPPLEMENT:
        message = epb.DossierSupplementRequested(**common, reason=reason)
    elif kind == lifecycle.RESULT_READY:
        message = epb.DossierResultReady(**common, result_delivery=int(locked.result_delivery), collect_at=locked.collect_at,
                                         overdue=due_at is not None and at > due_at)
    elif kind == lifecycle.RETURNED:
        message = epb.DossierReturned(**common, result_delivery=int(locked.result_delivery))
    elif kind == lifecycle.WITHDRAWN:
        message = epb.DossierWithdrawn(**common, reason=reason)
    else:
        message = epb.DossierStatusChanged(**common, reason=reason, **due)
    return _event(kind, locked.code, message, at)


__all__ = ["SOURCE", "TOPIC", "linked_created", "received", "transitioned"]
