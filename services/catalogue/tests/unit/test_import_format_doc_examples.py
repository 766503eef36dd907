"""The examples in docs/import-format.md import as written: the document and the code cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from motcua_catalogue.import_format import CSV_COLUMNS, parse

DOC = (Path(__file__).parents[2] / "docs" / "import-format.md").read_text(encoding="utf-8")


def example(language: str) -> bytes:
    found = re.search(rf"```{language}\n(.*?)```", DOC, re.S)
    assert found, f"no {language} example in the document"
    return found.group(1).encode()


@pytest.mark.parametrize("language", ["json", "csv"])
def test_documented_examples_are_valid(language: str) -> None:
    result = parse(example(language), language)  # type: ignore[arg-type]
    assert result.ok, [str(p) for p in result.problems]
    assert [r.procedure.name for r in result.rows] == ["Đăng ký khai sinh"]


def test_json_and_csv_examples_describe_the_same_procedure() -> None:
    from_json, from_csv = parse(example("json"), "json").rows[0].procedure, parse(example("csv"), "csv").rows[0].procedure
    assert (from_json.code, from_json.field, from_json.agency, from_json.level) == (
        from_csv.code, from_csv.field, from_csv.agency, from_csv.level)


def test_every_csv_column_is_documented() -> None:
    for column in CSV_COLUMNS:
        assert column in DOC
