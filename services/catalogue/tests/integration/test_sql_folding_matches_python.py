"""fold_text() in SQL (unaccent) folds like the service's Python fold, so operators can query by hand."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import asyncpg
import pytest

from motcua_catalogue.domain.text import fold
from motcua_catalogue.testing import migrate

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parent.parent / "fixtures" / "small_catalogue.json"
SEED = Path(__file__).parents[2] / "src" / "motcua_catalogue" / "seed" / "procedures.json"


def texts() -> list[str]:
    found: list[str] = []
    for path in (FIXTURES, SEED):
        if path.exists():
            for p in json.loads(path.read_text())["procedures"]:
                found += [p["name"], p["field"]["name"], p["agency"]["name"], *p.get("keywords", []), *p.get("synonyms", [])]
    return found


async def test_sql_and_python_fold_the_catalogue_alike(postgres_url: str, db_schema: str) -> None:
    await migrate(postgres_url, db_schema)
    samples = [*texts(), "Đường Đồng Khởi", unicodedata.normalize("NFC", "Thuốc Lá"), "KHÍ DẦU MỎ HÓA LỎNG"]
    conn = await asyncpg.connect(postgres_url, server_settings={"search_path": f"{db_schema}, public"})
    try:
        folded = await conn.fetch("SELECT t, fold_text(t) AS f FROM unnest($1::text[]) AS t", samples)
    finally:
        await conn.close()
    mismatches = [(r["t"], r["f"], fold(r["t"])) for r in folded if r["f"] != fold(r["t"])]
    assert mismatches == []
