"""`python -m motcua_dossier [serve|migrate|outbox-replay]`."""

from __future__ import annotations

import sys

from motcua_dossier.app import build
from motcua_platform.runtime import main as run_main


def main() -> int:
    return run_main(build)


if __name__ == "__main__":
    sys.exit(main())
