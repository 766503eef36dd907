"""The catalogue's domain errors, each with a stable code and the Vietnamese text a citizen or officer sees."""

from __future__ import annotations

from motcua_platform.errors import InvalidArgument, NotFound, PermissionDenied, PreconditionFailed

MAX_QUERY_LENGTH = 200


def procedure_code_invalid(code: str) -> InvalidArgument:
    return InvalidArgument(
        "PROCEDURE_CODE_INVALID",
        f"procedure code {code[:64]!r} is not of the form N.NNNNNN.NNN.NN.NN.XNN",
        "Mã thủ tục không đúng định dạng (ví dụ đúng: 1.000028.000.00.00.H15).",
        metadata={"code": code[:64]},
    )


def procedure_not_found(code: str, version: int | None = None) -> NotFound:
    if version is None:
        return NotFound(
            "PROCEDURE_NOT_FOUND",
            f"no published procedure {code}",
            f"Không tìm thấy thủ tục hành chính có mã {code}.",
            metadata={"code": code},
        )
    return NotFound(
        "PROCEDURE_VERSION_NOT_FOUND",
        f"procedure {code} has no version {version}",
        f"Không tìm thấy phiên bản {version} của thủ tục {code}.",
        metadata={"code": code, "version": str(version)},
    )


def query_too_long(length: int) -> InvalidArgument:
    return InvalidArgument(
        "SEARCH_QUERY_TOO_LONG",
        f"search query has {length} characters, at most {MAX_QUERY_LENGTH} are allowed",
        f"Từ khóa tìm kiếm quá dài: tối đa {MAX_QUERY_LENGTH} ký tự.",
    )


def query_has_control_characters() -> InvalidArgument:
    return InvalidArgument(
        "SEARCH_QUERY_INVALID",
        "search query contains control characters",
        "Từ khóa tìm kiếm chứa ký tự không hợp lệ, vui lòng nhập lại.",
    )


def invalid_filter(name: str, value: str) -> InvalidArgument:
    labels = {"field_code": "lĩnh vực", "agency_code": "cơ quan thực hiện", "page": "trang", "page_size": "số kết quả mỗi trang"}
    return InvalidArgument(
        "SEARCH_FILTER_INVALID",
        f"invalid {name} {value[:64]!r}",
        f"Giá trị bộ lọc {labels.get(name, name)} không hợp lệ.",
        metadata={"filter": name},
    )


def invalid_version(version: int) -> InvalidArgument:
    return InvalidArgument(
        "PROCEDURE_VERSION_INVALID",
        f"version must be a positive integer, got {version}",
        "Số phiên bản thủ tục phải là số nguyên dương.",
    )


def invalid_procedure(problems: list[str]) -> InvalidArgument:
    return InvalidArgument(
        "PROCEDURE_INVALID",
        "; ".join(problems)[:1000],
        "Nội dung thủ tục không hợp lệ: " + "; ".join(problems)[:500],
    )


def actor_required() -> InvalidArgument:
    return InvalidArgument(
        "ACTOR_REQUIRED",
        "a change to the catalogue needs an actor with id and role",
        "Thiếu thông tin cán bộ thực hiện thay đổi.",
    )


def actor_not_allowed(role: str) -> PermissionDenied:
    return PermissionDenied(
        "CATALOGUE_CHANGE_NOT_ALLOWED",
        f"actors with role {role} may not change the catalogue",
        "Chỉ cán bộ có thẩm quyền mới được thay đổi danh mục thủ tục hành chính.",
    )


def not_a_draft(code: str, version: int, status: str) -> PreconditionFailed:
    return PreconditionFailed(
        "PROCEDURE_NOT_DRAFT",
        f"procedure {code} version {version} is {status}, only a draft can be published",
        f"Phiên bản {version} của thủ tục {code} không phải bản dự thảo nên không thể công bố.",
        metadata={"code": code, "version": str(version), "status": status},
    )


def nothing_to_withdraw(code: str) -> PreconditionFailed:
    return PreconditionFailed(
        "PROCEDURE_NOT_PUBLISHED",
        f"procedure {code} has no published version to withdraw",
        f"Thủ tục {code} chưa được công bố nên không thể bãi bỏ.",
        metadata={"code": code},
    )


def import_format_invalid(reason: str) -> InvalidArgument:
    return InvalidArgument(
        "IMPORT_FORMAT_INVALID",
        reason,
        "Định dạng tệp nhập danh mục không được hỗ trợ (chỉ JSON hoặc CSV).",
    )


def import_too_large(size: int, limit: int) -> InvalidArgument:
    return InvalidArgument(
        "IMPORT_TOO_LARGE",
        f"import document has {size} bytes, at most {limit} are allowed",
        "Tệp nhập danh mục quá lớn.",
    )
