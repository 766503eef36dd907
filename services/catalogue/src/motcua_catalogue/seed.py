"""The demo catalogue shipped with the project (seed/procedures.json), loaded into an empty catalogue at start."""

from __future__ import annotations

import asyncio
from pathlib import Path

from motcua_catalogue.domain import model as m
from motcua_catalogue.service import CatalogueService
from motcua_platform.logging import get_logger

log = get_logger(__name__)

SEED_PATH = Path(__file__).parent / "seed" / "procedures.json"
SEED_ACTOR = m.Actor("system:catalogue-seed", "system")


async def load_if_empty(service: CatalogueService, path: Path = SEED_PATH) -> m.ImportReport | None:
    """Import and publish the seed when the catalogue has no procedure at all; never fails the start.

    Once an agency has loaded anything (even one draft), the seed is never loaded again.
    """
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except FileNotFoundError:
        log.warning("catalogue_seed_missing", path=str(path))
        return None
    report = await service.import_if_empty(content=content, fmt="json", actor=SEED_ACTOR)
    if report is None:
        log.info("catalogue_seed_skipped", reason="catalogue not empty")
    elif report.errors:
        log.error("catalogue_seed_invalid", problems=len(report.errors), first=[str(e) for e in report.errors[:10]])
    else:
        log.info("catalogue_seed_loaded", created=report.created, published=report.published)
    return report
