"""Document the errors the gateway really answers with in its OpenAPI: problem+json, 401/403/404/400.

Every error leaves the gateway as `application/problem+json` (motcua_gateway.problems), but FastAPI
documents its own 422 body as `application/json` `HTTPValidationError`, routes document their error
models as `application/json`, routes guarded by a token do not mention 401/403, routes naming a resource
in their path do not mention 404, and a body that is not UTF-8 JSON at all is Starlette's 400. Schemathesis
(tests-e2e/security/test_schemathesis.py) flags each of those as a contract violation; this rewrites the
generated document once, so clients and the published `contracts/openapi.json` say what is answered.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from motcua_gateway import idempotency
from motcua_gateway.auth import optional_principal
from motcua_gateway.problems import PROBLEM

_FIELD_ERROR = {
    "type": "object",
    "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
    "required": ["field", "reason"],
}

#: The body of every error answer (RFC 9457 plus the Vietnamese `detail`); extra members are allowed.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An error (RFC 9457 problem details). `detail` is Vietnamese, for the citizen; `detail_en` for logs.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "detail_en": {"type": "string"},
        "errors": {"type": "array", "items": _FIELD_ERROR},
        "metadata": {"type": "object"},
    },
    "required": ["type", "title", "status", "code", "detail"],
}
_REF = {"$ref": "#/components/schemas/Problem"}
_UNPARSEABLE = "The body could not be parsed (e.g. bytes that are not UTF-8 JSON)."
_UNKNOWN = "Nothing known by that identifier (or a wrong access token for it)."
_AUTH_RESPONSES = {
    "401": "Chưa xác thực: thiếu hoặc sai mã xác thực (Authorization: Bearer).",
    "403": "Tài khoản không có quyền thực hiện thao tác này.",
}


def _calls(dependant: Dependant) -> Any:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def _guard(route: APIRoute) -> set[str]:
    """The auth answers a route can give: 401 for any bearer token it reads, 403 when it requires a role."""
    calls = list(_calls(route.dependant))
    codes = set()
    if any(call is optional_principal for call in calls):
        codes.add("401")
    if any(getattr(call, "__qualname__", "").startswith("require_roles.") for call in calls):
        codes.add("403")
    return codes


def _api_routes(routes: Any) -> Any:
    """Every APIRoute, also those of included routers (FastAPI >= 0.16x keeps them behind `original_router`)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # included without a prefix: the routes' paths are final
            yield from _api_routes(route.original_router.routes)


def document_problems(app: FastAPI, doc: dict[str, Any]) -> None:
    """Rewrite `doc` in place: error responses as problem+json, 401/403 on the routes that can answer them."""
    doc.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    guards = {(route.path, method.lower()): _guard(route) for route in _api_routes(app.routes)
              for method in route.methods}
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in sorted(guards.get((path, method), set())):
                responses.setdefault(code, {"description": _AUTH_RESPONSES[code]})
            if "requestBody" in operation:  # Starlette answers 400 when the body cannot be decoded at all
                responses.setdefault("400", {"description": _UNPARSEABLE})
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name") == idempotency.HEADER:
                    # Declared optional so the route answers its own 400 problem, but required by every route.
                    parameter["required"] = True
                    parameter["schema"] = {**parameter.get("schema", {}), "type": "string", "minLength": 8,
                                           "maxLength": 128, "pattern": idempotency.PATTERN}
                    parameter.get("schema", {}).pop("anyOf", None)
                    responses.setdefault("400", {"description": "Missing or malformed Idempotency-Key"})
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                responses.setdefault("404", {"description": _UNKNOWN})
            for code, response in responses.items():
                if code[:1] not in ("4", "5"):
                    continue
                content = response.get("content") or {}
                schema = content.get("application/json", {}).get("schema")
                if code == "422" or schema is None or schema.get("$ref", "").endswith("/HTTPValidationError"):
                    schema = _REF
                response["content"] = {PROBLEM: {"schema": schema}}
    schemas = doc["components"]["schemas"]
    if not any("HTTPValidationError" in str(op) for ops in doc.get("paths", {}).values() for op in ops.values()):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)


def install(app: FastAPI) -> None:
    """Make `app.openapi()` return the rewritten document (built once, cached by FastAPI)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_problems(app, generate())
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
