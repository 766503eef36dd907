"""The receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả) as printable HTML and as an A4 PDF.

Fields follow the national form (Mẫu số 01, Thông tư 01/2018/TT-VPCP): the receiving
unit, code, applicant, address, phone, e-mail, what is asked, the documents with
originals and copies, the number of sets, the processing time, when received, the
appointment, where the applicant registered to receive the result, the entry in the
register (the agency's register of the day, the day's sequence number), the copy
("Liên: giao khách hàng", the applicant's), the receiving officer — plus a QR code
to the public status page. The PDF embeds Be Vietnam Pro (SIL Open Font License, from the
`fontpkg-be-vietnam-pro` wheel), a typeface drawn for Vietnamese, so every diacritic
renders and the text stays extractable.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from urllib.parse import quote

import segno
from fpdf import FPDF

from motcua_dossier.domain.calendar import VIETNAM
from motcua_dossier.domain.calendar import label_vi as due_label
from motcua_dossier.domain.codes import parse_code
from motcua_dossier.domain.lifecycle import Status
from motcua_dossier.domain.model import CHANNEL_LABELS_VI, Dossier, ResultDelivery

TITLE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
#: The form has two copies, one kept by the office and one given to the applicant; this is the applicant's.
COPY = "Liên: giao khách hàng"
DELIVERY_VI = {
    ResultDelivery.COUNTER: "Nhận trực tiếp tại Bộ phận Một cửa",
    ResultDelivery.POST: "Nhận qua dịch vụ bưu chính công ích tại địa chỉ người nộp",
    ResultDelivery.ONLINE: "Nhận kết quả điện tử trên Cổng Dịch vụ công",
}


def status_url(public_base_url: str, code: str, token: str) -> str:
    """The public status page the receipt's QR code opens."""
    return f"{public_base_url.rstrip('/')}/tra-cuu/{quote(code)}?token={quote(token)}"


@dataclass(frozen=True)
class ReceiptView:
    """Everything printed, as text."""

    code: str
    agency_name: str
    applicant_name: str
    address: str
    phone: str
    email: str
    procedure_name: str
    procedure_code: str
    documents: list[tuple[str, int, int]]
    processing_days: int
    received_at: str
    appointment: str
    collect_at: str
    delivery: str
    officer: str
    channel: str
    status_label: str
    qr_url: str
    issued_on: str
    register_book: str
    register_number: str


def _fmt_time(moment: datetime) -> str:
    local = moment.astimezone(VIETNAM)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def receiving_officer(d: Dossier) -> str:
    for change in d.history:
        if change.to_status == Status.RECEIVED and change.actor.role == "officer":
            return change.actor.display_name or change.actor.id
    if d.assisted_by and d.assisted_by.role == "officer":
        return d.assisted_by.display_name or d.assisted_by.id
    return ""


def view_of(d: Dossier, qr_url: str) -> ReceiptView:
    from motcua_dossier.domain.lifecycle import label

    local = d.received_at.astimezone(VIETNAM)
    code = parse_code(d.code)
    appointment = due_label(d.due_at) if d.due_at else "Sẽ hẹn khi hồ sơ được tiếp nhận"
    if d.due_at:
        appointment = f"{d.due_at.astimezone(VIETNAM):%H} giờ {d.due_at.astimezone(VIETNAM):%M} phút, {appointment}"
    return ReceiptView(
        code=d.code, agency_name=d.agency_name, applicant_name=d.applicant.full_name, address=d.applicant.address.one_line(),
        phone=d.applicant.phone, email=d.applicant.email or "—", procedure_name=d.procedure_name,
        procedure_code=d.procedure_code, documents=[(doc.name, doc.originals, doc.copies) for doc in d.documents],
        processing_days=d.processing_working_days, received_at=_fmt_time(d.received_at), appointment=appointment,
        collect_at=d.collect_at, delivery=DELIVERY_VI[d.result_delivery], officer=receiving_officer(d),
        channel=CHANNEL_LABELS_VI[d.channel], status_label=label(d.status), qr_url=qr_url,
        issued_on=f"ngày {local:%d} tháng {local:%m} năm {local:%Y}",
        register_book=f"{code.agency_code}/{code.day:%d%m%Y}", register_number=f"{code.sequence:04d}",
    )


def register_line(view: ReceiptView) -> str:
    """The form's register entry: the agency's register of the receipt day, and the day's sequence number."""
    return f"Vào Sổ theo dõi hồ sơ, Quyển số: {view.register_book}, Số thứ tự: {view.register_number}"


def _days(n: int) -> str:
    return "Trong ngày làm việc" if n == 0 else f"{n:02d} ngày làm việc"


# -- HTML ----------------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "Be Vietnam Pro", "Noto Serif", "Times New Roman", "DejaVu Serif", serif;
      font-size: 13pt; color: #000; max-width: 178mm; margin: auto; }
