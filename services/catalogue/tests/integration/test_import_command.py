"""`python -m motcua_catalogue import FILE`: exit codes, `line N: field: reason` output, nothing half-imported."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest

from motcua_catalogue import __main__ as cli
from motcua_catalogue.app import build
from motcua_catalogue.settings import Settings
from motcua_platform.runtime import ServiceApp

pytestmark = pytest.mark.integration

SMALL = Path(__file__).parent.parent / "fixtures" / "small_catalogue.json"


@pytest.fixture
def cli_into_test_schema(monkeypatch: pytest.MonkeyPatch, postgres_url: str, db_schema: str) -> str:
    """Make the command use this test's schema instead of `catalogue`."""

    def build_for_test() -> ServiceApp:
        app = build(Settings(database_url=postgres_url, kafka_bootstrap="127.0.0.1:9", log_format="console"))
        app.name = db_schema
        return app

    monkeypatch.setattr(cli, "build", build_for_test)
    return db_schema


def count(postgres_url: str, schema: str, table: str) -> int:
    async def run() -> int:
        conn = await asyncpg.connect(postgres_url)
        try:
            return await conn.fetchval(f"SELECT count(*) FROM {schema}.{table}")
        finally:
            await conn.close()

    return asyncio.run(run())


def test_import_publish_then_reimport(cli_into_test_schema: str, postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["import", str(SMALL), "--publish", "--actor", "officer-0031"]) == 0
    assert capsys.readouterr().out.strip().endswith("imported: 18 created, 0 updated, 0 unchanged, 18 published")
    assert count(postgres_url, cli_into_test_schema, "search_entries") == 18
    assert cli.main(["import", str(SMALL), "--publish"]) == 0
    assert "0 created, 0 updated, 18 unchanged, 0 published" in capsys.readouterr().out


def test_bad_rows_are_listed_and_nothing_is_imported(cli_into_test_schema: str, postgres_url: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    procedures = json.loads(SMALL.read_text())["procedures"]
    procedures[2]["online_level"] = "level 4"
    procedures[5]["fees"][0]["amount_vnd"] = -1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"procedures": procedures}, ensure_ascii=False, indent=2))
    assert cli.main(["import", str(bad), "--publish"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("line ") and ": online_level: Input should be 'full', 'partial' or 'none'" in err[0]
    assert ": fees[0].amount_vnd: Input should be greater than or equal to 0" in err[1]
    assert err[2].endswith("2 problem(s); nothing was imported")
    assert count(postgres_url, cli_into_test_schema, "procedures") == 0


def test_dry_run_and_usage_errors(cli_into_test_schema: str, postgres_url: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["import", str(SMALL), "--dry-run", "--publish"]) == 0
    assert "would import: 18 created" in capsys.readouterr().out
    assert count(postgres_url, cli_into_test_schema, "procedures") == 0
    assert cli.main(["import", str(tmp_path / "missing.json")]) == 2
    csv_file = tmp_path / "one.csv"
    csv_file.write_text("code,name\n1.001193.000.00.00.H15,Đăng ký khai sinh\n")
    assert cli.main(["import", str(csv_file)]) == 1
    assert "line 1: field_code: required column missing from the header" in capsys.readouterr().err
