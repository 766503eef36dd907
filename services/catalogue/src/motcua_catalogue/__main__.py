"""`python -m motcua_catalogue [serve|migrate|outbox-replay|import FILE ...]`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from motcua_catalogue.app import NAME, build
from motcua_catalogue.cache import ReadCache
from motcua_catalogue.domain import model as m
from motcua_catalogue.service import CatalogueService
from motcua_platform.db import create_pool
from motcua_platform.logging import configure_logging
from motcua_platform.runtime import StartupError, migrate
from motcua_platform.runtime import main as run_main


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "import":
        return import_command(args[1:])
    return run_main(build, args)


def import_command(argv: list[str]) -> int:
    """Import a catalogue file into the database of MOTCUA_DATABASE_URL (migrating it first).

    Exit 0 when imported (or valid, with --dry-run), 1 when any row is bad (then nothing is
    written and every bad row is printed as `line N: field: reason`), 2 for usage errors.
    """
    parser = argparse.ArgumentParser(
        prog="python -m motcua_catalogue import",
        description="Validate and import procedures (format: services/catalogue/docs/import-format.md).",
    )
    parser.add_argument("file", type=Path, help="a .json or .csv file in the motcua.catalogue.import.v1 format")
    parser.add_argument("--format", choices=["json", "csv"], help="default: from the file extension")
    parser.add_argument("--publish", action="store_true", help="publish what changed (default: leave drafts)")
    parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    parser.add_argument("--actor", default="", help="officer account id recorded on the versions (default: cli:<user>)")
    args = parser.parse_args(argv)
    fmt = args.format or ("csv" if args.file.suffix.lower() == ".csv" else "json")
    try:
        content = args.file.read_bytes()
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    app = build()
    configure_logging(service=NAME, level="WARNING", fmt=app.settings.log_format)
    actor = m.Actor(args.actor, "officer") if args.actor else m.Actor(f"cli:{getpass.getuser()}", "system")
    try:
        report = asyncio.run(_import(app, content, fmt, publish=args.publish, dry_run=args.dry_run, actor=actor))
    except StartupError as exc:
        print(f"{NAME}: {exc}", file=sys.stderr)
        return 2
    if report.errors:
        for problem in report.errors:
            print(str(problem), file=sys.stderr)
        print(f"{args.file}: {len(report.errors)} problem(s); nothing was imported", file=sys.stderr)
        return 1
    verb = "would import" if args.dry_run else "imported"
    print(f"{args.file}: {verb}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
          f"{report.published} published")
    return 0


async def _import(app: object, content: bytes, fmt: str, *, publish: bool, dry_run: bool, actor: m.Actor) -> m.ImportReport:
    from motcua_platform.runtime import ServiceApp

    assert isinstance(app, ServiceApp)
    await migrate(app)
    try:
        pool = await create_pool(app.settings.database_url, schema=app.name, max_size=2,
                                 application_name="motcua-catalogue-import", command_timeout=600)
    except (OSError, TimeoutError) as exc:
        raise StartupError(f"cannot connect to the database (MOTCUA_DATABASE_URL): {exc}") from exc
    try:
        service = CatalogueService(pool=pool, schema=app.name, cache=ReadCache(0))
        return await service.import_document(content=content, fmt=fmt, publish=publish, dry_run=dry_run,  # type: ignore[arg-type]
                                             actor=actor)
    finally:
        await pool.close()


if __name__ == "__main__":
    sys.exit(main())
