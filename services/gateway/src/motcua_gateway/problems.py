"""Errors as `application/problem+json` (RFC 9457), with the Vietnamese text for citizens."""

from __future__ import annotations

from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from motcua_platform.errors import RETRY_AFTER_SECONDS, MotcuaError, http_status_for, transient_unavailable
from motcua_platform.grpc_client import decode_rpc_error
from motcua_platform.logging import get_logger

log = get_logger(__name__)

PROBLEM = "application/problem+json"

_TITLES_VI = {
    400: "Yêu cầu không hợp lệ",
    401: "Chưa xác thực",
    403: "Không có quyền truy cập",
    404: "Không tìm thấy",
    405: "Phương thức không được hỗ trợ",
    409: "Xung đột dữ liệu",
    413: "Dữ liệu gửi lên quá lớn",
    422: "Dữ liệu không hợp lệ",
    429: "Quá nhiều yêu cầu",
    500: "Lỗi hệ thống",
    503: "Dịch vụ tạm thời không khả dụng",
}


def problem(status: int, *, code: str, detail: str, detail_vi: str, extra: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://motcua.gov.vn/problems/{code.lower().replace('_', '-')}",
        "title": _TITLES_VI.get(status, "Lỗi"),
        "status": status,
        "code": code,
        "detail": detail_vi,
        "detail_en": detail,
    }
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(MotcuaError)
    async def _domain(_: Request, exc: MotcuaError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
        if exc.http_status == 429 and "retry_after" in exc.metadata:
            headers = {"Retry-After": exc.metadata["retry_after"]}
        if exc.http_status == 503:
            headers = {"Retry-After": exc.metadata.get("retry_after", RETRY_AFTER_SECONDS)}
        return problem(exc.http_status, code=exc.code, detail=exc.message, detail_vi=exc.message_vi,
                       extra={"metadata": exc.metadata} if exc.metadata else None, headers=headers)

    @app.exception_handler(grpc.aio.AioRpcError)
    async def _rpc(_: Request, exc: grpc.aio.AioRpcError) -> JSONResponse:
        domain = decode_rpc_error(exc)
        if domain is not None:
            headers = ({"Retry-After": domain.metadata.get("retry_after", RETRY_AFTER_SECONDS)}
                       if domain.http_status == 503 else None)
            return problem(domain.http_status, code=domain.code, detail=domain.message, detail_vi=domain.message_vi,
                           headers=headers)
        status = http_status_for(exc.code())
        if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            log.warning("upstream_unavailable", grpc_code=exc.code().name)
            return problem(503, code="UPSTREAM_UNAVAILABLE", detail="a backing service is unavailable",
                           detail_vi="Dịch vụ tạm thời không khả dụng, vui lòng thử lại sau.",
                           headers={"Retry-After": "2"})
        log.error("upstream_failed", grpc_code=exc.code().name)
        return problem(500 if status >= 500 else status, code="INTERNAL", detail="internal error",
                       detail_vi="Hệ thống đang gặp sự cố, vui lòng thử lại sau.")

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")),
             "reason": err.get("msg", "")}
            for err in exc.errors()
        ]
        fields = ", ".join(e["field"] for e in errors if e["field"]) or "yêu cầu"
        return problem(422, code="VALIDATION_FAILED", detail="request validation failed",
                       detail_vi=f"Dữ liệu không hợp lệ: {fields}.", extra={"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail_vi = {404: "Không tìm thấy địa chỉ yêu cầu.", 405: "Phương thức không được hỗ trợ."}.get(
            exc.status_code, _TITLES_VI.get(exc.status_code, "Lỗi"))
        return problem(exc.status_code, code=f"HTTP_{exc.status_code}", detail=str(exc.detail), detail_vi=detail_vi,
                       headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unknown(_: Request, exc: Exception) -> JSONResponse:
        unavailable = transient_unavailable(exc)
        if unavailable is not None:  # the gateway's own database connection was lost: retry, not a 500
            log.warning("request_unavailable", reason=unavailable.code, error=type(exc).__name__)
            return problem(503, code=unavailable.code, detail=unavailable.message, detail_vi=unavailable.message_vi,
                           headers={"Retry-After": RETRY_AFTER_SECONDS})
        log.exception("request_failed")
        return problem(500, code="INTERNAL", detail="internal error",
                       detail_vi="Hệ thống đang gặp sự cố, vui lòng thử lại sau.")
