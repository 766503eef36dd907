"""Linked procedures (liên thông): which dossiers a submission creates at other agencies.

Rules are data. Procedure codes are matched on their national part (`1.001193.000.00.00`),
so a rule holds in every province; the linked procedure takes the province suffix
of the submitted one (`.H29`). Each linked dossier is created in the submission's
transaction, gets its own code at its own agency, and starts as NEW there.

The two groups of Nghị định 63/2024/NĐ-CP (liên thông điện tử):

- Birth registration (khai sinh – thường trú – BHYT): for a child under six, permanent-residence registration at the ward
  police and the child's health-insurance card at social insurance.
- Death registration (khai tử – xóa thường trú – mai táng phí): removal
  from permanent residence and the funeral allowance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: Age under which a child gets the linked health insurance card (Luật BHYT: trẻ em dưới 6 tuổi).
CHILD_AGE_LIMIT = 6


@dataclass(frozen=True)
class LinkedProcedure:
    code: str  # national part, without the province suffix
    name: str


@dataclass(frozen=True)
class LinkRule:
    name: str
    triggers: frozenset[str]
    linked: tuple[LinkedProcedure, ...]
    child_under_six: bool = False


BIRTH = LinkRule(
    name="Liên thông đăng ký khai sinh – đăng ký thường trú – cấp thẻ BHYT cho trẻ em dưới 6 tuổi",
    triggers=frozenset({"1.001193.000.00.00", "1.007077.000.00.00", "2.002409.000.00.00"}),
    linked=(
        LinkedProcedure("2.001745.000.00.00", "Đăng ký thường trú"),
        LinkedProcedure("1.004027.000.00.00", "Cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi"),
    ),
    child_under_six=True,
)
DEATH = LinkRule(
    name="Liên thông đăng ký khai tử – xóa đăng ký thường trú – hỗ trợ chi phí mai táng",
    triggers=frozenset({"1.000656.000.00.00", "2.001729.000.00.00"}),
    linked=(
        LinkedProcedure("2.000788.000.00.00", "Xóa đăng ký thường trú"),
        LinkedProcedure("2.001027.000.00.00", "Hỗ trợ chi phí mai táng"),
    ),
)
RULES: tuple[LinkRule, ...] = (BIRTH, DEATH)


def split_code(procedure_code: str) -> tuple[str, str]:
    """`1.001193.000.00.00.H29` → (`1.001193.000.00.00`, `H29`)."""
    national, _, suffix = procedure_code.rpartition(".")
    return (national, suffix) if national else (procedure_code, "")


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def needs_birth_date(procedure_code: str) -> bool:
    """True when whether the submission links depends on the subject's age (a birth registration)."""
    national, _ = split_code(procedure_code)
    return any(rule.child_under_six and national in rule.triggers for rule in RULES)


def linked_codes(procedure_code: str, *, subject_birth_date: date | None, on: date) -> list[str]:
    """Full codes of the procedures a submission of `procedure_code` links to (empty when none apply).

    A rule that needs a child under six applies only when the subject's birth date is
    given and the subject is under six on the receipt day.
    """
    national, suffix = split_code(procedure_code)
    for rule in RULES:
        if national not in rule.triggers:
            continue
        if rule.child_under_six and (subject_birth_date is None or age_on(subject_birth_date, on) >= CHILD_AGE_LIMIT):
            return []
        return [f"{p.code}.{suffix}" if suffix else p.code for p in rule.linked]
    return []
