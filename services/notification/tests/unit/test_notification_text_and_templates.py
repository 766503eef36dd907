"""SMS text (diacritics, GSM-7, segments) and template validation at save time."""

from __future__ import annotations

import pytest

from motcua_notification.domain.default_templates import default_templates
from motcua_notification.domain.templates import Template, TemplateInvalid, render, sample_params, validate
from motcua_notification.domain.text import is_gsm7, remove_diacritics, sms_segments, sms_text


def test_diacritics_are_removed_and_d_stroke_becomes_d() -> None:
    assert remove_diacritics("Hồ sơ đã được tiếp nhận. ĐƯỢC") == "Ho so da duoc tiep nhan. DUOC"
    assert is_gsm7(sms_text("Kết quả: “Chiều ngày 02/12/2020” – xin cảm ơn…", unicode=False))


@pytest.mark.parametrize(("length", "unicode", "segments"), [(160, False, 1), (161, False, 2), (306, False, 2),
                                                             (70, True, 1), (71, True, 2), (134, True, 2)])
def test_segment_counts(length: int, unicode: bool, segments: int) -> None:
    assert sms_segments("a" * length, unicode=unicode) == segments


def test_every_default_template_is_valid_and_sms_fit_one_gsm7_segment() -> None:
    for template in default_templates():
        valid = validate(template, sms_unicode=False, sms_max_segments=1)
        if template.channel == "sms":
            assert render(valid, sample_params(template.code)).sms_segments(unicode=False) == 1


def test_placeholder_not_provided_by_the_event_is_refused_at_save() -> None:
    with pytest.raises(TemplateInvalid) as refused:
        validate(Template(code="dossier_received", channel="zalo_cs", body="Lệ phí: {{fee}}", parameters=()),
                 sms_unicode=False, sms_max_segments=1)
    assert "'fee' is not provided by event motcua.dossier.v1.received" in str(refused.value)


def test_undeclared_and_malformed_placeholders_are_refused() -> None:
    with pytest.raises(TemplateInvalid) as refused:
        validate(Template(code="dossier_received", channel="zalo_cs", body="{{dossier_code}} {{ Bad }} {{due_label}}",
                          parameters=("dossier_code",)), sms_unicode=False, sms_max_segments=1)
    problems = " | ".join(refused.value.problems)
    assert "malformed placeholder '{{ Bad }}'" in problems and "{{due_label}} is used but not declared" in problems


def test_sms_that_could_exceed_one_segment_is_refused() -> None:
    long = Template(code="dossier_rejected", channel="sms", parameters=(),
                    body="Hồ sơ {{dossier_code}} ({{procedure_name}}) không được tiếp nhận. Lý do: {{reason}}. {{lookup_url}}")
    with pytest.raises(TemplateInvalid, match="2 segments in GSM-7"):
        validate(long, sms_unicode=False, sms_max_segments=1)
    assert validate(long, sms_unicode=False, sms_max_segments=2).parameters


def test_render_escapes_html_cuts_sms_parameters_and_keeps_diacritics_elsewhere() -> None:
    email = Template(code="dossier_rejected", channel="email", subject="Hồ sơ {{dossier_code}}", body="Lý do: {{reason}}",
                     body_html="<p>{{reason}}</p>", parameters=())
    rendered = render(email, {"dossier_code": "X-1", "reason": "<b>thiếu</b> giấy tờ"})
    assert rendered.body == "Lý do: <b>thiếu</b> giấy tờ" and rendered.body_html == "<p>&lt;b&gt;thiếu&lt;/b&gt; giấy tờ</p>"
    sms = Template(code="dossier_rejected", channel="sms", body="Ly do: {{reason}}", parameters=())
    out = render(sms, {"reason": "Thiếu " + "x" * 200})
    assert out.body.startswith("Ly do: Thieu xxx") and out.body.endswith("...") and len(out.body) == len("Ly do: ") + 50
    assert render(sms, {}).missing == ("reason",)
