"""The templates a fresh database starts with (version 1 of each code × channel), in Vietnamese.

Officers and operators change them with SaveTemplate, which keeps every version.
SMS texts are written with diacritics like the others; they are sent without
(GSM-7) unless `sms_unicode` is on. ZNS template ids are those approved by Zalo
for the Official Account (placeholders here: set the real ids with SaveTemplate).
"""

from __future__ import annotations

import html

from motcua_notification.domain.templates import Template

_GREETING = "Kính gửi {{full_name}},"
_SIGNATURE = "Bộ phận Một cửa"

# code -> (Zalo/e-mail paragraphs, SMS text, ZNS template id, ZNS parameter map)
_TEXTS: dict[str, tuple[list[str], str, str, dict[str, str]]] = {
    "dossier_received": (
        ["Hồ sơ {{dossier_code}} ({{procedure_name}}) đã được tiếp nhận lúc {{received_at}}.",
         "Trạng thái: {{status_label}}. Hẹn trả kết quả: {{due_label}}.",
         "Tra cứu tình trạng hồ sơ tại {{lookup_url}} hoặc nhắn #{{dossier_code}} cho Zalo OA."],
        "Hồ sơ {{dossier_code}} đã được tiếp nhận. Hẹn trả: {{due_label}}. Tra cứu: {{lookup_url}}",
        "300101", {"customer_name": "{{full_name}}", "dossier_code": "{{dossier_code}}", "due_date": "{{due_label}}"},
    ),
    "dossier_accepted": (
        ["Hồ sơ trực tuyến {{dossier_code}} ({{procedure_name}}) đã được cán bộ tiếp nhận.",
         "Hẹn trả kết quả: {{due_label}}.", "Tra cứu: {{lookup_url}}."],
        "Hồ sơ {{dossier_code}} đã được tiếp nhận. Hẹn trả: {{due_label}}. Tra cứu: {{lookup_url}}",
        "300102", {"customer_name": "{{full_name}}", "dossier_code": "{{dossier_code}}", "due_date": "{{due_label}}"},
    ),
    "dossier_rejected": (
        ["Rất tiếc, hồ sơ {{dossier_code}} ({{procedure_name}}) không được tiếp nhận.", "Lý do: {{reason}}.",
         "Ông/bà vui lòng liên hệ Bộ phận Một cửa để được hướng dẫn."],
        "Hồ sơ {{dossier_code}} không được tiếp nhận. Lý do: {{reason}}. Liên hệ Bộ phận Một cửa.",
        "300103", {"customer_name": "{{full_name}}", "dossier_code": "{{dossier_code}}", "reason": "{{reason}}"},
    ),
    "dossier_supplement_requested": (
        ["Hồ sơ {{dossier_code}} ({{procedure_name}}) cần bổ sung giấy tờ.", "Nội dung cần bổ sung: {{reason}}.",
         "Ông/bà vui lòng bổ sung trực tuyến tại {{lookup_url}} hoặc tại Bộ phận Một cửa."],
        "Hồ sơ {{dossier_code}} cần bổ sung: {{reason}}. Chi tiết: {{lookup_url}}",
        "300104", {"customer_name": "{{full_name}}", "dossier_code": "{{dossier_code}}", "reason": "{{reason}}"},
    ),
    "dossier_status_changed": (
        ["Hồ sơ {{dossier_code}} ({{procedure_name}}) chuyển sang trạng thái: {{status_label}}.",
         "{{reason}}", "Hẹn trả kết quả: {{due_label}}. Tra cứu: {{lookup_url}}."],
        "Hồ sơ {{dossier_code}}: {{status_label}}. Hẹn trả: {{due_label}}. Tra cứu: {{lookup_url}}",
        "300105", {"customer_name": "{{full_name}}", "dossier_code": "{{dossier_code}}", "status": "{{status_label}}"},
    ),
    "dossier_result_ready": (
        ["Hồ sơ {{dossier_code}} ({{procedure_name}}) đã có kết quả. {{overdue_note}}",
         "Nơi nhận kết quả: {{collect_at}}.", "Ông/bà vui lòng mang theo giấy tiếp nhận hồ sơ và CCCD khi đến nhận."],
        "Hồ sơ {{dossier_code}} đã có kết quả. Nhận tại: {{collect_at}}. {{overdue_note}}",
        "300106", {"customer_name": "{{full_name}}", "dossier_code": "{{dossier_code}}", "place": "{{collect_at}}"},
    ),
    "dossier_withdrawn": (
        ["Hồ sơ {{dossier_code}} ({{procedure_name}}) đã được rút theo yêu cầu của ông/bà.", "{{reason}}"],
        "Hồ sơ {{dossier_code}} đã được rút theo yêu cầu. Chi tiết: {{lookup_url}}",
        "300107", {"customer_name": "{{full_name}}", "dossier_code": "{{dossier_code}}"},
    ),
    "booking_requested": (
        ["Chúng tôi đã nhận yêu cầu hỗ trợ {{help_label}} ({{model_label}}) lúc {{starts_at}}, mã {{booking_ref}}.",
         "Cán bộ sẽ gọi lại để xác nhận trước khi đến."],
        "Đã nhận yêu cầu hỗ trợ {{booking_ref}} lúc {{starts_at}}. Cán bộ sẽ gọi lại để xác nhận.",
        "300201", {"customer_name": "{{full_name}}", "booking_code": "{{booking_ref}}", "time": "{{starts_at}}"},
    ),
    "booking_confirmed": (
        ["Lịch hỗ trợ {{help_label}} của ông/bà đã được xác nhận: {{starts_at}} tại {{point_name}} (mã {{booking_ref}}).",
         "Vui lòng mang theo CCCD và điện thoại."],
        "Lịch hỗ trợ {{booking_ref}} đã xác nhận: {{starts_at}} tại {{point_name}}. Mang theo CCCD.",
        "300202", {"customer_name": "{{full_name}}", "booking_code": "{{booking_ref}}", "time": "{{starts_at}}",
                   "place": "{{point_name}}"},
    ),
    "booking_rescheduled": (
        ["Lịch hỗ trợ {{booking_ref}} đã chuyển từ {{previous_starts_at}} sang {{starts_at}} tại {{point_name}}.",
         "{{reason}}"],
        "Lịch hỗ trợ {{booking_ref}} đổi sang {{starts_at}} tại {{point_name}}.",
        "300203", {"customer_name": "{{full_name}}", "booking_code": "{{booking_ref}}", "time": "{{starts_at}}",
                   "place": "{{point_name}}"},
    ),
    "booking_cancelled": (
        ["Lịch hỗ trợ {{booking_ref}} lúc {{starts_at}} tại {{point_name}} đã bị huỷ.", "Lý do: {{reason}}.",
         "Lịch khác còn trống: {{alternatives}}."],
        "Lịch hỗ trợ {{booking_ref}} lúc {{starts_at}} đã bị huỷ. Lý do: {{reason}}.",
        "300204", {"customer_name": "{{full_name}}", "booking_code": "{{booking_ref}}", "reason": "{{reason}}"},
    ),
    "booking_reminder": (
        ["Nhắc lịch: {{when_label}} ({{starts_at}}) ông/bà có lịch hỗ trợ {{help_label}} tại {{point_name}}.",
         "Mã lịch: {{booking_ref}}. Vui lòng mang theo CCCD."],
        "Nhắc lịch: {{starts_at}} hỗ trợ tại {{point_name}}. Mã {{booking_ref}}. Mang theo CCCD.",
        "300205", {"customer_name": "{{full_name}}", "booking_code": "{{booking_ref}}", "time": "{{starts_at}}",
                   "place": "{{point_name}}"},
    ),
    "booking_no_show": (
        ["Ông/bà đã lỡ lịch hỗ trợ {{booking_ref}} lúc {{starts_at}}.",
         "Ông/bà có thể đặt lịch mới qua Zalo OA hoặc tại {{lookup_url}}."],
        "Ông/bà đã lỡ lịch hỗ trợ {{booking_ref}}. Đặt lịch mới: {{lookup_url}}",
        "300206", {"customer_name": "{{full_name}}", "booking_code": "{{booking_ref}}"},
    ),
    "officer_message": (
        ["{{message}}", "Hồ sơ: {{dossier_code}}."],
        "{{message}} Hồ sơ: {{dossier_code}}",
        "300301", {"customer_name": "{{full_name}}", "dossier_code": "{{dossier_code}}", "content": "{{message}}"},
    ),
}

