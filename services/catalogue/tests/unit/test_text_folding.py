"""Search compares folded text: no diacritics, no case, đ→d, whatever the Unicode form of the input."""

from __future__ import annotations

import unicodedata

import pytest

from motcua_catalogue.domain.text import fold, has_control_characters, index_text, tokens


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Thuốc Lá", "thuoc la"),
        ("thuoc la", "thuoc la"),
        ("THUỐC LÁ", "thuoc la"),
        ("Rượu", "ruou"),
        ("Đăng ký khai sinh", "dang ky khai sinh"),
        ("đường", "duong"),
        ("ĐỒNG", "dong"),
        ("  Khí   dầu mỏ\thóa lỏng ", "khi dau mo hoa long"),
        ("Giấy chứng nhận quyền sử dụng đất", "giay chung nhan quyen su dung dat"),
        ("Ủy ban nhân dân", "uy ban nhan dan"),
        ("ỹ ỵ ữ ự ở ợ", "y y u u o o"),
    ],
)
def test_fold_removes_diacritics_case_and_stroke_d(raw: str, folded: str) -> None:
    assert fold(raw) == folded


@pytest.mark.parametrize("text", ["Thuốc lá", "Đăng ký kết hôn", "Giấy phép lái xe", "Hộ khẩu thường trú", "Ưu đãi người có công"])
def test_nfc_and_nfd_input_fold_alike(text: str) -> None:
    nfc, nfd = unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)
    assert nfc != nfd
    assert fold(nfc) == fold(nfd) == fold(text.lower())
    assert fold(nfd).isascii()


def test_old_and_new_tone_placement_fold_alike() -> None:
    # "hóa" (new style) and "hoá" (old style) are both written in official documents.
    assert fold("khí hóa lỏng") == fold("khí hoá lỏng") == "khi hoa long"


def test_tokens_split_on_punctuation_and_keep_digits() -> None:
    assert tokens("Nghị định số 123/2015/NĐ-CP") == ["nghi", "dinh", "so", "123", "2015", "nd", "cp"]
    assert tokens("(Mẫu CT01)") == ["mau", "ct01"]
    assert tokens("!!! ... ???") == []


def test_index_text_joins_folded_tokens_of_all_parts() -> None:
    assert index_text("Sổ đỏ", "LPG, Gas") == "so do lpg gas"


@pytest.mark.parametrize("text", ["a\x00b", "khai\x1bsinh", "x\u200by", "tab\there", "new\nline", "\x7f"])
def test_control_and_format_characters_are_detected(text: str) -> None:
    assert has_control_characters(text)


def test_vietnamese_text_has_no_control_characters() -> None:
    assert not has_control_characters("Đăng ký khai sinh cho trẻ em – mẫu số 01/TP-HT")
