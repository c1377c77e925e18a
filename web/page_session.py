"""How a browser signs in to the status page: the admin's bearer token, given once in a form,
checked as the admin API checks it, then a signed session cookie (HttpOnly, SameSite=Strict)
that holds who signed in and until when, never the token. Every form that changes something
carries the session's CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

import jwt
from flask import Flask, abort, redirect, request, session, url_for

from web.errors import ApiError
from web.tokens import decode

F = TypeVar("F", bound=Callable[..., Any])
MAX_SESSION_SECONDS = 8 * 3600  # and never past the token's own expiry
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Operator:
    """Who signed in to the status page: an admin of one tenant."""

    user: str
    tenant_id: str


def init_app(app: Flask, secret_key: str, secure_cookies: bool) -> None:
    """Sign the session cookie with a key of its own, derived from intsync's secret key."""
    app.secret_key = hmac.new(secret_key.encode(), b"status-page-session", hashlib.sha256).digest()
    app.config.update(
        SESSION_COOKIE_NAME="intsync_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=secure_cookies,
        SESSION_COOKIE_PATH="/status",
    )


def sign_in(token: str) -> Operator:
    """Check an admin's bearer token; start the session. ApiError saying why it was refused."""
    principal = decode(token.strip())
    if "admin" not in principal.roles:
        raise ApiError(403, "admin_only", "this token has no admin role")
    # verified just above; read again only for its expiry
    expires = int(jwt.decode(token.strip(), options={"verify_signature": False})["exp"])
    session.clear()
    session.update(
        user=principal.user,
        tenant_id=principal.tenant_id,
        until=min(expires, int(time.time()) + MAX_SESSION_SECONDS),
        csrf=secrets.token_urlsafe(32),
    )
    return Operator(principal.user, principal.tenant_id)


def sign_out() -> None:
    session.clear()


def operator() -> Operator | None:
    """The signed-in operator, or None (no session, or it ran out)."""
    if "tenant_id" not in session or int(session.get("until", 0)) <= time.time():
        return None
    return Operator(str(session["user"]), str(session["tenant_id"]))


def signed_in(view: F) -> F:
    """Page decorator: the sign-in form for anyone not signed in."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if operator() is None:
            session.clear()
            return redirect(url_for("pages.sign_in_form", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def csrf_token() -> str:
    """The session's CSRF token (one is made for a visitor not yet signed in, for the
    sign-in form itself)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def check_csrf() -> None:
    """400 unless the form carries the session's CSRF token."""
    sent = request.form.get(CSRF_FIELD, "")
    if not sent or not hmac.compare_digest(sent, str(session.get("csrf", ""))):
        abort(400, "the form is stale or was not sent from the status page: reload and retry")
