"""Phones, names, keys, procedure codes and request hashes as the scheduler accepts them."""

from __future__ import annotations

import pytest

from motcua_platform.errors import MotcuaError
from motcua_scheduler.domain import rules


@pytest.mark.parametrize(("raw", "e164"), [
    ("0912345678", "+84912345678"),
    ("091 234 5678", "+84912345678"),
    ("+84 912.345.678", "+84912345678"),
    ("84912345678", "+84912345678"),
    ("0389-123-456", "+84389123456"),
    ("02838123456", "+842838123456"),
])
def test_phone_numbers_are_normalised_to_e164(raw: str, e164: str) -> None:
    assert rules.normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "12345", "0112345678", "09123456789", "+1 202 555 0101", "09a2345678"])
def test_bad_phone_numbers_are_refused_in_vietnamese(raw: str) -> None:
    with pytest.raises(MotcuaError) as caught:
        rules.normalize_phone(raw)
    assert caught.value.code == "PHONE_INVALID"
    assert "Số điện thoại" in caught.value.message_vi


def test_the_overlap_key_is_a_hash_of_the_number_not_the_number() -> None:
    key = rules.citizen_key("+84912345678")
    assert key == rules.citizen_key(rules.normalize_phone("0912 345 678"))
    assert "912345678" not in key and len(key) == 64


def test_names_are_normalised_and_checked() -> None:
    assert rules.clean_name("  Nguyễn   Thị  Bảy ") == "Nguyễn Thị Bảy"
    for bad in ("A", "Nguyễn 123", "x" * 101, "Trần\x00Văn"):
        with pytest.raises(MotcuaError) as caught:
            rules.clean_name(bad)
        assert caught.value.code == "FULL_NAME_INVALID"


def test_idempotency_keys_and_procedure_codes() -> None:
    assert rules.check_idempotency_key("zalo:abc-123_X") == "zalo:abc-123_X"
    for key, code in (("", "IDEMPOTENCY_KEY_REQUIRED"), ("short", "IDEMPOTENCY_KEY_INVALID"),
                      ("có dấu-12345", "IDEMPOTENCY_KEY_INVALID")):
        with pytest.raises(MotcuaError) as caught:
            rules.check_idempotency_key(key)
        assert caught.value.code == code
    assert rules.check_procedure_code(" 1.001193.000.00.00.H29 ") == "1.001193.000.00.00.H29"
    with pytest.raises(MotcuaError):
        rules.check_procedure_code("khai sinh")


def test_request_hash_ignores_key_order_but_not_values() -> None:
    assert rules.request_hash({"a": 1, "b": [1, 2]}) == rules.request_hash({"b": [1, 2], "a": 1})
    assert rules.request_hash({"a": 1}) != rules.request_hash({"a": 2})


def test_free_text_limits_and_control_characters() -> None:
    assert rules.clean_text("  Gọi trước 15 phút\nNhà trong hẻm ", field="ghi chú", limit=50) == (
        "Gọi trước 15 phút\nNhà trong hẻm")
    with pytest.raises(MotcuaError):
        rules.clean_text("x" * 51, field="ghi chú", limit=50)
    with pytest.raises(MotcuaError):
        rules.clean_text("abc\x1b[0m", field="ghi chú", limit=50)
