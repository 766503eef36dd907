"""The gRPC calls the channels make: catalogue search, dossier status, home-visit booking, replies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from motcua.catalogue.v1 import catalogue_service_pb2 as cat
from motcua.catalogue.v1 import catalogue_service_pb2_grpc as cat_grpc
from motcua.common.v1 import common_pb2
from motcua.dossier.v1 import dossier_service_pb2 as dos
from motcua.dossier.v1 import dossier_service_pb2_grpc as dos_grpc
from motcua.notification.v1 import notification_service_pb2 as note
from motcua.notification.v1 import notification_service_pb2_grpc as note_grpc
from motcua.scheduler.v1 import scheduler_service_pb2 as sch
from motcua.scheduler.v1 import scheduler_service_pb2_grpc as sch_grpc
from motcua_gateway.channels.text import fold

VIETNAM = timezone(timedelta(hours=7), "ICT")
DEADLINE = 3.0
WRITE_DEADLINE = 5.0
SYSTEM = common_pb2.Actor(id="system:gateway-channels", role=common_pb2.ACTOR_ROLE_SYSTEM, display_name="Kênh Zalo/SMS")
BOOKING_CONSENT_PURPOSE = "assisted_help_booking"


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def local_label(stamp: Timestamp) -> str:
    """'08:00 ngày 12/06/2025' (Asia/Ho_Chi_Minh)."""
    when = stamp.ToDatetime(tzinfo=UTC).astimezone(VIETNAM)
    return f"{when:%H:%M} ngày {when:%d/%m/%Y}"


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str


def _is(exc: grpc.aio.AioRpcError, *codes: grpc.StatusCode) -> bool:
    return exc.code() in codes


class Backends:
    """Stubs over the gateway's shared gRPC channels (app.state.channels)."""

    def __init__(self, channels: dict[str, grpc.aio.Channel]) -> None:
        self.catalogue = cat_grpc.CatalogueServiceStub(channels["catalogue"])
        self.dossier = dos_grpc.DossierServiceStub(channels["dossier"])
        self.scheduler = sch_grpc.SchedulerServiceStub(channels["scheduler"])
        self.notification = note_grpc.NotificationServiceStub(channels["notification"])
        self._wards: dict[str, str] | None = None

    # -- notification ------------------------------------------------------------------------------

    async def reply(self, *, key: str, text: str, zalo_user_id: str = "", phone: str = "", card_title: str = "") -> None:
        """Send a reply through the notification service (idempotent on `key`)."""
        await self.notification.SendChannelReply(note.SendChannelReplyRequest(
            idempotency_key=key, zalo_user_id=zalo_user_id, phone=phone, text=text, request_user_info_title=card_title),
            timeout=WRITE_DEADLINE)

    async def zalo_interaction(self, *, zalo_user_id: str, kind: int, at: datetime) -> None:
        await self.notification.RecordZaloInteraction(note.RecordZaloInteractionRequest(
            zalo_user_id=zalo_user_id, interaction=kind, occurred_at=ts(at)), timeout=DEADLINE)

    async def receipt(self, *, provider: str, provider_message_id: str, tracking_id: str, at: datetime) -> bool:
        reply = await self.notification.RecordProviderReceipt(note.RecordProviderReceiptRequest(
            provider=provider, provider_message_id=provider_message_id, tracking_id=tracking_id,
            status=note.DELIVERY_STATUS_DELIVERED, occurred_at=ts(at)), timeout=DEADLINE)
        return reply.matched

    # -- dossiers ----------------------------------------------------------------------------------

    async def public_status(self, code: str) -> dos.PublicStatus | None:
        try:
            return await self.dossier.GetPublicStatus(dos.GetPublicStatusRequest(code=code), timeout=DEADLINE)
        except grpc.aio.AioRpcError as exc:
            if _is(exc, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise

    async def dossier_full(self, code: str) -> dos.Dossier | None:
        try:
            return await self.dossier.GetDossier(dos.GetDossierRequest(code=code), timeout=DEADLINE)
        except grpc.aio.AioRpcError as exc:
            if _is(exc, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise

    async def dossier_by_token(self, code: str, token: str) -> dos.Dossier | None:
        try:
            return await self.dossier.GetDossierByToken(dos.GetDossierByTokenRequest(code=code, public_token=token),
                                                        timeout=DEADLINE)
        except grpc.aio.AioRpcError as exc:
            if _is(exc, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            raise

    # -- catalogue ---------------------------------------------------------------------------------

    async def search_procedures(self, query: str, limit: int = 5) -> list[Procedure]:
        try:
            found = await self.catalogue.SearchProcedures(cat.SearchProceduresRequest(
                query=query, page=common_pb2.PageRequest(page=1, page_size=limit)), timeout=DEADLINE)
        except grpc.aio.AioRpcError as exc:
            if _is(exc, grpc.StatusCode.INVALID_ARGUMENT):
                return []
            raise
        return [Procedure(code=p.code, name=p.name) for p in found.items[:limit]]

    # -- scheduler ---------------------------------------------------------------------------------

    async def ward_code(self, ward_name: str) -> str:
        """The ward code of a ward name as Zalo sends it ('Phường Sài Gòn', 'P. Sài Gòn', 'Sài Gòn'); '' if unknown."""
        if ward_name.strip().isdigit():
            return ward_name.strip()
        if self._wards is None:
            points = await self.scheduler.ListServicePoints(sch.ListServicePointsRequest(
                page=common_pb2.PageRequest(page=1, page_size=100)), timeout=DEADLINE)
            self._wards = {_ward_key(p.address.ward_name): p.address.ward_code for p in points.items
                           if p.address.ward_code and p.address.ward_name}
        return self._wards.get(_ward_key(ward_name), "")

    async def home_slots(self, *, ward_code: str, procedure_code: str, limit: int = 5) -> list[sch.Slot]:
        found = await self.scheduler.SearchAvailability(sch.SearchAvailabilityRequest(
            model=sch.SERVICE_MODEL_HOME_VISIT, ward_code=ward_code, help_type=sch.HELP_TYPE_ONLINE_DOSSIER,
            procedure_code=procedure_code, page=common_pb2.PageRequest(page=1, page_size=limit)), timeout=DEADLINE)
        return list(found.slots[:limit])

    async def book_home_visit(self, *, key: str, slot_id: str, full_name: str, phone: str, street: str, ward_code: str,
                              ward_name: str, district_name: str, province_name: str, zalo_user_id: str,
                              procedure_code: str, consent_at: datetime, consent_version: str) -> sch.CreateBookingResponse:
        return await self.scheduler.CreateBooking(sch.CreateBookingRequest(
            idempotency_key=key, slot_id=slot_id, help_type=sch.HELP_TYPE_ONLINE_DOSSIER, procedure_code=procedure_code,
            channel=common_pb2.CHANNEL_ZALO, note="Đăng ký qua Zalo OA",
            citizen=sch.Citizen(full_name=full_name, phone=phone, zalo_user_id=zalo_user_id, address=common_pb2.Address(
                street=street, ward_code=ward_code, ward_name=ward_name, district_name=district_name,
                province_name=province_name)),
            consent=common_pb2.Consent(purpose=BOOKING_CONSENT_PURPOSE, given_at=ts(consent_at), text_version=consent_version)),
            timeout=WRITE_DEADLINE)

    async def booking_as_system(self, booking_id: str) -> sch.Booking | None:
        try:
            return await self.scheduler.GetBooking(sch.GetBookingRequest(booking_id=booking_id, actor=SYSTEM),
                                                   timeout=DEADLINE)
        except grpc.aio.AioRpcError as exc:
            if _is(exc, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED):
                return None
            raise

    async def cancel_booking(self, *, booking_id: str, token: str, reason: str) -> sch.Booking:
        """Cancel as the citizen (with the booking's token): the citizen's rules apply."""
        return await self.scheduler.CancelBooking(sch.CancelBookingRequest(booking_id=booking_id, token=token,
                                                                           reason=reason), timeout=WRITE_DEADLINE)


def _ward_key(name: str) -> str:
    folded = fold(name)
    for prefix in ("phuong ", "xa ", "thi tran ", "p. ", "p.", "x. "):
        if folded.startswith(prefix):
            return folded[len(prefix):].strip()
    return folded
