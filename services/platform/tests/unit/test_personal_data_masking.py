"""Personal data never reaches a log line in clear."""

from __future__ import annotations

import io
import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua_platform.logging import _mask_text_scan, configure_logging, get_logger, mask_personal_data, mask_text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("gọi lại số 0912345678 trước 17h", "0912345678"),
        ("SĐT +84 912 345 678", "912 345 678"),
        ("phone 84912345678", "84912345678"),
        ("email nguyen.van.an@gmail.com", "nguyen.van.an@gmail.com"),
        ("CCCD 001203004567 của công dân", "001203004567"),
        ("CMND 123456789", "123456789"),
    ],
)
def test_free_text_masks_phone_email_and_id_numbers(text: str, secret: str) -> None:
    masked = mask_text(text)
    assert secret not in masked
    assert "*" in masked


# Text made of what the patterns look at: digits, their separators, "+", "@", letters, dots, word characters.
_PIECES = st.sampled_from(["0", "8", "4", "9", "1", "5", "84", "+84", " ", ".", "-", "@", "a", "vn", ".com", "_", "x", ":", "Đ"])


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_the_quick_check_never_skips_text_the_full_scan_would_mask(text: str) -> None:
    assert mask_text(text) == _mask_text_scan(text)


@pytest.mark.parametrize("text", ["0 9 1 2 3 4 5 6 7", "+84.9-1.2 3 4 5 6 7", "84912345678", "123456789", "a@b.vn"])
def test_the_quick_check_lets_through_every_shape_of_number_and_address(text: str) -> None:
    assert mask_text(text) != text


def test_dossier_codes_and_procedure_codes_are_not_mistaken_for_personal_data() -> None:
    text = "hồ sơ 000.00.04.H15-201125-0080 thủ tục 1.000028.000.00.00.H15"
    assert mask_text(text) == text


def test_personal_keys_are_masked_whatever_their_value() -> None:
    event = mask_personal_data(
        None,
        "info",
        {
            "event": "dossier_received",
            "full_name": "Nguyễn Văn An",
            "phone": "0912345678",
            "email": "an@example.vn",
            "address": "Số 5 ngõ 10 phố Huế",
            "id_number": "001203004567",
            "dossier_code": "000.00.04.H15-201125-0080",
            "applicant": {"name": "Trần Thị Bình", "phone": "0987654321"},
        },
    )
    assert event["full_name"] == "N***** V** A*"
    assert event["phone"] == "091*****78"
    assert event["email"] == "a***@example.vn"
    assert event["address"] == "***"
    assert event["id_number"] == "***"
    assert event["dossier_code"] == "000.00.04.H15-201125-0080"
    assert event["applicant"] == {"name": "T*** T** B***", "phone": "098*****21"}


def test_configured_logger_writes_json_lines_with_masked_values(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    configure_logging(service="unit", level="INFO", fmt="json")
    get_logger("t").info("booking_requested", phone="0912345678", note="liên hệ an@example.vn hoặc 0987654321")
    logging.getLogger("foreign").warning("stdlib line with 0912345678")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["event"] == "booking_requested"
    assert lines[0]["service"] == "unit"
    assert lines[0]["phone"] == "091*****78"
    assert "0987654321" not in lines[0]["note"] and "an@example.vn" not in lines[0]["note"]
    assert "0912345678" not in lines[1]["event"]


def test_hex_request_and_trace_ids_are_left_alone_but_ids_in_text_are_not() -> None:
    from motcua_platform.logging import mask_text

    request_id = "0d123456789c42b8a1f0e9d8c7b6a5f4"
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736123456789012"
    assert mask_text(f"request {request_id} trace {trace_id}") == f"request {request_id} trace {trace_id}"
    masked = mask_text("CCCD: 079190001234, CMND 023456789")
    assert "079190001234" not in masked and "023456789" not in masked


class _CountingStdout(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_lines_of_one_loop_turn_are_written_together_in_order_and_none_is_left_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    out = _CountingStdout()
    monkeypatch.setattr("sys.stdout", out)
    configure_logging(service="unit", level="INFO", fmt="json")
    log = get_logger("t")

    def events() -> list[str]:
        return [json.loads(line)["event"] for line in out.getvalue().splitlines()]

    async def turn() -> None:
        log.info("first", phone="0912345678")
        log.info("second")
        assert (events(), out.writes) == ([], 0), "our lines wait for the end of the turn"
        await asyncio.sleep(0)  # the next turn writes them, in one write
        assert (events(), out.writes) == (["first", "second"], 1)
        log.info("third")
        # A standard-library line (uvicorn's last words before it re-raises SIGTERM, say) goes out at once,
        # after ours.
        logging.getLogger("foreign").warning("fourth")
        assert (events(), out.writes) == (["first", "second", "third", "fourth"], 2)
        log.info("last line of the loop")  # written as the loop shuts down

    asyncio.run(turn())
    assert events()[-1] == "last line of the loop"
    assert json.loads(out.getvalue().splitlines()[0])["phone"] == "091*****78"
    log.info("outside a loop")  # written at once
    assert events()[-1] == "outside a loop"
