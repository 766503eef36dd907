"""Public REST routes of the gateway (`/api/v1`), one module per backing service.

Every module of this package that defines `router` (a FastAPI APIRouter) is
included by the app, in module-name order: adding a module is all it takes.
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
    return routers
