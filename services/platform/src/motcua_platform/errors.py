"""One error base class whose instances carry their own status.

A `MotcuaError` maps to a gRPC status (with `ErrorInfo` and a Vietnamese
`LocalizedMessage`) in `grpc_server`, and to `application/problem+json` in the
gateway. Anything else is an internal error: logged with its traceback, never shown.
"""

from __future__ import annotations

import grpc

#: Domain of every ErrorInfo we emit.
ERROR_DOMAIN = "motcua.gov.vn"

_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.FAILED_PRECONDITION: 422,
    grpc.StatusCode.OUT_OF_RANGE: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.UNIMPLEMENTED: 501,
}


def http_status_for(code: grpc.StatusCode) -> int:
    """Return the HTTP status the gateway answers for a gRPC status code."""
    return _HTTP_STATUS.get(code, 500)


class MotcuaError(Exception):
    """A failure the caller can act on.

    `code` is a stable machine reason (UPPER_SNAKE, e.g. `DOSSIER_NOT_FOUND`),
    `message` is English for logs and developers, `message_vi` is what a citizen sees.
    """

    status: grpc.StatusCode = grpc.StatusCode.FAILED_PRECONDITION

    def __init__(
        self,
        code: str,
        message: str,
        message_vi: str,
        *,
        status: grpc.StatusCode | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_vi = message_vi
        if status is not None:
            self.status = status
        self.metadata = dict(metadata or {})

    @property
    def http_status(self) -> int:
        return http_status_for(self.status)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class InvalidArgument(MotcuaError):
    status = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(MotcuaError):
    status = grpc.StatusCode.NOT_FOUND


class Conflict(MotcuaError):
    status = grpc.StatusCode.ALREADY_EXISTS


class PreconditionFailed(MotcuaError):
    status = grpc.StatusCode.FAILED_PRECONDITION


class Unauthenticated(MotcuaError):
    status = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(MotcuaError):
    status = grpc.StatusCode.PERMISSION_DENIED


class Unavailable(MotcuaError):
    status = grpc.StatusCode.UNAVAILABLE


#: Seconds a client should wait before retrying after a transient outage (HTTP Retry-After).
RETRY_AFTER_SECONDS = "2"


def transient_unavailable(exc: BaseException) -> Unavailable | None:
    """Return an `Unavailable` when `exc` (or what caused it) is a lost or refused database/network connection.

    Such a failure says nothing about the request: the transaction was rolled back (or its outcome is
    unknown and the caller's idempotency key makes the retry safe), so the caller is told to retry
    (UNAVAILABLE / 503 + Retry-After) instead of getting an internal error.
    """
    import asyncpg

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        transient = isinstance(current, (
            asyncpg.PostgresConnectionError,  # class 08: connection does not exist / failure
            asyncpg.exceptions.OperatorInterventionError,  # class 57: admin shutdown, cannot connect now
            asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections
            ConnectionError,  # refused, reset, aborted, lost during the handshake
            TimeoutError,  # connect or pool acquire timed out
        )) or (isinstance(current, asyncpg.InterfaceError) and "connection" in str(current)
               and ("closed" in str(current) or "lost" in str(current))) \
            or (isinstance(current, asyncpg.exceptions.InternalClientError) and "another operation" in str(current))
        # The last one: a pool connection whose server went away mid-operation (PostgreSQL restarted) is handed out
        # before asyncpg notices; its next statement fails client-side before reaching the server (seen at BEGIN).
        if transient:
            return Unavailable("DATABASE_UNAVAILABLE", f"database unavailable: {type(current).__name__}",
                               "Hệ thống tạm thời gián đoạn, vui lòng thử lại sau ít phút.",
                               metadata={"retry_after": RETRY_AFTER_SECONDS})
        current = current.__cause__ or current.__context__
    return None
