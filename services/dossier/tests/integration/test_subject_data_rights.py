"""Data-subject rights in the registry: export finds every dossier of the applicant, erase leaves no trace but the record."""

from __future__ import annotations

import json

import grpc
import pytest

from motcua.common.v1 import common_pb2
from motcua.common.v1 import subject_data_pb2 as sd
from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_dossier.testing import RunningDossier, submit_request
from motcua_platform.subject_data import find_traces

pytestmark = pytest.mark.integration

OFFICER = common_pb2.Actor(id="canbo.benthanh", role=common_pb2.ACTOR_ROLE_OFFICER, display_name="Nguyễn Thị Lan")
NAME = "Trần Thị Ngọc Ánh"
PLANTED = [NAME, "079190001234", "912345678", "anh.tran@example.vn", "12 Nguyễn Huệ", "zalo-8841200"]


def _other_person(key: str) -> pb.SubmitDossierRequest:
    request = submit_request(key, full_name="Lê Văn Bình")
    request.applicant.id_number = "079200005678"
    request.applicant.phone = "0987654321"
    request.applicant.email = "binh.le@example.vn"
    request.applicant.address.street = "7 Lê Lợi"
    return request  # type: ignore[return-value]


async def _plant(stub: pb_grpc.DossierServiceStub) -> tuple[list[pb.Dossier], pb.Dossier]:
    first = submit_request("dsr-0001")
    first.applicant.zalo_user_id = "zalo-8841200"
    mine = [(await stub.SubmitDossier(first)).dossier, (await stub.SubmitDossier(submit_request("dsr-0002"))).dossier]
    await stub.TransitionDossier(pb.TransitionDossierRequest(
        code=mine[0].code, to_status=2, actor=OFFICER, reason=f"Đã gọi bà {NAME} (0912345678) để xác minh"))
    other = (await stub.SubmitDossier(_other_person("dsr-0003"))).dossier
    return mine, other


async def test_export_finds_every_dossier_by_phone_or_id_number(stub: pb_grpc.DossierServiceStub) -> None:
    mine, other = await _plant(stub)
    for subject in (sd.DataSubject(phone="+84 912 345 678"), sd.DataSubject(id_number="079190001234"),
                    sd.DataSubject(phone="84912345678", id_number="079190001234")):
        out = await stub.ExportSubjectData(sd.ExportSubjectDataRequest(subject=subject))
        doc = json.loads(out.data_json)
        assert out.service == doc["service"] == "dossier"
        assert sorted(d["code"] for d in doc["records"]["dossiers"]) == sorted(d.code for d in mine)
        assert other.code not in out.data_json
        assert dict(out.counts) == {k: len(v) for k, v in doc["records"].items()}
        assert out.counts["status_history"] == 3 and out.counts["events"] >= 3
        assert all(p in out.data_json for p in PLANTED)
        assert "Đã gọi bà" in out.data_json
        assert list(out.linked.linked_emails) == ["anh.tran@example.vn"]
        assert list(out.linked.linked_zalo_user_ids) == ["zalo-8841200"]


async def test_erase_anonymises_keeps_the_record_and_is_idempotent(stub: pb_grpc.DossierServiceStub,
                                                                     dossier: RunningDossier) -> None:
    mine, other = await _plant(stub)
    erase = sd.EraseSubjectDataRequest(subject=sd.DataSubject(phone="0912345678"), request_id="erase-req-0001",
                                       actor="vanhanh", reason="Yêu cầu xoá dữ liệu số 12/2026")
    first = await stub.EraseSubjectData(erase)
    assert (first.service, first.replayed) == ("dossier", False)
    assert first.counts["dossiers"] == 2 and first.counts["status_history"] == 1

    async with dossier.pool.acquire() as conn:
        assert await find_traces(conn, dossier.schema, PLANTED) == []
        # The other applicant is untouched.
        assert {t[2] for t in await find_traces(conn, dossier.schema, ["Lê Văn Bình", "987654321", "7 Lê Lợi"])} == {
            "Lê Văn Bình", "987654321", "7 Lê Lợi"}

    # The record stays: public status with its history, the code, the procedure.
    public = await stub.GetPublicStatus(pb.GetPublicStatusRequest(code=mine[0].code))
    assert [h.status_code for h in public.history] == [1, 2] and public.procedure_name == mine[0].procedure_name
    full = await stub.GetDossier(pb.GetDossierRequest(code=mine[0].code))
    assert full.applicant.full_name == "(đã ẩn danh)" and not full.applicant.phone and not full.applicant.id_number
    assert full.consent.purpose == "dossier_processing"
    # The receipt's token no longer opens the full view.
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await stub.GetDossierByToken(pb.GetDossierByTokenRequest(code=mine[0].code, public_token=mine[0].public_token))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # Nor does the applicant's sign-in: the record no longer holds the ID number.
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await stub.GetDossierForApplicant(pb.GetDossierForApplicantRequest(code=mine[0].code, id_number="079190001234"))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    # Nobody can be reached any more: the notification service hears NOT_FOUND and sends nothing.
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await stub.ResolveContact(pb.ResolveContactRequest(contact_ref=mine[0].contact_ref))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    batched = await stub.ResolveContacts(pb.ResolveContactsRequest(contact_refs=[mine[0].contact_ref]))
    assert not batched.results[0].found and not batched.results[0].contact.phone

    again = await stub.EraseSubjectData(erase)
    assert again.replayed and dict(again.counts) == dict(first.counts)
    fresh = await stub.EraseSubjectData(sd.EraseSubjectDataRequest(subject=sd.DataSubject(id_number="079190001234"),
                                                                   request_id="erase-req-0002", actor="vanhanh"))
    assert not fresh.replayed and dict(fresh.counts) == {}
    after = await stub.ExportSubjectData(sd.ExportSubjectDataRequest(subject=sd.DataSubject(phone="0912345678")))
    assert after.counts["dossiers"] == 0 and not any(p in after.data_json for p in PLANTED)
    assert (await stub.GetDossier(pb.GetDossierRequest(code=other.code))).applicant.full_name == "Lê Văn Bình"


async def test_bad_subjects_are_refused(stub: pb_grpc.DossierServiceStub) -> None:
    for subject in (sd.DataSubject(), sd.DataSubject(phone="12345"), sd.DataSubject(id_number="0791900012")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.ExportSubjectData(sd.ExportSubjectDataRequest(subject=subject))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.EraseSubjectData(sd.EraseSubjectDataRequest(subject=sd.DataSubject(phone="0912345678"), request_id="x",
                                                               actor="vanhanh"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
