"""Templates: what each message code may say, validation at save time, rendering.

Syntax: `{{name}}` placeholders, nothing else (no logic in templates). Every
template code belongs to one kind of event, which provides a fixed set of
parameters (`CATALOG`). Saving a template checks, before anything is stored:

- every placeholder is well formed and declared in `parameters`;
- every declared parameter is one the event provides;
- an SMS template fits `max_segments` even with every parameter at its
  longest (parameters are cut to their SMS length, `Param.sms_max`);
- a ZNS template has a template id and a parameter map.

So a template can never fail at send time for a missing parameter.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from motcua_notification.domain.text import sms_segments, sms_text, truncate

ROUTES = ("zalo_cs", "zns", "sms", "email")
#: Longest Zalo customer-service text the OA API accepts.
ZALO_TEXT_MAX = 2000
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")
_ANY_BRACES = re.compile(r"\{\{.*?\}\}|\{\{|\}\}", re.DOTALL)


@dataclass(frozen=True)
class Param:
    """A parameter an event provides: its longest value and how much of it an SMS keeps."""

    name: str
    max_len: int
    sms_max: int | None = None
    sample: str = ""

    @property
    def sms_len(self) -> int:
        return self.sms_max if self.sms_max is not None else self.max_len


def _p(name: str, max_len: int, sample: str, sms_max: int | None = None) -> Param:
    return Param(name, max_len, sms_max, sample)


_COMMON = (
    _p("full_name", 60, "Trần Văn An", sms_max=30),
    _p("lookup_url", 40, "https://motcua.gov.vn/tra-cuu"),
)
_DOSSIER = (
    _p("dossier_code", 30, "000.00.04.H15-201125-0080"),
    _p("procedure_name", 300, "Thủ tục đăng ký khai sinh", sms_max=40),
    _p("procedure_code", 30, "1.001193.000.00.00.H15"),
    _p("agency_code", 20, "000.00.04.H15"),
    _p("status_label", 60, "Đang xử lý", sms_max=30),
)
_BOOKING = (
    _p("booking_ref", 8, "5C1B7E0A"),
    _p("point_name", 120, "Điểm hỗ trợ nhà văn hoá khu phố 3", sms_max=40),
    _p("starts_at", 30, "08:00 ngày 11/06/2025"),
    _p("help_label", 60, "Tạo tài khoản định danh điện tử mức 2", sms_max=30),
    _p("model_label", 40, "Hỗ trợ tại nhà", sms_max=25),
)


@dataclass(frozen=True)
class TemplateKind:
    """One template code: the event that triggers it and what it provides."""

    code: str
    event_type: str
    params: tuple[Param, ...]
    title_vi: str
    urgent: bool = False
    #: Essential notices are sent even to citizens who opted out of everything non-essential.
    essential: bool = True

    @property
    def param_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


def _kind(code: str, event: str, title: str, *extra: Param, base: tuple[Param, ...] = _DOSSIER, urgent: bool = False,
          essential: bool = True) -> TemplateKind:
    return TemplateKind(code, event, (*_COMMON, *base, *extra), title, urgent, essential)


_REASON = _p("reason", 500, "Thiếu bản sao giấy chứng sinh", sms_max=50)
_DUE = _p("due_label", 60, "Chiều ngày 02/12/2020", sms_max=30)

CATALOG: dict[str, TemplateKind] = {
    k.code: k
    for k in (
        _kind("dossier_received", "motcua.dossier.v1.received", "Hồ sơ đã được tiếp nhận",
              _DUE, _p("received_at", 20, "25/11/2020 14:05")),
        _kind("dossier_accepted", "motcua.dossier.v1.accepted", "Hồ sơ trực tuyến đã được tiếp nhận", _DUE),
        _kind("dossier_rejected", "motcua.dossier.v1.rejected", "Hồ sơ không được tiếp nhận", _REASON),
        _kind("dossier_supplement_requested", "motcua.dossier.v1.supplement_requested", "Yêu cầu bổ sung hồ sơ", _REASON),
        _kind("dossier_status_changed", "motcua.dossier.v1.status_changed", "Hồ sơ thay đổi trạng thái", _REASON, _DUE),
        _kind("dossier_result_ready", "motcua.dossier.v1.result_ready", "Đã có kết quả giải quyết hồ sơ",
              _p("collect_at", 200, "Bộ phận Một cửa UBND phường Bến Nghé", sms_max=40),
              _p("overdue_note", 120, "", sms_max=40)),
        _kind("dossier_withdrawn", "motcua.dossier.v1.withdrawn", "Hồ sơ đã được rút", _REASON),
        _kind("booking_requested", "motcua.scheduler.v1.booking_requested", "Đã nhận yêu cầu hỗ trợ", base=_BOOKING),
        _kind("booking_confirmed", "motcua.scheduler.v1.booking_confirmed", "Lịch hỗ trợ đã được xác nhận", base=_BOOKING),
        _kind("booking_rescheduled", "motcua.scheduler.v1.booking_rescheduled", "Lịch hỗ trợ đã thay đổi",
              _p("previous_starts_at", 30, "14:00 ngày 10/06/2025"), _REASON, base=_BOOKING, urgent=True),
        _kind("booking_cancelled", "motcua.scheduler.v1.booking_cancelled", "Lịch hỗ trợ đã bị huỷ",
              _REASON, _p("alternatives", 200, "08:00 ngày 12/06/2025", sms_max=30), base=_BOOKING, urgent=True),
        _kind("booking_reminder", "motcua.scheduler.v1.booking_reminder_due", "Nhắc lịch hỗ trợ",
              _p("when_label", 20, "ngày mai"), base=_BOOKING, essential=False),
        _kind("booking_no_show", "motcua.scheduler.v1.booking_no_show", "Lỡ lịch hỗ trợ", base=_BOOKING, essential=False),
        # Direct sends by officers (SendMessage): free text about a dossier.
        TemplateKind("officer_message", "", (*_COMMON, _p("dossier_code", 30, "000.00.04.H15-201125-0080"),
                                             _p("message", 500, "Vui lòng mang bản chính CCCD khi đến nhận kết quả.",
                                                sms_max=100)),
                     "Thông báo từ Bộ phận Một cửa"),
        # Replies to a citizen who wrote on Zalo or by SMS (SendChannelReply): free text, one SMS segment.
        TemplateKind("channel_reply", "", (*_COMMON, _p("text", 2000, "Hồ sơ đang được xử lý.", sms_max=160)),
                     "Trả lời tin nhắn của công dân"),
        # Zalo request_user_info card (SendChannelReply with a title): asks to share name, phone, address.
        TemplateKind("zalo_request_user_info", "", (*_COMMON, _p("title", 100, "Chia sẻ thông tin để đăng ký hỗ trợ"),
                                                    _p("text", 500, "Anh/chị vui lòng bấm Chia sẻ thông tin.")),
                     "Đề nghị chia sẻ thông tin liên hệ"),
    )
}

#: CloudEvents type -> template code.
BY_EVENT: dict[str, str] = {k.event_type: k.code for k in CATALOG.values() if k.event_type}


class TemplateInvalid(ValueError):
    """A template cannot be saved; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class UnknownTemplate(KeyError):
    pass


