"""The lifecycle table: national codes and labels, allowed moves, reasons, clock effects, events."""

from __future__ import annotations

import pytest

from motcua_dossier.domain import lifecycle
from motcua_dossier.domain.lifecycle import LABELS_VI, PAUSED, TERMINAL, TRANSITIONS, Status


def test_national_codes_and_labels() -> None:
    assert [int(s) for s in Status] == list(range(1, 11))
    assert LABELS_VI[Status.NEW] == "Mới đăng ký"
    assert LABELS_VI[Status.FINANCIAL_OBLIGATION] == "Yêu cầu thực hiện nghĩa vụ tài chính"
    assert LABELS_VI[Status.RESULT_RETURNED] == "Đã trả kết quả"
    assert set(LABELS_VI) == set(Status)


def test_terminal_statuses_have_no_way_out_and_every_other_has_one() -> None:
    for status in Status:
        assert bool(lifecycle.allowed_from(status)) == (status not in TERMINAL), status


def test_no_duplicate_rows_and_no_self_moves() -> None:
    pairs = [(t.source, t.target) for t in TRANSITIONS]
    assert len(pairs) == len(set(pairs))
    assert all(s != t for s, t in pairs)


def test_pauses_are_exactly_5_6_8_and_resumes_leave_them() -> None:
    assert {Status(5), Status(6), Status(8)} == PAUSED
    for t in TRANSITIONS:
        if t.clock == "pause":
            assert t.target in PAUSED
        if t.clock == "resume":
            assert t.source in PAUSED and t.target not in PAUSED


@pytest.mark.parametrize("target", [Status.NOT_ACCEPTED, Status.SUPPLEMENT_REQUESTED, Status.WITHDRAWAL_REQUESTED,
                                    Status.SUSPENDED])
def test_reasons_are_required_where_the_citizen_must_be_told_why(target: Status) -> None:
    assert all(t.reason_required for t in TRANSITIONS if t.target == target)


def test_each_move_names_its_event() -> None:
    assert lifecycle.find(Status.NEW, Status.RECEIVED).event == "accepted"  # type: ignore[union-attr]
    assert lifecycle.find(Status.NEW, Status.NOT_ACCEPTED).event == "rejected"  # type: ignore[union-attr]
    assert lifecycle.find(Status.PROCESSING, Status.SUPPLEMENT_REQUESTED).event == "supplement_requested"  # type: ignore[union-attr]
    assert lifecycle.find(Status.PROCESSING, Status.PROCESSED).event == "result_ready"  # type: ignore[union-attr]
    assert lifecycle.find(Status.PROCESSED, Status.RESULT_RETURNED).event == "returned"  # type: ignore[union-attr]
    assert lifecycle.find(Status.RECEIVED, Status.WITHDRAWAL_REQUESTED).event == "withdrawn"  # type: ignore[union-attr]
    assert lifecycle.find(Status.RECEIVED, Status.PROCESSING).event == "status_changed"  # type: ignore[union-attr]
    assert {t.event for t in TRANSITIONS} == {"accepted", "rejected", "supplement_requested", "status_changed",
                                              "result_ready", "returned", "withdrawn"}


def test_illegal_moves_are_absent() -> None:
    assert lifecycle.find(Status.NEW, Status.PROCESSED) is None
    assert lifecycle.find(Status.RESULT_RETURNED, Status.PROCESSING) is None
    assert lifecycle.find(Status.NOT_ACCEPTED, Status.RECEIVED) is None


def test_every_move_out_of_a_pause_into_a_running_status_resumes_the_clock() -> None:
    for t in TRANSITIONS:
        if t.source in PAUSED and t.target not in PAUSED | TERMINAL:
            assert t.clock == "resume", t


def test_no_dead_ends_every_status_reached_from_1_can_still_reach_the_result() -> None:
    """A dossier can always be brought to 10 (result returned) from wherever the table lets it go."""
    def reachable(start: Status) -> set[Status]:
        seen, todo = {start}, [start]
        while todo:
            for nxt in lifecycle.allowed_from(todo.pop()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    for status in reachable(Status.NEW) - TERMINAL:
        assert Status.RESULT_RETURNED in reachable(status), status
