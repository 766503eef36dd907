"""Public REST routes of the gateway (`/api/v1`), one module per backing service.

Every module of this package that defines `router` (a FastAPI APIRouter) is
included by the app, in module-name order: adding a module is all it takes. The
HTML pages (portal, console: not in the OpenAPI) come after the API, so the
API's requests, most of the traffic, are matched without trying their routes
first (no path is served by both).
"""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter


def all_routers() -> list[APIRouter]:
    routers: list[APIRouter] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            routers.append(router)
    return sorted(routers, key=lambda r: not r.include_in_schema)  # stable: module-name order within each group
