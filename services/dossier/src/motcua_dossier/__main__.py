"""`python -m motcua_dossier [serve|migrate|outbox-replay|agency-subscriber]`."""

from __future__ import annotations

import sys

from motcua_dossier.app import build
from motcua_platform.runtime import main as run_main


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "agency-subscriber":
        from motcua_dossier.agency_subscriber import main as subscriber_main

        return subscriber_main(args[1:])
    return run_main(build, args)


if __name__ == "__main__":
    sys.exit(main())
