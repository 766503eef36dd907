"""Search quality on the shipped seed catalogue: what citizens type, and the procedure they must see in the top 3.

The table mixes queries with and without diacritics, in capitals, with one-letter typos,
with synonyms and colloquial words, with conversational filler and by code. When the
seed changes, update the expected codes here (and say why in the commit).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from motcua_catalogue.domain import model as m
from motcua_catalogue.import_format import parse
from motcua_catalogue.seed import SEED_PATH
from motcua_catalogue.service import CatalogueService
from motcua_catalogue.testing import running_catalogue

pytestmark = pytest.mark.integration

RUOU_BAN_LE = "1.004448.000.00.00.H29"  # Cấp Giấy phép bán lẻ rượu
THUOC_LA_BAN_LE = "1.001029.000.00.00.H29"  # Cấp Giấy phép bán lẻ sản phẩm thuốc lá
LPG_CUA_HANG = "1.004177.000.00.00.H29"  # Cấp GCN đủ điều kiện cửa hàng bán lẻ LPG chai
LPG_TRAM_CAP = "1.001198.000.00.00.H29"  # Cấp GCN đủ điều kiện trạm cấp LPG
KHAI_SINH = "1.001193.000.00.00.H29"  # Đăng ký khai sinh
KHAI_TU = "1.000656.000.00.00.H29"  # Đăng ký khai tử
KET_HON = "1.000894.000.00.00.H29"  # Đăng ký kết hôn
TINH_TRANG_HON_NHAN = "2.000729.000.00.00.H29"  # Cấp Giấy xác nhận tình trạng hôn nhân
GPLX_SAT_HACH = "1.001635.000.00.00.H29"  # Sát hạch, cấp giấy phép lái xe
GPLX_DOI = "1.002804.000.00.00.H29"  # Đổi giấy phép lái xe do ngành GTVT cấp
DAT_LAN_DAU = "1.002361.000.00.00.H29"  # Đăng ký đất đai, cấp GCN quyền sử dụng đất lần đầu
DAT_CAP_LAI_MAT = "1.000765.000.00.00.H29"  # Cấp lại GCN quyền sử dụng đất do bị mất
THUONG_TRU = "2.001745.000.00.00.H29"  # Đăng ký thường trú
TAM_TRU = "1.004218.000.00.00.H29"  # Đăng ký tạm trú
CAN_CUOC_DOI = "1.007086.000.00.00.H29"  # Cấp đổi thẻ căn cước
LY_LICH_TU_PHAP = "2.000141.000.00.00.H29"  # Cấp Phiếu lý lịch tư pháp cho công dân
XAY_NHA = "1.006182.000.00.00.H29"  # Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ (cấp xã)
HO_KINH_DOANH = "1.005678.000.00.00.H29"  # Đăng ký thành lập hộ kinh doanh
CHUNG_THUC_BAN_SAO = "1.007771.000.00.00.H29"  # Chứng thực bản sao từ bản chính (Việt Nam cấp)
CHUNG_THUC_DIEN_TU = "2.001896.000.00.00.H29"  # Chứng thực bản sao điện tử từ bản chính
THAT_NGHIEP = "1.000265.000.00.00.H29"  # Giải quyết hưởng trợ cấp thất nghiệp
ATTP_AN_UONG = "1.007732.000.00.00.H29"  # Cấp GCN cơ sở đủ điều kiện ATTP (dịch vụ ăn uống, cấp xã)
XANG_DAU = "1.003894.000.00.00.H29"  # Cấp GCN cửa hàng đủ điều kiện bán lẻ xăng dầu
HO_CHIEU = "1.001260.000.00.00.H29"  # Cấp hộ chiếu phổ thông trong nước
CON_NUOI = "1.007138.000.00.00.H29"  # Đăng ký việc nuôi con nuôi trong nước
THE_BHYT = "1.001987.000.00.00.H29"  # Cấp lại, đổi thẻ bảo hiểm y tế
HO_NGHEO = "1.001612.000.00.00.H29"  # Công nhận hộ nghèo, hộ cận nghèo
KHUYET_TAT = "2.001375.000.00.00.H29"  # Xác định mức độ khuyết tật, cấp Giấy xác nhận khuyết tật
XE_LAN_DAU = "2.002158.000.00.00.H29"  # Đăng ký xe lần đầu (xe mô tô, xe gắn máy)
TRO_CAP_XA_HOI = "1.005076.000.00.00.H29"  # Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng
GIAM_HO = "1.002321.000.00.00.H29"  # Đăng ký giám hộ
TRICH_LUC = "2.000635.000.00.00.H29"  # Cấp bản sao trích lục hộ tịch
HO_TICH_THAY_DOI = "1.003628.000.00.00.H29"  # Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch
DINH_DANH = "1.001719.000.00.00.H29"  # Cấp tài khoản định danh điện tử mức độ 2
HOC_PHI = "1.005405.000.00.00.H29"  # Xét, cấp miễn, giảm học phí

QUALITY_TABLE: list[tuple[str, str]] = [
    # alcohol and tobacco, with and without diacritics and case
    ("rượu", RUOU_BAN_LE),
    ("ruou", RUOU_BAN_LE),
    ("RƯỢU", RUOU_BAN_LE),
    ("xin giấy phép bán rượu", RUOU_BAN_LE),
    ("thuốc lá", THUOC_LA_BAN_LE),
    ("thuoc la", THUOC_LA_BAN_LE),
    ("Thuốc Lá", THUOC_LA_BAN_LE),
    ("thuoc laa", THUOC_LA_BAN_LE),  # doubled key
    ("thuoc lq", THUOC_LA_BAN_LE),  # neighbouring key
    # gas: synonyms gas ↔ LPG ↔ khí dầu mỏ hóa lỏng
    ("gas", LPG_CUA_HANG),
    ("LPG", LPG_CUA_HANG),
    ("bình gas", LPG_CUA_HANG),
    ("khí dầu mỏ", LPG_TRAM_CAP),
    ("khi dau mo hoa long", LPG_CUA_HANG),
    # civil status
    ("khai sinh", KHAI_SINH),
    ("khai sihn", KHAI_SINH),  # transposed letters
    ("khia sinh", KHAI_SINH),
    ("khaisinh", KHAI_SINH),  # missing space
    ("ĐĂNG KÝ KHAI SINH", KHAI_SINH),
    ("thủ tục đăng ký khai sinh ở đâu", KHAI_SINH),
    ("làm giấy khai sinh cho con", KHAI_SINH),
    ("khai tu", KHAI_TU),
    ("báo tử", KHAI_TU),
    ("kết hôn", KET_HON),
    ("ket hon", KET_HON),
    ("ket hom", KET_HON),
    ("dang ki ket hon", KET_HON),  # "ki" for "ký"
    ("xác nhận độc thân", TINH_TRANG_HON_NHAN),
    ("giam ho", GIAM_HO),
    ("trich luc khai sinh", TRICH_LUC),
    ("thay doi ho tich", HO_TICH_THAY_DOI),
    # driving licence: bằng lái ↔ giấy phép lái xe
    ("giấy phép lái xe", GPLX_SAT_HACH),
    ("bang lai", GPLX_SAT_HACH),
    ("bằng lái xe", GPLX_SAT_HACH),
    ("giay phep lao xe", GPLX_SAT_HACH),  # "lao" is a word too: one word at a time gets its neighbours
    ("đổi bằng lái", GPLX_DOI),
    # land: sổ đỏ ↔ giấy chứng nhận quyền sử dụng đất
    ("sổ đỏ", DAT_LAN_DAU),
    ("so do", DAT_LAN_DAU),
    ("giấy chứng nhận quyền sử dụng đất", DAT_LAN_DAU),
    ("cấp lại sổ đỏ bị mất", DAT_CAP_LAI_MAT),
    # residence: hộ khẩu ↔ thường trú
    ("thuong tru", THUONG_TRU),
    ("hộ khẩu", THUONG_TRU),
    ("nhap ho khau", THUONG_TRU),
    ("tam tru", TAM_TRU),
    # identity
    ("căn cước", CAN_CUOC_DOI),
    ("cccd", CAN_CUOC_DOI),
    ("lam can cuoc", CAN_CUOC_DOI),
    ("vneid", DINH_DANH),
    ("lý lịch tư pháp", LY_LICH_TU_PHAP),
    # construction, business, certification (the historical district-level twins rank below the current ones)
    ("xin phép xây nhà", XAY_NHA),
    ("giay phep xay dung", XAY_NHA),
    ("hộ kinh doanh", HO_KINH_DOANH),
    ("DANG KY THANH LAP HO KINH DOANH", HO_KINH_DOANH),
    ("dang ky ho kinh doanh", HO_KINH_DOANH),
    ("chứng thực bản sao", CHUNG_THUC_BAN_SAO),
    ("sao y ban chinh", CHUNG_THUC_DIEN_TU),
    ("an toan thuc pham", ATTP_AN_UONG),
    ("xăng dầu", XANG_DAU),
    # social protection, labour, health, education, transport
    ("trợ cấp thất nghiệp", THAT_NGHIEP),
    ("tro cap nguoi cao tuoi", TRO_CAP_XA_HOI),
    ("người khuyết tật", KHUYET_TAT),
    ("hộ nghèo", HO_NGHEO),
    ("thẻ bảo hiểm y tế", THE_BHYT),
    ("the bhyt", THE_BHYT),
    ("hoc phi", HOC_PHI),
    ("hộ chiếu", HO_CHIEU),
    ("nhận con nuôi", CON_NUOI),
    ("đăng ký xe máy", XE_LAN_DAU),
    # by code
    ("1.001193", KHAI_SINH),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def seeded(postgres_url: str) -> AsyncIterator[CatalogueService]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        async with running_catalogue(postgres_url, schema, load=SEED_PATH, cache_entries=0) as running:
            yield running.service
    finally:
        conn = await asyncpg.connect(postgres_url)
        try:
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        finally:
            await conn.close()


def test_the_seed_is_a_valid_realistic_catalogue() -> None:
    parsed = parse(SEED_PATH.read_bytes(), "json")
    assert parsed.ok, [str(p) for p in parsed.problems[:10]]
    assert len(parsed.rows) >= 300
    fields = {r.procedure.field.code for r in parsed.rows}
    assert len(fields) >= 12
    expected = {code for _, code in QUALITY_TABLE}
    assert expected <= {r.procedure.code for r in parsed.rows}


def test_the_table_is_big_enough() -> None:
    assert len(QUALITY_TABLE) >= 40
    assert len({q for q, _ in QUALITY_TABLE}) == len(QUALITY_TABLE)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("query", "expected"), QUALITY_TABLE, ids=[q for q, _ in QUALITY_TABLE])
async def test_expected_procedure_in_top_three(seeded: CatalogueService, query: str, expected: str) -> None:
    page = await seeded.search(query=query, filters=m.SearchFilters(), page_size=3)
    top = [(i.code, i.name) for i in page.items]
    assert expected in [code for code, _ in top], f"{query!r} ({page.strategy}) gave {top}"
