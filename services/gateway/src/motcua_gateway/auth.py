"""Staff, volunteer, operator and agency identities as signed JWTs.

Tokens are verified against the configured issuer (`MOTCUA_AUTH_ISSUER`,
`MOTCUA_AUTH_AUDIENCE`) with, in this order of preference: its JWKS (`MOTCUA_AUTH_JWKS_URL`,
an OIDC provider's `jwks_uri`, fetched and cached, refetched when a token names an unknown
`kid` so key rotation needs no restart; or `MOTCUA_AUTH_JWKS_FILE`), its public key
(`MOTCUA_AUTH_PUBLIC_KEY_PEM`), or a shared secret (`MOTCUA_AUTH_HS256_SECRET`). `make run`
turns on a development issuer (`MOTCUA_AUTH_DEV_ISSUER=true`) that signs tokens for the demo
users below.

Hardening: `exp`, `iat`, `iss`, `aud` and `sub` are required; `MOTCUA_AUTH_LEEWAY_SECONDS` of
clock skew is allowed; the algorithm must be on the allow-list of the configured key type
(asymmetric keys: RS/PS/ES/EdDSA; a shared secret: HS256 only) and match the key it is
verified with — so `alg: none` and the HS256-signed-with-the-public-key confusion are refused.

Claims used: `sub`, `name`, `roles` (list), `agency` (agency code, for officers
and agencies), `procedures` (procedure codes an agency may see, `*` for all), and for a citizen
(role `citizen`, signed in with the national identity provider) the ID number it verified
(`MOTCUA_AUTH_CITIZEN_ID_CLAIM`, default `id_number`: CCCD, 12 digits, or CMND, 9), which opens the
full view of the dossiers that citizen submitted.
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
from starlette.concurrency import run_in_threadpool

from motcua_gateway.settings import Settings
from motcua_platform.errors import InvalidArgument, PermissionDenied, Unauthenticated, Unavailable
from motcua_platform.logging import get_logger
from motcua_platform.subject_data import normalize_id_number

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
    #: A citizen's ID number as the identity provider verified it (role `citizen` only), normalised; else None.
    id_number: str | None = field(default=None, repr=False)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def may_see_procedure(self, code: str) -> bool:
        return "*" in self.procedures or code in self.procedures


#: Algorithms accepted with an asymmetric key (JWKS or PEM), by key type; HS256 only with a shared secret.
ASYMMETRIC_ALGORITHMS = {"RSA": ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
                         "EC": ("ES256", "ES384", "ES512"), "OKP": ("EdDSA",)}
REQUIRED_CLAIMS = ["exp", "iat", "sub", "iss", "aud"]


def _invalid(reason: str) -> Unauthenticated:
    return Unauthenticated("TOKEN_INVALID", f"invalid token: {reason}", "Mã xác thực không hợp lệ.")


def _key_type(key: object) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return "EC"
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return "OKP"
    raise ValueError(f"unsupported key type {type(key).__name__}")


class TokenVerifier:
    """Verify bearer tokens; build once per process."""

    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.auth_issuer
        self.audience = settings.auth_audience
        self.leeway = settings.auth_leeway_seconds
        self.jwks_client: jwt.PyJWKClient | None = None
        self.jwks_set: jwt.PyJWKSet | None = None
        self.key: object = ""
        self.algorithms: list[str] = []
        hs256 = settings.auth_hs256_secret.get_secret_value() if settings.auth_hs256_secret is not None else ""
        if settings.auth_jwks_url:
            self.jwks_client = jwt.PyJWKClient(settings.auth_jwks_url, cache_keys=True,
                                               lifespan=max(settings.auth_jwks_cache_seconds, 1), timeout=5,
                                               cooldown_duration=settings.auth_jwks_refetch_cooldown_seconds)
            self.algorithms = [a for algs in ASYMMETRIC_ALGORITHMS.values() for a in algs]
        elif settings.auth_jwks_file:
            with open(settings.auth_jwks_file, encoding="utf-8") as fh:
                self.jwks_set = jwt.PyJWKSet.from_json(fh.read())
            self.algorithms = [a for algs in ASYMMETRIC_ALGORITHMS.values() for a in algs]
        elif settings.auth_public_key_pem:
            from cryptography.hazmat.primitives.serialization import load_pem_public_key

            self.key = load_pem_public_key(settings.auth_public_key_pem.encode())
            self.algorithms = list(ASYMMETRIC_ALGORITHMS[_key_type(self.key)])
        elif hs256:
            self.key = hs256
            self.algorithms = ["HS256"]
        elif settings.auth_dev_issuer:
            # A fresh secret per process: dev tokens die with the stack.
            self.key = secrets.token_urlsafe(32)
            self.algorithms = ["HS256"]
        self.dev_issuer = settings.auth_dev_issuer
        self.citizen_id_claim = settings.auth_citizen_id_claim

    def _key_for(self, token: str) -> tuple[object, list[str]]:
        """The verification key for this token and the algorithms allowed with it."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise _invalid(type(exc).__name__) from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise _invalid(f"algorithm {alg!r} not allowed")
        if self.jwks_client is None and self.jwks_set is None:
            return self.key, self.algorithms
        kid = header.get("kid")
        try:
            if self.jwks_client is not None:
                jwk = self.jwks_client.get_signing_key_from_jwt(token)
            else:
                assert self.jwks_set is not None
                jwk = next((k for k in self.jwks_set.keys if k.key_id == kid), None) if kid else (
                    self.jwks_set.keys[0] if len(self.jwks_set.keys) == 1 else None)
                if jwk is None:
                    raise _invalid("unknown key id")
        except jwt.PyJWKClientConnectionError as exc:
            log.warning("jwks_unreachable", error=str(exc)[:200])
            raise Unavailable("AUTH_KEYS_UNAVAILABLE", "the issuer's keys cannot be fetched",
                              "Tạm thời không kiểm tra được đăng nhập, vui lòng thử lại sau.") from exc
        except jwt.PyJWKClientError as exc:
            raise _invalid("unknown key id") from exc
        allowed = ASYMMETRIC_ALGORITHMS.get(jwk.key_type, ())
        if (jwk.algorithm_name and jwk.algorithm_name != alg) or alg not in allowed:
            raise _invalid(f"algorithm {alg!r} does not match the key")
        return jwk.key, [alg]

    def verify(self, token: str) -> Principal:
        if not self.algorithms:
            raise Unauthenticated("AUTH_NOT_CONFIGURED", "no token issuer is configured",
                                  "Hệ thống chưa cấu hình xác thực cán bộ.")
        key, algorithms = self._key_for(token)
        try:
            claims = jwt.decode(token, key, algorithms=algorithms, audience=self.audience, issuer=self.issuer,
                                leeway=self.leeway, options={"require": REQUIRED_CLAIMS})
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("TOKEN_EXPIRED", "token expired", "Phiên đăng nhập đã hết hạn.") from exc
        except jwt.InvalidTokenError as exc:
            raise _invalid(type(exc).__name__) from exc
        roles = claims.get("roles") or []
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise Unauthenticated("TOKEN_INVALID", "roles claim must be a list", "Mã xác thực không hợp lệ.")
        procedures = claims.get("procedures") or []
        granted = frozenset(r for r in roles if r in ROLES)
        return Principal(
            subject=str(claims["sub"]),
            name=str(claims.get("name", "")),
            roles=granted,
            agency=claims.get("agency"),
            procedures=frozenset(str(p) for p in procedures) if isinstance(procedures, list) else frozenset(),
            id_number=self._citizen_id(claims) if "citizen" in granted else None,
        )

    def _citizen_id(self, claims: dict[str, object]) -> str | None:
        """The verified ID number of a citizen's token; a malformed one is refused (401), an absent one is None."""
        raw = claims.get(self.citizen_id_claim)
        if raw is None or raw == "":
            return None
        try:
            return normalize_id_number(str(raw))
        except InvalidArgument as exc:
            raise Unauthenticated("TOKEN_INVALID", f"{self.citizen_id_claim} claim is not an ID number",
                                  "Mã xác thực không hợp lệ.") from exc

    def issue(self, *, subject: str, name: str, roles: list[str], agency: str | None = None,
              procedures: list[str] | None = None, id_number: str | None = None, ttl: int = TOKEN_TTL_SECONDS) -> str:
        """Sign a token (development issuer and tests only)."""
        if self.algorithms != ["HS256"] or not isinstance(self.key, str):
            raise RuntimeError("tokens can only be issued with a shared secret")
        now = int(time.time())
        claims: dict[str, object] = {"sub": subject, "name": name, "roles": roles, "iss": self.issuer,
                                     "aud": self.audience, "iat": now, "exp": now + ttl}
        if agency:
            claims["agency"] = agency
        if procedures is not None:
            claims["procedures"] = procedures
        if id_number:
            claims[self.citizen_id_claim] = id_number
        return jwt.encode(claims, str(self.key), algorithm="HS256")


