"""Refuse the NUL character in request text with 422 problem+json before it reaches a service.

PostgreSQL text cannot hold U+0000: a query parameter, path segment or JSON string carrying one
used to travel over gRPC into a service and come back as a 500 (asyncpg
CharacterNotInRepertoireError), found by schemathesis (tests-e2e/security/test_schemathesis.py).
No legitimate input contains it, so the gateway refuses it at the edge: `%00` in the query
string, NUL in the path, `\\u0000` in a JSON body or `%00` in a form body.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from motcua_gateway import problems

_CODE = "NUL_CHARACTER"
_DETAIL = "request contains the NUL character (U+0000)"
_DETAIL_VI = "Dữ liệu gửi lên chứa ký tự không hợp lệ (ký tự NUL)."


class NulCharacter(StarletteHTTPException):
    """Raised from receive() when the body holds a NUL; an HTTPException, so FastAPI's body parsing lets it through."""

    def __init__(self) -> None:
        super().__init__(422, _DETAIL)


def _refusal() -> JSONResponse:
    return problems.problem(422, code=_CODE, detail=_DETAIL, detail_vi=_DETAIL_VI)


def _body_marker(scope: Scope) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
            if kind == b"application/json" or kind.endswith(b"+json"):
                return b"\\u0000"
            if kind == b"application/x-www-form-urlencoded":
                return b"%00"
    return None


class NulGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", ""):
            await _refusal()(scope, receive, send)
            return
        marker = _body_marker(scope)
        if marker is None:
            await self.app(scope, receive, send)
            return
        tail = b""

        async def guarded_receive() -> Message:
            nonlocal tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = tail + message.get("body", b"")
                if marker in chunk:
                    raise NulCharacter()
                tail = chunk[-(len(marker) - 1):]
            return message

        await self.app(scope, guarded_receive, send)


def install(app: FastAPI) -> None:
    """Add the middleware (inside the body-size limit) and the handler of the NUL found in a body."""

    @app.exception_handler(NulCharacter)
    async def _nul(_: Request, __: NulCharacter) -> JSONResponse:
        return _refusal()

    app.add_middleware(NulGuardMiddleware)
