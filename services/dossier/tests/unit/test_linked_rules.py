"""Linked procedures (liên thông): which dossiers a submission creates."""

from __future__ import annotations

from datetime import date

from motcua_dossier.domain.linked import age_on, linked_codes

ON = date(2026, 11, 23)


def test_birth_of_a_child_under_six_links_residence_and_health_card_in_the_same_province() -> None:
    assert linked_codes("1.001193.000.00.00.H29", subject_birth_date=date(2026, 11, 1), on=ON) == [
        "2.001745.000.00.00.H29", "1.004027.000.00.00.H29"]
    assert linked_codes("1.001193.000.00.00.H15", subject_birth_date=date(2021, 1, 1), on=ON)[0] == "2.001745.000.00.00.H15"


def test_no_link_for_a_child_of_six_or_without_a_birth_date() -> None:
    assert linked_codes("1.001193.000.00.00.H29", subject_birth_date=date(2020, 11, 23), on=ON) == []
    assert linked_codes("1.001193.000.00.00.H29", subject_birth_date=None, on=ON) == []
    assert age_on(date(2020, 11, 24), ON) == 5


def test_death_links_residence_removal_and_funeral_allowance() -> None:
    assert linked_codes("1.000656.000.00.00.H29", subject_birth_date=None, on=ON) == [
        "2.000788.000.00.00.H29", "2.001027.000.00.00.H29"]


def test_other_procedures_link_nothing() -> None:
    assert linked_codes("2.002244.000.00.00.H29", subject_birth_date=None, on=ON) == []
