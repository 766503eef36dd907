"""What each caller sees: the public view (no personal data), the token view, receipts, contacts, the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import grpc
import pytest
from google.protobuf import json_format

from motcua.dossier.v1 import dossier_service_pb2 as pb
from motcua.dossier.v1 import dossier_service_pb2_grpc as pb_grpc
from motcua_dossier import repository
from motcua_dossier.domain.calendar import Override
from motcua_dossier.testing import RunningDossier, submit_request

pytestmark = pytest.mark.integration


async def test_the_public_view_holds_no_personal_data(stub: pb_grpc.DossierServiceStub) -> None:
    submitted = (await stub.SubmitDossier(submit_request("view-0001"))).dossier
    public = await stub.GetPublicStatus(pb.GetPublicStatusRequest(code=submitted.code))
    assert (public.status_code, public.label_vi, public.procedure_name) == (1, "Mới đăng ký", "Đăng ký lại khai tử")
    assert [h.label_vi for h in public.history] == ["Mới đăng ký"]
    text = json_format.MessageToJson(public)
    for personal in ("Trần", "079190001234", "+84912345678", "anh.tran", "Nguyễn Huệ", submitted.public_token):
        assert personal not in text
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await stub.GetPublicStatus(pb.GetPublicStatusRequest(code="000.00.42.H29-201125-0042"))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as malformed:
        await stub.GetPublicStatus(pb.GetPublicStatusRequest(code="000.00.42.H29-201132-0042"))
    assert malformed.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_many_public_statuses_in_one_call(stub: pb_grpc.DossierServiceStub) -> None:
    first = (await stub.SubmitDossier(submit_request("view-many-1"))).dossier
    second = (await stub.SubmitDossier(submit_request("view-many-2"))).dossier
    unknown, malformed = "000.00.42.H29-201125-0042", "000.00.42.H29-201132-0042"
    asked = [second.code, unknown, first.code, malformed, second.code]
    reply = await stub.GetPublicStatuses(pb.GetPublicStatusesRequest(codes=asked))
    assert [r.code for r in reply.results] == asked
    assert [r.outcome for r in reply.results] == [
        pb.PUBLIC_STATUS_OUTCOME_FOUND, pb.PUBLIC_STATUS_OUTCOME_NOT_FOUND, pb.PUBLIC_STATUS_OUTCOME_FOUND,
        pb.PUBLIC_STATUS_OUTCOME_INVALID_CODE, pb.PUBLIC_STATUS_OUTCOME_FOUND]
    single = await stub.GetPublicStatus(pb.GetPublicStatusRequest(code=first.code))
    assert reply.results[2].status == single  # the same message a single call gives
    assert reply.results[0].status.code == reply.results[4].status.code == second.code
    assert not reply.results[1].HasField("status") and not reply.results[3].HasField("status")
    text = json_format.MessageToJson(reply)
    for personal in ("Trần", "079190001234", "+84912345678", "anh.tran", first.public_token):
        assert personal not in text
    with pytest.raises(grpc.aio.AioRpcError) as too_many:
        await stub.GetPublicStatuses(pb.GetPublicStatusesRequest(codes=[first.code] * 257))
    assert too_many.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_the_token_opens_the_full_view_and_a_wrong_one_tells_nothing(stub: pb_grpc.DossierServiceStub) -> None:
    submitted = (await stub.SubmitDossier(submit_request("view-0002"))).dossier
    full = await stub.GetDossierByToken(pb.GetDossierByTokenRequest(code=submitted.code, public_token=submitted.public_token))
    assert full.applicant.full_name == "Trần Thị Ngọc Ánh" and full.applicant.phone == "+84912345678"
    errors = []
    for code, token in ((submitted.code, "wrong-token"), ("000.00.42.H29-201125-0042", submitted.public_token),
                        ("not-a-code", "x")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetDossierByToken(pb.GetDossierByTokenRequest(code=code, public_token=token))
        errors.append((caught.value.code(), caught.value.details()))
    assert len(set(errors)) == 1 and errors[0][0] == grpc.StatusCode.PERMISSION_DENIED


async def test_the_applicants_verified_id_number_opens_the_full_view_and_another_tells_nothing(
        stub: pb_grpc.DossierServiceStub) -> None:
    submitted = (await stub.SubmitDossier(submit_request("view-0007"))).dossier  # applicant ID 079190001234
    for id_number in ("079190001234", "0791 9000 1234"):  # as the identity provider gives it, spaces or not
        full = await stub.GetDossierForApplicant(pb.GetDossierForApplicantRequest(code=submitted.code, id_number=id_number))
        assert full.code == submitted.code and full.applicant.full_name == "Trần Thị Ngọc Ánh"
        assert [h.to_status for h in full.history] == [1]
    errors = []
    for code, id_number in ((submitted.code, "079190001235"), (submitted.code, "079190001"),
                            ("000.00.42.H29-201125-0042", "079190001234"), ("not-a-code", "079190001234"),
                            (submitted.code, ""), (submitted.code, "not an id")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetDossierForApplicant(pb.GetDossierForApplicantRequest(code=code, id_number=id_number))
        errors.append((caught.value.code(), caught.value.details()))
    assert len(set(errors)) == 1 and errors[0][0] == grpc.StatusCode.PERMISSION_DENIED


async def test_receipt_needs_the_right_token(stub: pb_grpc.DossierServiceStub) -> None:
    submitted = (await stub.SubmitDossier(submit_request("view-0003", officer="canbo.benthanh"))).dossier
    html = await stub.GetReceipt(pb.GetReceiptRequest(code=submitted.code, format=pb.RECEIPT_FORMAT_HTML,
                                                      public_token=submitted.public_token))
    assert html.content_type.startswith("text/html") and "Trần Thị Ngọc Ánh" in html.content.decode()
    assert f"tra-cuu/{submitted.code}?token={submitted.public_token}" in html.content.decode()
    pdf = await stub.GetReceipt(pb.GetReceiptRequest(code=submitted.code, format=pb.RECEIPT_FORMAT_PDF,
                                                     public_token=submitted.public_token))
    assert pdf.content.startswith(b"%PDF") and pdf.filename == f"bien-nhan-{submitted.code}.pdf"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetReceipt(pb.GetReceiptRequest(code=submitted.code, format=pb.RECEIPT_FORMAT_PDF, public_token="nope"))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_resolve_contact_gives_the_notification_service_the_details(stub: pb_grpc.DossierServiceStub) -> None:
    submitted = (await stub.SubmitDossier(submit_request("view-0004"))).dossier
    contact = await stub.ResolveContact(pb.ResolveContactRequest(contact_ref=submitted.contact_ref))
    assert (contact.full_name, contact.phone, contact.email) == ("Trần Thị Ngọc Ánh", "+84912345678", "anh.tran@example.vn")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ResolveContact(pb.ResolveContactRequest(contact_ref="ct_unknown"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_resolve_contacts_answers_many_references_in_order(stub: pb_grpc.DossierServiceStub) -> None:
    first = (await stub.SubmitDossier(submit_request("view-0005"))).dossier
    second = (await stub.SubmitDossier(submit_request("view-0006", full_name="Lê Văn Bình"))).dossier
    asked = [second.contact_ref, "ct_unknown", first.contact_ref, "", second.contact_ref, "x" * 65]
    reply = await stub.ResolveContacts(pb.ResolveContactsRequest(contact_refs=asked))
    assert [r.contact_ref for r in reply.results] == asked
    assert [r.found for r in reply.results] == [True, False, True, False, True, False]
    assert [r.contact.full_name for r in reply.results if r.found] == ["Lê Văn Bình", "Trần Thị Ngọc Ánh", "Lê Văn Bình"]
    single = await stub.ResolveContact(pb.ResolveContactRequest(contact_ref=first.contact_ref))
    assert reply.results[2].contact == single
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ResolveContacts(pb.ResolveContactsRequest(contact_refs=[first.contact_ref] * 257))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_due_date_rpc_uses_the_override_table(stub: pb_grpc.DossierServiceStub, dossier: RunningDossier) -> None:
    request = pb.ComputeDueDateRequest(working_days=1, agency_code="000.00.42.H29")
    request.received_at.FromDatetime(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # Monday 14:00 in Vietnam
    before = await stub.ComputeDueDate(request)
    assert (before.label_vi, before.session) == ("Chiều ngày 24/11/2026", pb.DAY_SESSION_AFTERNOON)
    await repository.add_override(dossier.pool, Override(date(2026, 11, 24), "off", "Nghỉ theo quyết định của UBND phường",
                                                         "000.00.42.H29"))
    after = await stub.ComputeDueDate(request)
    assert after.label_vi == "Chiều ngày 25/11/2026"
    assert [(s.date.day, s.reason) for s in after.skipped_days] == [(24, "Nghỉ theo quyết định của UBND phường")]


async def test_an_online_receipt_prints_its_appointment_and_its_qr_opens_the_status_page(
    stub: pb_grpc.DossierServiceStub,
) -> None:
    """A dossier submitted online (status 1): the PDF's text carries the appointment, its QR decodes to the status URL."""
    import io

    import pypdfium2
    import zxingcpp
    from pypdf import PdfReader

    submitted = (await stub.SubmitDossier(submit_request("view-0004"))).dossier
    assert submitted.status_code == 1 and submitted.due_label_vi
    pdf = (await stub.GetReceipt(pb.GetReceiptRequest(code=submitted.code, format=pb.RECEIPT_FORMAT_PDF,
                                                      public_token=submitted.public_token))).content
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert f"Mã hồ sơ: {submitted.code}" in text and submitted.due_label_vi in text
    assert f"Số thứ tự: {submitted.code[-4:]}" in text and "Trần Thị Ngọc Ánh" in text
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=2).to_pil()
    decoded = [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(decoded) == 1 and decoded[0].startswith("http")
    assert decoded[0].endswith(f"/tra-cuu/{submitted.code}?token={submitted.public_token}")
