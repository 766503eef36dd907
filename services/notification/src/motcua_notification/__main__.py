"""`python -m motcua_notification [serve|migrate|outbox-replay|fakes]`.

`fakes` runs the local provider fakes (Zalo OA, ZNS, eSMS, SpeedSMS, SMTP) that `make run` starts.
"""

from __future__ import annotations

import sys

from motcua_platform.runtime import main as run_main


def main() -> int:
    if sys.argv[1:2] == ["fakes"]:
        from motcua_notification.fakes.server import main as fakes_main

        return fakes_main()
    from motcua_notification.app import build

    return run_main(build)


if __name__ == "__main__":
    sys.exit(main())
