"""The `Idempotency-Key` header: its shape, checked by every route that requires it."""

from __future__ import annotations

import re

HEADER = "Idempotency-Key"
#: 8 to 128 visible ASCII characters, e.g. a UUID (JSON Schema `pattern` for the OpenAPI document).
PATTERN = "^[!-~]{8,128}$"
_KEY = re.compile(PATTERN)


def well_formed(key: str) -> bool:
    return _KEY.match(key) is not None
