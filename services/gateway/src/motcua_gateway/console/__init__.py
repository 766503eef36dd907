"""The officer console (`/console`): server-rendered pages for officers, volunteers, operators and agencies.

`session` holds sign-in (a JWT in an HttpOnly cookie or an `Authorization: Bearer` header, verified
by the gateway's one TokenVerifier) and CSRF (an HMAC of the session token in a hidden field);
`charts` draws the figures as server-side SVG. The routes are in `motcua_gateway.routes.console`.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
