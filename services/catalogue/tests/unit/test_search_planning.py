"""From typed words to tsquery text: prefixes, synonyms, filler words, one-letter typos, code look-ups."""

from __future__ import annotations

import pytest

from motcua_catalogue.domain.search import (
    SynonymGroups,
    Vocabulary,
    corrected,
    looks_like_code,
    plan,
    without_filler,
)
from motcua_catalogue.domain.text import tokens

SYNONYMS = SynonymGroups(
    [
        ["gas", "LPG", "khí dầu mỏ hóa lỏng"],
        ["sổ đỏ", "giấy chứng nhận quyền sử dụng đất"],
        ["bằng lái", "bằng lái xe", "giấy phép lái xe"],
        ["hộ khẩu", "thường trú"],
        ["only one term"],
    ]
)


def test_every_word_must_match_and_the_last_one_is_completed_as_a_prefix() -> None:
    q = plan(tokens("khai si"), SYNONYMS).queries()
    assert q.match == "((khai:AB) & (si:*AB)) | (khai <-> si:*)"
    assert q.in_name == "(khai:A) & (si:*A)"
    assert q.name_phrase == "khai:A <-> si:*A"
    assert q.whole_words == "(khai) & (si)"
    assert q.words == 2


def test_a_lone_letter_is_not_a_prefix_but_the_last_letter_of_a_longer_query_is() -> None:
    assert plan(["d"], SYNONYMS).queries().match == "(d)"
    assert plan(["khai", "s"], SYNONYMS).queries().match == "((khai:AB) & (s:*AB)) | (khai <-> s:*)"


def test_words_before_the_last_are_whole_words_and_must_be_in_fields_or_in_a_row() -> None:
    # As prefixes, "so do" would match "số", "sở", "đổi", "đồ", "độ" ... everywhere.
    assert plan(["mau", "01", "tp"], SYNONYMS).queries().match == "((mau:AB) & (01:AB) & (tp:*AB)) | (mau <-> 01 <-> tp:*)"


def test_filler_words_must_match_but_carry_no_name_bonus() -> None:
    q = plan(tokens("làm căn cước"), SYNONYMS).queries()
    assert q.match.startswith("((lam:AB) & ")
    assert "lam" not in q.in_name and "lam" not in q.name_phrase


@pytest.mark.parametrize("typed", ["gas", "LPG", "khí dầu mỏ hóa lỏng", "khi dau mo hoa long"])
def test_a_synonym_expands_to_every_phrase_of_its_group(typed: str) -> None:
    match = plan(tokens(typed), SYNONYMS).queries().match
    for word in ("gas", "lpg", "khi", "dau", "mo", "hoa", "long"):
        assert word in match
    assert len(plan(tokens(typed), SYNONYMS).units[0].alternatives) == 2


def test_synonyms_are_found_inside_longer_queries_longest_first() -> None:
    units = plan(tokens("đổi bằng lái xe hạng B2"), SYNONYMS).units
    assert [tuple(t.options[0] for t in u.terms) for u in units] == [("doi",), ("bang", "lai", "xe"), ("hang",), ("b2",)]
    assert ("giay", "phep", "lai", "xe") in units[1].alternatives
    assert ("bang", "lai", "xe") not in units[1].alternatives


def test_single_term_groups_are_ignored() -> None:
    assert len(SYNONYMS) == 4


def test_synonym_phrases_match_anywhere_typed_words_in_fields() -> None:
    match = plan(tokens("đổi sổ đỏ"), SYNONYMS).queries().match
    assert match.startswith("((doi:AB) & (((so:AB & do:*AB) | (giay <-> chung <-> nhan <-> quyen <-> su <-> dung <-> dat))))")
    assert match.endswith(" | (doi <-> so <-> do:*)")


def test_any_mode_ors_the_units() -> None:
    assert plan(["so", "do", "mat"], SYNONYMS).queries(any_unit=True).match.count(" | ") >= 2