def _verifier(request: Request) -> TokenVerifier:
    return request.app.state.verifier


async def optional_principal(request: Request) -> Principal | None:
    """Return the caller's identity when a bearer token is sent, None for anonymous callers.

    Async so that an anonymous request (public look-ups and searches, most of the traffic) costs no thread
    hand-off; a token is verified in the thread pool, since a JWKS refetch is a blocking HTTP call."""
    header = request.headers.get("authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("TOKEN_MISSING", "expected 'Authorization: Bearer <token>'",
                              "Thiếu mã xác thực (Authorization: Bearer).")
    return await run_in_threadpool(_verifier(request).verify, token.strip())


def require_roles(*roles: str) -> Callable[[Principal | None], Principal]:
    """Dependency: the caller must hold one of `roles`; 401 without a token, 403 with the wrong role."""

    async def dependency(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
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
    # A citizen as the national identity provider would sign her in: the applicant of the README's example.
    "congdan.anh": {"name": "Trần Thị Ngọc Ánh", "roles": ["citizen"], "id_number": "079190001234",
                    "password": "demo"},
}


class DevTokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class DevTokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


dev_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@dev_router.post("/dev-token", response_model=DevTokenResponse, responses={401: {"description": "Unknown user or wrong password"}},
                 summary="Development issuer: a token for a demo user (only when MOTCUA_AUTH_DEV_ISSUER=true)")
async def dev_token(body: DevTokenRequest, request: Request) -> DevTokenResponse:
    verifier = _verifier(request)
    user = DEMO_USERS.get(body.username)
    if not verifier.dev_issuer or user is None or not secrets.compare_digest(str(user["password"]), body.password):
        raise Unauthenticated("LOGIN_FAILED", "unknown user or wrong password",
                              "Tên đăng nhập hoặc mật khẩu không đúng.")
    token = verifier.issue(subject=body.username, name=str(user["name"]), roles=list(user["roles"]),  # type: ignore[arg-type]
                           agency=user.get("agency"), procedures=user.get("procedures"),  # type: ignore[arg-type]
                           id_number=user.get("id_number"))  # type: ignore[arg-type]
    log.info("dev_token_issued", user=body.username)
    return DevTokenResponse(access_token=token, expires_in=TOKEN_TTL_SECONDS)
