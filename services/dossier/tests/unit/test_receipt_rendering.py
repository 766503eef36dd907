"""The receipt: every field of the form, Vietnamese text extractable from the PDF, the QR code opens the status page."""

from __future__ import annotations

import io
from datetime import datetime

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from motcua_dossier import receipt
from motcua_dossier.domain.calendar import VIETNAM
from motcua_dossier.domain.lifecycle import Status
from motcua_dossier.domain.model import (
    Actor,
    Address,
    Applicant,
    Channel,
    Consent,
    Document,
    Dossier,
    ResultDelivery,
    StatusChange,
)

RECEIVED = datetime(2020, 12, 2, 14, 5, tzinfo=VIETNAM)
DUE = datetime(2020, 12, 9, 14, 5, tzinfo=VIETNAM)
OFFICER = Actor("canbo.saigon", "officer", "Nguyễn Thị Lan")


@pytest.fixture(scope="module")
def dossier() -> Dossier:
    return Dossier(
        code="000.00.41.H29-201202-0080", public_token="t0k3n_-AbCdEfGhIjKlMnOpQrStUvWxYz012", version=2,
        procedure_code="2.002244.000.00.00.H29", procedure_version=1, procedure_name="Đăng ký lại khai tử",
        agency_code="000.00.41.H29", agency_name="UBND phường Sài Gòn", status=Status.RECEIVED, received_at=RECEIVED,
        due_at=DUE, due_basis=None, paused_at=None, processing_working_days=5,
        collect_at="Bộ phận Một cửa, UBND phường Sài Gòn", channel=Channel.COUNTER, assisted_by=OFFICER,
        result_delivery=ResultDelivery.COUNTER, consent=Consent("dossier_processing", RECEIVED, "2025-01"),
        contact_ref="ct_x", applicant=Applicant("Trần Thị Ngọc Ánh", "079190001234", "+84912345678", "anh.tran@example.vn",
                                                Address("12 Nguyễn Huệ", "26734", "Phường Sài Gòn", "", "79",
                                                        "Thành phố Hồ Chí Minh")),
        documents=(Document("Tờ khai đăng ký lại khai tử", "", 1, 0),
                   Document("Bản sao Giấy chứng tử trước đây được cấp hợp lệ", "", 0, 2)),
        parent_code="", root_code="000.00.41.H29-201202-0080", updated_at=RECEIVED,
        history=[StatusChange(0, Status.RECEIVED, OFFICER, "", RECEIVED)],
    )


@pytest.fixture(scope="module")
def view(dossier: Dossier) -> receipt.ReceiptView:
    return receipt.view_of(dossier, receipt.status_url("https://dichvucong.example.vn/", dossier.code, dossier.public_token))


def test_status_url_carries_code_and_token(view: receipt.ReceiptView) -> None:
    assert view.qr_url == ("https://dichvucong.example.vn/tra-cuu/000.00.41.H29-201202-0080"
                           "?token=t0k3n_-AbCdEfGhIjKlMnOpQrStUvWxYz012")


def test_pdf_is_a4_with_every_field_and_extractable_vietnamese(view: receipt.ReceiptView) -> None:
    content = receipt.render_pdf(view)
    reader = PdfReader(io.BytesIO(content))
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4 in points
    text = " ".join("".join(p.extract_text() for p in reader.pages).split())
    for expected in (
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "UBND PHƯỜNG SÀI GÒN",
        "Mã hồ sơ: 000.00.41.H29-201202-0080", "Trần Thị Ngọc Ánh", "12 Nguyễn Huệ, Phường Sài Gòn, Thành phố Hồ Chí Minh",
        "+84912345678", "anh.tran@example.vn", "Đăng ký lại khai tử", "Tờ khai đăng ký lại khai tử",
        "Bản sao Giấy chứng tử trước đây được cấp hợp lệ", "05 ngày làm việc", "14 giờ 05 phút, ngày 02/12/2020",
        "Chiều ngày 09/12/2020", "Bộ phận Một cửa, UBND phường Sài Gòn", "Nguyễn Thị Lan", "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "(Liên: giao khách hàng)", "6. Đăng ký nhận kết quả tại: Bộ phận Một cửa",
        "Vào Sổ theo dõi hồ sơ, Quyển số: 000.00.41.H29/02122020, Số thứ tự: 0080", "2. Số lượng hồ sơ: 01 (bộ)",
    ):
        assert expected in text, expected


def test_pdf_qr_code_decodes_to_the_status_url(view: receipt.ReceiptView) -> None:
    document = pypdfium2.PdfDocument(receipt.render_pdf(view))
    image = document[0].render(scale=2).to_pil()
    decoded = [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]
    assert decoded == [view.qr_url]


def test_html_is_printable_escaped_and_holds_the_qr(view: receipt.ReceiptView, dossier: Dossier) -> None:
    page = receipt.render_html(view).decode("utf-8")
    assert "@page { size: A4" in page and "<svg" in page
    assert "Chiều ngày 09/12/2020" in page and "Trần Thị Ngọc Ánh" in page
    assert "(Liên: giao khách hàng)" in page and "Số thứ tự: 0080" in page and "Đăng ký nhận kết quả tại:" in page
    hostile = receipt.view_of(
        Dossier(**{**dossier.__dict__, "applicant": Applicant("<script>x</script>", "079190001234", "+84912345678")}),
        view.qr_url)
    assert "<script>x" not in receipt.render_html(hostile).decode("utf-8")


def test_a_dossier_registered_before_appointments_were_set_at_receipt_says_it_comes_later(dossier: Dossier) -> None:
    new = Dossier(**{**dossier.__dict__, "status": Status.NEW, "due_at": None, "history": []})
    v = receipt.view_of(new, "https://x/tra-cuu/c?token=t")
    assert v.appointment == "Sẽ hẹn khi hồ sơ được tiếp nhận"
    assert v.officer == "Nguyễn Thị Lan"  # the assisting officer