@dataclass(frozen=True)
class Template:
    """One version of a template for one route."""

    code: str
    channel: str
    body: str
    parameters: tuple[str, ...]
    subject: str = ""
    body_html: str = ""
    zns_template_id: str = ""
    zns_params: Mapping[str, str] = field(default_factory=dict)
    version: int = 0
    created_by: str = "system"

    def texts(self) -> list[str]:
        return [self.subject, self.body, self.body_html, *self.zns_params.values()]

    def placeholders(self) -> set[str]:
        return {name for text in self.texts() for name in _PLACEHOLDER.findall(text)}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    body_html: str = ""
    zns_template_id: str = ""
    zns_data: dict[str, str] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    def sms_segments(self, *, unicode: bool) -> int:
        return sms_segments(self.body, unicode=unicode)


def kind_of(code: str) -> TemplateKind:
    try:
        return CATALOG[code]
    except KeyError:
        raise UnknownTemplate(code) from None


def validate(template: Template, *, sms_unicode: bool, sms_max_segments: int) -> Template:
    """Return `template` with its parameters filled in when left empty; raise TemplateInvalid.

    Runs at save time: after it passes, rendering with the event's parameters cannot miss one.
    """
    problems: list[str] = []
    if template.code not in CATALOG:
        raise TemplateInvalid([f"unknown template code {template.code!r} (known: {', '.join(sorted(CATALOG))})"])
    kind = CATALOG[template.code]
    if template.channel not in ROUTES:
        raise TemplateInvalid([f"unknown channel {template.channel!r} (one of {', '.join(ROUTES)})"])
    for text in template.texts():
        for token in _ANY_BRACES.findall(text):
            if not _PLACEHOLDER.fullmatch(token):
                problems.append(f"malformed placeholder {token!r} (write {{{{name}}}} with a lower-case name)")
    used = template.placeholders()
    declared = set(template.parameters) if template.parameters else set(used)
    for name in sorted(used - declared):
        problems.append(f"placeholder {{{{{name}}}}} is used but not declared in parameters")
    for name in sorted(declared - kind.param_names):
        source = f"event {kind.event_type}" if kind.event_type else "a direct send"
        problems.append(f"parameter {name!r} is not provided by {source} (available: {', '.join(sorted(kind.param_names))})")
    if template.channel == "email":
        if not template.subject.strip():
            problems.append("an e-mail template needs a subject")
        if not template.body_html.strip():
            problems.append("an e-mail template needs an HTML body as well as the text body")
    if template.channel == "zns":
        if not template.zns_template_id.strip():
            problems.append("a ZNS template needs the template id approved by Zalo (zns_template_id)")
        if not template.zns_params:
            problems.append("a ZNS template needs its parameter map (zns_params)")
    elif not template.body.strip():
        problems.append("the body is empty")
    if template.channel in ("zalo_cs", "sms", "email") and template.zns_params:
        problems.append("zns_params only apply to the zns channel")
    if not problems and template.channel == "sms":
        worst = {p.name: "W" * p.sms_len for p in kind.params}
        body = sms_text(_substitute(template.body, worst, limits=None), unicode=sms_unicode)
        segments = sms_segments(body, unicode=sms_unicode)
        if segments > sms_max_segments:
            alphabet = "UCS-2" if sms_unicode else "GSM-7 (no diacritics)"
            problems.append(
                f"the SMS takes {segments} segments in {alphabet} with the longest parameter values "
                f"(limit {sms_max_segments}); shorten the text or drop a parameter"
            )
    if not problems and template.channel == "zalo_cs":
        worst = {p.name: "W" * p.max_len for p in kind.params}
        if len(_substitute(template.body, worst, limits=None)) > ZALO_TEXT_MAX:
            problems.append(f"the Zalo text can exceed {ZALO_TEXT_MAX} characters with the longest parameter values")
    if problems:
        raise TemplateInvalid(problems)
    return Template(
        code=template.code, channel=template.channel, body=template.body, parameters=tuple(sorted(declared)),
        subject=template.subject, body_html=template.body_html, zns_template_id=template.zns_template_id,
        zns_params=dict(template.zns_params), version=template.version, created_by=template.created_by,
    )


