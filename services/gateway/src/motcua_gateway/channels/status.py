"""Dossier status look-ups for the channels: full view for the applicant, coarse public view otherwise.

The full view is given only when the channel proves the asker is the applicant: the phone
shared through Zalo (user_submit_info) or the SMS sender equals the dossier's applicant phone,
or the receipt token is sent along. Otherwise only GetPublicStatus is used in the reply, so
nothing personal is revealed to someone who only knows a code (and a non-matching phone
gets the same answer as anyone).
"""

from __future__ import annotations

from dataclasses import dataclass

from motcua.dossier.v1 import dossier_service_pb2 as dos
from motcua_gateway.channels.backends import Backends, local_label
from motcua_gateway.channels.text import normalize_phone

NOT_FOUND = "Không tìm thấy hồ sơ {code}. Anh/chị kiểm tra lại mã hồ sơ trên giấy tiếp nhận (dạng 000.00.41.H29-250101-0001)."
BAD_FORMAT = ("Mã hồ sơ chưa đúng. Anh/chị gửi theo mẫu: #<mã hồ sơ>, ví dụ #000.00.41.H29-250101-0001 "
              "(có thể kèm mã tra cứu trên giấy tiếp nhận).")


@dataclass(frozen=True)
class StatusAnswer:
    text: str
    linked: bool
    found: bool
    #: One-SMS form (the notification service transliterates and cuts it to one segment).
    short: str = ""


async def look_up(backends: Backends, *, code: str, token: str, phone: str, base_url: str) -> StatusAnswer:
    """Answer a look-up of `code` by someone whose verified phone is `phone` (may be empty)."""
    link = f"{base_url.rstrip('/')}/tra-cuu/{code}"
    full: dos.Dossier | None = None
    if token:
        full = await backends.dossier_by_token(code, token)
        if full is not None:
            link += f"?token={token}"
    elif phone:
        candidate = await backends.dossier_full(code)
        if candidate is not None and normalize_phone(candidate.applicant.phone) == phone:
            full = candidate
    if full is not None:
        last = full.history[-1].reason if full.history else ""
        short = f"HS {full.code}: {full.status_label_vi}." + (f" {last}." if last else "") + \
            f" Hen tra: {full.due_label_vi or 'chua co'}"
        return StatusAnswer(full_text(full, link), linked=True, found=True, short=short)
    public = await backends.public_status(code)
    if public is None:
        return StatusAnswer(NOT_FOUND.format(code=code), linked=False, found=False,
                            short=f"Khong tim thay ho so {code}. Kiem tra lai ma tren giay tiep nhan.")
    short = f"HS {public.code}: {public.label_vi}. Hen tra: {public.due_label_vi or 'chua co'}. {link}"
    return StatusAnswer(public_text(public, link), linked=False, found=True, short=short)


def full_text(d: dos.Dossier, link: str) -> str:
    lines = [f"Hồ sơ {d.code}", f"Thủ tục: {d.procedure_name}", f"Người nộp: {d.applicant.full_name}",
             f"Trạng thái: {d.status_label_vi}", f"Hẹn trả kết quả: {d.due_label_vi or 'chưa có'}"]
    if d.collect_at:
        lines.append(f"Nơi nhận kết quả: {d.collect_at}")
    if d.history:
        lines.append("Quá trình xử lý:")
        for change in list(d.history)[-5:]:
            note = f" — {change.reason}" if change.reason else ""
            lines.append(f"• {local_label(change.at)}: {change.label_vi}{note}")
    lines.append(f"Chi tiết: {link}")
    return "\n".join(lines)


def public_text(p: dos.PublicStatus, link: str) -> str:
    lines = [f"Hồ sơ {p.code}", f"Thủ tục: {p.procedure_name}"]
    if p.agency_name:
        lines.append(f"Cơ quan tiếp nhận: {p.agency_name}")
    updated = f" (cập nhật {local_label(p.last_update)})" if p.HasField("last_update") else ""
    lines += [f"Trạng thái: {p.label_vi}{updated}", f"Hẹn trả kết quả: {p.due_label_vi or 'chưa có'}",
              f"Tra cứu: {link}",
              "Để xem đầy đủ, gửi kèm mã tra cứu trên giấy tiếp nhận: #<mã hồ sơ> <mã tra cứu>."]
    return "\n".join(lines)
