"""Content identity (what makes a new version), fees in force on a day, changed fields for events."""

from __future__ import annotations

import dataclasses
from datetime import date

from motcua_catalogue.domain import model as m

RUOU = m.ProcedureContent(
    code="1.000028.000.00.00.H15",
    name="Cấp Giấy phép bán lẻ sản phẩm rượu",
    field=m.Field("CONG_THUONG", "Công thương"),
    level=m.Level.COMMUNE,
    agency=m.Agency("000.00.04.H15", "UBND phường Bến Nghé"),
    online_level=m.OnlineLevel.FULL,
    processing_times=(m.ProcessingTime(10, "10 ngày làm việc"), m.ProcessingTime(7, "Nộp trực tuyến", m.Channel.ONLINE)),
    fees=(
        m.Fee("Phí thẩm định", 400_000, date(2017, 1, 1), date(2025, 6, 30)),
        m.Fee("Phí thẩm định", 200_000, date(2025, 7, 1)),
    ),
    submission_channels=(m.Channel.IN_PERSON, m.Channel.ONLINE),
    result_channels=(m.Channel.IN_PERSON,),
)


def test_fee_in_force_changes_on_its_effective_date() -> None:
    assert [f.amount_vnd for f in RUOU.fees_in_force(date(2025, 6, 30))] == [400_000]
    assert [f.amount_vnd for f in RUOU.fees_in_force(date(2025, 7, 1))] == [200_000]
    assert RUOU.fees_in_force(date(2016, 12, 31)) == ()


def test_min_working_days_is_the_fastest_channel() -> None:
    assert RUOU.min_working_days == 7
    assert dataclasses.replace(RUOU, processing_times=()).min_working_days == 0


def test_document_round_trip_and_stable_hash() -> None:
    again = m.ProcedureContent.from_document(RUOU.to_document())
    assert again == RUOU
    assert again.content_hash() == RUOU.content_hash()


def test_any_published_detail_changes_the_hash_and_is_named_in_changed_fields() -> None:
    cheaper = dataclasses.replace(RUOU, fees=(m.Fee("Phí thẩm định", 100_000, date(2026, 1, 1)),),
                                  online_level=m.OnlineLevel.PARTIAL)
    assert cheaper.content_hash() != RUOU.content_hash()
    assert cheaper.changed_fields(RUOU) == ["online_level", "fees"]
    assert RUOU.changed_fields(RUOU) == []


def test_import_problem_reads_like_the_cli_prints_it() -> None:
    assert str(m.ImportProblem(12, "fees[0].amount_vnd", "must be ≥ 0")) == "line 12: fees[0].amount_vnd: must be ≥ 0"
    assert str(m.ImportProblem(3, "", "invalid JSON")) == "line 3: invalid JSON"
