"""The PII scanner finds what it must (a scan that found nothing must mean something)."""

from __future__ import annotations

import json

from security.pii_scan import Known, scan_lines

KNOWN = Known(["Trần Thị Ngọc Ánh", "0912345678", "079190001234", "anh.tran@example.vn"])


def _kinds(lines: list[str], known: Known | None = KNOWN) -> set[str]:
    return {f.kind for f in scan_lines("planted", lines, known)}


def test_planted_personal_data_is_found() -> None:
    assert "phone" in _kinds(['dossier | {"event": "sent", "to": "0987654321"}'])
    assert "phone" in _kinds(["gateway | called +84987654321 back"])
    assert "id_number" in _kinds(['dossier | {"cccd": "079190004321"}'])
    assert "id_number" in _kinds(["old CMND 271234567 in a message"])
    assert "email" in _kinds(["notification | smtp to nhung.le@example.vn ok"])
    assert "known_name" in _kinds(['gateway | {"applicant": "Trần Thị Ngọc Ánh"}'])
    escaped = "dossier | " + json.dumps({"applicant": "Trần Thị Ngọc Ánh"})  # ensure_ascii: \\u escapes
    assert "known_name" in _kinds([escaped])
    assert "known_name" in _kinds(["TRẦN THỊ NGỌC ÁNH (upper case)"])
    assert "known_phone_or_id" in _kinds(["phone 091 234 5678 with spaces"])
    assert "known_email" in _kinds(["reply to ANH.TRAN@example.vn"])


def test_masked_values_and_ordinary_numbers_are_not_findings() -> None:
    clean = [
        'dossier | {"phone": "091*****78", "email": "a***@example.vn", "code": "000.00.42.H29-261122-0150"}',
        '{"timestamp": "2026-11-22T02:48:52.161688Z", "trace_id": "e192ffe14ae4e6559c3afd5acf97e2e4", "offset": 123456}',
        'notification | {"request_id": "0d*********c42b88e1d0c9150cb9397", "duration_ms": 12.34, "cost_vnd": 750}',
        "from no-reply@motcua.gov.vn",
        "Trần Thị Bảy is another person",
    ]
    assert scan_lines("clean", clean, KNOWN) == []
