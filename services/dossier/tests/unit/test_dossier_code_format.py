"""Dossier codes: <agency code>-<YYMMDD>-<NNNN>, formatted and parsed strictly."""

from __future__ import annotations

from datetime import date

import grpc
import pytest

from motcua_dossier.domain.codes import DossierCode, format_code, parse_code
from motcua_platform.errors import MotcuaError


def test_the_national_example_round_trips() -> None:
    code = parse_code("000.00.04.H15-201125-0080")
    assert code == DossierCode("000.00.04.H15", date(2020, 11, 25), 80)
    assert str(code) == "000.00.04.H15-201125-0080"
    assert format_code("000.20.41.H29", date(2026, 1, 2), 1) == "000.20.41.H29-260102-0001"


def test_a_leading_hash_and_spaces_are_accepted_as_typed_in_zalo() -> None:
    assert parse_code("  #000.00.04.H15-201125-0080 ").sequence == 80


def test_past_9999_the_number_grows_instead_of_wrapping() -> None:
    assert format_code("000.00.04.H15", date(2020, 11, 25), 12345) == "000.00.04.H15-201125-12345"
    assert parse_code("000.00.04.H15-201125-12345").sequence == 12345


@pytest.mark.parametrize("bad", [
    "", "000.00.04.H15", "000.00.04.H15-201125", "000.00.04.H15-201125-80", "000.00.04.h15-201125-0080",
    "00.00.04.H15-201125-0080", "000.00.04.H15_201125_0080", "000.00.04.H15-201125-0080-1", "000.00.04.H15-20112-50080",
    "x" * 200, "000.00.04.H15-201125-0000",
])
def test_wrong_shapes_are_invalid_argument(bad: str) -> None:
    with pytest.raises(MotcuaError) as caught:
        parse_code(bad)
    assert caught.value.status == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.http_status == 422
    assert "Mã hồ sơ" in caught.value.message_vi


@pytest.mark.parametrize("impossible", ["000.00.04.H15-201345-0001", "000.00.04.H15-210229-0001",
                                        "000.00.04.H15-200431-0001", "000.00.04.H15-200000-0001"])
def test_impossible_dates_are_refused(impossible: str) -> None:
    with pytest.raises(MotcuaError) as caught:
        parse_code(impossible)
    assert caught.value.code == "DOSSIER_CODE_INVALID"
    assert "is not a date" in caught.value.message


def test_leap_day_is_a_date() -> None:
    assert parse_code("000.00.04.H15-240229-0001").day == date(2024, 2, 29)
