"""The gateway with its public look-up answered from PostgreSQL itself: the dossier benchmark's one-hop row.

`python -m motcua_devstack.benchmarks.direct_gateway` runs the real gateway — its settings, middleware, access
log, error handling, rate limiter and uvicorn options, as `python -m motcua_gateway` does — with one route put
in front of its own: GET /api/v1/dossiers/{code} reads the dossier tables through the gateway's own database
pool instead of asking the dossier service over gRPC. Beside the row through the dossier service, it shows what
the service hop costs, and nothing else. Benchmark only: it is not part of the gateway's package.
"""

from __future__ import annotations

import sys
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute

from motcua_dossier.domain.calendar import label_vi
from motcua_dossier.domain.codes import parse_code
from motcua_dossier.domain.lifecycle import label
from motcua_gateway import __main__ as gateway_main
from motcua_gateway.app import create_app
from motcua_gateway.routes import dossiers as routes
from motcua_gateway.settings import Settings
from motcua_platform.errors import NotFound

# The dossier service's public query (repository._PUBLIC), with its schema named: the gateway's pool has its own.
PUBLIC_SQL = """
SELECT d.code, d.status, d.updated_at, d.due_at, d.procedure_name, d.agency_name,
       array(SELECT h.to_status FROM dossier.status_history h WHERE h.dossier_id = d.id ORDER BY h.version) AS statuses,
       array(SELECT h.at FROM dossier.status_history h WHERE h.dossier_id = d.id ORDER BY h.version) AS times
FROM dossier.dossiers d WHERE d.code = $1
"""


async def lookup(request: Request, code: str) -> Response:
    """The public view, as the gateway's own route answers it, but read straight from PostgreSQL."""
    routes._limit(request, "lookup", None)
    parse_code(code)  # malformed: 422, as the dossier service answers
    row = await request.app.state.pool.fetchrow(PUBLIC_SQL, code)
    if row is None:
        raise NotFound("DOSSIER_NOT_FOUND", f"no dossier {code}", "Không tìm thấy hồ sơ.")
    body: dict[str, Any] = {
        "code": row["code"], "status": row["status"], "status_label": label(row["status"]),
        "last_update": row["updated_at"].isoformat(), "due_at": row["due_at"].isoformat() if row["due_at"] else None,
        "due_label": label_vi(row["due_at"]) if row["due_at"] else "", "procedure_name": row["procedure_name"],
        "agency_name": row["agency_name"],
        "history": [{"status": s, "label": label(s), "at": t.isoformat()}
                    for s, t in zip(row["statuses"], row["times"], strict=True)]}
    return routes._json(body)


def direct_app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    # In front of the gateway's routes, so that this one answers the path.
    app.router.routes.insert(0, APIRoute("/api/v1/dossiers/{code}", lookup, methods=["GET"]))
    return app


if __name__ == "__main__":
    gateway_main.create_app = direct_app  # type: ignore[assignment]
    sys.exit(gateway_main.main(["serve"]))
