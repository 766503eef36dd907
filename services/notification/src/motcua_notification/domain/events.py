"""Dossier and booking events -> the notification they call for (template, facts, contact reference).

Events carry no personal data: the recipient is `contact_ref`, resolved over gRPC
at send time. The facts kept here (codes, labels, times) are not personal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from motcua.events.v1 import dossier_events_pb2 as de
from motcua.events.v1 import scheduler_events_pb2 as se
from motcua.scheduler.v1 import scheduler_service_pb2 as sched
from motcua_notification.domain.templates import BY_EVENT, kind_of
from motcua_platform.cloudevents import message_from_data

VIETNAM = timezone(timedelta(hours=7), "ICT")

DOSSIER_EVENTS: dict[str, type[Message]] = {
    "motcua.dossier.v1.received": de.DossierReceived,
    "motcua.dossier.v1.accepted": de.DossierAccepted,
    "motcua.dossier.v1.rejected": de.DossierRejected,
    "motcua.dossier.v1.supplement_requested": de.DossierSupplementRequested,
    "motcua.dossier.v1.status_changed": de.DossierStatusChanged,
    "motcua.dossier.v1.result_ready": de.DossierResultReady,
    "motcua.dossier.v1.returned": de.DossierReturned,
    "motcua.dossier.v1.withdrawn": de.DossierWithdrawn,
    "motcua.dossier.v1.linked_created": de.DossierLinkedCreated,
}
BOOKING_EVENTS: dict[str, type[Message]] = {
    "motcua.scheduler.v1.booking_requested": se.BookingRequested,
    "motcua.scheduler.v1.booking_confirmed": se.BookingConfirmed,
    "motcua.scheduler.v1.booking_rescheduled": se.BookingRescheduled,
    "motcua.scheduler.v1.booking_cancelled": se.BookingCancelled,
    "motcua.scheduler.v1.booking_reminder_due": se.BookingReminderDue,
    "motcua.scheduler.v1.booking_no_show": se.BookingNoShow,
}



def _contract_event_types(topic: str) -> frozenset[str]:
    """Every CloudEvents type the contracts' registry (topics.json) declares on `topic`."""
    registry = json.loads(resources.files("motcua.events.v1").joinpath("topics.json").read_text(encoding="utf-8"))
    return frozenset(e["type"] for t in registry["topics"] if t["name"] == topic for e in t["events"])


#: Appointment events agencies may subscribe to by webhook (all of the scheduler's, not only those that notify).
SCHEDULER_WEBHOOK_EVENTS = _contract_event_types("motcua.scheduler.events.v1") | frozenset(BOOKING_EVENTS)
#: Every event type a webhook subscription may name.
WEBHOOK_EVENTS = frozenset(DOSSIER_EVENTS) | SCHEDULER_WEBHOOK_EVENTS

HELP_LABELS = {
    sched.HELP_TYPE_VNEID_LEVEL2: "tạo tài khoản định danh điện tử mức 2",
    sched.HELP_TYPE_ONLINE_DOSSIER: "nộp hồ sơ trực tuyến",
    sched.HELP_TYPE_SCAN_DOCUMENTS: "số hoá giấy tờ",
    sched.HELP_TYPE_PAY_FEES: "thanh toán phí, lệ phí trực tuyến",
    sched.HELP_TYPE_LOOKUP_DOSSIER: "tra cứu hồ sơ",
}
MODEL_LABELS = {
    sched.SERVICE_MODEL_HOME_VISIT: "hỗ trợ tại nhà",
    sched.SERVICE_MODEL_KIOSK: "điểm hỗ trợ cộng đồng",
    sched.SERVICE_MODEL_MOBILE_BUS: "xe dịch vụ công lưu động",
    sched.SERVICE_MODEL_VOLUNTEER: "tình nguyện viên hỗ trợ",
    sched.SERVICE_MODEL_REMOTE: "hỗ trợ từ xa qua điện thoại/Zalo",
}


@dataclass(frozen=True)
class EventNotification:
    """What an event asks the service to tell the citizen."""

    template_code: str
    params: dict[str, str]
    contact_source: str  # "dossier" | "scheduler"
    contact_ref: str
    dossier_code: str = ""
    booking_id: str = ""
    procedure_code: str = ""
    urgent: bool = False
    essential: bool = True
    legal_basis: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def local_time_label(ts: Timestamp) -> str:
    """'08:00 ngày 11/06/2025' in Asia/Ho_Chi_Minh; empty for an unset timestamp."""
    if not ts.seconds and not ts.nanos:
        return ""
    value = ts.ToDatetime(tzinfo=UTC).astimezone(VIETNAM)
    return f"{value:%H:%M} ngày {value:%d/%m/%Y}"