def test_filler_words_are_dropped_but_never_everything() -> None:
    assert without_filler(tokens("thủ tục đăng ký khai sinh ở đâu")) == ["dang", "ky", "khai", "sinh"]
    assert without_filler(tokens("làm sao xin giấy phép xây dựng")) == ["giay", "phep", "xay", "dung"]
    assert without_filler(["thu", "tuc"]) == ["thu", "tuc"]


VOCABULARY = Vocabulary({"khai": 40, "sinh": 35, "sinhs": 1, "ket": 20, "hon": 20, "thuoc": 5, "la": 30, "lai": 12, "xe": 9,
                         "bang": 3})


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        ("khai sihn", "sinh"),  # transposition
        ("khai snh", "sinh"),  # deletion
        ("khai sinhh", "sinh"),  # insertion
        ("ket hom", "hon"),  # substitution
        ("thuooc la", "thuoc"),
    ],
)
def test_unknown_words_are_replaced_by_known_words_one_edit_away(typed: str, fixed: str) -> None:
    plans = corrected(tokens(typed), VOCABULARY, SYNONYMS)
    assert fixed in plans[0].queries().match


def test_corrections_prefer_likely_slips_then_frequent_words_and_are_exact_not_prefixes() -> None:
    [corrected_plan] = corrected(["sinhp"], VOCABULARY, SYNONYMS)
    assert corrected_plan.units[0].terms[0].options == ("sinh", "sinhs")  # a letter too many before a far key
    assert ":*" not in corrected_plan.queries().match


def test_neighbouring_keys_are_the_likeliest_slip() -> None:
    vocabulary = Vocabulary({"hoa": 90, "hoi": 80, "ho": 70, "hon": 5})
    assert vocabulary.corrections("hom")[0] == "hon"  # m and n touch on the keyboard


def test_a_known_word_that_is_a_slip_for_another_gets_its_neighbours() -> None:
    plans = corrected(["ket", "hom"], Vocabulary({"ket": 5, "hom": 2, "hon": 20, "xet": 50}), SYNONYMS)
    assert [[t.options for u in p.units for t in u.terms] for p in plans] == [
        [("ket",), ("hom", "hon")],  # the last word first: one slip, one word at a time
        [("ket", "xet"), ("hom",)],
    ]


def test_known_words_and_words_being_typed_are_not_corrected() -> None:
    assert corrected(["khai", "sinh"], Vocabulary({"khai": 1, "sinh": 1}), SYNONYMS) == []
    assert corrected(["khai", "si"], VOCABULARY, SYNONYMS) == []  # "si" starts "sinh"
    assert corrected(["lpg"], VOCABULARY, SYNONYMS) == []  # known as a synonym
    assert corrected(["q"], VOCABULARY, SYNONYMS) == []  # a single letter is not guessed


def test_two_letter_words_get_substitutions_only() -> None:
    [corrected_plan] = corrected(["dang", "ki", "ket", "hon"], Vocabulary({"dang": 9, "ky": 9, "ket": 3, "hon": 3, "k": 1}),
                                 SYNONYMS)
    assert corrected_plan.units[1].terms[0].options == ("ky",)


def test_corrected_words_are_looked_up_as_synonyms() -> None:
    [corrected_plan] = corrected(["bang", "lia"], VOCABULARY, SYNONYMS)
    assert ("giay", "phep", "lai", "xe") in corrected_plan.units[0].alternatives


@pytest.mark.parametrize(("query", "prefix"), [("1.000028", "1.000028"), ("1.001193.000.00.00.h15", "1.001193.000.00.00.H15"),
                                               (" 2.000633. ", "2.000633.")])
def test_queries_shaped_like_procedure_codes_are_code_lookups(query: str, prefix: str) -> None:
    assert looks_like_code(query) == prefix


@pytest.mark.parametrize("query", ["khai sinh", "123", "1", "nghị định 123/2015"])
def test_ordinary_queries_are_not_code_lookups(query: str) -> None:
    assert looks_like_code(query) is None
