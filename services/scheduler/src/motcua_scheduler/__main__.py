"""`python -m motcua_scheduler [serve|migrate|outbox-replay]`."""

from __future__ import annotations

import sys

from motcua_platform.runtime import main as run_main
from motcua_scheduler.app import build


def main() -> int:
    return run_main(build)


if __name__ == "__main__":
    sys.exit(main())
