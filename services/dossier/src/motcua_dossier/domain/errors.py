"""The dossier registry's domain errors: stable codes, English for logs, Vietnamese for citizens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import grpc

from motcua_platform.errors import Conflict, InvalidArgument, MotcuaError, NotFound, PermissionDenied, PreconditionFailed


def invalid_code(code: str, why: str) -> MotcuaError:
    return InvalidArgument(
        "DOSSIER_CODE_INVALID",
        f"malformed dossier code {code!r}: {why}",
        f"Mã hồ sơ “{code}” không đúng định dạng <mã cơ quan>-<YYMMDD>-<số thứ tự>, ví dụ 000.00.04.H15-201125-0080.",
    )


def dossier_not_found(code: str) -> MotcuaError:
    return NotFound("DOSSIER_NOT_FOUND", f"no dossier {code}", f"Không tìm thấy hồ sơ có mã {code}.")


def token_denied() -> MotcuaError:
    # Same answer for an unknown code and a wrong token: nothing to learn by guessing.
    return PermissionDenied("DOSSIER_TOKEN_INVALID", "wrong code or token",
                            "Mã hồ sơ hoặc mã tra cứu không đúng.")


def applicant_denied() -> MotcuaError:
    # Same answer for an unknown code and another person's dossier: a signed-in citizen learns nothing by guessing.
    return PermissionDenied("DOSSIER_NOT_APPLICANT", "no dossier of the signed-in applicant with this code",
                            "Không có hồ sơ mang mã này đứng tên người đang đăng nhập.")


def invalid(field: str, why: str, why_vi: str) -> MotcuaError:
    return InvalidArgument("DOSSIER_INVALID", f"{field}: {why}", why_vi, metadata={"field": field})


def procedure_not_found(code: str) -> MotcuaError:
    return InvalidArgument("PROCEDURE_NOT_FOUND", f"no procedure {code}",
                           f"Không tìm thấy thủ tục hành chính có mã {code}.", metadata={"procedure_code": code})


def procedure_withdrawn(code: str, name: str, replaced_by: str) -> MotcuaError:
    tail = f" Vui lòng nộp hồ sơ theo thủ tục thay thế mã {replaced_by}." if replaced_by else ""
    return PreconditionFailed(
        "PROCEDURE_WITHDRAWN", f"procedure {code} is withdrawn",
        f"Thủ tục “{name}” ({code}) đã bị bãi bỏ hoặc thay thế, không tiếp nhận hồ sơ mới.{tail}",
        metadata={"procedure_code": code, "replaced_by_code": replaced_by},
    )


def procedure_version_not_in_force(code: str, version: int, current: int) -> MotcuaError:
    return PreconditionFailed(
        "PROCEDURE_VERSION_NOT_IN_FORCE", f"version {version} of {code} is not in force (current {current})",
        f"Phiên bản {version} của thủ tục {code} không còn hiệu lực; phiên bản đang áp dụng là {current}.",
        metadata={"procedure_code": code, "current_version": str(current)},
    )


def missing_documents(names: Iterable[str]) -> MotcuaError:
    listed = list(names)
    return PreconditionFailed(
        "DOCUMENTS_MISSING", f"missing required documents: {len(listed)}",
        "Hồ sơ còn thiếu giấy tờ bắt buộc: " + "; ".join(listed) + ".",
        metadata={"missing": "|".join(listed)},
    )


def unknown_agency(code: str) -> MotcuaError:
    return InvalidArgument("AGENCY_UNKNOWN", f"unknown agency {code}",
                           f"Không tìm thấy cơ quan tiếp nhận có mã {code}.", metadata={"agency_code": code})


def idempotency_key_reused() -> MotcuaError:
    return InvalidArgument(
        "IDEMPOTENCY_KEY_REUSED", "the idempotency key was used for a different request",
        "Mã Idempotency-Key này đã được dùng cho một yêu cầu khác; hãy dùng mã mới cho hồ sơ mới.",
    )


def transition_refused(code: str, from_label: str, to_label: str, allowed: list[str]) -> MotcuaError:
    allowed_vi = ", ".join(f"“{a}”" for a in allowed) if allowed else "không có (trạng thái cuối)"
    return PreconditionFailed(
        "TRANSITION_NOT_ALLOWED", f"{code}: {from_label} -> {to_label} is not allowed",
        f"Không thể chuyển hồ sơ {code} từ “{from_label}” sang “{to_label}”. Trạng thái tiếp theo hợp lệ: {allowed_vi}.",
        metadata={"dossier_code": code},
    )


def reason_required(to_label: str) -> MotcuaError:
    return InvalidArgument("REASON_REQUIRED", f"a reason is required to move to {to_label}",
                           f"Cần ghi rõ lý do khi chuyển hồ sơ sang “{to_label}”.")


def stale_version(code: str, expected: int, actual: int) -> MotcuaError:
    return Conflict(
        "DOSSIER_VERSION_CONFLICT", f"{code}: expected version {expected}, found {actual}",
        "Hồ sơ vừa được người khác cập nhật; vui lòng tải lại và thử lại.",
        status=grpc.StatusCode.ABORTED, metadata={"dossier_code": code, "version": str(actual)},
    )


def contact_not_found() -> MotcuaError:
    return NotFound("CONTACT_NOT_FOUND", "unknown or erased contact reference", "Không tìm thấy thông tin liên hệ.")


def override_not_found(day: date, agency_code: str) -> MotcuaError:
    where = f"của cơ quan {agency_code}" if agency_code else "toàn quốc"
    return NotFound("CALENDAR_OVERRIDE_NOT_FOUND", f"no calendar override on {day} for {agency_code or 'the nation'}",
                    f"Không có điều chỉnh lịch làm việc {where} vào ngày {day:%d/%m/%Y}.",
                    metadata={"day": day.isoformat(), "agency_code": agency_code})
