"""Bearer JWTs for the public API: fixed algorithms, `exp`, `aud`, `iss` and `sub` required.

The tenant (`tenant_id`), the venues (`venues`) and the roles (`roles`) come from the token and
never from the request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

import jwt
from flask import g, request

from web.errors import ApiError
from web.state import state

SYMMETRIC = ["HS256"]
ASYMMETRIC = ["RS256", "ES256"]
REQUIRED = ["exp", "aud", "iss", "sub"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    """Who is calling: user, tenant, the venues they may touch, and their roles."""

    user: str
    tenant_id: str
    venues: frozenset[str]
    roles: frozenset[str]

    def check_venue(self, venue_id: str) -> None:
        """403 unless the token grants this venue."""
        if venue_id not in self.venues:
            raise ApiError(403, "venue_forbidden", f"the token does not grant venue {venue_id!r}")


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "invalid_token", message)


def decode(token: str) -> Principal:
    """Verify a bearer token with the configured key; ApiError 401 saying why it was refused."""
    web = state()
    if web.settings.jwt_public_key:
        key, algorithms = web.settings.jwt_public_key, ASYMMETRIC
    elif web.settings.jwt_secret:
        key, algorithms = web.settings.jwt_secret, SYMMETRIC
    else:
        raise ApiError(
            503,
            "auth_not_configured",
            "no token key configured: set INTSYNC_JWT_SECRET or INTSYNC_JWT_PUBLIC_KEY",
        )
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=web.jwt_audience,
            issuer=web.jwt_issuer,
            options={"require": REQUIRED},
        )
    except jwt.PyJWTError as exc:
        raise _unauthorized(f"bearer token refused: {exc}") from None
    tenant, venues, roles = (
        claims.get("tenant_id"),
        claims.get("venues", []),
        claims.get("roles", []),
    )
    if not isinstance(tenant, str) or not tenant:
        raise _unauthorized("bearer token has no tenant_id claim")
    if not isinstance(venues, list) or not isinstance(roles, list):
        raise _unauthorized("bearer token claims venues and roles must be lists")
    return Principal(
        str(claims["sub"]), tenant, frozenset(map(str, venues)), frozenset(map(str, roles))
    )


def bearer(*, admin: bool = False) -> Callable[[F], F]:
    """Route decorator: a valid bearer token (with the admin role when `admin`)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise _unauthorized("send Authorization: Bearer <token>")
            principal = decode(token.strip())
            if admin and "admin" not in principal.roles:
                raise ApiError(403, "admin_only", "this route needs the admin role")
            g.principal = principal
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def principal() -> Principal:
    """The caller of the current request (after `bearer`)."""
    return g.principal
