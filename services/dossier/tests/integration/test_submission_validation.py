"""Submissions checked against the catalogue: withdrawn procedures, missing documents (named in Vietnamese)."""

from __future__ import annotations

import grpc
import pytest

from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_dossier.testing import WITHDRAWN, RunningDossier, submit_request
from motcua_platform.grpc_client import decode_rpc_error

pytestmark = pytest.mark.integration


async def refused(stub: pb_grpc.DossierServiceStub, request: object) -> tuple[grpc.StatusCode, str, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.SubmitDossier(request)
    error = decode_rpc_error(caught.value)
    assert error is not None
    return caught.value.code(), error.code, error.message_vi


async def test_missing_required_documents_are_named(stub: pb_grpc.DossierServiceStub, dossier: RunningDossier) -> None:
    status, code, message = await refused(stub, submit_request("valid-0001", documents=[("Tờ khai đăng ký lại khai tử", 1, 0)]))
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "DOCUMENTS_MISSING")
    assert message == ("Hồ sơ còn thiếu giấy tờ bắt buộc: Bản sao Giấy chứng tử trước đây được cấp hợp lệ hoặc giấy tờ "
                       "có nội dung liên quan.")
    assert await dossier.pool.fetchval("SELECT count(*) FROM dossiers") == 0
    assert await dossier.pool.fetchval("SELECT count(*) FROM daily_counters") == 0


async def test_document_names_match_whatever_the_case_and_spacing(stub: pb_grpc.DossierServiceStub) -> None:
    reply = await stub.SubmitDossier(submit_request("valid-0002", documents=[
        ("tờ khai  đăng ký lại KHAI TỬ", 1, 0),
        ("Bản sao Giấy chứng tử trước đây được cấp hợp lệ hoặc giấy tờ có nội dung liên quan", 0, 1)]))
    assert reply.dossier.code


async def test_a_withdrawn_procedure_takes_no_new_dossiers(stub: pb_grpc.DossierServiceStub) -> None:
    status, code, message = await refused(stub, submit_request("valid-0003", procedure_code=WITHDRAWN, documents=[]))
    assert (status, code) == (grpc.StatusCode.FAILED_PRECONDITION, "PROCEDURE_WITHDRAWN")
    assert "đã bị bãi bỏ" in message and "1.999998.000.00.00.H29" in message


@pytest.mark.parametrize(("change", "reason"), [
    ({"procedure_code": "9.999999.000.00.00.H29"}, "PROCEDURE_NOT_FOUND"),
])
async def test_unknown_procedure(stub: pb_grpc.DossierServiceStub, change: dict, reason: str) -> None:
    _, code, _ = await refused(stub, submit_request("valid-0004", documents=[], **change))
    assert code == reason


async def test_bad_applicant_data_and_missing_consent(stub: pb_grpc.DossierServiceStub) -> None:
    bad_phone = submit_request("valid-0005")
    bad_phone.applicant.phone = "12345"  # type: ignore[attr-defined]
    assert (await refused(stub, bad_phone))[2].startswith("Số điện thoại không hợp lệ")
    bad_id = submit_request("valid-0006")
    bad_id.applicant.id_number = "12AB"  # type: ignore[attr-defined]
    assert "CCCD" in (await refused(stub, bad_id))[2]
    no_consent = submit_request("valid-0007")
    no_consent.ClearField("consent")  # type: ignore[attr-defined]
    assert "đồng ý" in (await refused(stub, no_consent))[2]
