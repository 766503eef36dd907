"""Contact resolution: `contact_ref` from an event -> phone, e-mail, Zalo id, name, over gRPC.

The dossier and scheduler services own the personal data; the events carry only the
reference. NOT_FOUND means the data was erased: nothing is sent. Unavailability is
retried by the planner.
"""

from __future__ import annotations

import grpc

from motcua.dossier.v1 import dossier_service_pb2 as dpb
from motcua.dossier.v1.dossier_service_pb2_grpc import DossierServiceStub
from motcua.scheduler.v1 import scheduler_service_pb2 as spb
from motcua.scheduler.v1.scheduler_service_pb2_grpc import SchedulerServiceStub
from motcua_notification.domain.policy import Contact
from motcua_platform.grpc_client import open_channel


class ContactGone(Exception):
    """The owning service no longer has this contact (erased): permanent."""


class ContactUnavailable(Exception):
    """The owning service did not answer: retry later."""


class ContactResolver:
    def __init__(self, *, dossier_target: str, scheduler_target: str, timeout: float) -> None:
        self._channels = {"dossier": open_channel(dossier_target), "scheduler": open_channel(scheduler_target)}
        self._dossier = DossierServiceStub(self._channels["dossier"])
        self._scheduler = SchedulerServiceStub(self._channels["scheduler"])
        self._timeout = timeout

    async def resolve(self, source: str, contact_ref: str) -> Contact:
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
        for channel in self._channels.values():
            await channel.close()
