"""The scheduler's domain errors: a stable code, English for logs, the Vietnamese a citizen or officer reads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

import grpc

from motcua_platform.errors import (
    Conflict,
    InvalidArgument,
    MotcuaError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
)
from motcua_scheduler.domain.calendar import format_day, format_local
from motcua_scheduler.domain.model import HELP_TYPE_LABELS_VI, STATUS_LABELS_VI, HelpType, Status


def booking_not_found(booking_id: str) -> NotFound:
    # Also what a wrong token gets: a token guesser learns nothing about which ids exist.
    return NotFound("BOOKING_NOT_FOUND", f"no booking {booking_id[:64]} (or wrong token)",
                    "Không tìm thấy lịch hẹn, hoặc mã tra cứu lịch hẹn không đúng.")


def slot_not_found(slot_id: str) -> NotFound:
    return NotFound("SLOT_NOT_FOUND", f"no slot {slot_id[:96]}", "Không tìm thấy khung giờ đã chọn.",
                    metadata={"slot_id": slot_id[:96]})


def point_not_found(point_id: str) -> NotFound:
    return NotFound("POINT_NOT_FOUND", f"no service point {point_id[:96]}",
                    f"Không tìm thấy điểm hỗ trợ “{point_id[:96]}”.")


def slot_full(point_name: str, starts_at: datetime, next_slots: Sequence[dict[str, object]], *,
              reserved: bool = False) -> MotcuaError:
    when = format_local(starts_at)
    if reserved:
        message_vi = (f"Khung giờ {when} tại {point_name} chỉ còn chỗ dành cho người cao tuổi, người khuyết tật "
                      "(đối tượng ưu tiên). Vui lòng chọn khung giờ khác.")
    else:
        message_vi = f"Khung giờ {when} tại {point_name} đã hết chỗ. Vui lòng chọn khung giờ khác."
    return MotcuaError(
        "SLOT_FULL", f"slot at {starts_at.isoformat()} is full", message_vi,
        status=grpc.StatusCode.RESOURCE_EXHAUSTED,
        metadata={"next_slots": json.dumps(list(next_slots), ensure_ascii=False, separators=(",", ":")),
                  "reserved_for_priority": "true" if reserved else "false"},
    )


def slot_in_past() -> PreconditionFailed:
    return PreconditionFailed("SLOT_IN_PAST", "the slot has already started",
                              "Khung giờ này đã qua. Vui lòng chọn thời gian khác.")


def slot_too_soon(lead_minutes: int) -> PreconditionFailed:
    return PreconditionFailed("SLOT_TOO_SOON", f"bookings close {lead_minutes} minutes before the slot",
                              f"Cần đặt lịch trước giờ hẹn ít nhất {lead_minutes} phút. Vui lòng chọn khung giờ muộn hơn.")


def slot_cancelled(reason: str = "") -> PreconditionFailed:
    suffix = f" (lý do: {reason})" if reason else ""
    return PreconditionFailed("SLOT_CANCELLED", "the slot was cancelled",
                              f"Khung giờ này đã bị huỷ{suffix}. Vui lòng chọn khung giờ khác.")


def point_closed_holiday(point_name: str, day: date, holiday: str) -> PreconditionFailed:
    return PreconditionFailed("POINT_CLOSED_HOLIDAY", f"{day.isoformat()} is a public holiday ({holiday})",
                              f"{format_day(day)} là ngày nghỉ lễ ({holiday}), {point_name} không làm việc. "
                              "Vui lòng chọn ngày khác.")


def point_closed(point_name: str, day: date) -> PreconditionFailed:
    return PreconditionFailed("POINT_CLOSED", f"the point is closed on {day.isoformat()}",
                              f"{point_name} không làm việc vào {format_day(day)}. Vui lòng chọn ngày khác.")


def outside_opening_hours(point_name: str, at: datetime, hours_vi: str) -> PreconditionFailed:
    hours = f" Giờ phục vụ: {hours_vi}." if hours_vi else ""
    return PreconditionFailed("OUTSIDE_OPENING_HOURS", f"the point is not open at {at.isoformat()}",
                              f"{point_name} không phục vụ vào lúc {format_local(at)}.{hours}")


def beyond_horizon(days: int) -> PreconditionFailed:
    return PreconditionFailed("BOOKING_NOT_OPEN_YET", f"bookings open {days} days ahead",
                              f"Chưa mở đặt lịch cho ngày này: chỉ đặt trước được tối đa {days} ngày.")


def no_slot_at(point_name: str, at: datetime) -> NotFound:
    return NotFound("SLOT_NOT_FOUND", f"no slot at {at.isoformat()}",
                    f"{point_name} không có khung giờ nào lúc {format_local(at)}.")


def help_type_required() -> InvalidArgument:
    return InvalidArgument("HELP_TYPE_REQUIRED", "help_type is required", "Vui lòng chọn nội dung cần hỗ trợ.")


def help_type_not_offered(point_name: str, help_type: HelpType) -> PreconditionFailed:
    return PreconditionFailed(
        "HELP_TYPE_NOT_OFFERED", f"{help_type} is not offered here",
        f"{point_name} không hỗ trợ “{HELP_TYPE_LABELS_VI[help_type]}”. Vui lòng chọn điểm hỗ trợ hoặc khung giờ khác.")


def unknown_area(ward_code: str) -> InvalidArgument:
    return InvalidArgument("UNKNOWN_AREA", f"ward {ward_code[:16]!r} is not served",
                           f"Phường/xã có mã “{ward_code[:16]}” không thuộc địa bàn có lịch hỗ trợ.",
                           metadata={"ward_code": ward_code[:16]})


def ward_required() -> InvalidArgument:
    return InvalidArgument("WARD_REQUIRED", "ward_code is required for home visits and volunteers",
                           "Vui lòng cho biết phường/xã nơi cư trú để tìm lịch hỗ trợ tại nhà hoặc tình nguyện viên.")


def out_of_area(point_name: str, ward_name: str) -> PreconditionFailed:
    return PreconditionFailed("OUT_OF_AREA", "the point does not serve the citizen's ward",
                              f"{point_name} không phục vụ {ward_name}. Vui lòng chọn điểm hỗ trợ khác.")


def address_required() -> InvalidArgument:
    return InvalidArgument("ADDRESS_REQUIRED", "a street address is required for a visit at home",
                           "Vui lòng nhập địa chỉ nhà (số nhà, đường, tổ/khu phố) để người hỗ trợ tìm đến.")


def citizen_required() -> InvalidArgument:
    return InvalidArgument("CITIZEN_REQUIRED", "citizen is required",
                           "Vui lòng nhập họ tên và số điện thoại của người cần hỗ trợ.")


def phone_invalid() -> InvalidArgument:
    return InvalidArgument("PHONE_INVALID", "not a Vietnamese phone number",
                           "Số điện thoại không hợp lệ (ví dụ đúng: 0912345678).")


def name_invalid() -> InvalidArgument:
    return InvalidArgument("FULL_NAME_INVALID", "full name must be 2-100 letters",
                           "Họ và tên không hợp lệ: chỉ gồm chữ cái, từ 2 đến 100 ký tự.")


def text_invalid(field: str, limit: int) -> InvalidArgument:
    return InvalidArgument("TEXT_INVALID", f"{field} is longer than {limit} characters or has control characters",
                           f"Nội dung “{field}” quá dài (tối đa {limit} ký tự) hoặc chứa ký tự không hợp lệ.",
                           metadata={"field": field})


def consent_required() -> InvalidArgument:
    return InvalidArgument("CONSENT_REQUIRED", "consent to process personal data is required",
                           "Cần có sự đồng ý của người dân cho việc xử lý dữ liệu cá nhân "
                           "(Nghị định 13/2023/NĐ-CP) để đặt lịch.")


def citizen_overlap() -> Conflict:
    return Conflict("BOOKING_OVERLAPS", "the citizen already has a booking at an overlapping time",
                    "Số điện thoại này đã có một lịch hẹn khác trùng thời gian. "
                    "Vui lòng huỷ hoặc đổi lịch cũ trước khi đặt lịch mới.")


def idempotency_key_required() -> InvalidArgument:
    return InvalidArgument("IDEMPOTENCY_KEY_REQUIRED", "an idempotency key is required",
                           "Thiếu mã yêu cầu (Idempotency-Key) để tránh đặt lịch hai lần.")


def idempotency_key_invalid() -> InvalidArgument:
    return InvalidArgument("IDEMPOTENCY_KEY_INVALID", "idempotency key must be 8-128 of A-Z a-z 0-9 . _ : -",
                           "Mã yêu cầu (Idempotency-Key) không hợp lệ: 8–128 ký tự chữ, số hoặc . _ : -")


def idempotency_key_reused() -> InvalidArgument:
    return InvalidArgument("IDEMPOTENCY_KEY_REUSED", "the idempotency key was used for a different request",
                           "Mã yêu cầu (Idempotency-Key) này đã được dùng cho một yêu cầu khác. "
                           "Vui lòng tạo mã mới cho yêu cầu mới.")


def hold_expired() -> PreconditionFailed:
    return PreconditionFailed("HOLD_EXPIRED", "the hold has lapsed",
                              "Thời gian giữ chỗ đã hết. Vui lòng chọn lại khung giờ.")


def booking_not_held() -> PreconditionFailed:
    return PreconditionFailed("BOOKING_NOT_HELD", "the booking is not a hold",
                              "Lịch hẹn này không còn ở trạng thái giữ chỗ.")


def booking_not_active(status: Status) -> PreconditionFailed:
    return PreconditionFailed("BOOKING_NOT_ACTIVE", f"the booking is {status}",
                              f"Lịch hẹn đang ở trạng thái “{STATUS_LABELS_VI[status]}”, không thể thay đổi.",
                              metadata={"status": str(status)})


def booking_started() -> PreconditionFailed:
    return PreconditionFailed("BOOKING_ALREADY_STARTED", "the visit has started",
                              "Đã đến giờ hẹn nên không thể huỷ hay đổi lịch qua mạng. Vui lòng liên hệ cán bộ hỗ trợ.")


def not_awaiting_verification(status: Status) -> PreconditionFailed:
    return PreconditionFailed("BOOKING_NOT_AWAITING_VERIFICATION", f"the booking is {status}, not requested",
                              f"Lịch hẹn đang ở trạng thái “{STATUS_LABELS_VI[status]}”, không cần xác minh.")


def outcome_required() -> InvalidArgument:
    return InvalidArgument("OUTCOME_REQUIRED", "outcome is required",
                           "Vui lòng chọn kết quả gọi lại: xác nhận, từ chối hoặc không liên lạc được.")


def same_slot() -> InvalidArgument:
    return InvalidArgument("RESCHEDULE_SAME_SLOT", "the new slot is the current one",
                           "Khung giờ mới trùng với khung giờ hiện tại.")


def resource_not_found(resource_id: str) -> NotFound:
    return NotFound("RESOURCE_NOT_FOUND", f"no active resource {resource_id[:96]}",
                    "Không tìm thấy cán bộ hoặc tình nguyện viên này.")


def resource_not_assignable() -> InvalidArgument:
    return InvalidArgument("RESOURCE_NOT_ASSIGNABLE", "only staff and volunteers are assigned to bookings",
                           "Chỉ phân công cán bộ hoặc tình nguyện viên cho lịch hẹn.")


def resource_busy(name: str) -> Conflict:
    return Conflict("RESOURCE_BUSY", "the resource has an overlapping commitment",
                    f"{name} đã có lịch khác trùng thời gian này.")


def resource_cannot_help(name: str, help_type: HelpType) -> PreconditionFailed:
    return PreconditionFailed("RESOURCE_CANNOT_GIVE_HELP", f"the resource does not give {help_type}",
                              f"{name} chưa đăng ký hỗ trợ “{HELP_TYPE_LABELS_VI[help_type]}”.")


def resource_out_of_area(name: str) -> PreconditionFailed:
    return PreconditionFailed("RESOURCE_OUT_OF_AREA", "the resource does not cover the ward",
                              f"{name} không phụ trách địa bàn của lịch hẹn này.")


def not_due_yet() -> PreconditionFailed:
    return PreconditionFailed("BOOKING_NOT_DUE", "the visit has not started yet",
                              "Chưa đến giờ hẹn, chưa thể ghi nhận kết quả.")


def capacity_below_booked(booked: int, capacity: int) -> PreconditionFailed:
    return PreconditionFailed("CAPACITY_BELOW_BOOKED", f"{booked} places are taken, capacity {capacity} is too low",
                              f"Khung giờ đã có {booked} người đặt, không thể giảm số chỗ xuống {capacity}.")


def capacity_invalid() -> InvalidArgument:
    return InvalidArgument("CAPACITY_INVALID", "capacity must be 0-500 and the priority share at most the capacity",
                           "Số chỗ phải từ 0 đến 500 và số chỗ ưu tiên không vượt quá số chỗ.")


def stop_not_found(stop_id: str) -> NotFound:
    return NotFound("STOP_NOT_FOUND", f"no bus stop window {stop_id[:96]}", "Không tìm thấy điểm dừng xe lưu động này.")


def stop_already_over() -> PreconditionFailed:
    return PreconditionFailed("STOP_ALREADY_OVER", "the stop window has ended",
                              "Điểm dừng này đã kết thúc, không thể huỷ.")


def reason_required() -> InvalidArgument:
    return InvalidArgument("REASON_REQUIRED", "a reason is required", "Vui lòng nhập lý do để báo cho người dân.")


def volunteer_weekend_only() -> InvalidArgument:
    return InvalidArgument("VOLUNTEER_WEEKEND_ONLY", "volunteers give help on Saturdays and Sundays",
                           "Tình nguyện viên chỉ đăng ký hỗ trợ vào Thứ Bảy và Chủ nhật.")


def volunteer_window_invalid() -> InvalidArgument:
    return InvalidArgument("VOLUNTEER_WINDOW_INVALID", "the availability window is empty, past or too far ahead",
                           "Khung thời gian đăng ký không hợp lệ (đã qua, quá xa, hoặc giờ kết thúc không sau giờ bắt đầu).")


def volunteer_busy() -> Conflict:
    return Conflict("VOLUNTEER_BUSY", "the volunteer already has an overlapping commitment",
                    "Tình nguyện viên đã có lịch khác trùng khung giờ này.")


def volunteer_holiday(day: date, holiday: str) -> PreconditionFailed:
    return PreconditionFailed("POINT_CLOSED_HOLIDAY", f"{day.isoformat()} is a public holiday",
                              f"{format_day(day)} là ngày nghỉ lễ ({holiday}); không mở lịch hỗ trợ.")


def actor_required() -> InvalidArgument:
    return InvalidArgument("ACTOR_REQUIRED", "an officer or volunteer actor is required",
                           "Thao tác này cần tài khoản cán bộ hoặc tình nguyện viên.")


def not_your_booking() -> PermissionDenied:
    return PermissionDenied("NOT_ASSIGNED_TO_YOU", "the volunteer is not assigned to this booking",
                            "Bạn không được phân công cho lịch hẹn này.")


def not_your_availability() -> PermissionDenied:
    return PermissionDenied("NOT_YOUR_AVAILABILITY", "volunteers register only their own availability",
                            "Tình nguyện viên chỉ đăng ký lịch của chính mình.")


def contact_not_found() -> NotFound:
    return NotFound("CONTACT_NOT_FOUND", "unknown contact_ref", "Không tìm thấy thông tin liên hệ.")


def date_range_invalid(max_days: int) -> InvalidArgument:
    return InvalidArgument("DATE_RANGE_INVALID", f"to must not precede from and the range is at most {max_days} days",
                           f"Khoảng ngày không hợp lệ: ngày kết thúc phải sau ngày bắt đầu, tối đa {max_days} ngày.")


def target_required() -> InvalidArgument:
    return InvalidArgument("SCHEDULE_TARGET_REQUIRED", "one of point_id, stop_id, resource_id is required",
                           "Vui lòng chọn điểm hỗ trợ, điểm dừng xe hoặc người hỗ trợ.")


def procedure_code_invalid(code: str) -> InvalidArgument:
    return InvalidArgument("PROCEDURE_CODE_INVALID", f"procedure code {code[:64]!r} is malformed",
                           "Mã thủ tục không đúng định dạng (ví dụ đúng: 1.001193.000.00.00.H29).")


def procedure_not_applicable(help_type: HelpType) -> InvalidArgument:
    return InvalidArgument("PROCEDURE_NOT_APPLICABLE", f"{help_type} does not take a procedure",
                           f"Nội dung “{HELP_TYPE_LABELS_VI[help_type]}” không cần chọn thủ tục.")


def procedure_not_found(code: str) -> InvalidArgument:
    return InvalidArgument("PROCEDURE_NOT_FOUND", f"no published procedure {code}",
                           f"Không tìm thấy thủ tục hành chính có mã {code}.")


def procedure_withdrawn(code: str) -> PreconditionFailed:
    return PreconditionFailed("PROCEDURE_WITHDRAWN", f"procedure {code} is withdrawn",
                              f"Thủ tục {code} đã bị bãi bỏ, không thể nộp hồ sơ.")


def procedure_not_online(code: str) -> PreconditionFailed:
    return PreconditionFailed("PROCEDURE_NOT_ONLINE", f"procedure {code} cannot be submitted online",
                              f"Thủ tục {code} chưa được cung cấp trực tuyến; vui lòng nộp trực tiếp tại Bộ phận Một cửa.")
