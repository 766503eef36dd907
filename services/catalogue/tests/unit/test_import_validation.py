"""Import files are validated row by row; every bad row is reported as `line N: field: reason`."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from motcua_catalogue.domain import model as m
from motcua_catalogue.import_format import CSV_COLUMNS, parse


def procedure(code: str = "1.001193.000.00.00.H15", **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "code": code,
        "name": "Đăng ký khai sinh",
        "field": {"code": "HO_TICH", "name": "Hộ tịch"},
        "level": "commune",
        "agency": {"code": "000.00.04.H15", "name": "UBND phường Bến Nghé"},
        "online_level": "full",
        "legacy_level_label": "Mức độ 4",
        "processing_times": [{"working_days": 0, "channel": "any", "description": "Trong ngày"}],
        "fees": [{"name": "Lệ phí", "amount_vnd": 0, "effective_from": "2016-01-01", "effective_to": None, "note": ""}],
        "required_documents": [{"name": "Tờ khai đăng ký khai sinh", "originals": 1, "copies": 0, "required": True,
                                "form_template_ref": "", "note": ""}],
        "submission_channels": ["in_person", "online"],
        "result_channels": ["in_person"],
        "legal_basis": ["Luật Hộ tịch số 60/2014/QH13"],
        "keywords": ["giấy khai sinh"],
        "synonyms": [],
    }
    base.update(changes)
    return base


def json_document(*procedures: dict[str, Any]) -> bytes:
    """Pretty-printed like the documented example, so each procedure starts on its own line."""
    return json.dumps({"format": "motcua.catalogue.import.v1", "procedures": list(procedures)}, ensure_ascii=False,
                      indent=2).encode()


def start_lines(document: bytes) -> list[int]:
    """Lines where each procedure object starts in a document made by json_document."""
    return [i for i, line in enumerate(document.decode().splitlines(), start=1) if line == "    {"]


def test_a_valid_json_document_gives_domain_procedures() -> None:
    result = parse(json_document(procedure(), procedure("1.000656.000.00.00.H15", name="Đăng ký khai tử")), "json")
    assert result.ok
    assert [r.procedure.code for r in result.rows] == ["1.001193.000.00.00.H15", "1.000656.000.00.00.H15"]
    first = result.rows[0].procedure
    assert first.level is m.Level.COMMUNE and first.online_level is m.OnlineLevel.FULL
    assert first.processing_times[0].channel is None
    assert first.submission_channels == (m.Channel.IN_PERSON, m.Channel.ONLINE)


def test_json_errors_name_the_line_where_the_procedure_starts_and_the_field() -> None:
    rows = [
        procedure(),
        procedure("1.000656.000.00.00.H15", name="Đăng ký khai tử", level="ward"),
        procedure("1.000894.000.00.00.H15", name="Đăng ký kết hôn"),
        procedure("1.0008.bad", name="Đăng ký giám hộ",
                  fees=[{"name": "Lệ phí", "amount_vnd": -5, "effective_from": "2020-13-01"}]),
    ]
    document = json_document(*rows)
    lines = start_lines(document)
    result = parse(document, "json")
    assert not result.ok and result.rows == ()
    problems = [str(p) for p in result.problems]
    assert problems[0] == f"line {lines[1]}: level: Input should be 'province', 'commune' or 'district'"
    assert f"line {lines[3]}: code: not a national procedure code N.NNNNNN.NNN.NN.NN.XNN (e.g. 1.000028.000.00.00.H15)" in problems
    assert f"line {lines[3]}: fees[0].amount_vnd: Input should be greater than or equal to 0" in problems
    assert any(p.startswith(f"line {lines[3]}: fees[0].effective_from: ") for p in problems)
    assert not any(p.startswith(f"line {lines[0]}:") or p.startswith(f"line {lines[2]}:") for p in problems)
    assert result.problems[0].procedure_code == "1.000656.000.00.00.H15"


def test_json_missing_and_unknown_fields() -> None:
    bad = procedure()
    del bad["agency"]
    bad["colour"] = "red"
    result = parse(json_document(bad), "json")
    assert {(p.field, p.reason) for p in result.problems} == {("agency", "required"), ("colour", "unknown field")}


def test_json_syntax_errors_give_their_line() -> None:
    document = b'{\n  "procedures": [\n    {"code": "1.001193.000.00.00.H15",}\n  ]\n}\n'
    result = parse(document, "json")
    assert [(p.line, p.field) for p in result.problems] == [(3, "")]
    assert "invalid JSON" in result.problems[0].reason


def test_a_bare_json_list_is_accepted_and_lines_are_tracked_in_compact_files() -> None:
    document = ("[\n" + ",\n".join(json.dumps(p, ensure_ascii=False) for p in
                                   [procedure(), procedure("1.000656.000.00.00.H15", online_level="fast")]) + "\n]").encode()
    result = parse(document, "json")
    assert [(p.line, p.field) for p in result.problems] == [(3, "online_level")]


def test_wrong_format_name_is_refused() -> None:
    result = parse(json.dumps({"format": "other.v9", "procedures": []}).encode(), "json")
    assert result.problems[0].field == "format"


def test_cross_row_rules_duplicate_codes_and_inconsistent_names() -> None:
    rows = [
        procedure(),
        procedure("1.000656.000.00.00.H15", name="Đăng ký khai tử", field={"code": "HO_TICH", "name": "Hộ tịch (khác)"}),
        procedure(name="Đăng ký khai sinh lần hai"),
    ]
    document = json_document(*rows)
    lines = start_lines(document)
    problems = [str(p) for p in parse(document, "json").problems]
    assert problems == [
        f"line {lines[1]}: field.name: HO_TICH is named 'Hộ tịch (khác)' here but 'Hộ tịch' on line {lines[0]}",
        f"line {lines[2]}: code: duplicate of the procedure on line {lines[0]}",
    ]


def test_content_rules_fee_periods_channels_diacritics_control_characters() -> None:
    rows = [
        procedure(fees=[
            {"name": "Phí thẩm định", "amount_vnd": 400000, "effective_from": "2017-01-01", "effective_to": "2025-07-31"},
            {"name": "Phí thẩm định", "amount_vnd": 200000, "effective_from": "2025-07-01"},
        ]),
        procedure("1.000656.000.00.00.H15", name="Dang ky khai tu"),
        procedure("1.000894.000.00.00.H15", name="Đăng ký kết hôn", submission_channels=["online", "online"]),
        procedure("1.000895.000.00.00.H15", name="Đăng ký\x00 giám hộ"),
        procedure("1.000896.000.00.00.H15", name="Đăng ký nhận cha, mẹ, con",
                  fees=[{"name": "Lệ phí", "amount_vnd": 1, "effective_from": "2020-01-02", "effective_to": "2020-01-01"}]),
        procedure("1.000897.000.00.00.H15", name="Đăng ký thay đổi hộ tịch", processing_times=[]),
    ]
    problems = parse(json_document(*rows), "json").problems
    assert [p.field for p in problems] == ["fees", "name", "submission_channels", "name", "fees[0]", "processing_times"]
    assert "overlapping periods from 2025-07-01" in problems[0].reason
    assert "diacritics" in problems[1].reason
    assert "control characters" in problems[3].reason


def csv_document(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([
            r["code"], r["name"], r["field"]["code"], r["field"]["name"], r["level"], r["agency"]["code"], r["agency"]["name"],
            r["online_level"], r["legacy_level_label"], json.dumps(r["processing_times"], ensure_ascii=False),
            json.dumps(r["fees"], ensure_ascii=False), json.dumps(r["required_documents"], ensure_ascii=False),
            "|".join(r["submission_channels"]), json.dumps(r["result_channels"]), "|".join(r["legal_basis"]),
            "|".join(r["keywords"]), "|".join(r["synonyms"]),
        ])
    return out.getvalue().encode()


def test_a_valid_csv_document_parses_like_json() -> None:
    rows = [procedure(), procedure("1.000656.000.00.00.H15", name="Đăng ký khai tử")]
    from_csv, from_json = parse(csv_document(rows), "csv"), parse(json_document(*rows), "json")
    assert from_csv.ok
    assert [r.procedure for r in from_csv.rows] == [r.procedure for r in from_json.rows]
    assert [r.line for r in from_csv.rows] == [2, 3]


def test_csv_errors_name_the_row_line_even_after_multi_line_cells() -> None:
    rows = [
        procedure(legal_basis=["Luật Hộ tịch\nsố 60/2014/QH13"]),  # a quoted cell spanning two lines
        procedure("1.000656.000.00.00.H15", name="Đăng ký khai tử", agency={"code": "bad code", "name": "UBND"}),
        procedure("1.000894.000.00.00.H15", name="Đăng ký kết hôn", fees=[{"name": "Lệ phí", "amount_vnd": "nhiều"}]),
    ]
    result = parse(csv_document(rows), "csv")
    assert [str(p) for p in result.problems] == [
        "line 4: agency_code: has the wrong shape (got 'bad code')",
        "line 5: fees[0].amount_vnd: Input should be a valid integer, unable to parse string as an integer",
        "line 5: fees[0].effective_from: required",
    ]


def test_csv_header_and_cell_problems() -> None:
    assert [str(p) for p in parse(b"code,name,colour\n", "csv").problems][:2] == [
        "line 1: field_code: required column missing from the header",
        "line 1: field_name: required column missing from the header",
    ]
    document = csv_document([procedure()]).replace(b'[{""working_days', b'[{working_days')
    assert [p.field for p in parse(document, "csv").problems] == ["processing_times"]
    short = csv_document([procedure()]).decode().splitlines()[0] + "\n1.001193.000.00.00.H15,Đăng ký\n"
    assert str(parse(short.encode(), "csv").problems[0]) == "line 2: has 2 cells, the header has 17"


def test_non_utf8_is_refused_with_its_line() -> None:
    result = parse(b"code\nD\xe3ng k\xfd\n", "csv")  # Windows-1258, not UTF-8
    assert [(p.line, p.reason) for p in result.problems] == [(2, "the document is not UTF-8")]
