"""The dossier lifecycle: national status codes 1..10 and the transition table (data).

Each row of `TRANSITIONS` says which event a move emits, whether a reason is
required, and what it does to the appointment clock. The clock starts when the
registry receives the dossier, whatever the channel: every receipt carries its
appointment (the registry's receipt is the receipt time, as for an online dossier
under Nghị định 45/2020/NĐ-CP, art. 11), and acceptance by an officer does not move it.

- `pause`  — statuses 5, 6 and 8 stop the clock (the pause start is recorded);
- `resume` — leaving a pause shifts the appointment by the paused working time;
- `none`   — the clock is unaffected.

A move not in the table is refused with the list of moves that are allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Status(IntEnum):
    NEW = 1
    RECEIVED = 2
    NOT_ACCEPTED = 3
    PROCESSING = 4
    SUPPLEMENT_REQUESTED = 5
    FINANCIAL_OBLIGATION = 6
    WITHDRAWAL_REQUESTED = 7
    SUSPENDED = 8
    PROCESSED = 9
    RESULT_RETURNED = 10


LABELS_VI: dict[Status, str] = {
    Status.NEW: "Mới đăng ký",
    Status.RECEIVED: "Được tiếp nhận",
    Status.NOT_ACCEPTED: "Không được tiếp nhận",
    Status.PROCESSING: "Đang xử lý",
    Status.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung giấy tờ",
    Status.FINANCIAL_OBLIGATION: "Yêu cầu thực hiện nghĩa vụ tài chính",
    Status.WITHDRAWAL_REQUESTED: "Công dân yêu cầu rút hồ sơ",
    Status.SUSPENDED: "Dừng xử lý",
    Status.PROCESSED: "Đã xử lý xong",
    Status.RESULT_RETURNED: "Đã trả kết quả",
}

#: Statuses during which the appointment clock does not run.
PAUSED = frozenset({Status.SUPPLEMENT_REQUESTED, Status.FINANCIAL_OBLIGATION, Status.SUSPENDED})
TERMINAL = frozenset({Status.NOT_ACCEPTED, Status.WITHDRAWAL_REQUESTED, Status.RESULT_RETURNED})

# Event type suffixes (motcua.dossier.v1.<suffix>).
ACCEPTED = "accepted"
REJECTED = "rejected"
SUPPLEMENT = "supplement_requested"
CHANGED = "status_changed"
RESULT_READY = "result_ready"
RETURNED = "returned"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Transition:
    source: Status
    target: Status
    event: str
    clock: str  # pause | resume | none
    reason_required: bool = False


def _t(source: Status, target: Status, event: str, clock: str = "none", reason: bool = False) -> Transition:
    return Transition(source, target, event, clock, reason)


S = Status
TRANSITIONS: tuple[Transition, ...] = (
    # Reception of an online dossier.
    _t(S.NEW, S.RECEIVED, ACCEPTED),
    _t(S.NEW, S.NOT_ACCEPTED, REJECTED, reason=True),
    _t(S.NEW, S.SUPPLEMENT_REQUESTED, SUPPLEMENT, "pause", reason=True),
    _t(S.NEW, S.WITHDRAWAL_REQUESTED, WITHDRAWN, reason=True),
    # Accepted, waiting for the competent office.
    _t(S.RECEIVED, S.PROCESSING, CHANGED),
    _t(S.RECEIVED, S.SUPPLEMENT_REQUESTED, SUPPLEMENT, "pause", reason=True),
    _t(S.RECEIVED, S.FINANCIAL_OBLIGATION, CHANGED, "pause"),
    _t(S.RECEIVED, S.SUSPENDED, CHANGED, "pause", reason=True),
    _t(S.RECEIVED, S.WITHDRAWAL_REQUESTED, WITHDRAWN, reason=True),
    _t(S.RECEIVED, S.PROCESSED, RESULT_READY),
    # Being processed.
    _t(S.PROCESSING, S.SUPPLEMENT_REQUESTED, SUPPLEMENT, "pause", reason=True),
    _t(S.PROCESSING, S.FINANCIAL_OBLIGATION, CHANGED, "pause"),
    _t(S.PROCESSING, S.SUSPENDED, CHANGED, "pause", reason=True),
    _t(S.PROCESSING, S.WITHDRAWAL_REQUESTED, WITHDRAWN, reason=True),
    _t(S.PROCESSING, S.PROCESSED, RESULT_READY),
    # Waiting for the citizen's documents: accepted after a supplement asked at reception, or back to processing.
    _t(S.SUPPLEMENT_REQUESTED, S.RECEIVED, ACCEPTED, "resume"),
    _t(S.SUPPLEMENT_REQUESTED, S.PROCESSING, CHANGED, "resume"),
    _t(S.SUPPLEMENT_REQUESTED, S.NOT_ACCEPTED, REJECTED, reason=True),
    _t(S.SUPPLEMENT_REQUESTED, S.FINANCIAL_OBLIGATION, CHANGED, "pause"),
    _t(S.SUPPLEMENT_REQUESTED, S.SUSPENDED, CHANGED, "pause", reason=True),
    _t(S.SUPPLEMENT_REQUESTED, S.WITHDRAWAL_REQUESTED, WITHDRAWN, reason=True),
    # Waiting for fees or taxes.
    _t(S.FINANCIAL_OBLIGATION, S.PROCESSING, CHANGED, "resume"),
    _t(S.FINANCIAL_OBLIGATION, S.PROCESSED, RESULT_READY, "resume"),
    _t(S.FINANCIAL_OBLIGATION, S.SUSPENDED, CHANGED, "pause", reason=True),
    _t(S.FINANCIAL_OBLIGATION, S.WITHDRAWAL_REQUESTED, WITHDRAWN, reason=True),
    # Processing stopped (e.g. waiting for another agency's verification): resumable.
    _t(S.SUSPENDED, S.PROCESSING, CHANGED, "resume"),
    _t(S.SUSPENDED, S.WITHDRAWAL_REQUESTED, WITHDRAWN, reason=True),
    # Result ready, then handed over.
    _t(S.PROCESSED, S.RESULT_RETURNED, RETURNED),
)

_TABLE: dict[tuple[Status, Status], Transition] = {(t.source, t.target): t for t in TRANSITIONS}


def find(source: Status, target: Status) -> Transition | None:
    """The table row for `source` → `target`, or None when the move is not allowed."""
    return _TABLE.get((source, target))


def allowed_from(source: Status) -> list[Status]:
    return [t.target for t in TRANSITIONS if t.source == source]


def label(status: Status | int) -> str:
    return LABELS_VI[Status(status)]