_TITLES = {
    "dossier_received": "Hồ sơ {{dossier_code}} đã được tiếp nhận",
    "dossier_accepted": "Hồ sơ {{dossier_code}} đã được tiếp nhận",
    "dossier_rejected": "Hồ sơ {{dossier_code}} không được tiếp nhận",
    "dossier_supplement_requested": "Hồ sơ {{dossier_code}} cần bổ sung giấy tờ",
    "dossier_status_changed": "Hồ sơ {{dossier_code}}: {{status_label}}",
    "dossier_result_ready": "Hồ sơ {{dossier_code}} đã có kết quả",
    "dossier_withdrawn": "Hồ sơ {{dossier_code}} đã được rút",
    "booking_requested": "Đã nhận yêu cầu hỗ trợ {{booking_ref}}",
    "booking_confirmed": "Lịch hỗ trợ {{booking_ref}} đã được xác nhận",
    "booking_rescheduled": "Lịch hỗ trợ {{booking_ref}} đã thay đổi",
    "booking_cancelled": "Lịch hỗ trợ {{booking_ref}} đã bị huỷ",
    "booking_reminder": "Nhắc lịch hỗ trợ {{booking_ref}}",
    "booking_no_show": "Lỡ lịch hỗ trợ {{booking_ref}}",
    "officer_message": "Thông báo từ Bộ phận Một cửa",
}


