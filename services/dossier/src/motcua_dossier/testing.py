"""Run the dossier service in-process for tests (its own and the gateway's): real Postgres, real gRPC.

The catalogue is replaced by `FakeCatalogue`, a CatalogueService that serves a few
procedures shaped like the demo seed (same codes, agencies and document names), so
these tests depend on the contract, not on the catalogue's code or data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import grpc

from motcua.catalogue.v1 import catalogue_service_pb2 as cpb
from motcua.catalogue.v1 import catalogue_service_pb2_grpc as cpb_grpc
from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_dossier.app import MIGRATIONS, NAME
from motcua_dossier.catalogue import CatalogueClient
from motcua_dossier.grpc_api import SERVICE_NAME, DossierServicer
from motcua_dossier.service import CalendarProvider, DossierService
from motcua_platform.db import create_pool
from motcua_platform.embedded.process import free_port
from motcua_platform.grpc_server import GrpcServer
from motcua_platform.migrations import Track, apply_migrations, platform_track

PUBLIC_BASE_URL = "https://dichvucong.example.vn"

BIRTH = "1.001193.000.00.00.H29"
RESIDENCE = "2.001745.000.00.00.H29"
HEALTH_CARD = "1.004027.000.00.00.H29"
DEATH = "1.000656.000.00.00.H29"
RESIDENCE_REMOVAL = "2.000788.000.00.00.H29"
FUNERAL = "2.001027.000.00.00.H29"
REREGISTER_DEATH = "2.002244.000.00.00.H29"
WITHDRAWN = "1.999999.000.00.00.H29"


def _procedure(code: str, name: str, agency: tuple[str, str], days: int, documents: list[tuple[str, int, int, bool]],
               status: int = cpb.PROCEDURE_STATUS_PUBLISHED, version: int = 1, replaced_by: str = "") -> cpb.Procedure:
    return cpb.Procedure(
        code=code, version=version, status=status, name=name, agency=cpb.Agency(code=agency[0], name=agency[1]),
        processing_times=[cpb.ProcessingTime(working_days=days, description=f"{days} ngày làm việc")],
        required_documents=[cpb.RequiredDocument(name=n, originals=o, copies=c, required=r) for n, o, c, r in documents],
        replaced_by_code=replaced_by,
    )


SAIGON = ("000.00.41.H29", "UBND phường Sài Gòn")
BEN_THANH = ("000.00.42.H29", "UBND phường Bến Thành")
BINH_CHANH = ("000.00.47.H29", "UBND xã Bình Chánh")
ID_CHECK = ("Giấy tờ tùy thân của người yêu cầu (hộ chiếu, thẻ căn cước hoặc giấy tờ có ảnh do cơ quan có thẩm quyền cấp) "
            "để đối chiếu")
PROCEDURES: dict[str, cpb.Procedure] = {
    p.code: p
    for p in (
        _procedure(BIRTH, "Đăng ký khai sinh", SAIGON, 0, [
            ("Tờ khai đăng ký khai sinh", 1, 0, True),
            ("Giấy chứng sinh hoặc văn bản của người làm chứng xác nhận về việc sinh", 1, 0, True),
            (ID_CHECK, 1, 0, True),
            ("Văn bản ủy quyền có chứng thực (trường hợp ủy quyền thực hiện thủ tục)", 1, 0, False)]),
        _procedure(RESIDENCE, "Đăng ký thường trú", ("000.20.41.H29", "Công an phường Sài Gòn"), 7, [
            ("Tờ khai thay đổi thông tin cư trú", 1, 0, True)]),
        _procedure(HEALTH_CARD, "Đăng ký tham gia bảo hiểm y tế theo hộ gia đình và cấp thẻ bảo hiểm y tế",
                   ("000.00.30.H29", "Bảo hiểm xã hội Thành phố Hồ Chí Minh"), 5, [
                       ("Tờ khai tham gia, điều chỉnh thông tin bảo hiểm xã hội, bảo hiểm y tế", 1, 0, True)]),
        _procedure(DEATH, "Đăng ký khai tử", BINH_CHANH, 0, [
            ("Tờ khai đăng ký khai tử", 1, 0, True), ("Giấy báo tử hoặc giấy tờ thay thế Giấy báo tử", 1, 0, True)]),
        _procedure(RESIDENCE_REMOVAL, "Xóa đăng ký thường trú", ("000.20.46.H29", "Công an xã Củ Chi"), 1, [
            ("Tờ khai thay đổi thông tin cư trú", 1, 0, True)]),
        _procedure(FUNERAL, "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội",
                   ("000.00.44.H29", "UBND phường Thủ Dầu Một"), 3, [
                       ("Tờ khai đề nghị hỗ trợ chi phí mai táng", 1, 0, True)]),
        _procedure(REREGISTER_DEATH, "Đăng ký lại khai tử", BEN_THANH, 5, [
            ("Tờ khai đăng ký lại khai tử", 1, 0, True),
            ("Bản sao Giấy chứng tử trước đây được cấp hợp lệ hoặc giấy tờ có nội dung liên quan", 0, 1, True)]),
        _procedure(WITHDRAWN, "Cấp giấy phép kinh doanh karaoke (đã bãi bỏ)", BEN_THANH, 10, [],
                   status=cpb.PROCEDURE_STATUS_WITHDRAWN, replaced_by="1.999998.000.00.00.H29"),
    )
}
REREGISTER_DEATH_DOCUMENTS = [("Tờ khai đăng ký lại khai tử", 1, 0),
                              ("Bản sao Giấy chứng tử trước đây được cấp hợp lệ hoặc giấy tờ có nội dung liên quan", 0, 1)]


class FakeCatalogue(cpb_grpc.CatalogueServiceServicer):
    """GetProcedure and ListAgencies over `PROCEDURES` (plus what a test adds)."""

    def __init__(self) -> None:
        self.procedures = dict(PROCEDURES)

    async def GetProcedure(self, request: cpb.GetProcedureRequest, context: grpc.aio.ServicerContext) -> cpb.Procedure:
        found = self.procedures.get(request.code)
        if found is None or (request.HasField("version") and request.version != found.version):
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no procedure {request.code}")
        return found

    async def ListAgencies(self, request: cpb.ListAgenciesRequest, context: grpc.aio.ServicerContext
                           ) -> cpb.ListAgenciesResponse:
        agencies = {p.agency.code: p.agency.name for p in self.procedures.values()}
        return cpb.ListAgenciesResponse(items=[cpb.AgencyCount(agency=cpb.Agency(code=c, name=n), procedure_count=1)
                                               for c, n in sorted(agencies.items())])


@dataclass
class RunningDossier:
    service: DossierService
    pool: asyncpg.Pool
    server: GrpcServer
    catalogue: FakeCatalogue
    catalogue_server: GrpcServer
    schema: str

    @property
    def address(self) -> str:
        return self.server.address


async def migrate(postgres_url: str, schema: str) -> None:
    await apply_migrations(postgres_url, schema=schema, tracks=[platform_track(), Track(NAME, MIGRATIONS)])


@asynccontextmanager
async def running_dossier(postgres_url: str, schema: str, *, pool_size: int = 10,
                          public_base_url: str = PUBLIC_BASE_URL,
                          submit_batch_in_flight: int = 2) -> AsyncIterator[RunningDossier]:
    """Migrate `schema`, serve a FakeCatalogue and DossierService on free ports (no outbox relay: tests read the outbox)."""
    await migrate(postgres_url, schema)
    fake = FakeCatalogue()
    catalogue_server = GrpcServer(host="127.0.0.1", port=free_port())
    cpb_grpc.add_CatalogueServiceServicer_to_server(fake, catalogue_server.server)
    await catalogue_server.start()
    await catalogue_server.set_serving(True)
    pool = await create_pool(postgres_url, schema=schema, min_size=2, max_size=pool_size)
    catalogue = CatalogueClient(catalogue_server.address, ttl=0)
    service = DossierService(pool=pool, catalogue=catalogue, calendar=CalendarProvider(pool, refresh_seconds=0),
                             public_base_url=public_base_url, submit_batch_in_flight=submit_batch_in_flight)
    server = GrpcServer(host="127.0.0.1", port=free_port(), service_names=[SERVICE_NAME])
    pb_grpc.add_DossierServiceServicer_to_server(DossierServicer(service), server.server)
    await server.start()
    await server.set_serving(True)
    try:
        yield RunningDossier(service, pool, server, fake, catalogue_server, schema)
    finally:
        await server.stop(0)
        await service.close()
        await catalogue.close()
        await pool.close()
        await catalogue_server.stop(0)


def submit_request(
    key: str,
    *,
    procedure_code: str = REREGISTER_DEATH,
    documents: list[tuple[str, int, int]] | None = None,
    full_name: str = "Trần Thị Ngọc Ánh",
    officer: str | None = None,
    birth: tuple[int, int, int] | None = None,
    **extra: object,
) -> object:
    """A valid SubmitDossierRequest (for REREGISTER_DEATH unless told otherwise)."""
    from motcua.common.v1 import common_pb2
    from motcua.dossier.v1 import dossier_service_pb2 as pb

    if documents is None:
        documents = REREGISTER_DEATH_DOCUMENTS if procedure_code == REREGISTER_DEATH else [
            (d.name, d.originals, d.copies) for d in PROCEDURES[procedure_code].required_documents if d.required]
    request = pb.SubmitDossierRequest(
        idempotency_key=key,
        procedure_code=procedure_code,
        applicant=pb.Applicant(
            full_name=full_name, id_number="079190001234", phone="0912 345 678", email="anh.tran@example.vn",
            address=common_pb2.Address(street="12 Nguyễn Huệ", ward_code="26734", ward_name="Phường Sài Gòn",
                                       province_code="79", province_name="Thành phố Hồ Chí Minh"),
        ),
        documents=[pb.ProvidedDocument(name=n, originals=o, copies=c) for n, o, c in documents],
        channel=common_pb2.CHANNEL_COUNTER if officer else common_pb2.CHANNEL_WEB,
        result_delivery=pb.RESULT_DELIVERY_COUNTER,
        consent=common_pb2.Consent(purpose="dossier_processing", text_version="2025-01"),
        **extra,  # type: ignore[arg-type]
    )
    if officer:
        request.assisted_by.CopyFrom(common_pb2.Actor(id=officer, role=common_pb2.ACTOR_ROLE_OFFICER,
                                                      display_name="Nguyễn Thị Lan"))
    if birth:
        request.subject_birth_date.CopyFrom(common_pb2.LocalDate(year=birth[0], month=birth[1], day=birth[2]))
    return request
