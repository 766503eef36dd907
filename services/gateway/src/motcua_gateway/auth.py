"""Staff, volunteer, operator and agency identities as signed JWTs.

Tokens are verified against the configured issuer (`MOTCUA_AUTH_ISSUER`,
`MOTCUA_AUTH_AUDIENCE`) with either its public key (`MOTCUA_AUTH_PUBLIC_KEY_PEM`,
RS256/ES256, what an OIDC provider gives) or a shared secret
(`MOTCUA_AUTH_HS256_SECRET`). `make run` turns on a development issuer
(`MOTCUA_AUTH_DEV_ISSUER=true`) that signs tokens for the demo users below.

Claims used: `sub`, `name`, `roles` (list), `agency` (agency code, for officers
and agencies), `procedures` (procedure codes an agency may see, `*` for all).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

import jwt
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from motcua_gateway.settings import Settings
from motcua_platform.errors import PermissionDenied, Unauthenticated
from motcua_platform.logging import get_logger

log = get_logger(__name__)

ROLES = ("officer", "volunteer", "operator", "agency", "citizen")
TOKEN_TTL_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Principal:
    subject: str
    name: str
    roles: frozenset[str]
    agency: str | None = None
    procedures: frozenset[str] = field(default_factory=frozenset)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def may_see_procedure(self, code: str) -> bool:
        return "*" in self.procedures or code in self.procedures


class TokenVerifier:
    """Verify bearer tokens; build once per process."""

    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.auth_issuer
        self.audience = settings.auth_audience
        if settings.auth_public_key_pem:
            self.key: str = settings.auth_public_key_pem
            self.algorithms = ["RS256", "ES256"]
        elif settings.auth_hs256_secret is not None:
            self.key = settings.auth_hs256_secret.get_secret_value()
            self.algorithms = ["HS256"]
        elif settings.auth_dev_issuer:
            # A fresh secret per process: dev tokens die with the stack.
            self.key = secrets.token_urlsafe(32)
            self.algorithms = ["HS256"]
        else:
            self.key = ""
            self.algorithms = []
        self.dev_issuer = settings.auth_dev_issuer

    def verify(self, token: str) -> Principal:
        if not self.algorithms:
            raise Unauthenticated("AUTH_NOT_CONFIGURED", "no token issuer is configured",
                                  "Hệ thống chưa cấu hình xác thực cán bộ.")
        try:
            claims = jwt.decode(token, self.key, algorithms=self.algorithms, audience=self.audience,
                                issuer=self.issuer, options={"require": ["exp", "iat", "sub", "iss", "aud"]})
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("TOKEN_EXPIRED", "token expired", "Phiên đăng nhập đã hết hạn.") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("TOKEN_INVALID", f"invalid token: {type(exc).__name__}",
                                  "Mã xác thực không hợp lệ.") from exc
        roles = claims.get("roles") or []
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise Unauthenticated("TOKEN_INVALID", "roles claim must be a list", "Mã xác thực không hợp lệ.")
        procedures = claims.get("procedures") or []
        return Principal(
            subject=str(claims["sub"]),
            name=str(claims.get("name", "")),
            roles=frozenset(r for r in roles if r in ROLES),
            agency=claims.get("agency"),
            procedures=frozenset(str(p) for p in procedures) if isinstance(procedures, list) else frozenset(),
        )

    def issue(self, *, subject: str, name: str, roles: list[str], agency: str | None = None,
              procedures: list[str] | None = None, ttl: int = TOKEN_TTL_SECONDS) -> str:
        """Sign a token (development issuer and tests only)."""
        if self.algorithms != ["HS256"]:
            raise RuntimeError("tokens can only be issued with a shared secret")
        now = int(time.time())
        claims: dict[str, object] = {"sub": subject, "name": name, "roles": roles, "iss": self.issuer,
                                     "aud": self.audience, "iat": now, "exp": now + ttl}
        if agency:
            claims["agency"] = agency
        if procedures is not None:
            claims["procedures"] = procedures
        return jwt.encode(claims, self.key, algorithm="HS256")


def _verifier(request: Request) -> TokenVerifier:
    return request.app.state.verifier


def optional_principal(request: Request) -> Principal | None:
    """Return the caller's identity when a bearer token is sent, None for anonymous callers."""
    header = request.headers.get("authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("TOKEN_MISSING", "expected 'Authorization: Bearer <token>'",
                              "Thiếu mã xác thực (Authorization: Bearer).")
    return _verifier(request).verify(token.strip())


def require_roles(*roles: str) -> Callable[[Principal | None], Principal]:
    """Dependency: the caller must hold one of `roles`; 401 without a token, 403 with the wrong role."""

    def dependency(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
        if principal is None:
            raise Unauthenticated("TOKEN_MISSING", "authentication required", "Vui lòng đăng nhập.")
        if not principal.has_role(*roles):
            raise PermissionDenied("ROLE_REQUIRED", f"requires role {' or '.join(roles)}",
                                   "Tài khoản không có quyền thực hiện thao tác này.")
        return principal

    return dependency


# -- development issuer -----------------------------------------------------------------------------

#: Demo users of `make run` (development issuer only). Passwords are for the demo only.
DEMO_USERS: dict[str, dict[str, object]] = {
    "canbo.saigon": {"name": "Cán bộ một cửa phường Sài Gòn", "roles": ["officer"], "agency": "000.00.41.H29",
                     "password": "demo"},
    "tnv.an": {"name": "Tình nguyện viên Nguyễn Văn An", "roles": ["volunteer"], "password": "demo"},
    "vanhanh": {"name": "Vận hành hệ thống", "roles": ["operator", "officer"], "password": "demo"},
    "coquan.bhxh": {"name": "Bảo hiểm xã hội TP", "roles": ["agency"], "agency": "BHXH.H29",
                    "procedures": ["*"], "password": "demo"},
}


class DevTokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class DevTokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


dev_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@dev_router.post("/dev-token", response_model=DevTokenResponse,
                 summary="Development issuer: a token for a demo user (only when MOTCUA_AUTH_DEV_ISSUER=true)")
async def dev_token(body: DevTokenRequest, request: Request) -> DevTokenResponse:
    verifier = _verifier(request)
    user = DEMO_USERS.get(body.username)
    if not verifier.dev_issuer or user is None or not secrets.compare_digest(str(user["password"]), body.password):
        raise Unauthenticated("LOGIN_FAILED", "unknown user or wrong password",
                              "Tên đăng nhập hoặc mật khẩu không đúng.")
    token = verifier.issue(subject=body.username, name=str(user["name"]), roles=list(user["roles"]),  # type: ignore[arg-type]
                           agency=user.get("agency"), procedures=user.get("procedures"))  # type: ignore[arg-type]
    log.info("dev_token_issued", user=body.username)
    return DevTokenResponse(access_token=token, expires_in=TOKEN_TTL_SECONDS)