.head { display: flex; justify-content: space-between; text-align: center; font-size: 12pt; }
.head b { display: block; }
h1 { text-align: center; font-size: 15pt; margin: 18pt 0 4pt; }
.code { text-align: center; font-weight: bold; margin-bottom: 12pt; }
table.docs { width: 100%; border-collapse: collapse; margin: 6pt 0; font-size: 12pt; }
table.docs th, table.docs td { border: 1px solid #000; padding: 3pt 5pt; }
table.docs td.n { text-align: center; width: 18mm; }
.sign { display: flex; justify-content: space-between; text-align: center; margin-top: 18pt; }
.sign div { width: 45%; }
.qr { float: right; text-align: center; font-size: 9pt; width: 40mm; margin-left: 6mm; }
.qr svg { width: 36mm; height: 36mm; }
@media print { .noprint { display: none; } }
"""


def render_html(view: ReceiptView) -> bytes:
    e = html.escape
    qr_svg = segno.make(view.qr_url, error="m").svg_inline(scale=4, border=2)
    rows = "".join(
        f"<tr><td class='n'>{i}</td><td>{e(name)}</td><td class='n'>{orig}</td><td class='n'>{copies}</td></tr>"
        for i, (name, orig, copies) in enumerate(view.documents, start=1)
    ) or "<tr><td class='n'>—</td><td>Hồ sơ liên thông điện tử</td><td class='n'>0</td><td class='n'>0</td></tr>"
    body = f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{e(TITLE)} {e(view.code)}</title><style>{_CSS}</style></head>
<body>
<div class="head">
  <div><b>{e(view.agency_name.upper())}</b><b>BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ</b>Số: {e(view.code)}</div>
  <div><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><b>Độc lập - Tự do - Hạnh phúc</b><i>{e(view.issued_on)}</i></div>
</div>
<h1>{e(TITLE)}</h1>
<div class="code">Mã hồ sơ: {e(view.code)}<br><i>({e(COPY)})</i></div>
<div class="qr">{qr_svg}<br>Quét mã để tra cứu<br>tình trạng hồ sơ</div>
<p>Bộ phận tiếp nhận và trả kết quả {e(view.agency_name)} tiếp nhận hồ sơ của:</p>
<p>Ông/Bà: <b>{e(view.applicant_name)}</b></p>
<p>Địa chỉ: {e(view.address)}</p>
<p>Số điện thoại: {e(view.phone)} &nbsp; Email: {e(view.email)}</p>
<p>Nội dung yêu cầu giải quyết: <b>{e(view.procedure_name)}</b> (mã thủ tục {e(view.procedure_code)})</p>
<p>1. Thành phần hồ sơ nộp gồm:</p>
<table class="docs"><tr><th>STT</th><th>Tên giấy tờ</th><th>Bản chính</th><th>Bản sao</th></tr>{rows}</table>
<p>2. Số lượng hồ sơ: 01 (bộ). Hình thức nộp: {e(view.channel)}.</p>
<p>3. Thời gian giải quyết hồ sơ theo quy định: {e(_days(view.processing_days))}.</p>
<p>4. Thời gian nhận hồ sơ: {e(view.received_at)}.</p>
<p>5. Thời gian trả kết quả giải quyết hồ sơ: <b>{e(view.appointment)}</b>.</p>
<p>6. Đăng ký nhận kết quả tại: {e(view.collect_at)} ({e(view.delivery)}).</p>
<p>{e(register_line(view))}</p>
<p>Tình trạng hồ sơ: {e(view.status_label)}. Tra cứu: <a href="{e(view.qr_url)}">{e(view.qr_url)}</a></p>
<div class="sign">
  <div><b>NGƯỜI NỘP HỒ SƠ</b><br><i>(Ký và ghi rõ họ tên)</i><br><br><br>{e(view.applicant_name)}</div>
  <div><b>NGƯỜI TIẾP NHẬN HỒ SƠ</b><br><i>(Ký và ghi rõ họ tên)</i><br><br><br>{e(view.officer)}</div>
</div>
<p class="noprint"><button onclick="window.print()">In giấy tiếp nhận</button></p>
</body></html>
"""
    return body.encode("utf-8")


# -- PDF -----------------------------------------------------------------------------------------


class _Pdf(FPDF):
    """Every multi_cell continues at the left margin of the next line unless told otherwise."""

    def multi_cell(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("new_x", "LMARGIN")
        kwargs.setdefault("new_y", "NEXT")
        return super().multi_cell(*args, **kwargs)


@lru_cache(maxsize=1)
def _font_files() -> tuple[str, str]:
    files = resources.files("fontpkg_be_vietnam_pro") / "files"
    return str(files / "BeVietnamPro-Regular.ttf"), str(files / "BeVietnamPro-Bold.ttf")


def render_pdf(view: ReceiptView) -> bytes:
    """An A4 PDF with embedded font subsets (CPU-bound, a few hundred ms: call it off the event loop)."""
    regular, bold = _font_files()
    pdf = _Pdf(format="A4", unit="mm")
    pdf.set_title(f"{TITLE} {view.code}")
    pdf.set_author(view.agency_name)
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font("BVP", "", regular)
    pdf.add_font("BVP", "B", bold)
    pdf.add_page()
    width = pdf.epw
    half = width / 2

    pdf.set_font("BVP", "B", 10)
    top = pdf.get_y()
    pdf.multi_cell(half, 5, f"{view.agency_name.upper()}\nBỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", align="C")
    pdf.set_font("BVP", "", 10)
    pdf.multi_cell(half, 5, f"Số: {view.code}", align="C")
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.set_font("BVP", "B", 10)
    pdf.multi_cell(half, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc", align="C")
    pdf.set_x(pdf.l_margin + half)
    pdf.set_font("BVP", "", 10)
    pdf.multi_cell(half, 5, view.issued_on, align="C")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)

    pdf.set_font("BVP", "B", 14)
    pdf.multi_cell(width, 7, TITLE, align="C")
    pdf.set_font("BVP", "B", 11)
    pdf.multi_cell(width, 6, f"Mã hồ sơ: {view.code}", align="C")
    pdf.set_font("BVP", "", 10)
    pdf.multi_cell(width, 5, f"({COPY})", align="C")
    pdf.ln(2)

    qr_size = 34
    qr_top = pdf.get_y()
    buffer = io.BytesIO()
    segno.make(view.qr_url, error="m").save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    pdf.image(buffer, x=pdf.l_margin + width - qr_size, y=qr_top, w=qr_size, h=qr_size)
    pdf.set_xy(pdf.l_margin + width - qr_size - 4, qr_top + qr_size)
    pdf.set_font("BVP", "", 8)
    pdf.multi_cell(qr_size + 8, 3.5, "Quét mã để tra cứu tình trạng hồ sơ", align="C")
    pdf.set_xy(pdf.l_margin, qr_top)

    text_width = width - qr_size - 6

    def line(label: str, value: str, *, w: float = width, bold_value: bool = False, align: str = "J") -> None:
        pdf.set_x(pdf.l_margin)
        pdf.set_font("BVP", "", 11)
        if bold_value:
            pdf.multi_cell(w, 6, f"{label}**{value}**", markdown=True, align=align)
        else:
            pdf.multi_cell(w, 6, f"{label}{value}", align=align)

    line("Bộ phận tiếp nhận và trả kết quả ", f"{view.agency_name} tiếp nhận hồ sơ của:", w=text_width)
    line("Ông/Bà: ", view.applicant_name, w=text_width, bold_value=True)
    line("Địa chỉ: ", view.address, w=text_width)
    line("Số điện thoại: ", f"{view.phone}      Email: {view.email}", w=text_width)
    pdf.set_y(max(pdf.get_y(), qr_top + qr_size + 8))
    line("Nội dung yêu cầu giải quyết: ", f"{view.procedure_name} (mã thủ tục {view.procedure_code})", bold_value=True)
    line("1. Thành phần hồ sơ nộp gồm:", "")

    pdf.set_font("BVP", "", 10)
    documents = view.documents or [("Hồ sơ liên thông điện tử", 0, 0)]
    with pdf.table(col_widths=(12, 118, 22, 22), text_align=("CENTER", "LEFT", "CENTER", "CENTER"),
                   line_height=5.5, first_row_as_headings=True) as table:
        header = table.row()
        for title in ("STT", "Tên giấy tờ", "Bản chính", "Bản sao"):
            header.cell(title)
        for i, (name, originals, copies) in enumerate(documents, start=1):
            row = table.row()
            row.cell(str(i))
            row.cell(name)
            row.cell(str(originals))
            row.cell(str(copies))
    pdf.ln(2)
    line("2. Số lượng hồ sơ: ", f"01 (bộ). Hình thức nộp: {view.channel}.")
    line("3. Thời gian giải quyết hồ sơ theo quy định: ", _days(view.processing_days) + ".")
    line("4. Thời gian nhận hồ sơ: ", view.received_at + ".")
    line("5. Thời gian trả kết quả giải quyết hồ sơ: ", view.appointment + ".", bold_value=True)
    line("6. Đăng ký nhận kết quả tại: ", f"{view.collect_at} ({view.delivery}).")
    line(register_line(view), "")
    line("Tình trạng hồ sơ: ", view.status_label + ".")
    line("Tra cứu hồ sơ: ", view.qr_url, align="L")  # a long link: justifying its first line spreads the words
    pdf.ln(6)

    top = pdf.get_y()
    for column, (title, name) in enumerate((("NGƯỜI NỘP HỒ SƠ", view.applicant_name),
                                            ("NGƯỜI TIẾP NHẬN HỒ SƠ", view.officer))):
        pdf.set_xy(pdf.l_margin + column * half, top)
        pdf.set_font("BVP", "B", 11)
        pdf.multi_cell(half, 6, title, align="C")
        pdf.set_x(pdf.l_margin + column * half)
        pdf.set_font("BVP", "", 10)
        pdf.multi_cell(half, 5, "(Ký và ghi rõ họ tên)", align="C")
        pdf.set_xy(pdf.l_margin + column * half, top + 30)
        pdf.set_font("BVP", "B", 11)
        pdf.multi_cell(half, 6, name, align="C")
    return bytes(pdf.output())


def filename(code: str, pdf: bool) -> str:
    return f"bien-nhan-{code}.{'pdf' if pdf else 'html'}"
