"""Sign-in state and CSRF of the console.

The session IS the JWT: the same token the REST API takes, kept in an HttpOnly,
SameSite=Strict cookie (Secure on https) and verified on every request by the
app's TokenVerifier — so a token from a real OIDC issuer works exactly like one
from the development issuer. A request may instead send `Authorization: Bearer`
(e.g. from a reverse proxy that signs staff in).

CSRF: every form carries `csrf` = HMAC-SHA256(key, SHA-256(session token)); a POST
is refused unless it matches the session it comes with, and (when the browser says)
its Origin is this site. Before sign-in the binding is a random pre-session cookie,
so the sign-in form is protected too (login CSRF). The key comes from
`MOTCUA_CONSOLE_CSRF_SECRET` (needed when several gateway replicas serve the
console), otherwise it is random per process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from starlette.responses import Response

from motcua_gateway import web
from motcua_gateway.auth import Principal, TokenVerifier
from motcua_platform.errors import MotcuaError

COOKIE = "motcua_console"
PRE_COOKIE = "motcua_console_pre"
CSRF_FIELD = "csrf"
STAFF_ROLES = ("officer", "volunteer", "operator", "agency")


@dataclass(frozen=True)
class Session:
    """Who is signed in (None for anonymous) and the token that proves it."""

    principal: Principal | None
    token: str = ""
    via: str = ""  # "cookie", "bearer" or "" (anonymous)
    expired: bool = False


class SignInRequired(Exception):
    """No (valid) session: send the browser to the sign-in page."""

    def __init__(self, *, expired: bool = False) -> None:
        super().__init__("sign-in required")
        self.expired = expired


class CsrfRefused(Exception):
    """A POST without this session's CSRF token or from another site."""


def _verifier(request: Request) -> TokenVerifier:
    return request.app.state.verifier


def read_session(request: Request) -> Session:
    """The caller's session: a bearer header wins over the cookie; a bad cookie is treated as no session."""
    cached = getattr(request.state, "console_session", None)
    if cached is not None:
        return cached
    session = Session(None)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            try:
                session = Session(_verifier(request).verify(token.strip()), token.strip(), "bearer")
            except MotcuaError:
                session = Session(None, expired=True)
    if session.principal is None:
        cookie = request.cookies.get(COOKIE, "")
        if cookie:
            try:
                session = Session(_verifier(request).verify(cookie), cookie, "cookie")
            except MotcuaError:
                session = Session(None, expired=True)
    request.state.console_session = session
    return session


def is_https(request: Request) -> bool:
    base = getattr(request.app.state.settings, "public_base_url", "")
    return request.url.scheme == "https" or base.startswith("https://")


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(COOKIE, token, httponly=True, secure=is_https(request), samesite="strict", path="/console")
    response.delete_cookie(PRE_COOKIE, path="/console")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/console")


# -- CSRF ---------------------------------------------------------------------------------------------


def _key(request: Request) -> bytes:
    state = request.app.state
    key = getattr(state, "console_csrf_key", None)
    if key is None:
        secret = getattr(state.settings, "console_csrf_secret", None)
        key = secret.get_secret_value().encode() if secret is not None else secrets.token_bytes(32)
        state.console_csrf_key = key
    return key


def _pre_session(request: Request) -> str:
    """The pre-sign-in binding (cookie), made on first use and set on the response by `finish`."""
    current = getattr(request.state, "console_pre", None)
    if current:
        return current
    cookie = request.cookies.get(PRE_COOKIE, "")
    if 32 <= len(cookie) <= 64 and cookie.replace("-", "").replace("_", "").isalnum():
        value = cookie
    else:
        value = secrets.token_urlsafe(32)
        request.state.console_pre_new = True
    request.state.console_pre = value
    return value


def csrf_token(request: Request) -> str:
    """The token forms of this session must carry."""
    session = read_session(request)
    binding = session.token if session.principal is not None else "pre:" + _pre_session(request)
    digest = hmac.new(_key(request), b"console-csrf\0" + hashlib.sha256(binding.encode()).digest(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def check_csrf(request: Request, form: dict[str, str]) -> None:
    """Raise CsrfRefused unless the form carries this session's token and the browser does not name another origin."""
    origin = request.headers.get("origin", "").strip().lower()
    if origin and origin != "null" and origin not in web.allowed_origins(request):
        raise CsrfRefused
    if session_is_pre(request) and not request.cookies.get(PRE_COOKIE):
        raise CsrfRefused
    sent = form.get(CSRF_FIELD, "")
    if not sent or not hmac.compare_digest(sent.encode(), csrf_token(request).encode()):
        raise CsrfRefused


def session_is_pre(request: Request) -> bool:
    return read_session(request).principal is None


def finish(request: Request, response: Response) -> Response:
    """Set the pre-session cookie when this response made one."""
    if getattr(request.state, "console_pre_new", False) and read_session(request).principal is None:
        response.set_cookie(PRE_COOKIE, request.state.console_pre, httponly=True, secure=is_https(request),
                            samesite="strict", path="/console", max_age=3600)
    return response