def _substitute(text: str, params: Mapping[str, str], *, limits: Mapping[str, int] | None, escape: bool = False,
                missing: set[str] | None = None) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            if missing is not None:
                missing.add(name)
            return ""
        raw = params[name]
        if limits and name in limits:
            raw = truncate(raw, limits[name])
        return html.escape(raw) if escape else raw

    return _PLACEHOLDER.sub(value, text)


def render(template: Template, params: Mapping[str, str], *, sms_unicode: bool = False) -> Rendered:
    """Render `template`; values longer than their parameter allows are cut (SMS to its SMS length)."""
    kind = CATALOG.get(template.code)
    missing: set[str] = set()
    if kind is None:
        limits: dict[str, int] = {}
    elif template.channel == "sms":
        limits = {p.name: p.sms_len for p in kind.params}
    else:
        limits = {p.name: p.max_len for p in kind.params}
    subject = " ".join(_substitute(template.subject, params, limits=limits, missing=missing).split())
    body = _substitute(template.body, params, limits=limits, missing=missing)
    if template.channel == "sms":
        body = sms_text(body, unicode=sms_unicode)
    body_html = _substitute(template.body_html, params, limits=limits, escape=True, missing=missing)
    zns_data = {k: _substitute(v, params, limits=limits, missing=missing) for k, v in template.zns_params.items()}
    return Rendered(subject=subject, body=body, body_html=body_html, zns_template_id=template.zns_template_id,
                    zns_data=zns_data, missing=tuple(sorted(missing)))


def sample_params(code: str) -> dict[str, str]:
    return {p.name: p.sample for p in kind_of(code).params}
