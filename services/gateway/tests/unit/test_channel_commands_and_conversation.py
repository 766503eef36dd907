"""Reading citizens' texts: dossier codes, choices, SMS commands, and the registration state machine."""

from __future__ import annotations

import pytest

from motcua_gateway.channels import conversation as conv
from motcua_gateway.channels.sms import parse as parse_sms
from motcua_gateway.channels.text import fold, normalize_dossier_code, normalize_phone, parse_choice, parse_lookup
from motcua_gateway.channels.zalo import routing

CODE = "000.00.41.H29-250101-0001"


@pytest.mark.parametrize("typed", [
    CODE, "000.00.41.h29-250101-0001", "000 00 41 H29 250101 0001", "0000041H29-250101-0001", "0000041h292501010001",
    " 000.00.41.H29 - 250101 - 0001 ", "000.00.41.H29_250101_0001"])
def test_dossier_codes_are_normalised_despite_spaces_case_and_missing_dots(typed: str) -> None:
    assert normalize_dossier_code(typed) == CODE


@pytest.mark.parametrize("typed", ["", "hello", "000.00.41.H29-250101", "000.00.41.29-250101-0001", "12345"])
def test_non_codes_are_not_taken_for_codes(typed: str) -> None:
    assert normalize_dossier_code(typed) is None


def test_lookup_command_takes_an_optional_receipt_token() -> None:
    assert parse_lookup(f"#{CODE}").code == CODE
    assert parse_lookup("# 000 00 41 h29 250101 0001 Ab-Cd_123").token == "Ab-Cd_123"
    assert parse_lookup("#sai-ma").code == ""
    assert parse_lookup("rượu") is None


def test_phone_numbers_and_folding() -> None:
    assert normalize_phone("0912 345 678") == normalize_phone("84912345678") == normalize_phone("+84912345678") == "+84912345678"
    assert normalize_phone("12345") is None
    assert fold("ĐK  hỗ trợ tại NHÀ") == "dk ho tro tai nha"
    assert fold("Thuốc lá") == "thuoc la"
    assert parse_choice("2", 3) == 1 and parse_choice("số 3.", 3) == 2 and parse_choice("4", 3) is None
    assert parse_choice("hai", 3) is None


def test_registration_conversation_steps_abort_and_timeout() -> None:
    now, timeout = 1_000_000.0, 600.0
    assert conv.decide(None, "ĐK hỗ trợ tại nhà", now=now, timeout=timeout).kind == conv.START
    assert conv.decide(None, "dk ho tro tai nha", now=now, timeout=timeout).kind == conv.START
    waiting = conv.State(step="await_info", updated_at=now)
    assert conv.decide(waiting, "rượu", now=now, timeout=timeout).kind == conv.REPROMPT
    keyword = conv.State(step="await_keyword", updated_at=now)
    searched = conv.decide(keyword, "  thuốc lá ", now=now, timeout=timeout)
    assert (searched.kind, searched.keyword) == (conv.SEARCH, "thuốc lá")
    choosing = conv.State(step="choose_procedure", updated_at=now, procedures=[{"code": "a", "name": "A"},
                                                                              {"code": "b", "name": "B"}])
    picked = conv.decide(choosing, "2", now=now, timeout=timeout)
    assert (picked.kind, picked.index) == (conv.PICK_PROCEDURE, 1)
    out_of_range = conv.decide(choosing, "7", now=now, timeout=timeout)
    assert out_of_range.kind == conv.REPROMPT and "từ 1 đến 2" in out_of_range.message
    assert conv.decide(choosing, "gas", now=now, timeout=timeout).kind == conv.SEARCH  # another keyword
    slots = conv.State(step="choose_slot", updated_at=now, slots=[{"slot_id": "s1", "label": "x"}])
    assert conv.decide(slots, "1", now=now, timeout=timeout).kind == conv.PICK_SLOT
    assert conv.decide(slots, "sáng mai", now=now, timeout=timeout).kind == conv.REPROMPT
    for abort in ("huỷ", "Hủy", "huy", "HUY BỎ"):
        assert conv.decide(slots, abort, now=now, timeout=timeout).kind == conv.ABORT
    # '#code' in the middle of a conversation is a look-up; the state is kept.
    assert conv.decide(slots, f"#{CODE}", now=now, timeout=timeout).kind == conv.OUTSIDE
    # Timed out: an answer to an old question is told to start over; other text is a normal command.
    late = now + timeout + 1
    assert conv.decide(slots, "1", now=late, timeout=timeout).kind == conv.EXPIRE
    assert conv.decide(slots, "khai sinh", now=late, timeout=timeout).kind == conv.OUTSIDE
    assert conv.State.from_json(slots.to_json()) == slots


def test_sms_commands() -> None:
    assert parse_sms(f"TC {CODE}") == ("TC", CODE)
    assert parse_sms(f"tc {CODE}") == ("TC", CODE)
    assert parse_sms(f"#{CODE}") == ("TC", CODE)
    assert parse_sms(f"#{CODE}", f"#{CODE}") == ("TC", CODE)  # eSMS's `keyword` is the first word
    assert parse_sms(f"MOTCUA TC {CODE}", "MOTCUA") == ("TC", CODE)
    assert parse_sms("HUY 5c1b7e0a-0000-4000-8000-000000000000") == ("HUY", "5c1b7e0a-0000-4000-8000-000000000000")
    assert parse_sms("Có") == ("CO", "") and parse_sms("khong") == ("KHONG", "")
    assert parse_sms("xin chao") == ("", "xin chao")


def test_zalo_events_are_deduplicated_on_msg_id_or_a_derived_key() -> None:
    text = {"event_name": "user_send_text", "sender": {"id": "u1"}, "message": {"msg_id": "m1", "text": "x"}, "timestamp": "5"}
    assert routing(text) == ("msg:m1", "u1")
    info = {"event_name": "user_submit_info", "sender": {"id": "u1"}, "info": {}, "timestamp": "7"}
    assert routing(info) == ("user_submit_info:u1:7", "u1")
    follow = {"event_name": "follow", "follower": {"id": "u9"}, "timestamp": "8"}
    assert routing(follow) == ("follow:u9:8", "u9")
    receipt = {"event_name": "user_received_message", "recipient": {"id": "u1"}, "message": {"msg_id": "oa-1"}}
    assert routing(receipt) == ("user_received_message:oa-1", "u1")
    assert routing({"event_name": "oa_send_text", "sender": {"id": "oa"}}) is None
