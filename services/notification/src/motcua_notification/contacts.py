"""Contact resolution: `contact_ref` from an event -> phone, e-mail, Zalo id, name, over gRPC.

The dossier and scheduler services own the personal data; the events carry only the
reference. NOT_FOUND means the data was erased: nothing is sent. Unavailability is
retried by the planner.

Early resolution: the consumer asks for a contact (`prefetch`) while it records the event, so
the answer is usually there when the planner needs it, a few milliseconds later (the look-up
overlaps the consumer's commit and the planner's lease instead of following them). An early
answer is used once, and only within `early_seconds`; older or unused ones are dropped. It is
held in memory only, like the planner's own look-up.

Batched look-ups: look-ups of dossier contacts that arrive together go to the registry in one
`ResolveContacts` call (natural batching, `batch_in_flight` calls at most; no timer), which
costs both services far less CPU than one call each. Each look-up still gets its own answer:
the contact, ContactGone for an unknown or erased one, ContactUnavailable when the call failed.
A registry that does not know `ResolveContacts` yet (an older version during a rolling upgrade)
is asked one contact per call, and the batch call is tried again a minute later.
"""

from __future__ import annotations

import asyncio
import time

import grpc

from motcua.dossier.v1 import dossier_service_pb2 as dpb
from motcua.dossier.v1.dossier_service_pb2_grpc import DossierServiceStub
from motcua.scheduler.v1 import scheduler_service_pb2 as spb
from motcua.scheduler.v1.scheduler_service_pb2_grpc import SchedulerServiceStub
from motcua_notification.domain.policy import Contact
from motcua_platform.batching import NaturalBatcher
from motcua_platform.grpc_client import open_channel
from motcua_platform.logging import get_logger

log = get_logger(__name__)

#: After UNIMPLEMENTED, how long to ask one contact per call before trying the batch call again.
BATCH_RETRY_SECONDS = 60.0


class ContactGone(Exception):
    """The owning service no longer has this contact (erased): permanent."""


class ContactUnavailable(Exception):
    """The owning service did not answer: retry later."""


class ContactResolver:
    def __init__(self, *, dossier_target: str, scheduler_target: str, timeout: float, early_seconds: float = 5.0,
                 early_limit: int = 16, batch_in_flight: int = 2, batch_max: int = 64) -> None:
        self._channels = {"dossier": open_channel(dossier_target), "scheduler": open_channel(scheduler_target)}
        self._dossier = DossierServiceStub(self._channels["dossier"])
        self._scheduler = SchedulerServiceStub(self._channels["scheduler"])
        self._timeout = timeout
        self._early_seconds = early_seconds
        self._early_limit = early_limit
        #: (source, ref) -> (started at, look-up task); insertion order is age order.
        self._early: dict[tuple[str, str], tuple[float, asyncio.Task[Contact]]] = {}
        self._early_running = 0
        self._batcher: NaturalBatcher[str, Contact] | None = (
            NaturalBatcher(self._resolve_dossier_batch, in_flight=batch_in_flight, max_batch=batch_max,
                           name="resolve-contacts") if batch_in_flight > 0 else None)
        self._batch_unimplemented_until = 0.0

    def prefetch(self, source: str, contact_ref: str) -> None:
        """Start looking `contact_ref` up now, for a `resolve` soon; skipped when `early_limit` look-ups are running."""
        self._drop_old()
        key = (source, contact_ref)
        if key in self._early or self._early_running >= self._early_limit:
            return
        self._early_running += 1
        task = asyncio.create_task(self._lookup(source, contact_ref), name="contact-prefetch")
        task.add_done_callback(self._early_done)
        self._early[key] = (time.monotonic(), task)

    def _early_done(self, task: asyncio.Task[Contact]) -> None:
        self._early_running -= 1
        if not task.cancelled():
            task.exception()  # retrieved here: an unused failed look-up is not an "exception never retrieved"

    def _drop_old(self) -> None:
        cutoff = time.monotonic() - self._early_seconds
        while self._early:
            key, (started, task) = next(iter(self._early.items()))
            if started >= cutoff:
                break
            del self._early[key]
            task.cancel()

    async def resolve(self, source: str, contact_ref: str) -> Contact:
        """The contact now: the early look-up's answer when one was started recently, else a look-up."""
        early = self._early.pop((source, contact_ref), None)
        if early is not None and time.monotonic() - early[0] < self._early_seconds and not early[1].cancelled():
            try:
                return await early[1]  # its ContactGone too: the owner's answer of a moment ago
            except ContactUnavailable:
                pass  # the owner did not answer a moment ago: ask again now rather than wait for a retry
        return await self._lookup(source, contact_ref)

    async def _lookup(self, source: str, contact_ref: str) -> Contact:
        if source == "dossier" and self._batcher is not None and time.monotonic() >= self._batch_unimplemented_until:
            return await self._batcher.run(contact_ref)
        return await self._lookup_one(source, contact_ref)

    async def _resolve_dossier_batch(self, refs: list[str]) -> list[Contact | BaseException]:
        """One ResolveContacts call for `refs`: a Contact or the exception for each, in order."""
        try:
            reply = await self._dossier.ResolveContacts(dpb.ResolveContactsRequest(contact_refs=refs),
                                                        timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                log.warning("resolve_contacts_unimplemented", retry_in_s=BATCH_RETRY_SECONDS)
                self._batch_unimplemented_until = time.monotonic() + BATCH_RETRY_SECONDS
                return list(await asyncio.gather(*(self._lookup_one("dossier", r) for r in refs), return_exceptions=True))
            return [ContactUnavailable(f"dossier ResolveContacts: {exc.code().name}: {exc.details()}") for _ in refs]
        out: list[Contact | BaseException] = []
        for result in reply.results:
            if result.found:
                c = result.contact
                out.append(Contact(phone=c.phone, email=c.email, zalo_user_id=c.zalo_user_id, full_name=c.full_name))
            else:
                out.append(ContactGone("dossier ResolveContacts: not found"))
        return out

    async def _lookup_one(self, source: str, contact_ref: str) -> Contact:
        try:
            if source == "dossier":
                reply = await self._dossier.ResolveContact(dpb.ResolveContactRequest(contact_ref=contact_ref),
                                                           timeout=self._timeout)
            elif source == "scheduler":
                reply = await self._scheduler.ResolveContact(spb.ResolveContactRequest(contact_ref=contact_ref),
                                                             timeout=self._timeout)
            else:
                raise ContactGone(f"unknown contact source {source!r}")
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                raise ContactGone(f"{source} ResolveContact: {exc.code().name}") from exc
            raise ContactUnavailable(f"{source} ResolveContact: {exc.code().name}: {exc.details()}") from exc
        return Contact(phone=reply.phone, email=reply.email, zalo_user_id=reply.zalo_user_id, full_name=reply.full_name)

    async def close(self) -> None:
        for _, task in self._early.values():
            task.cancel()
        self._early.clear()
        if self._batcher is not None:
            await self._batcher.drain()
        for channel in self._channels.values():
            await channel.close()
