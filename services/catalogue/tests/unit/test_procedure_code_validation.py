"""National procedure codes have one shape; a malformed one is refused in Vietnamese before any query."""

from __future__ import annotations

import grpc
import pytest

from motcua_catalogue.domain import model as m
from motcua_catalogue.service import CatalogueService
from motcua_platform.errors import InvalidArgument


@pytest.mark.parametrize("code", ["1.000028.000.00.00.H15", "2.000633.000.00.00.H56", "3.000167.000.00.00.G09"])
def test_national_codes_are_accepted(code: str) -> None:
    assert m.PROCEDURE_CODE.fullmatch(code)


@pytest.mark.parametrize("code", ["", "1.000028", "1.000028.000.00.00.h15", "1.00002.000.00.00.H15", "1.000028.000.00.00.H1",
                                  "x.000028.000.00.00.H15", "1.000028.000.00.00.H15 ", "1.000028.000.00.00.H15\n"])
def test_malformed_codes_are_refused(code: str) -> None:
    assert not m.PROCEDURE_CODE.fullmatch(code)


@pytest.mark.parametrize(("code", "ok"), [("000.00.04.H15", True), ("H15.21", True), ("000.00.04.h15", False), ("000", False),
                                          ("000.00.04.H15-201125", False)])
def test_agency_codes(code: str, ok: bool) -> None:
    assert bool(m.AGENCY_CODE.fullmatch(code)) is ok


async def test_get_procedure_with_a_malformed_code_is_invalid_argument_in_vietnamese() -> None:
    service = CatalogueService(pool=None, schema="catalogue")  # type: ignore[arg-type]  # never reaches the database
    with pytest.raises(InvalidArgument) as raised:
        await service.get_procedure(code="1.0000/28")
    assert raised.value.code == "PROCEDURE_CODE_INVALID"
    assert raised.value.status is grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.message_vi.startswith("Mã thủ tục không đúng định dạng")


@pytest.mark.parametrize(("query", "reason"), [("a" * 201, "SEARCH_QUERY_TOO_LONG"), ("khai\x00sinh", "SEARCH_QUERY_INVALID"),
                                               ("gas\x1b[31m", "SEARCH_QUERY_INVALID")])
async def test_bad_queries_are_refused_before_any_query(query: str, reason: str) -> None:
    service = CatalogueService(pool=None, schema="catalogue")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument) as raised:
        await service.search(query=query, filters=m.SearchFilters())
    assert raised.value.code == reason
    assert "Từ khóa tìm kiếm" in raised.value.message_vi


@pytest.mark.parametrize(("page", "size"), [(-1, 10), (1, -1), (10_001, 10)])
async def test_bad_paging_is_refused(page: int, size: int) -> None:
    service = CatalogueService(pool=None, schema="catalogue")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        await service.search(query="x", filters=m.SearchFilters(), page=page, page_size=size)
