"""Data-subject identifiers: every written form of a phone number and ID number is normalised the same way."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from motcua.common.v1 import subject_data_pb2 as sd
from motcua_platform.errors import InvalidArgument
from motcua_platform.subject_data import export_json, normalize_id_number, normalize_phone, subject_from_pb


@pytest.mark.parametrize("raw", ["0912345678", "0912 345 678", "+84912345678", "84912345678", "091.234.5678",
                                 "(091) 234-5678"])
def test_phone_forms_normalise_to_e164(raw: str) -> None:
    assert normalize_phone(raw) == "+84912345678"


@pytest.mark.parametrize("raw", ["", "12345", "+1 202 555 0100", "09123456789012", "abc0912345678"])
def test_non_vietnamese_phones_are_refused_in_vietnamese(raw: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        normalize_phone(raw)
    assert caught.value.code == "PHONE_INVALID" and "Số điện thoại" in caught.value.message_vi


def test_id_numbers_are_cccd_or_cmnd() -> None:
    assert normalize_id_number(" 0791 9000 1234 ") == "079190001234"
    assert normalize_id_number("123456789") == "123456789"
    for bad in ("0791900012", "07919000123X", ""):
        with pytest.raises(InvalidArgument):
            normalize_id_number(bad)


def test_subject_needs_a_verified_identifier_and_collects_linked_ones() -> None:
    with pytest.raises(InvalidArgument) as caught:
        subject_from_pb(sd.DataSubject(linked_emails=["a@example.vn"]))
    assert caught.value.code == "SUBJECT_REQUIRED"
    subject = subject_from_pb(sd.DataSubject(phone="0912345678", linked_phones=["+84987654321"],
                                             linked_emails=["Anh.Tran@Example.vn"], linked_zalo_user_ids=["zu-1"]))
    assert subject.phones == {"+84912345678", "+84987654321"} and subject.emails == {"anh.tran@example.vn"}
    # Needles are substrings of every written form of the phone numbers.
    assert set(subject.identifiers()) == {"912345678", "987654321", "anh.tran@example.vn", "zu-1"}
    with pytest.raises(InvalidArgument):
        subject_from_pb(sd.DataSubject(phone="0912345678", linked_phones=["0912345678"] * 51))


def test_export_document_is_json_with_the_documented_shape() -> None:
    doc = json.loads(export_json("dossier", {"dossiers": [{"at": datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "day": date(2026, 1, 2),
                                                          "id": UUID(int=1), "raw": b"\xff\x00", "text": b"Tr\xe1\xba\xa7n"}]}))
    assert doc == {"service": "dossier", "records": {"dossiers": [
        {"at": "2026-01-02T03:04:00+00:00", "day": "2026-01-02", "id": "00000000-0000-0000-0000-000000000001",
         "raw": "ff00", "text": "Trần"}]}}