def _datetime_label(ts: Timestamp) -> str:
    if not ts.seconds and not ts.nanos:
        return ""
    value = ts.ToDatetime(tzinfo=UTC).astimezone(VIETNAM)
    return f"{value:%d/%m/%Y %H:%M}"


def is_handled(event_type: str) -> bool:
    return event_type in DOSSIER_EVENTS or event_type in BOOKING_EVENTS


def parse(event_type: str, data: bytes) -> Message:
    """Parse the event's proto3 JSON; raise InvalidEvent (dead-lettered) when malformed."""
    message_type = DOSSIER_EVENTS.get(event_type) or BOOKING_EVENTS[event_type]
    return message_from_data(data, message_type)


def notification_for(event_type: str, message: Message, *, lookup_url: str) -> EventNotification | None:
    """Return the notification an event calls for, or None (e.g. a returned dossier needs no message)."""
    code = BY_EVENT.get(event_type)
    if code is None or not getattr(message, "contact_ref", ""):
        return None
    kind = kind_of(code)
    if event_type in DOSSIER_EVENTS:
        return _dossier(code, kind.urgent, kind.essential, message, lookup_url)
    return _booking(code, kind.urgent, kind.essential, message, lookup_url)


def _dossier(code: str, urgent: bool, essential: bool, m: Message, lookup_url: str) -> EventNotification:
    params = {
        "dossier_code": m.dossier_code,  # type: ignore[attr-defined]
        "procedure_name": m.procedure_name,  # type: ignore[attr-defined]
        "procedure_code": m.procedure_code,  # type: ignore[attr-defined]
        "agency_code": m.agency_code,  # type: ignore[attr-defined]
        "status_label": m.status_label_vi,  # type: ignore[attr-defined]
        "lookup_url": lookup_url,
        "reason": getattr(m, "reason", ""),
    }
    if hasattr(m, "due_label_vi"):
        params["due_label"] = m.due_label_vi or "sau khi hồ sơ được tiếp nhận"  # type: ignore[attr-defined]
    if isinstance(m, de.DossierReceived):
        params["received_at"] = _datetime_label(m.received_at) or _datetime_label(m.occurred_at)
    if isinstance(m, de.DossierResultReady):
        params["collect_at"] = m.collect_at or "Bộ phận Một cửa nơi nộp hồ sơ"
        params["overdue_note"] = "Chúng tôi xin lỗi vì kết quả trễ hẹn." if m.overdue else ""
    return EventNotification(
        template_code=code, params=params, contact_source="dossier", contact_ref=m.contact_ref,  # type: ignore[attr-defined]
        dossier_code=m.dossier_code, procedure_code=m.procedure_code,  # type: ignore[attr-defined]
        urgent=urgent, essential=essential, legal_basis=f"dossier:{m.dossier_code}",  # type: ignore[attr-defined]
    )


def _booking(code: str, urgent: bool, essential: bool, m: Message, lookup_url: str) -> EventNotification:
    slot = m.slot  # type: ignore[attr-defined]
    params = {
        "booking_ref": m.booking_id.replace("-", "")[:8].upper(),  # type: ignore[attr-defined]
        "point_name": slot.point_name,
        "starts_at": local_time_label(slot.starts_at),
        "help_label": HELP_LABELS.get(m.help_type, "thủ tục hành chính"),  # type: ignore[attr-defined]
        "model_label": MODEL_LABELS.get(m.model, "hỗ trợ"),  # type: ignore[attr-defined]
        "lookup_url": lookup_url,
        "reason": getattr(m, "reason", ""),
    }
    if isinstance(m, se.BookingRescheduled):
        params["previous_starts_at"] = local_time_label(m.previous_slot.starts_at)
    if isinstance(m, se.BookingCancelled):
        params["alternatives"] = ", ".join(
            f"{local_time_label(a.starts_at)} tại {a.point_name}" for a in m.alternatives[:3]
        ) or "vui lòng đặt lịch mới qua Zalo OA"
    if isinstance(m, se.BookingReminderDue):
        params["when_label"] = "ngày mai" if m.reminder == se.REMINDER_KIND_DAY_BEFORE else "sắp tới"
        # The hours-before reminder is only useful now.
        urgent = m.reminder == se.REMINDER_KIND_HOURS_BEFORE
    return EventNotification(
        template_code=code, params=params, contact_source="scheduler", contact_ref=m.contact_ref,  # type: ignore[attr-defined]
        booking_id=m.booking_id, urgent=urgent, essential=essential,  # type: ignore[attr-defined]
        legal_basis=f"booking:{m.booking_id}",  # type: ignore[attr-defined]
    )


def procedure_code_of(message: Message) -> str:
    return str(getattr(message, "procedure_code", ""))


def now() -> datetime:
    return datetime.now(UTC)
