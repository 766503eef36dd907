"""Kafka handler of dossier and booking events: record what to send, never send.

Dossier events and appointment (scheduler) events both feed agency webhook subscriptions.

Runs inside the consumer's inbox transaction (one per chunk of events, or one per
event when a chunk is handled again record by record): inserting the notification
(unique on its source key) and the agency webhook deliveries commits together with
the inbox rows, so a redelivered event changes nothing. The slow work
(contact resolution, providers, webhooks) happens in the worker loops, woken by the
commit (NOTIFY).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from motcua_notification import repository
from motcua_notification.domain import events
from motcua_notification.webhooks import structured_body
from motcua_platform.consumer import ReceivedEvent
from motcua_platform.logging import get_logger

log = get_logger(__name__)

DOSSIER_TOPIC = "motcua.dossier.events.v1"
SCHEDULER_TOPIC = "motcua.scheduler.events.v1"


class EventHandler:
    def __init__(self, *, lookup_url: str, prefetch: Callable[[str, str], None] | None = None) -> None:
        self._lookup_url = lookup_url
        #: Starts the contact look-up the planner will need (ContactResolver.prefetch), overlapping this commit.
        self._prefetch = prefetch

    def _wanted(self, received: ReceivedEvent) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """What one event asks for: (the notification to record, the webhook body to fan out), either may be None."""
        event = received.event
        notifies = events.is_handled(event.type)
        if not notifies and event.type not in events.WEBHOOK_EVENTS:
            return None, None
        # Parsed only when a message may follow; appointment events only relayed to webhooks are sent as they came.
        message = events.parse(event.type, event.data) if notifies else None  # InvalidEvent -> dead letter
        wanted = events.notification_for(event.type, message, lookup_url=self._lookup_url) if message is not None else None
        notification = None
        if wanted is not None:
            if self._prefetch is not None and wanted.contact_source != "direct":
                self._prefetch(wanted.contact_source, wanted.contact_ref)
            notification = {
                "source_key": f"event:{event.source}|{event.id}|{wanted.contact_ref}", "source_event_id": event.id,
                "event_type": event.type, "template_code": wanted.template_code, "params": wanted.params,
                "contact_source": wanted.contact_source, "contact_ref": wanted.contact_ref,
                "dossier_code": wanted.dossier_code, "booking_id": wanted.booking_id,
                "procedure_code": wanted.procedure_code, "urgent": wanted.urgent, "essential": wanted.essential,
                "legal_basis": wanted.legal_basis,
            }
        webhook = None
        if event.type in events.WEBHOOK_EVENTS:
            dossier_event = event.type in events.DOSSIER_EVENTS
            webhook = {"event_id": event.id, "event_type": event.type, "dossier_event": dossier_event,
                       "procedure_code": events.procedure_code_of(message) if dossier_event and message is not None else "",
                       "body": structured_body(event)}
        return notification, webhook

    async def __call__(self, conn: asyncpg.Connection, received: ReceivedEvent) -> None:
        notification, webhook = self._wanted(received)
        if notification is None and webhook is None:
            return
        # One statement per event: the consumer's transaction stays short.
        nid, hooks = await repository.record_event(conn, notification=notification, webhook=webhook)
        if nid is not None and notification is not None:  # DEBUG: the platform logs every event handled
            log.debug("notification_accepted", notification_id=str(nid), template=notification["template_code"])
        if hooks:
            log.info("webhooks_enqueued", count=hooks)

    async def chunk(self, conn: asyncpg.Connection, received: Sequence[ReceivedEvent]) -> None:
        """The events of a consumer chunk, in order, in ONE statement: the same rows as calling the handler on each."""
        notes, hooks = await repository.record_events(conn, [self._wanted(r) for r in received])
        if notes:
            log.debug("notifications_accepted", count=notes)
        if hooks:
            log.info("webhooks_enqueued", count=hooks)
