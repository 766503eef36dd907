"""Search over the small catalogue: ranking, each matching stage, filters, paging, browsing, counts."""

from __future__ import annotations

import pytest

from motcua_catalogue.domain import model as m
from motcua_catalogue.service import CatalogueService

pytestmark = pytest.mark.integration

KHAI_SINH = "1.001193.000.00.00.H15"
KHAI_SINH_LAI = "1.004884.000.00.00.H15"
KHAI_SINH_NN = "1.001695.000.00.00.H15"
KET_HON = "1.000894.000.00.00.H15"
TINH_TRANG_HON_NHAN = "1.004873.000.00.00.H15"


async def search(service: CatalogueService, query: str, **filters: object) -> m.SearchPage:
    return await service.search(query=query, filters=m.SearchFilters(**filters))  # type: ignore[arg-type]


async def test_the_plain_procedure_ranks_above_its_variants(service: CatalogueService) -> None:
    page = await search(service, "khai sinh")
    # The more of the name the words cover, the higher: 2 of 4 words, then 2 of 5, then 2 of 8.
    assert [i.code for i in page.items] == [KHAI_SINH, KHAI_SINH_LAI, KHAI_SINH_NN]
    assert page.items[0].score > page.items[1].score
    assert page.strategy == "exact"


async def test_name_matches_rank_above_document_text_matches(service: CatalogueService) -> None:
    # "Giấy xác nhận tình trạng hôn nhân" is one procedure's name and a document of the marriage procedure.
    page = await search(service, "giấy xác nhận tình trạng hôn nhân")
    assert [i.code for i in page.items][:2] == [TINH_TRANG_HON_NHAN, KET_HON]


async def test_document_text_alone_still_finds_a_procedure(service: CatalogueService) -> None:
    page = await search(service, "hộ chiếu của cha mẹ")  # only in a required document
    assert [i.code for i in page.items] == [KHAI_SINH_NN]


@pytest.mark.parametrize(("query", "strategy", "first"), [
    ("Đăng ký khai sinh", "exact", KHAI_SINH),
    ("dang ky khai sinh", "exact", KHAI_SINH),
    ("ĐĂNG KÝ KHAI SINH", "exact", KHAI_SINH),
    ("khai si", "exact", KHAI_SINH),
    ("thủ tục khai sinh như thế nào", "relaxed", KHAI_SINH),
    ("khai sihn", "typo", KHAI_SINH),
    ("ket hom", "typo", KET_HON),
    ("khaisinh", "fuzzy", KHAI_SINH),
    ("1.001193", "code", KHAI_SINH),
])
async def test_each_matching_stage(service: CatalogueService, query: str, strategy: str, first: str) -> None:
    page = await search(service, query)
    assert (page.strategy, page.items[0].code) == (strategy, first)


async def test_nothing_found(service: CatalogueService) -> None:
    for query in ("xyzzy qwerty", "!!!", "z"):
        page = await search(service, query)
        assert (page.items, page.total) == ((), 0)


async def test_filters_by_level_field_agency_and_online_level(service: CatalogueService) -> None:
    assert [i.code for i in (await search(service, "khai sinh", level=m.Level.PROVINCE)).items] == [KHAI_SINH_NN]
    assert [i.code for i in (await search(service, "khai sinh", online_level=m.OnlineLevel.FULL)).items] == [KHAI_SINH]
    by_field = await search(service, "", field_code="HO_TICH")
    assert by_field.total == 6 and all(i.field.code == "HO_TICH" for i in by_field.items)
    by_agency = await search(service, "dang ky", agency_code="000.00.20.H15")
    assert {i.name for i in by_agency.items} == {"Đăng ký thường trú", "Đăng ký tạm trú"}
    assert (await search(service, "khai sinh", field_code="CONG_THUONG")).total == 0


async def test_paging_keeps_the_total_and_the_order(service: CatalogueService) -> None:
    whole = await service.search(query="", filters=m.SearchFilters(), page=1, page_size=100)
    assert whole.total == 18 and len(whole.items) == 18
    pages = [await service.search(query="", filters=m.SearchFilters(), page=n, page_size=5) for n in (1, 2, 3, 4, 5)]
    assert [len(p.items) for p in pages] == [5, 5, 5, 3, 0]
    assert all(p.total == 18 for p in pages)
    assert [i.code for p in pages for i in p.items] == [i.code for i in whole.items]
    capped = await service.search(query="", filters=m.SearchFilters(), page=1, page_size=1000)
    assert capped.page_size == 100
    # Past the last page every stage keeps its total (and never falls through to another stage).
    for query, strategy, total in (("khai sinh", "exact", 3), ("1.0000", "code", 2), ("khaisinh", "fuzzy", 3)):
        beyond = await service.search(query=query, filters=m.SearchFilters(), page=50, page_size=10)
        assert (beyond.items, beyond.total, beyond.strategy) == ((), total, strategy)


async def test_browsing_orders_by_name_ignoring_diacritics(service: CatalogueService) -> None:
    names = [i.name for i in (await search(service, "")).items]
    assert names[0] == "Cấp đổi giấy phép lái xe do ngành Giao thông vận tải cấp"
    # "Đ" folds to "d": between "C" and "T", not after "Z" as in a byte-wise order.
    assert names.index("Đăng ký khai sinh") < names.index("Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hàng tháng")
    assert names.index("Đăng ký kết hôn") < names.index("Đăng ký khai sinh") < names.index("Đăng ký khai tử")


async def test_fields_and_agencies_with_counts(service: CatalogueService) -> None:
    fields = {f.field.code: f.procedure_count for f in await service.list_fields()}
    assert fields["HO_TICH"] == 6 and fields["CONG_THUONG"] == 3 and sum(fields.values()) == 18
    commune = {f.field.code: f.procedure_count for f in await service.list_fields(level=m.Level.COMMUNE)}
    assert commune["HO_TICH"] == 5 and "DAT_DAI" not in commune
    agencies = await service.list_agencies()
    assert sum(a.procedure_count for a in agencies) == 18
    assert [a.agency.name for a in agencies] == sorted((a.agency.name for a in agencies),
                                                        key=lambda n: n.replace("Đ", "D").replace("ô", "o"))


async def test_results_carry_what_a_list_shows(service: CatalogueService) -> None:
    item = (await search(service, "rượu")).items[0]
    assert (item.code, item.level, item.online_level, item.min_working_days, item.legacy_level_label) == (
        "1.000028.000.00.00.H15", m.Level.COMMUNE, m.OnlineLevel.FULL, 10, "Mức độ 4")
    assert (item.field.name, item.agency.code) == ("Công thương", "000.00.04.H15")


async def test_repeated_searches_are_served_from_the_cache_until_a_change(service: CatalogueService) -> None:
    first = await search(service, "rượu")
    assert await search(service, "rượu") is first
    assert await search(service, "RUOU") is first  # same folded words
    await service.withdraw(code="1.000028.000.00.00.H15", reason="Bãi bỏ", actor=m.Actor("officer-1", "officer"))
    assert (await search(service, "rượu")).total == 0