def _html(paragraphs: list[str]) -> str:
    # Placeholders are escaped at render time; the fixed text is escaped here.
    parts = [f"<p>{html.escape(p, quote=False)}</p>" for p in [_GREETING, *paragraphs, _SIGNATURE]]
    return (
        '<!doctype html><html lang="vi"><body style="font-family:Arial,sans-serif;line-height:1.5">'
        + "".join(parts)
        + '<p style="color:#666;font-size:12px">Thư tự động từ hệ thống Một Cửa, vui lòng không trả lời.</p></body></html>'
    )


def default_templates() -> list[Template]:
    """Version 1 of every code on every channel."""
    templates: list[Template] = []
    for code, (paragraphs, sms, zns_id, zns_params) in _TEXTS.items():
        text = "\n".join([_GREETING, *paragraphs, _SIGNATURE])
        templates += [
            Template(code=code, channel="zalo_cs", body=text, parameters=()),
            Template(code=code, channel="zns", body="", parameters=(), zns_template_id=zns_id, zns_params=zns_params),
            Template(code=code, channel="sms", body=sms, parameters=()),
            Template(code=code, channel="email", body=text, parameters=(), subject=_TITLES[code],
                     body_html=_html(paragraphs)),
        ]
    # Channel replies (SendChannelReply): the gateway writes the whole text.
    templates += [
        Template(code="channel_reply", channel="zalo_cs", body="{{text}}", parameters=()),
        Template(code="channel_reply", channel="sms", body="{{text}}", parameters=()),
        # A zalo_cs template with a subject is sent as a request_user_info card (providers/zalo.py).
        Template(code="zalo_request_user_info", channel="zalo_cs", subject="{{title}}", body="{{text}}", parameters=()),
    ]
    return templates
